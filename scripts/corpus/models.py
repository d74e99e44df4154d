"""The benchmark corpus: int8 models of the architectures people deploy on microcontrollers, defined by
a Keras builder, a seed and an input shape (no file is committed: scripts/corpus/build.py makes them).

Weights are random (seeded) or briefly trained on synthetic data, then quantized post-training with a
representative dataset. Some models carry what trained and pruned models have and fresh random
weights lack: filters zeroed as channel pruning leaves them (dead channels whose requantization
multiplier the converter makes tiny), filters scaled down to 1e-3 (tiny but live multipliers), and
per-tensor weight scales. Each builder takes `keras` (tf_keras) and returns an uncompiled Model;
TensorFlow is imported only by build.py's workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

# ---- layer helpers (their source is part of every model's cache key) --------------------------------------


def _bn(keras, x):
    """BatchNormalization with random statistics, so folding it gives every channel its own scale and bias."""
    init = keras.initializers
    return keras.layers.BatchNormalization(
        gamma_initializer=init.RandomUniform(0.6, 1.4), beta_initializer=init.RandomNormal(0.0, 0.2),
        moving_mean_initializer=init.RandomNormal(0.0, 0.2), moving_variance_initializer=init.RandomUniform(0.5, 1.5))(x)


def _act(keras, x, act):
    if act == "relu":
        return keras.layers.ReLU()(x)
    if act == "relu6":
        return keras.layers.ReLU(max_value=6.0)(x)
    if act == "hswish":  # the converter fuses x * relu6(x + 3) / 6 into HARD_SWISH
        return keras.layers.Lambda(lambda t: t * keras.activations.relu(t + 3.0, max_value=6.0) / 6.0)(x)
    return x


def _conv_bn(keras, x, filters, kernel, strides=1, act="relu", padding="same", dilation=1):
    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding=padding, dilation_rate=dilation, use_bias=False)(x)
    return _act(keras, _bn(keras, x), act)


def _dw_bn(keras, x, kernel=3, strides=1, act="relu", multiplier=1, padding="same"):
    x = keras.layers.DepthwiseConv2D(kernel, strides=strides, padding=padding, depth_multiplier=multiplier,
                                     use_bias=False)(x)
    return _act(keras, _bn(keras, x), act)


def _se(keras, x, ratio=4, gate="sigmoid"):
    """Squeeze-and-excitation: global pool, two 1x1 convs, a per-channel gate multiplied over the map."""
    c = x.shape[-1]
    g = keras.layers.GlobalAveragePooling2D(keepdims=True)(x)
    g = keras.layers.Conv2D(max(8, c // ratio), 1, activation="relu")(g)
    g = keras.layers.Conv2D(c, 1, activation="sigmoid" if gate == "sigmoid" else None)(g)
    if gate == "hsigmoid":
        g = keras.layers.ReLU(max_value=6.0)(keras.layers.Lambda(lambda t: t + 3.0)(g))
        g = keras.layers.Lambda(lambda t: t * (1.0 / 6.0))(g)
    return keras.layers.Multiply()([x, g])


def _inverted_residual(keras, x, expanded, c_out, kernel, stride, act, se=None, add=True):
    """Inverted residual (MobileNetV2/V3, MCUNet): 1x1 expansion (none when it would not widen), depthwise,
    optional squeeze-and-excitation, linear 1x1 projection; the input added back when `add` and the shapes allow."""
    c_in = x.shape[-1]
    y = _conv_bn(keras, x, expanded, 1, 1, act) if expanded != c_in else x
    y = _dw_bn(keras, y, kernel, stride, act)
    if se:
        y = _se(keras, y, gate=se)
    y = _conv_bn(keras, y, c_out, 1, 1, None)
    return keras.layers.Add()([x, y]) if add and stride == 1 and c_out == c_in else y


def _head(keras, x, classes):
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.layers.Softmax()(keras.layers.Dense(classes)(x))


def _divisible(v: float, d: int = 8) -> int:
    return max(d, int(v + d / 2) // d * d)


# ---- builders: (keras, **params) -> keras.Model ------------------------------------------------------------


def mobilenet_v1(keras, shape, alpha, classes=2):
    """MobileNetV1 (Howard et al. 2017): 3x3 conv then 13 depthwise-separable blocks, as in VWW."""
    x = inp = keras.Input(shape)
    x = _conv_bn(keras, x, int(32 * alpha), 3, 2, "relu6")
    for filters, stride in ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1),
                            (512, 1), (512, 1), (1024, 2), (1024, 1)):
        x = _dw_bn(keras, x, 3, stride, "relu6")
        x = _conv_bn(keras, x, int(filters * alpha), 1, 1, "relu6")
    return keras.Model(inp, _head(keras, x, classes))


def mobilenet_v2(keras, shape, alpha, classes=10):
    """MobileNetV2 (Sandler et al. 2018): inverted residuals with linear bottlenecks."""
    x = inp = keras.Input(shape)
    x = _conv_bn(keras, x, _divisible(32 * alpha), 3, 2, "relu6")
    c_in = x.shape[-1]
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1)):
        c_out = _divisible(c * alpha)
        for i in range(n):
            x = _inverted_residual(keras, x, c_in * t, c_out, 3, s if i == 0 else 1, "relu6", add=i > 0)
            c_in = c_out
    x = _conv_bn(keras, x, 1280, 1, 1, "relu6")
    return keras.Model(inp, _head(keras, x, classes))


def mcunet_se(keras, shape, classes=10):
    """MCUNet-style searched net: inverted residuals with mixed kernels (3/5/7) and expansions, SE on some."""
    x = inp = keras.Input(shape)
    x = _conv_bn(keras, x, 16, 3, 2, "relu6")
    c_in = 16
    for e, c, k, s, se in ((1, 8, 3, 1, False), (4, 16, 5, 2, False), (3, 16, 3, 1, False), (4, 24, 7, 2, True),
                           (3, 24, 3, 1, True), (6, 40, 5, 2, True), (4, 40, 3, 1, False), (6, 48, 5, 1, True),
                           (6, 96, 3, 2, True)):
        x = _inverted_residual(keras, x, c_in * e, c, k, s, "relu6", se="sigmoid" if se else None)
        c_in = c
    x = _conv_bn(keras, x, 160, 1, 1, "relu6")
    return keras.Model(inp, _head(keras, x, classes))


def mobilenet_v3_small(keras, shape, classes=10):
    """MobileNetV3-small blocks (Howard et al. 2019): hard-swish, SE with a hard-sigmoid gate, 5x5 kernels."""
    x = inp = keras.Input(shape)
    x = _conv_bn(keras, x, 16, 3, 2, "hswish")
    for k, exp, c, se, act, s in ((3, 16, 16, True, "relu", 2), (3, 72, 24, False, "relu", 2),
                                  (3, 88, 24, False, "relu", 1), (5, 96, 40, True, "hswish", 2),
                                  (5, 240, 40, True, "hswish", 1), (5, 120, 48, True, "hswish", 1),
                                  (5, 288, 96, True, "hswish", 2), (5, 576, 96, True, "hswish", 1)):
        x = _inverted_residual(keras, x, exp, c, k, s, act, se="hsigmoid" if se else None)
    x = _conv_bn(keras, x, 576, 1, 1, "hswish")
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = _act(keras, keras.layers.Dense(256)(x), "hswish")
    return keras.Model(inp, keras.layers.Softmax()(keras.layers.Dense(classes)(x)))


def hswish_cnn(keras, shape, width=24, classes=6):
    """A small plain CNN with hard-swish after every convolution."""
    x = inp = keras.Input(shape)
    x = _conv_bn(keras, x, width, 3, 1, "hswish")
    x = _dw_bn(keras, x, 3, 2, "hswish")
    x = _conv_bn(keras, x, 2 * width, 1, 1, "hswish")
    x = _conv_bn(keras, x, 2 * width, 3, 2, "hswish")
    x = _dw_bn(keras, x, 3, 1, "hswish")
    x = _conv_bn(keras, x, 4 * width, 1, 1, "hswish")
    return keras.Model(inp, _head(keras, x, classes))


def ds_cnn(keras, shape, filters, blocks, first_strides=(2, 2), classes=12):
    """DS-CNN for keyword spotting (Zhang et al., Hello Edge; MLPerf Tiny KWS): a 10x4 conv over the MFCCs,
    depthwise-separable blocks, average pool, dense."""
    x = inp = keras.Input(shape)
    x = _conv_bn(keras, x, filters, (10, 4), first_strides, "relu")
    for _ in range(blocks):
        x = _dw_bn(keras, x, 3, 1, "relu")
        x = _conv_bn(keras, x, filters, 1, 1, "relu")
    x = keras.layers.AveragePooling2D(pool_size=tuple(x.shape[1:3]))(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(inp, keras.layers.Softmax()(keras.layers.Dense(classes)(x)))


def audio_dw_first(keras, shape, multiplier=8, filters=64, classes=12):
    """Audio CNN whose first layer is a DepthwiseConv2D with a depth multiplier on the one MFCC channel
    (an ordinary convolution in disguise, as some published keyword models have it)."""
    x = inp = keras.Input(shape)
    x = _dw_bn(keras, x, (10, 4), (2, 2), "relu", multiplier=multiplier)
    x = _conv_bn(keras, x, filters, 1, 1, "relu")
    for _ in range(3):
        x = _dw_bn(keras, x, 3, 1, "relu")
        x = _conv_bn(keras, x, filters, 1, 1, "relu")
    return keras.Model(inp, _head(keras, x, classes))


def resnet_cifar(keras, shape, depth, classes=10):
    """CIFAR ResNet v1 (He et al. 2016), depth 6n+2: 16/32/64 filters, 1x1 projection shortcuts (ResNet-8
    is MLPerf Tiny's image-classification model)."""
    n = (depth - 2) // 6
    x = inp = keras.Input(shape)
    x = _conv_bn(keras, x, 16, 3, 1, "relu")
    for stage, filters in enumerate((16, 32, 64)):
        for i in range(n):
            s = 2 if stage > 0 and i == 0 else 1
            y = _conv_bn(keras, x, filters, 3, s, "relu")
            y = _conv_bn(keras, y, filters, 3, 1, None)
            short = _conv_bn(keras, x, filters, 1, s, None) if s != 1 or x.shape[-1] != filters else x
            x = keras.layers.ReLU()(keras.layers.Add()([short, y]))
    return keras.Model(inp, _head(keras, x, classes))


def fc_autoencoder(keras, shape, hidden, code):
    """Fully-connected autoencoder (MLPerf Tiny anomaly detection: 640 -> 128 x4 -> 8 -> 128 x4 -> 640)."""
    x = inp = keras.Input(shape)
    for units in (*hidden, code, *reversed(hidden)):
        x = keras.layers.ReLU()(_bn(keras, keras.layers.Dense(units)(x)))
    return keras.Model(inp, keras.layers.Dense(shape[0])(x))


def tcn_1d(keras, shape, filters=32, dilations=(1, 2, 4, 8), classes=6):
    """Temporal convolutional net over a sensor window: causal dilated Conv1D residual blocks."""
    x = inp = keras.Input(shape)
    x = keras.layers.Conv1D(filters, 1)(x)
    for d in dilations:
        y = keras.layers.Conv1D(filters, 3, padding="causal", dilation_rate=d, activation="relu")(x)
        y = keras.layers.Conv1D(filters, 3, padding="causal", dilation_rate=d)(y)
        x = keras.layers.ReLU()(keras.layers.Add()([x, y]))
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(inp, keras.layers.Softmax()(keras.layers.Dense(classes)(x)))


def narrow_cnn(keras, shape, channels, classes=5):
    """A CNN whose every layer has `channels` channels (3, 5, 7, 12, 20: counts SIMD paths do not divide)."""
    x = inp = keras.Input(shape)
    x = _conv_bn(keras, x, channels, 3, 1, "relu")
    x = _dw_bn(keras, x, 3, 2, "relu")
    x = _conv_bn(keras, x, channels, 1, 1, "relu")
    x = _conv_bn(keras, x, channels, 3, 2, "relu")
    x = _dw_bn(keras, x, 5, 1, "relu")
    x = _conv_bn(keras, x, channels, 1, 1, "relu")
    return keras.Model(inp, _head(keras, x, classes))


# ---- the corpus ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusModel:
    """One corpus entry. `params` go to the builder (besides `shape`); the rest says how it is made."""
    name: str
    builder: Callable
    seed: int
    shape: tuple[int, ...]
    params: dict = field(default_factory=dict)
    train_epochs: int = 0  # brief training on synthetic data (0: random weights)
    zero_filters: float = 0.0  # fraction of the filters of the last `edit_layers` convs / denses set to 0
    tiny_filters: float = 0.0  # fraction of their filters scaled by 1e-3 (tiny, live multipliers)
    edit_layers: int = 2
    per_channel: bool = True  # False: one weight scale per tensor
    note: str = ""


CORPUS: list[CorpusModel] = [
    CorpusModel("mbv1_025_rgb", mobilenet_v1, 1, (96, 96, 3), {"alpha": 0.25}, zero_filters=0.85,
                note="VWW-like: 85 % of the last two pointwise convs' filters zero"),
    CorpusModel("mbv1_025_gray", mobilenet_v1, 2, (96, 96, 1), {"alpha": 0.25}),
    CorpusModel("mbv1_050_rgb", mobilenet_v1, 3, (96, 96, 3), {"alpha": 0.5}, tiny_filters=0.3, edit_layers=4,
                note="30 % of the filters of the last 4 layers scaled by 1e-3"),
    CorpusModel("mbv1_050_gray", mobilenet_v1, 4, (96, 96, 1), {"alpha": 0.5}, per_channel=False,
                note="per-tensor weights"),
    CorpusModel("mbv2_035", mobilenet_v2, 5, (96, 96, 3), {"alpha": 0.35}, zero_filters=0.25, edit_layers=6,
                note="25 % of the filters of the last 6 layers zero"),
    CorpusModel("mcunet_se", mcunet_se, 6, (80, 80, 3)),
    CorpusModel("mbv3_small", mobilenet_v3_small, 7, (96, 96, 3), note="hard-swish, SE with hard-sigmoid gates"),
    CorpusModel("hswish_cnn", hswish_cnn, 8, (32, 32, 3), train_epochs=2, note="trained 2 epochs (synthetic)"),
    CorpusModel("dscnn_s", ds_cnn, 9, (49, 10, 1), {"filters": 64, "blocks": 4}, train_epochs=2,
                note="trained 2 epochs (synthetic)"),
    CorpusModel("dscnn_m", ds_cnn, 10, (49, 10, 1), {"filters": 172, "blocks": 4}, zero_filters=0.3, edit_layers=8,
                note="30 % of the filters of the last 8 layers zero (depthwise channels included)"),
    CorpusModel("dscnn_l", ds_cnn, 11, (49, 10, 1), {"filters": 276, "blocks": 5}),
    CorpusModel("audio_dw8", audio_dw_first, 12, (49, 10, 1), {"multiplier": 8}),
    CorpusModel("resnet8", resnet_cifar, 13, (32, 32, 3), {"depth": 8}),
    CorpusModel("resnet14", resnet_cifar, 14, (32, 32, 3), {"depth": 14}, tiny_filters=0.3, edit_layers=5,
                note="30 % of the filters of the last 5 layers scaled by 1e-3"),
    CorpusModel("resnet20", resnet_cifar, 15, (32, 32, 3), {"depth": 20}, zero_filters=0.2, edit_layers=6,
                note="20 % of the filters of the last 6 layers zero"),
    CorpusModel("ae_640", fc_autoencoder, 16, (640,), {"hidden": (128, 128, 128, 128), "code": 8}, train_epochs=3,
                note="MLPerf AD shape, trained 3 epochs (synthetic)"),
    CorpusModel("ae_128_pt", fc_autoencoder, 17, (128,), {"hidden": (64, 32), "code": 8}, per_channel=False,
                note="per-tensor weights"),
    CorpusModel("tcn_1d", tcn_1d, 18, (128, 6)),
    CorpusModel("narrow_c3", narrow_cnn, 19, (48, 48, 3), {"channels": 3}),
    CorpusModel("narrow_c5", narrow_cnn, 20, (48, 48, 3), {"channels": 5}),
    CorpusModel("narrow_c7", narrow_cnn, 21, (48, 48, 3), {"channels": 7}, per_channel=False, note="per-tensor weights"),
    CorpusModel("narrow_c12", narrow_cnn, 22, (48, 48, 3), {"channels": 12}, train_epochs=2,
                note="trained 2 epochs (synthetic)"),
    CorpusModel("narrow_c20", narrow_cnn, 23, (48, 48, 3), {"channels": 20}, zero_filters=0.25, edit_layers=3),
]

BY_NAME = {m.name: m for m in CORPUS}
QUICK = ["narrow_c5", "ae_128_pt"]  # two small models: what `scripts/bench --corpus --quick` runs


def select(names: list[str] | None) -> list[CorpusModel]:
    """The corpus entries named (all when None); an unknown name is a clear error."""
    if not names:
        return list(CORPUS)
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise ValueError(f"unknown corpus model(s) {', '.join(unknown)}; known: {', '.join(BY_NAME)}")
    return [BY_NAME[n] for n in names]


def synthetic_data(spec: CorpusModel, n: int, seed: int) -> np.ndarray:
    """Inputs for calibration and training: smooth-ish random signals in [-1, 1] (not white noise, so
    that activation ranges look like those of real images and spectrograms)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *spec.shape)).astype(np.float32)
    if len(spec.shape) >= 2:  # a 2-tap running mean along the first spatial axis correlates neighbours
        x = 0.5 * (x + np.roll(x, 1, axis=1))
    return np.clip(x / 2.0, -1.0, 1.0)
