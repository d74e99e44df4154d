"""Generated Keras test models for the compiler, exported int8 and cached on disk.

Each model is named by a builder and its parameters; the exported .tflite, the float Keras outputs
on fixed inputs and those inputs are cached under the tfedge cache keyed by a hash of the config, so
the suite imports TensorFlow only when a model changed.
"""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np

from tfedge.paths import cache_dir

VERSION = 3  # bump to invalidate the cache when builders change
N_FLOAT = 100


def _key(name: str, params: dict) -> str:
    return hashlib.sha256(json.dumps([VERSION, name, params], sort_keys=True).encode()).hexdigest()[:20]


def get_model(name: str, **params) -> dict:
    """{'tflite': bytes, 'x_float': inputs (N, *shape), 'y_float': Keras outputs} for a config
    (lists of arrays for models with several inputs or outputs)."""
    path = cache_dir() / "testmodels" / f"{name}-{_key(name, params)}.npz"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _build(name, params)
        tmp = path.with_name(path.name + f".{os.getpid()}.partial.npz")
        np.savez(tmp, **data)
        os.replace(tmp, path)
    with np.load(path) as z:
        if "x_float" in z:
            return {"tflite": z["tflite"].tobytes(), "x_float": z["x_float"], "y_float": z["y_float"]}
        return {"tflite": z["tflite"].tobytes(),  # several inputs/outputs: lists, in Keras order
                "x_float": [z[k] for k in sorted(z.files) if k.startswith("x_float_")],
                "y_float": [z[k] for k in sorted(z.files) if k.startswith("y_float_")]}


# converter name -> (int16x8, int8 input/output, resource variables)
CONVERTERS = {
    "from_keras_model": (False, True, False),  # dynamic batch: exercises the shape-arithmetic folding
    "float_io": (False, False, False),  # float input/output: QUANTIZE and DEQUANTIZE at the ends
    "float_io16": (True, False, False),  # int16x8 with float input/output: QUANTIZE/DEQUANTIZE int16
    "resource_variables": (False, True, True),
    "uint8_io": (False, False, False),  # uint8 input/output: QUANTIZE uint8 <-> int8 at the ends
}


def _build(name: str, params: dict) -> dict:
    from tfedge._tf import keras, tf

    keras.utils.set_random_seed(1234)
    builder = BUILDERS[name]
    model = builder(keras, **{k: v for k, v in params.items() if k != "converter"})
    shapes = [tuple(t.shape[1:]) for t in model.inputs]
    rng = np.random.default_rng(7)
    scale = params.get("input_range", 1.0)
    reps = [rng.uniform(-1.0, 1.0, (200, *s)).astype(np.float32) * scale for s in shapes]
    xs = [rng.uniform(-1.0, 1.0, (N_FLOAT, *s)).astype(np.float32) * scale for s in shapes]
    for i, t in enumerate(model.inputs):  # integer inputs (token ids): ids below params["vocab"]
        if t.dtype.is_integer:
            reps[i] = rng.integers(0, params.get("vocab", 16), reps[i].shape).astype(t.dtype.as_numpy_dtype)
            xs[i] = rng.integers(0, params.get("vocab", 16), xs[i].shape).astype(t.dtype.as_numpy_dtype)
    rep = reps[0]
    conversion = CONVERTERS.get(params.get("converter"))
    if conversion is not None:  # TFLiteConverter.from_keras_model (dynamic batch) with these settings
        int16x8, int8_io, variables = conversion
        conv = tf.lite.TFLiteConverter.from_keras_model(model)
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: ([r[None]] for r in rep)
        conv.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
                                          if int16x8 else tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if int8_io:
            conv.inference_input_type = tf.int8
            conv.inference_output_type = tf.int8
        if params.get("converter") == "uint8_io":
            conv.inference_input_type = tf.uint8
            conv.inference_output_type = tf.uint8
        if variables:  # streaming state in an int8 tf.Variable
            conv.experimental_enable_resource_variables = True
            conv._experimental_variable_quantization = True
        tflite = conv.convert()
    elif params.get("converter") == "lstm16x8":  # int16x8 LSTM models, written by tfedge (the converter refuses)
        from tfedge.export.lstm16x8 import export_lstm_int16x8

        tflite = export_lstm_int16x8(model, rep)
    elif params.get("converter") == "float":  # no quantization at all: the compiler must refuse it
        tflite = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    else:
        from tfedge.export import export_int8

        tflite = export_int8(model, reps if len(reps) > 1 else reps[0], per_channel=params.get("per_channel", True),
                             int16x8=params.get("int16x8", False))
    stateful = params.get("converter") == "resource_variables"  # one sample at a time through the state
    try:
        ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0, batch_size=1 if stateful else 32)
    except tf.errors.InvalidArgumentError:  # TF's CPU kernels lack e.g. unequal depthwise strides; TFLite has them
        ys = _float_tflite_outputs(tf, model, xs)
    ys = ys if isinstance(ys, list) else [ys]
    data = {"tflite": np.frombuffer(tflite, np.uint8)}
    if len(xs) == 1 and len(ys) == 1:  # single input and output: plain arrays
        data.update(x_float=xs[0], y_float=np.asarray(ys[0], np.float32))
    else:
        data.update({f"x_float_{i}": x for i, x in enumerate(xs)})
        data.update({f"y_float_{i}": np.asarray(y, np.float32) for i, y in enumerate(ys)})
    return data


