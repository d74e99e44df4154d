"""Built-in models a recipe can name instead of a file (`model: demo_cnn`).

Besides the digits demo, the architectures users bring to a microcontroller, with BatchNormalization
where they have it: Conv-BN-ReLU, DS-CNN, ResNet-8 (MLPerf Tiny shapes) and Keras' MobileNets.
Each builder takes (input_shape, classes) and, for tests and Keras 3 users, `keras=` the Keras
module to build with (tf_keras by default; `import keras` builds the same model in Keras 3).
"""

from __future__ import annotations

from tfedge._tf import keras as tf_keras


def demo_cnn(input_shape: tuple[int, ...] = (8, 8, 1), classes: int = 10, keras=tf_keras):
    """A small digits CNN: three 3x3 convs, two poolings, two dense layers (about 23k weights)."""
    L = keras.layers
    inputs = keras.Input(input_shape, name="image")
    x = L.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = L.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(x)
    x = L.MaxPooling2D(name="pool1")(x)
    x = L.Conv2D(32, 3, padding="same", activation="relu", name="conv3")(x)
    x = L.MaxPooling2D(name="pool2")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(64, activation="relu", name="fc1")(x)
    outputs = L.Dense(classes, activation="softmax", name="fc2")(x)
    return keras.Model(inputs, outputs, name="demo_cnn")


def conv_bn_relu(input_shape: tuple[int, ...] = (8, 8, 1), classes: int = 10, keras=tf_keras):
    """demo_cnn's shape with Conv2D -> BatchNormalization -> ReLU blocks (BN folds into the conv)."""
    L = keras.layers
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for i, (filters, pool) in enumerate([(16, False), (32, True), (32, True)], 1):
        x = L.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = L.BatchNormalization(name=f"bn{i}")(x)
        x = L.ReLU(name=f"relu{i}")(x)
        if pool:
            x = L.MaxPooling2D(name=f"pool{i}")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(64, activation="relu", name="fc1")(x)
    outputs = L.Dense(classes, activation="softmax", name="fc2")(x)
    return keras.Model(inputs, outputs, name="conv_bn_relu")


def ds_cnn(input_shape: tuple[int, ...] = (49, 10, 1), classes: int = 12, keras=tf_keras, filters: int = 64):
    """MLPerf Tiny's keyword-spotting DS-CNN: a strided conv, four depthwise-separable blocks, each
    conv followed by BatchNormalization and ReLU, global average pooling, dense head."""
    L = keras.layers
    inputs = keras.Input(input_shape, name="features")
    x = L.Conv2D(filters, (10, 4), strides=2, padding="same", use_bias=False, name="conv1")(inputs)
    x = L.ReLU(name="relu1")(L.BatchNormalization(name="bn1")(x))
    for i in range(1, 5):
        x = L.DepthwiseConv2D(3, padding="same", use_bias=False, name=f"dw{i}")(x)
        x = L.ReLU(name=f"dw{i}_relu")(L.BatchNormalization(name=f"dw{i}_bn")(x))
        x = L.Conv2D(filters, 1, use_bias=False, name=f"pw{i}")(x)
        x = L.ReLU(name=f"pw{i}_relu")(L.BatchNormalization(name=f"pw{i}_bn")(x))
    x = L.GlobalAveragePooling2D(name="pool")(x)
    outputs = L.Dense(classes, activation="softmax", name="fc")(x)
    return keras.Model(inputs, outputs, name="ds_cnn")


def resnet8(input_shape: tuple[int, ...] = (32, 32, 3), classes: int = 10, keras=tf_keras, width: int = 16):
    """MLPerf Tiny's image-classification ResNet-8: three residual stacks (16/32/64 filters), each a
    Conv-BN-ReLU-Conv-BN pair added to the (1x1-projected) shortcut, then ReLU."""
    L = keras.layers
    inputs = keras.Input(input_shape, name="image")
    x = L.Conv2D(width, 3, padding="same", use_bias=False, name="conv1")(inputs)
    x = L.ReLU(name="relu1")(L.BatchNormalization(name="bn1")(x))
    for stack, filters in enumerate([width, 2 * width, 4 * width], 1):
        strides = 1 if stack == 1 else 2
        y = L.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False, name=f"s{stack}_conv1")(x)
        y = L.ReLU(name=f"s{stack}_relu1")(L.BatchNormalization(name=f"s{stack}_bn1")(y))
        y = L.Conv2D(filters, 3, padding="same", use_bias=False, name=f"s{stack}_conv2")(y)
        y = L.BatchNormalization(name=f"s{stack}_bn2")(y)
        if stack > 1:  # the shortcut changes shape: a strided 1x1 projection
            x = L.Conv2D(filters, 1, strides=strides, name=f"s{stack}_shortcut")(x)
        x = L.ReLU(name=f"s{stack}_relu")(L.Add(name=f"s{stack}_add")([x, y]))
    x = L.GlobalAveragePooling2D(name="pool")(x)
    outputs = L.Dense(classes, activation="softmax", name="fc")(x)
    return keras.Model(inputs, outputs, name="resnet8")


def mobilenet_v1(input_shape: tuple[int, ...] = (96, 96, 1), classes: int = 10, keras=tf_keras, alpha: float = 0.25,
                 bn_momentum: float = 0.9):
    """keras.applications.MobileNet (untrained), width `alpha` (0.25: MLPerf Tiny's visual wake words).

    BatchNormalization momentum 0.9 instead of Keras' 0.99: trained from scratch on a small set (digits:
    45 steps an epoch), 0.99 averages the statistics over the ~2 epochs in which the weights change
    most, and the model scored 22 % at inference while 98 % on its training batches."""
    model = keras.applications.MobileNet(input_shape=input_shape, alpha=alpha, weights=None, classes=classes)
    return _with_bn_momentum(model, bn_momentum, keras)


def mobilenet_v2(input_shape: tuple[int, ...] = (96, 96, 3), classes: int = 10, keras=tf_keras, alpha: float = 0.35,
                 bn_momentum: float = 0.9):
    """keras.applications.MobileNetV2 (untrained), width `alpha`: inverted residual blocks with ADDs
    (BatchNormalization momentum as mobilenet_v1)."""
    model = keras.applications.MobileNetV2(input_shape=input_shape, alpha=alpha, weights=None, classes=classes)
    return _with_bn_momentum(model, bn_momentum, keras)


def _with_bn_momentum(model, momentum: float, keras):
    """The untrained model rebuilt from its config with every BatchNormalization's momentum set."""
    config = model.get_config()
    for entry in config["layers"]:
        if entry["class_name"] == "BatchNormalization":
            entry["config"]["momentum"] = momentum
    return keras.Model.from_config(config)


BUILTIN_MODELS = {
    "demo_cnn": demo_cnn,
    "conv_bn_relu": conv_bn_relu,
    "ds_cnn": ds_cnn,
    "resnet8": resnet8,
    "mobilenet_v1": mobilenet_v1,
    "mobilenet_v2": mobilenet_v2,
}
