"""Built-in model families the search varies: each builder takes width, depth and kernel size.

Both end in global average pooling and a softmax Dense layer so that any depth works on any input
size (a stride-2 reduction only while the feature map is larger than 2x2).
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
    x = L.GlobalAveragePooling2D(name="gap")(x)
    outputs = L.Dense(classes, activation="softmax", name="fc")(x)
    name = f"w{width}_d{depth}" if widths == digits_cnn_widths(width, depth) else "c" + "-".join(map(str, widths))
    return keras.Model(inputs, outputs, name=f"digits_cnn_{name}_k{kernel}")


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
    x = L.GlobalAveragePooling2D(name="gap")(x)
    outputs = L.Dense(classes, activation="softmax", name="fc")(x)
    return keras.Model(inputs, outputs, name=f"ds_cnn_w{width}_d{depth}_k{kernel}")


FAMILIES = {"digits_cnn": digits_cnn, "ds_cnn": ds_cnn}


def build(family: str, input_shape: tuple[int, ...], classes: int, **params: int) -> keras.Model:
    return FAMILIES[family](input_shape, classes, **params)