def _float_tflite_outputs(tf, model, xs: list) -> list:
    """The float reference from the float .tflite of `model`, one sample at a time (LiteRT's reference kernels),
    where Keras cannot run the model itself."""
    interp = tf.lite.Interpreter(model_content=tf.lite.TFLiteConverter.from_keras_model(model).convert())
    interp.allocate_tensors()
    ins, outs = interp.get_input_details(), interp.get_output_details()
    ys = [[] for _ in outs]
    for n in range(len(xs[0])):
        for d, x in zip(ins, xs):
            interp.set_tensor(d["index"], x[n:n + 1].astype(d["dtype"]))
        interp.invoke()
        for y, d in zip(ys, outs):
            y.append(interp.get_tensor(d["index"])[0])
    return [np.stack(y) for y in ys]


# ---- builders: (keras, **params) -> keras.Model -------------------------------------------------------


def conv2d(keras, hw=(8, 8), cin=3, filters=6, kernel=3, strides=1, padding="same", dilation=1, activation=None,
           use_bias=True, bn=False, **_):
    x = inp = keras.Input((*hw, cin))
    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding=padding, dilation_rate=dilation,
                            use_bias=use_bias, activation=None if bn else activation)(x)
    if bn:
        x = keras.layers.BatchNormalization(beta_initializer="random_normal", gamma_initializer="random_uniform",
                                            moving_mean_initializer="random_normal",
                                            moving_variance_initializer="ones")(x)
        if activation:
            x = keras.layers.Activation(activation)(x)
    return keras.Model(inp, x)


def conv1d(keras, length=16, cin=3, filters=5, kernel=3, strides=1, padding="same", dilation=1, activation=None, **_):
    inp = keras.Input((length, cin))
    x = keras.layers.Conv1D(filters, kernel, strides=strides, padding=padding, dilation_rate=dilation,
                            activation=activation)(inp)
    return keras.Model(inp, x)


def depthwise(keras, hw=(8, 8), cin=3, kernel=3, strides=1, padding="same", multiplier=1, dilation=1,
              activation=None, **_):
    inp = keras.Input((*hw, cin))
    x = keras.layers.DepthwiseConv2D(kernel, strides=strides, padding=padding, depth_multiplier=multiplier,
                                     dilation_rate=dilation, activation=activation,
                                     bias_initializer="random_normal")(inp)
    return keras.Model(inp, x)


def separable(keras, hw=(9, 9), cin=4, filters=7, strides=2, padding="same", **_):
    inp = keras.Input((*hw, cin))
    x = keras.layers.SeparableConv2D(filters, 3, strides=strides, padding=padding, activation="relu")(inp)
    return keras.Model(inp, x)


def dense(keras, shape=(20,), units=10, use_bias=True, activation=None, softmax=False, **_):
    inp = keras.Input(shape)
    x = keras.layers.Dense(units, use_bias=use_bias, activation=activation, bias_initializer="random_normal")(inp)
    if softmax:
        x = keras.layers.Softmax()(x)
    return keras.Model(inp, x)


def pool(keras, hw=(9, 9), c=5, kind="avg", size=3, strides=2, padding="same", **_):
    inp = keras.Input((*hw, c))
    layer = {"avg": keras.layers.AveragePooling2D, "max": keras.layers.MaxPooling2D}[kind]
    return keras.Model(inp, layer(size, strides=strides, padding=padding)(inp))


def global_pool(keras, hw=(5, 7), c=6, kind="avg", keepdims=False, **_):
    inp = keras.Input((*hw, c))
    layer = {"avg": keras.layers.GlobalAveragePooling2D, "max": keras.layers.GlobalMaxPooling2D}[kind]
    return keras.Model(inp, layer(keepdims=keepdims)(inp))


def residual(keras, hw=(6, 6), c=4, op="add", scale_b=8.0, activation=None, **_):
    """Two branches with very different ranges (-> different input scales) merged by ADD/SUB/MUL."""
    inp = keras.Input((*hw, c))
    a = keras.layers.Conv2D(c, 3, padding="same")(inp)
    b = keras.layers.Conv2D(c, 1, kernel_initializer=keras.initializers.RandomUniform(-scale_b, scale_b))(inp)
    layer = {"add": keras.layers.Add, "sub": keras.layers.Subtract, "mul": keras.layers.Multiply}[op]
    x = layer()([a, b])
    if activation:
        x = keras.layers.Activation(activation)(x)
    return keras.Model(inp, x)


def broadcast_mul(keras, hw=(5, 5), c=6, **_):
    """Squeeze-and-excitation style MUL broadcasting a (1,1,1,C) gate over the map."""
    inp = keras.Input((*hw, c))
    g = keras.layers.GlobalAveragePooling2D(keepdims=True)(inp)
    g = keras.layers.Conv2D(c, 1, activation="sigmoid")(g)
    return keras.Model(inp, keras.layers.Multiply()([inp, g]))


def activation(keras, hw=(4, 5), c=3, fn="sigmoid", pre_conv=True, **_):
    inp = keras.Input((*hw, c))
    x = keras.layers.Conv2D(c, 1)(inp) if pre_conv else inp
    layers = {
        "sigmoid": lambda: keras.layers.Activation("sigmoid"),
        "tanh": lambda: keras.layers.Activation("tanh"),
        "relu": lambda: keras.layers.ReLU(),
        "relu6": lambda: keras.layers.ReLU(max_value=6.0),
        "leaky_relu": lambda: keras.layers.LeakyReLU(alpha=0.2),
        "hard_swish": lambda: keras.layers.Lambda(lambda t: t * keras.activations.relu(t + 3.0, max_value=6.0) / 6.0),
        "softmax": lambda: keras.layers.Softmax(),
    }
    return keras.Model(inp, layers[fn]()(x))


