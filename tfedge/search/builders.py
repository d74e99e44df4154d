"""Built-in model families the search varies: each builder takes width, depth and kernel size.

    builder(input_shape: tuple[int, ...], classes: int, *, width: int, depth: int, kernel: int) -> keras.Model

(a user's own builder, `builder: my_module:build` in the space, has the same form with the space's own
model parameters as keyword arguments). All end in global average pooling and a softmax Dense layer
so that any depth works on any input size (a stride-2 reduction only while the feature map is larger
than 2x2, so digits' 8x8 images work as well as 32x32 or 96x96 ones).

    digits_cnn    conv blocks, channels doubling each block, max pooling between them
    ds_cnn        a plain conv, then depthwise-separable blocks (KWS's DS-CNN)
    mobilenet_v1  stride-2 conv stem, depthwise-separable blocks doubling channels at each reduction
                  (width = 32 x alpha: 8 is MobileNetV1 0.25)
    mobilenet_v2  conv stem, inverted residual blocks (1x1 expand x4, depthwise, linear 1x1 project;
                  the residual add when the shapes match), ReLU6
    resnet_cifar  ResNet for CIFAR: conv stem, `depth` stages of one basic block (two convs + the
                  shortcut, a 1x1 conv where the shape changes), channels doubling per stage
    cnn_1d        Conv1D blocks over the first axis (an image's rows become time steps, its columns
                  and channels the features), max pooling between them
"""

from __future__ import annotations

from tfedge._tf import keras


def _pool(L, x, name: str):
    return L.MaxPooling2D(name=name)(x) if min(x.shape[1:3]) > 2 else x


def digits_cnn_widths(width: int, depth: int) -> list[int]:
    """The channels of each conv block: `width` doubling each block."""
    return [width * 2 ** block for block in range(depth)]


def digits_cnn(input_shape: tuple[int, ...], classes: int, *, width: int = 8, depth: int = 2, kernel: int = 3,
               widths: list[int] | None = None, gates=None) -> keras.Model:
    """`depth` conv blocks (kernel x kernel, `width` channels doubling each block, or `widths` given per
    block, as DNAS finds them), pooling between them. `gates(block, x)`, when given, follows each conv
    (DNAS puts its channel masks there)."""
    L = keras.layers
    widths = list(widths) if widths is not None else digits_cnn_widths(width, depth)
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for block, channels in enumerate(widths):
        x = L.Conv2D(channels, kernel, padding="same", activation="relu", name=f"conv{block + 1}")(x)
        if gates is not None:
            x = gates(block, x)
        x = _pool(L, x, f"pool{block + 1}")
    name = f"w{width}_d{depth}" if widths == digits_cnn_widths(width, depth) else "c" + "-".join(map(str, widths))
    return _head(L, inputs, x, classes, f"digits_cnn_{name}_k{kernel}")


def ds_cnn(input_shape: tuple[int, ...], classes: int, *, width: int, depth: int, kernel: int) -> keras.Model:
    """DS-CNN: a plain first conv, then `depth` depthwise-separable blocks (kernel x kernel depthwise, 1x1 pointwise)."""
    L = keras.layers
    inputs = keras.Input(input_shape, name="image")
    x = L.Conv2D(width, 3, padding="same", activation="relu", name="conv0")(inputs)
    for block in range(depth):
        x = L.DepthwiseConv2D(kernel, padding="same", activation="relu", name=f"dw{block + 1}")(x)
        x = L.Conv2D(width, 1, activation="relu", name=f"pw{block + 1}")(x)
        if block == 0:
            x = _pool(L, x, "pool1")
    return _head(L, inputs, x, classes, f"ds_cnn_w{width}_d{depth}_k{kernel}")


def _reduces(x) -> bool:
    return min(x.shape[1:3]) > 2


def _bn_relu6(L, x, name: str):
    return L.ReLU(6.0, name=f"{name}_relu")(L.BatchNormalization(name=f"{name}_bn")(x))


def _mobilenet_stem(L, inputs, width: int):
    """3x3 conv (stride 2 while the image is larger than 2x2), BN, ReLU6."""
    return _bn_relu6(L, L.Conv2D(width, 3, strides=2 if _reduces(inputs) else 1, padding="same", use_bias=False,
                                 name="conv0")(inputs), "conv0")


def _head(L, inputs, x, classes: int, name: str, pool=None) -> keras.Model:
    """Global average pooling, a softmax Dense layer, the model."""
    x = (pool or L.GlobalAveragePooling2D)(name="gap")(x)
    return keras.Model(inputs, L.Dense(classes, activation="softmax", name="fc")(x), name=name)