def concat(keras, hw=(4, 4), c1=3, c2=5, axis=-1, **_):
    inp = keras.Input((*hw, c1))
    a = keras.layers.Conv2D(c1, 1)(inp)
    b = keras.layers.Conv2D(c2, 1, kernel_initializer=keras.initializers.RandomUniform(-4, 4))(inp)
    if axis != -1:
        b = keras.layers.Conv2D(c1, 1)(inp)
    return keras.Model(inp, keras.layers.Concatenate(axis=axis)([a, b]))


def concat_requantize(keras, hw=(4, 4), c=3, **_):
    """A sigmoid output (its scale is fixed at 1/256) concatenated with a wide-range branch: the
    converter requantizes it to the concatenation's scale with an int8 -> int8 QUANTIZE."""
    inp = keras.Input((*hw, c))
    a = keras.layers.Conv2D(c, 1, activation="sigmoid")(inp)
    b = keras.layers.Conv2D(4, 1, kernel_initializer=keras.initializers.RandomUniform(-6, 6))(inp)
    return keras.Model(inp, keras.layers.Concatenate()([a, b]))


def zero_pad(keras, hw=(5, 4), c=3, padding=((1, 2), (0, 1)), **_):
    inp = keras.Input((*hw, c))
    x = keras.layers.Conv2D(c, 1)(inp)
    return keras.Model(inp, keras.layers.ZeroPadding2D(padding)(x))


def upsample(keras, hw=(3, 4), c=3, size=2, **_):
    inp = keras.Input((*hw, c))
    x = keras.layers.Conv2D(c, 1)(inp)
    return keras.Model(inp, keras.layers.UpSampling2D(size)(x))


def flatten_dense(keras, hw=(4, 4), c=3, **_):
    inp = keras.Input((*hw, c))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inp)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(5)(x)
    x = keras.layers.Reshape((5, 1))(x)
    return keras.Model(inp, x)


def mean(keras, hw=(4, 6), c=5, axes=(1, 2), keepdims=False, **_):
    inp = keras.Input((*hw, c))
    x = keras.layers.Conv2D(c, 1)(inp)
    return keras.Model(inp, keras.layers.Lambda(lambda t: keras.backend.mean(t, axis=list(axes), keepdims=keepdims))(x))


def small_cnn(keras, **_):
    """Everything together, as a real Keras CNN exports (BN folded, pooling, flatten, dense, softmax)."""
    inp = keras.Input((12, 12, 1))
    x = keras.layers.Conv2D(8, 3, padding="same", use_bias=False)(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
    x = keras.layers.Conv2D(12, 1, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(4, activation="softmax")(x)
    return keras.Model(inp, x)


def two_inputs_two_outputs(keras, **_):
    inp_a, inp_b = keras.Input((5, 5, 3)), keras.Input((5, 5, 3))  # same shapes: input order need not matter
    a = keras.layers.Conv2D(4, 3, padding="same")(inp_a)
    b = keras.layers.Conv2D(4, 1)(inp_b)
    return keras.Model([inp_a, inp_b], [keras.layers.Add()([a, b]), keras.layers.MaxPooling2D()(a)])


def digits_cnn(keras, **_):
    """The digits demo CNN (tfedge.optimize.models.demo_cnn), untrained: the `tfedge demo` architecture."""
    from tfedge.optimize.models import demo_cnn

    return demo_cnn()


def lstm_seq(keras, steps=12, features=4, units=8, layers=1, classes=4, train=True, head=True, **_):
    """A keyword/sequence classifier: `layers` stacked LSTMs (full sequences) -> Flatten -> Dense softmax,
    trained briefly on a seeded toy task (which feature channel rises the most over the sequence); head=False:
    the LSTMs alone (untrained), their hidden sequence the model output."""
    inp = keras.Input((steps, features))
    x = inp
    for _ in range(layers):
        x = keras.layers.LSTM(units, return_sequences=True)(x)
    if not head:
        return keras.Model(inp, x)
    x = keras.layers.Flatten()(x)
    model = keras.Model(inp, keras.layers.Dense(classes, activation="softmax")(x))
    if train:
        rng = np.random.default_rng(11)
        xs = rng.uniform(-1.0, 1.0, (512, steps, features)).astype(np.float32)
        label = np.argmax(xs[:, -3:, :classes].sum(1) - xs[:, :3, :classes].sum(1), axis=1)
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(xs, label, epochs=3, batch_size=32, verbose=0)
    return model


def streaming_ema(keras, features=8, units=6, decay=0.5, **_):
    """A streaming model: Dense -> a running state s = decay * s + x kept in a tf.Variable across calls
    (VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE, CALL_ONCE init) -> Dense."""
    class Ema(keras.layers.Layer):
        def build(self, shape):
            self.state = self.add_weight(name="state", shape=(1,) + tuple(shape[1:]), initializer="zeros",
                                         trainable=False)

        def call(self, x):
            new = self.state * decay + x
            self.state.assign(new)
            return new

    inp = keras.Input((features,), batch_size=1)
    x = Ema()(keras.layers.Dense(units)(inp))
    return keras.Model(inp, keras.layers.Dense(4)(x))


def unsupported(keras, **_):
    """Ops tfedge does not compile (ABS, REDUCE_MIN), for the error-listing test."""
    inp = keras.Input((4, 4, 3))
    x = keras.layers.Conv2D(3, 1)(inp)
    x = keras.layers.Lambda(lambda t: keras.backend.abs(t))(x)
    x = keras.layers.Lambda(lambda t: keras.backend.min(t, axis=[1, 2]))(x)
    return keras.Model(inp, x)


BUILDERS = {f.__name__: f for f in (conv2d, conv1d, depthwise, separable, dense, pool, global_pool, residual,
                                    broadcast_mul, activation, concat, zero_pad, upsample, flatten_dense, mean,
                                    small_cnn, unsupported, concat_requantize, digits_cnn, lstm_seq, streaming_ema,
                                    two_inputs_two_outputs)}


# ---- more builtin ops (issue 12): data movement, elementwise math, reductions ---------------------------

def _conv1x1(keras, x, c, spread=1.0):
    """A 1x1 convolution in front of the op under test: its output is an int8 activation with a range of
    its own (the op then sees real quantization parameters, not the input's)."""
    return keras.layers.Conv2D(c, 1, kernel_initializer=keras.initializers.RandomUniform(-spread, spread))(x)


def cropping(keras, hw=(7, 8), c=3, crop=((1, 2), (2, 1)), **_):
    inp = keras.Input((*hw, c))
    return keras.Model(inp, keras.layers.Cropping2D(crop)(_conv1x1(keras, inp, c)))


def permute(keras, hw=(4, 5), c=3, dims=(2, 1, 3), **_):
    inp = keras.Input((*hw, c))
    return keras.Model(inp, keras.layers.Permute(dims)(_conv1x1(keras, inp, c)))


def nchw_conv(keras, chw=(3, 8, 7), filters=5, **_):
    """A PyTorch-style NCHW input: TRANSPOSE to NHWC, then the convolution."""
    inp = keras.Input(chw)
    x = keras.layers.Permute((2, 3, 1))(inp)
    x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    return keras.Model(inp, x)


def tf_slice(keras, hw=(6, 7), c=4, kind="strided", **_):
    """Raw tf slicing: STRIDED_SLICE (strides, negative strides, masks, shrink axis) and SLICE."""
    import tensorflow as tf

    inp = keras.Input((*hw, c))
    x = _conv1x1(keras, inp, c)
    fn = {
        "strided": lambda t: t[:, 1:6:2, ::-1, 1:],
        "shrink": lambda t: t[:, 2, 1:-1, :],
        "ellipsis": lambda t: t[..., 1:3],
        "slice_all_batch": lambda t: tf.slice(t, [0, 1, 2, 0], [-1, 3, 4, 2]),
    }[kind]
    return keras.Model(inp, keras.layers.Lambda(fn)(x))


def split_concat(keras, hw=(4, 5), c=6, kind="split", axis=-1, **_):
    """SPLIT / SPLIT_V / UNPACK, the parts put back together in another order (CONCATENATION / PACK)."""
    import tensorflow as tf

    inp = keras.Input((*hw, c))
    x = _conv1x1(keras, inp, c)
    fn = {
        "split": lambda t: tf.concat(tf.split(t, 3, axis=axis)[::-1], axis=axis),
        "split_v": lambda t: tf.concat(tf.split(t, [1, 3, 2] if axis == -1 else [2, 1, 1], axis=axis)[::-1], axis=axis),
        "unpack": lambda t: tf.stack(tf.unstack(t, axis=axis)[::-1], axis=axis),
        "pack": lambda t: tf.stack([t[..., 0], t[..., 2], t[..., 1]], axis=1),
    }[kind]
    return keras.Model(inp, keras.layers.Lambda(fn)(x))


def gather(keras, hw=(4, 5), c=6, indices=(2, 0, 5, 5, 1), axis=-1, **_):
    import tensorflow as tf

    inp = keras.Input((*hw, c))
    x = _conv1x1(keras, inp, c)
    return keras.Model(inp, keras.layers.Lambda(lambda t: tf.gather(t, list(indices), axis=axis))(x))


def binary_math(keras, hw=(4, 5), c=3, fn="maximum", broadcast=False, **_):
    """Two int8 branches with different ranges combined by a binary op (optionally broadcasting one)."""
    import tensorflow as tf

    inp = keras.Input((*hw, c))
    a = _conv1x1(keras, inp, c)
    b = _conv1x1(keras, inp, c, spread=3.0)
    if broadcast:
        b = keras.layers.GlobalAveragePooling2D(keepdims=True)(b)
    op = {"maximum": tf.maximum, "minimum": tf.minimum, "squared_difference": tf.math.squared_difference,
          "div": lambda u, v: tf.math.divide(u, tf.abs(v) + 0.5)}[fn]
    return keras.Model(inp, keras.layers.Lambda(lambda ts: op(ts[0], ts[1]))([a, b]))


def unary_math(keras, hw=(4, 5), c=3, fn="abs", pre_conv=True, **_):
    import tensorflow as tf

    inp = keras.Input((*hw, c))
    x = _conv1x1(keras, inp, c, spread=2.0) if pre_conv else inp
    layer = {
        "abs": lambda: keras.layers.Lambda(tf.abs),
        "rsqrt": lambda: keras.layers.Lambda(lambda t: tf.math.rsqrt(tf.nn.relu(t) + 0.25)),
        "elu": lambda: keras.layers.ELU(),
        "gelu": lambda: keras.layers.Lambda(lambda t: tf.nn.gelu(t, approximate=False)),
        "gelu_tanh": lambda: keras.layers.Lambda(lambda t: tf.nn.gelu(t, approximate=True)),
        "exp": lambda: keras.layers.Lambda(lambda t: tf.exp(t)),
        "log": lambda: keras.layers.Lambda(lambda t: tf.math.log(tf.nn.relu(t) + 0.5)),
        "square": lambda: keras.layers.Lambda(tf.square),  # the converter keeps it float
        "mul_self": lambda: keras.layers.Lambda(lambda t: t * t),  # MUL(x, x): fuzz_seeds.as_square makes it SQUARE
        "sqrt": lambda: keras.layers.Lambda(lambda t: tf.sqrt(tf.nn.relu(t))),
    }[fn]
    return keras.Model(inp, layer()(x))


def prelu(keras, hw=(5, 4), c=4, shared_axes=None, **_):
    inp = keras.Input((*hw, c))
    x = keras.layers.Conv2D(c, 3, padding="same")(inp)
    x = keras.layers.PReLU(alpha_initializer=keras.initializers.RandomUniform(-0.5, 0.8), shared_axes=shared_axes)(x)
    x = keras.layers.Conv2D(2, 1)(x)
    x = keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25), shared_axes=[1, 2])(x)
    return keras.Model(inp, x)