def mobilenet_v1(input_shape: tuple[int, ...], classes: int, *, width: int, depth: int, kernel: int) -> keras.Model:
    L = keras.layers
    inputs = keras.Input(input_shape, name="image")
    x = _mobilenet_stem(L, inputs, width)
    channels = width
    for block in range(depth):
        stride = 2 if block % 2 == 0 and _reduces(x) else 1
        channels = channels * 2 if stride == 2 else channels
        x = _bn_relu6(L, L.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False, name=f"dw{block + 1}")(x),
                      f"dw{block + 1}")
        x = _bn_relu6(L, L.Conv2D(channels, 1, use_bias=False, name=f"pw{block + 1}")(x), f"pw{block + 1}")
    return _head(L, inputs, x, classes, f"mobilenet_v1_w{width}_d{depth}_k{kernel}")


def mobilenet_v2(input_shape: tuple[int, ...], classes: int, *, width: int, depth: int, kernel: int) -> keras.Model:
    L = keras.layers
    inputs = keras.Input(input_shape, name="image")
    x = _mobilenet_stem(L, inputs, width)
    for block in range(depth):
        name, stride = f"ir{block + 1}", 2 if block % 2 == 1 and _reduces(x) else 1
        out = width * 2 ** ((block + 1) // 2)
        y = _bn_relu6(L, L.Conv2D(x.shape[-1] * 4, 1, use_bias=False, name=f"{name}_expand")(x), f"{name}_expand")
        y = _bn_relu6(L, L.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_dw")(y),
                      f"{name}_dw")
        y = L.BatchNormalization(name=f"{name}_project_bn")(L.Conv2D(out, 1, use_bias=False, name=f"{name}_project")(y))
        x = L.Add(name=f"{name}_add")([x, y]) if stride == 1 and x.shape[-1] == out else y
    return _head(L, inputs, x, classes, f"mobilenet_v2_w{width}_d{depth}_k{kernel}")


def resnet_cifar(input_shape: tuple[int, ...], classes: int, *, width: int, depth: int, kernel: int) -> keras.Model:
    L = keras.layers
    inputs = keras.Input(input_shape, name="image")
    x = L.ReLU(name="stem_relu")(L.BatchNormalization(name="stem_bn")(L.Conv2D(width, kernel, padding="same", name="stem")(inputs)))
    for stage in range(depth):
        name, stride, channels = f"s{stage + 1}", 2 if stage and _reduces(x) else 1, width * 2 ** stage
        y = L.Conv2D(channels, kernel, strides=stride, padding="same", name=f"{name}_conv1")(x)
        y = L.ReLU(name=f"{name}_relu1")(L.BatchNormalization(name=f"{name}_bn1")(y))
        y = L.BatchNormalization(name=f"{name}_bn2")(L.Conv2D(channels, kernel, padding="same", name=f"{name}_conv2")(y))
        shortcut = x if stride == 1 and x.shape[-1] == channels else L.Conv2D(channels, 1, strides=stride, name=f"{name}_short")(x)
        x = L.ReLU(name=f"{name}_out")(L.Add(name=f"{name}_add")([shortcut, y]))
    return _head(L, inputs, x, classes, f"resnet_cifar_w{width}_d{depth}_k{kernel}")


def cnn_1d(input_shape: tuple[int, ...], classes: int, *, width: int, depth: int, kernel: int) -> keras.Model:
    L = keras.layers
    inputs = keras.Input(input_shape, name="signal")
    x = inputs if len(input_shape) == 2 else L.Reshape((input_shape[0], -1), name="rows")(inputs)
    for block in range(depth):
        x = L.Conv1D(width * 2 ** block, kernel, padding="same", activation="relu", name=f"conv{block + 1}")(x)
        if x.shape[1] > 2:
            x = L.MaxPooling1D(name=f"pool{block + 1}")(x)
    return _head(L, inputs, x, classes, f"cnn_1d_w{width}_d{depth}_k{kernel}", pool=L.GlobalAveragePooling1D)


FAMILIES = {"digits_cnn": digits_cnn, "ds_cnn": ds_cnn, "mobilenet_v1": mobilenet_v1, "mobilenet_v2": mobilenet_v2,
            "resnet_cifar": resnet_cifar, "cnn_1d": cnn_1d}


def build(family: str, input_shape: tuple[int, ...], classes: int, builder: str | None = None, **params) -> keras.Model:
    """The family's model (or, with `builder` "module:function", the user's) for these parameters."""
    if builder:
        from tfedge.search.space import resolve_builder

        model = resolve_builder(builder)(input_shape, classes, **params)
        if not isinstance(model, keras.Model):
            from tfedge.search.space import SearchError

            raise SearchError(f"builder {builder} returned {type(model).__name__}, not a tf_keras Model "
                              "(build it with `from tfedge._tf import keras` or `import tf_keras as keras`)")
        return model
    return FAMILIES[family](input_shape, classes, **params)