def reduce(keras, hw=(4, 6), c=5, fn="sum", axes=(1, 2), keepdims=False, **_):
    import tensorflow as tf

    inp = keras.Input((*hw, c))
    x = _conv1x1(keras, inp, c)
    op = {"sum": tf.reduce_sum, "min": tf.reduce_min}[fn]
    return keras.Model(inp, keras.layers.Lambda(lambda t: op(t, axis=list(axes), keepdims=keepdims))(x))


def resize_bilinear(keras, hw=(3, 4), c=3, size=(2, 2), align_corners=False, half_pixel=True, out=None, **_):
    """UpSampling2D(bilinear) exports RESIZE_BILINEAR with half_pixel_centers; the v1 op gives align_corners."""
    import tensorflow as tf

    inp = keras.Input((*hw, c))
    x = _conv1x1(keras, inp, c)
    if out is None and not align_corners and half_pixel:
        return keras.Model(inp, keras.layers.UpSampling2D(size, interpolation="bilinear")(x))
    target = out or (hw[0] * size[0], hw[1] * size[1])
    fn = lambda t: tf.compat.v1.image.resize_bilinear(t, target, align_corners=align_corners,  # noqa: E731
                                                       half_pixel_centers=half_pixel)
    return keras.Model(inp, keras.layers.Lambda(fn)(x))


def dense_3d(keras, steps=6, features=5, units=4, **_):
    """Dense on a 3-D input: exported with a dynamic batch, a shape computation feeds the RESHAPEs."""
    inp = keras.Input((steps, features))
    x = keras.layers.Dense(units, activation="relu")(inp)
    x = keras.layers.Dense(3)(x)
    return keras.Model(inp, x)


def unread_channels(keras, hw=(9, 8), cin=3, **_):
    """Channels no reader uses (passes.drop_unread_channels): conv A (8 filters) is read by two convs whose weights
    for A's channels 1 and 4 are zero (one of them also for channel 6, which the other reads: kept); their ADD
    needs every channel (nothing dropped there); a dense layer's output unit 2 is read by no unit of the next."""
    inp = keras.Input((*hw, cin))
    a = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="a")(inp)
    b1 = keras.layers.Conv2D(6, 3, padding="same", name="b1")(a)
    b2 = keras.layers.Conv2D(6, 1, name="b2")(a)
    x = keras.layers.Add()([b1, b2])
    x = keras.layers.Conv2D(5, 1, activation="relu", name="c")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(6, activation="relu", name="d1")(x)
    x = keras.layers.Dense(4, name="d2")(x)
    model = keras.Model(inp, x)
    for name, dead in (("b1", [1, 4, 6]), ("b2", [1, 4]), ("c", [2]), ("d2", [2])):
        layer = model.get_layer(name)
        kernel, bias = layer.get_weights()
        kernel[..., dead, :] = 0.0  # input channels (Conv2D: (kh, kw, in, out); Dense: (in, out))
        layer.set_weights([kernel, bias])
    return model


BUILDERS.update({f.__name__: f for f in (cropping, permute, nchw_conv, tf_slice, split_concat, gather, binary_math,
                                         unary_math, prelu, reduce, resize_bilinear, dense_3d, unread_channels)})


def many_ops(keras, chw=(3, 9, 8), **_):
    """One model with most of issue 12's ops, for one firmware build on a board: NCHW input (TRANSPOSE),
    PReLU, Cropping2D (STRIDED_SLICE), bilinear UpSampling2D, SPLIT + CONCATENATION, GATHER, MAXIMUM,
    SQUARED_DIFFERENCE, ABS, RSQRT, SUM, REDUCE_MIN, PACK."""
    import tensorflow as tf

    inp = keras.Input(chw)
    x = keras.layers.Permute((2, 3, 1))(inp)
    x = keras.layers.Conv2D(6, 3, padding="same")(x)
    x = keras.layers.PReLU(shared_axes=[1, 2])(x)
    x = keras.layers.Cropping2D(((1, 0), (1, 1)))(x)
    x = keras.layers.UpSampling2D(2, interpolation="bilinear")(x)
    x = keras.layers.Lambda(lambda t: tf.concat(tf.split(t, 3, axis=-1)[::-1], axis=-1))(x)
    x = keras.layers.Lambda(lambda t: tf.gather(t, [5, 0, 2, 2], axis=-1))(x)
    b = keras.layers.Conv2D(4, 1)(x)
    m = keras.layers.Lambda(lambda ts: tf.maximum(ts[0], ts[1]))([x, b])
    d = keras.layers.Lambda(lambda ts: tf.math.squared_difference(ts[0], ts[1]))([x, b])
    r = keras.layers.Lambda(lambda t: tf.math.rsqrt(tf.abs(t) + 0.5))(m)
    s = keras.layers.Lambda(lambda t: tf.reduce_sum(t, axis=[1, 2]))(r)
    n = keras.layers.Lambda(lambda t: tf.reduce_min(t, axis=[1, 2]))(d)
    return keras.Model(inp, keras.layers.Lambda(lambda ts: tf.stack(ts, axis=1))([s, n]))


BUILDERS["many_ops"] = many_ops


def fill_concat(keras, hw=(4, 5), c=3, **_):
    """A constant FILL (and ZEROS_LIKE) whose shape comes from the dynamic batch: folded at compile time."""
    import tensorflow as tf

    inp = keras.Input((*hw, c))
    x = _conv1x1(keras, inp, c)

    def fn(t):
        filled = tf.fill(tf.stack([tf.shape(t)[0], hw[0], hw[1], 1]), 0.5)
        return tf.concat([t + tf.zeros_like(t), filled], axis=-1)
    return keras.Model(inp, keras.layers.Lambda(fn)(x))


BUILDERS["fill_concat"] = fill_concat


def conv_transpose(keras, hw=(4, 5), cin=3, filters=4, kernel=3, strides=2, padding="same", use_bias=True,
                   activation=None, decoder=False, **_):
    """Conv2DTranspose (a decoder's upsampling): TRANSPOSE_CONV; decoder=True: conv, two upsampling steps."""
    x = inp = keras.Input((*hw, cin))
    if decoder:
        x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
        x = keras.layers.Conv2DTranspose(6, 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Conv2DTranspose(filters, kernel, strides=strides, padding=padding, use_bias=use_bias,
                                     activation=activation, bias_initializer="random_normal")(x)
    return keras.Model(inp, x)


BUILDERS["conv_transpose"] = conv_transpose


def batch_matmul(keras, steps=6, features=5, adj_x=False, adj_y=False, **_):
    """Two activations multiplied (attention-style scores): BATCH_MATMUL with adj_x/adj_y."""
    import tensorflow as tf

    inp = keras.Input((steps, features))
    a = keras.layers.Dense(features)(inp)
    b = keras.layers.Dense(features, kernel_initializer=keras.initializers.RandomUniform(-2, 2))(inp)
    return keras.Model(inp, keras.layers.Lambda(
        lambda ts: tf.matmul(ts[0], ts[1], transpose_a=adj_x, transpose_b=adj_y))([a, b]))


BUILDERS["batch_matmul"] = batch_matmul


def more_params(keras, kind="max_const", **_):
    """Further parameter corners of issue 12's ops on small inputs."""
    import tensorflow as tf

    if kind == "permute_3d":  # (steps, features) -> (features, steps): a 3-D TRANSPOSE
        inp = keras.Input((6, 4))
        return keras.Model(inp, keras.layers.Permute((2, 1))(keras.layers.Dense(4)(inp)))
    if kind == "sum_3d":
        inp = keras.Input((6, 4))
        return keras.Model(inp, keras.layers.Lambda(lambda t: tf.reduce_sum(t, axis=1))(keras.layers.Dense(4)(inp)))
    inp = keras.Input((4, 5, 3))
    x = _conv1x1(keras, inp, 3)
    fn = {
        "max_const": lambda t: tf.maximum(t, 0.25),  # a constant int8 operand, broadcast
        "min_const_vector": lambda t: tf.minimum(t, tf.constant([0.5, -0.25, 0.0])),
        "gather_2d_indices": lambda t: tf.gather(t, [[0, 2], [1, 1]], axis=2),
        "new_axis": lambda t: t[:, tf.newaxis, 1:3, ::2, :],
        "unpack_channels": lambda t: tf.stack(tf.unstack(t, axis=-1)[::-1], axis=1),
        "squared_difference_const": lambda t: tf.math.squared_difference(t, tf.constant([0.1, -0.3, 0.6])),
    }[kind]
    return keras.Model(inp, keras.layers.Lambda(fn)(x))


BUILDERS["more_params"] = more_params


def broadcast_to(keras, hw=(4, 5), c=3, **_):
    """BROADCAST_TO whose target shape comes from the (dynamic) batch: the shape arithmetic is folded."""
    import tensorflow as tf

    inp = keras.Input((*hw, c))
    x = _conv1x1(keras, inp, c)
    return keras.Model(inp, keras.layers.Lambda(
        lambda t: tf.broadcast_to(t[:, :1], tf.stack([tf.shape(t)[0], hw[0], hw[1], c])))(x))


BUILDERS["broadcast_to"] = broadcast_to


def space_depth(keras, hw=(4, 6), c=8, kind="depth_to_space", block=2, **_):
    import tensorflow as tf

    inp = keras.Input((*hw, c))
    x = _conv1x1(keras, inp, c)
    fn = tf.nn.depth_to_space if kind == "depth_to_space" else tf.nn.space_to_depth
    return keras.Model(inp, keras.layers.Lambda(lambda t: fn(t, block))(x))


def unsupported_ops2(keras, **_):
    """Ops tfedge does not compile (MIRROR_PAD, LOG_SOFTMAX), for the error-listing test."""
    import tensorflow as tf

    inp = keras.Input((4, 4, 4))
    x = keras.layers.Conv2D(4, 1)(inp)
    x = keras.layers.Lambda(lambda t: tf.pad(t, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT"))(x)
    x = keras.layers.Lambda(lambda t: tf.nn.log_softmax(t))(x)
    return keras.Model(inp, x)


BUILDERS.update(space_depth=space_depth, unsupported_ops2=unsupported_ops2)


def int_io(keras, vocab=16, steps=8, dim=4, kind="embedding", **_):
    """Model inputs/outputs beyond int8: int32 token ids into an Embedding (GATHER with run-time indices),
    the ids also CAST to float (CAST int32 -> float32, then QUANTIZE), or a classifier returning its class
    index (ARG_MAX / ARG_MIN: an int32 output); embedding_argmax: all of them in one model (int32 in and
    out). Static batch 1 (Input batch_size) for from_keras_model."""
    import tensorflow as tf

    if kind in ("argmax", "argmin"):
        inp = keras.Input((5, 6), batch_size=1)
        x = keras.layers.Dense(7)(inp)
        fn = tf.argmax if kind == "argmax" else tf.argmin
        return keras.Model(inp, keras.layers.Lambda(lambda t: fn(t, axis=-1, output_type=tf.int32))(x))
    ids = keras.Input((steps,), dtype="int32", batch_size=1)
    x = keras.layers.Embedding(vocab, dim, embeddings_initializer="random_uniform")(ids)
    if kind in ("embedding_cast", "embedding_argmax"):
        f = keras.layers.Lambda(lambda t: tf.cast(t, tf.float32)[..., None] / float(vocab))(ids)
        x = keras.layers.Concatenate()([x, f])
    x = keras.layers.Dense(3)(keras.layers.Flatten()(x))
    if kind == "embedding_argmax":  # int32 in, int32 out: the class index of the token sequence
        x = keras.layers.Lambda(lambda t: tf.argmax(t, axis=-1, output_type=tf.int32))(x)
    return keras.Model(ids, x)


BUILDERS["int_io"] = int_io


def board_ops(keras, kind="moves", transpose=False, sqrt=False, **_):
    """Several ops in one model, for one firmware build per group on a board (tests/test_ops_board.py).
    moves: SPACE_TO_DEPTH, DEPTH_TO_SPACE, PAD, PADV2, SLICE, SPLIT_V, UNPACK, PACK, BROADCAST_TO,
    RESIZE_NEAREST_NEIGHBOR, MAX/AVERAGE_POOL_2D, MEAN, REDUCE_MAX; moves16: the same without the ops the
    converter or TFLM has no int16 form of (depth/space, REDUCE_MAX) for int16x8 (transpose: a TRANSPOSE first); math: MUL, SUB, MINIMUM,
    BATCH_MATMUL, HARD_SWISH, LOGISTIC, TANH, LEAKY_RELU, RELU6, SOFTMAX; math16: the int16x8 ones of those
    and ADD, CONCATENATION; litert: EXP, LOG, GELU (and SQRT) (TFLM has no int8 kernel for them)."""
    import tensorflow as tf

    L = keras.layers
    if kind in ("moves", "moves16"):
        inp = keras.Input((8, 6, 4) if transpose else (6, 8, 4))
        x = L.Permute((2, 1, 3))(inp) if transpose else inp
        x = L.Conv2D(8, 3, padding="same")(x)
        if kind == "moves":
            x = L.Lambda(lambda t: tf.nn.depth_to_space(tf.nn.space_to_depth(t, 2), 2))(x)
        x = L.ZeroPadding2D(((1, 0), (0, 1)))(x)  # (7, 9, 8)
        x = L.Lambda(lambda t: tf.pad(t, [[0, 0], [1, 0], [0, 1], [0, 0]],
                                      constant_values=0.0 if kind == "moves16" else 0.25))(x)  # (8, 10, 8)
        x = L.Lambda(lambda t: tf.slice(t, [0, 0, 1, 0], [-1, 8, 8, 8]))(x)  # (8, 8, 8)
        p, q = L.MaxPooling2D(2)(x), L.AveragePooling2D(2)(x)  # (4, 4, 8)
        a, b = L.Lambda(lambda t: tf.split(t, [3, 5], axis=-1))(p)
        x = L.Concatenate()([b, a, q])  # (4, 4, 16)
        x = L.Lambda(lambda t: tf.stack(tf.unstack(t, axis=1)[::-1], axis=2))(x)  # (4, 4, 16) rows to columns
        x = L.UpSampling2D(2)(x)  # (8, 8, 16)
        m = L.Lambda(lambda t: tf.reduce_mean(t, axis=[1, 2], keepdims=True))(x)  # (1, 1, 16)
        m = L.Lambda(lambda t: tf.broadcast_to(t, tf.concat([tf.shape(t)[:1], [2, 2, 16]], 0)))(m)
        if kind == "moves":
            m = L.Concatenate()([m, L.Lambda(lambda t: tf.reduce_max(t, axis=[1, 2], keepdims=True) *
                                            tf.ones((1, 2, 2, 1)))(x)])
        return keras.Model(inp, L.Concatenate()([m, L.MaxPooling2D(4)(x)]))
    if kind == "math16":  # int16x8: LOGISTIC, TANH, LEAKY_RELU, MUL, SUB, ADD, CONCATENATION, SOFTMAX
        inp = keras.Input((6, 4))
        x = L.Dense(8)(inp)
        m = L.Multiply()([L.Activation("sigmoid")(x), L.Activation("tanh")(x)])
        s = L.Subtract()([L.LeakyReLU(alpha=0.2)(x), m])
        return keras.Model(inp, L.Softmax()(L.Concatenate()([L.Add()([m, s]), x])))
    if kind == "math":
        inp = keras.Input((6, 4))
        x = L.Dense(8)(inp)
        a = L.Activation("sigmoid")(x)
        b = L.Activation("tanh")(x)
        c = L.LeakyReLU(alpha=0.2)(x)
        d = L.Lambda(lambda t: t * keras.activations.relu(t + 3.0, max_value=6.0) / 6.0)(x)
        e = L.ReLU(max_value=6.0)(L.Dense(8)(inp))
        m = L.Multiply()([a, b])
        s = L.Subtract()([c, d])
        mn = L.Lambda(lambda ts: tf.minimum(ts[0], ts[1]))([m, s])
        mm = L.Lambda(lambda ts: tf.matmul(ts[0], ts[1], transpose_b=True))([mn, e])  # (6, 6)
        return keras.Model(inp, L.Softmax()(mm))
    if kind == "extras2":  # float in/out (converter="float_io"): QUANTIZE f32->int8, DEPTHWISE_CONV_2D, LEAKY_RELU
        inp = keras.Input((5, 6, 3))  # (ELU once rewritten: fuzz_seeds.as_elu), RELU6 on its own, EXPAND_DIMS,
        x = L.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(L.Conv2D(4, 1)(inp))  # SQUEEZE, DEQUANTIZE
        x = L.ReLU(max_value=6.0)(L.LeakyReLU(alpha=0.3)(x))
        x = L.Lambda(lambda t: tf.squeeze(tf.expand_dims(t, 3), 3))(x)
        return keras.Model(inp, L.Lambda(lambda t: tf.expand_dims(tf.squeeze(t[:, :1], 1), 1))(x))
    inp = keras.Input((4, 5, 3))  # litert
    x = L.Conv2D(6, 1)(inp)
    y = L.Lambda(lambda t: tf.concat([tf.exp(t[..., :2]), tf.math.log(tf.nn.relu(t[..., 2:4]) + 0.5),
                                      tf.nn.gelu(t[..., 4:], approximate=False)], axis=-1))(x)
    if sqrt:
        y = L.Concatenate()([y, L.Lambda(lambda t: tf.sqrt(tf.nn.relu(t)))(x)])
    return keras.Model(inp, y)


BUILDERS["board_ops"] = board_ops


def joined(keras, parts=(), **_):
    """Several builders' models in one (one firmware build for several board groups): one input, the first
    part's; a later part whose input is smaller reads the first elements of it (STRIDED_SLICE + RESHAPE).
    One output per part (not concatenated: a requantizing CONCATENATION would coarsen the small-range ones)."""
    import tensorflow as tf

    models = [BUILDERS[b](keras, **p) for b, p in parts]
    inp = keras.Input(tuple(models[0].inputs[0].shape[1:]))
    outs = []
    for m in models:
        shape = tuple(m.inputs[0].shape[1:])
        n = int(np.prod(shape))
        x = inp if shape == tuple(inp.shape[1:]) else keras.layers.Lambda(
            lambda t, n=n, shape=shape: tf.reshape(tf.reshape(t, (-1, int(np.prod(t.shape[1:]))))[:, :n], (-1, *shape)))(inp)
        outs.append(m(x))
    return keras.Model(inp, outs)


BUILDERS["joined"] = joined


def layer_norm(keras, steps=6, features=8, block="dense", **_):
    """A LayerNormalization block (a transformer's): Dense -> LayerNormalization -> Dense; block="residual":
    x + Dense(LayerNorm(x)). The converter writes MEAN, SQUARED_DIFFERENCE, ADD, RSQRT, MUL, SUB."""
    L = keras.layers
    inp = keras.Input((steps, features))
    x = L.Dense(features)(inp)
    n = L.LayerNormalization(beta_initializer="random_normal", gamma_initializer="random_uniform")(x)
    if block == "residual":
        return keras.Model(inp, L.Add()([x, L.Dense(features)(n)]))
    return keras.Model(inp, L.Dense(4)(n))


BUILDERS["layer_norm"] = layer_norm


def conv_transpose_chain(keras, **_):
    """Conv2DTranspose corners in one model (one firmware build for the DSP path): kernel 3x2 with strides
    (2, 1) VALID without bias on 3 channels (the 4-channel steps' tail), kernel 2 stride 1 on 5 channels,
    kernel 4 stride 3 SAME on 8 channels with a ReLU."""
    L = keras.layers
    inp = keras.Input((3, 4, 3))
    x = L.Conv2DTranspose(5, (3, 2), strides=(2, 1), padding="valid", use_bias=False)(inp)
    x = L.Conv2DTranspose(8, 2, strides=1, padding="same", bias_initializer="random_normal")(x)
    return keras.Model(inp, L.Conv2DTranspose(4, 4, strides=3, padding="same", activation="relu")(x))


BUILDERS["conv_transpose_chain"] = conv_transpose_chain


def batch_matmul_more(keras, kind="bcast", **_):
    """BATCH_MATMUL corners (tests/test_ops_gaps.py): bcast: rank 4 with a broadcast batch dimension
    ((1, 2, 6, 5) x (1, 1, 6, 5)^T, the second operand a MEAN over the first's batch axis); const_lhs: a
    constant int8 left operand (3, 6) times a rank-4 activation (the converter keeps a constant left
    operand as BATCH_MATMUL, a constant right one becomes FULLY_CONNECTED)."""
    import tensorflow as tf

    inp = keras.Input((2, 6, 5))
    a = keras.layers.Dense(5)(inp)
    if kind == "bcast":
        b = keras.layers.Lambda(lambda t: tf.reduce_mean(t, axis=1, keepdims=True))(
            keras.layers.Dense(5, kernel_initializer=keras.initializers.RandomUniform(-2, 2))(inp))
        return keras.Model(inp, keras.layers.Lambda(lambda ts: tf.matmul(ts[0], ts[1], transpose_b=True))([a, b]))
    const = np.random.default_rng(11).uniform(-1.0, 1.0, (3, 6)).astype(np.float32)
    return keras.Model(inp, keras.layers.Lambda(lambda t: tf.matmul(tf.constant(const), t))(a))


BUILDERS["batch_matmul_more"] = batch_matmul_more
