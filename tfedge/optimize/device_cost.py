"""Estimated Cortex-M4 instructions of a Keras layer, for choosing what channel pruning removes.

MACs alone mislead a pruning search: on the M4's DSP kernels a depthwise MAC costs about six times a
1x1-conv MAC, a residual ADD about 68 instructions per element whatever the MACs around it, and a
conv's im2col gather and requantization scale with its input and output widths, not their product.
Halving the MACs of MobileNetV2 0.35 therefore removed only a third of its instructions.

The coefficients below are a least-squares fit to per-layer instruction counts measured with
`tfedge flash --json` on mps2-an386 (int8 weights, the default), over ResNet-8 and MobileNetV2 0.35
at full width and channel-pruned (5 models, 150 layer rows; each model's total within 3.3 % of the
measurement). Fused BN/ReLU/padding cost nothing extra; layers the fit never saw (pooling windows,
concatenation) get a plain per-element price. It is an estimate used to rank widths, never reported
as a measurement.
"""

from __future__ import annotations

import numpy as np

from tfedge._tf import keras

L = keras.layers

# instructions per unit, fitted (see the module docstring)
CONV_MAC = 0.836  # k x k conv (im2col path), per MAC
CONV_IM2COL = 4.75  # per gathered input value (pixels x k*k*in_channels)
CONV_OUT = 40.1  # per output value (requantize, pack, store)
PW_MAC = 1.14  # 1x1 conv, per MAC with the input channels padded to a multiple of 8 (the packed rows are)
PW_OUT = 13.2
PW_PIXEL = 166.0
DW_MAC = 5.16  # depthwise, per MAC
DW_OUT = 0.57
MERGE_ELEMENT = 68.0  # ADD and the other two-input elementwise layers, per output element
MEAN_ELEMENT = 12.7  # global average pooling, per input element
FC_MAC = 2.21
# not fitted: a pooling window priced like the mean per input element, a concatenation as a byte copy
POOL_ELEMENT = MEAN_ELEMENT
COPY_ELEMENT = 1.0

_MERGE = (L.Add, L.Subtract, L.Multiply, L.Maximum, L.Minimum, L.Average)
_POOL = (L.MaxPooling2D, L.AveragePooling2D, L.GlobalAveragePooling2D, L.GlobalMaxPooling2D,
         L.MaxPooling1D, L.AveragePooling1D, L.GlobalAveragePooling1D, L.GlobalMaxPooling1D)


def _pixels(shape) -> int:
    return int(np.prod(shape[1:-1])) if len(shape) > 2 else 1


def layer_instructions(layer, in_channels: float, out_channels: float) -> float:
    """Estimated M4 instructions of `layer` when it reads `in_channels` and writes `out_channels`
    (its widths after pruning; for a Dense after a Flatten, in_channels is the flattened length)."""
    out_shape = layer.output_shape
    if isinstance(out_shape, list):
        return 0.0
    pixels = _pixels(out_shape)
    if isinstance(layer, L.DepthwiseConv2D):
        kh, kw = layer.kernel_size
        macs = pixels * in_channels * layer.depth_multiplier * kh * kw
        return DW_MAC * macs + DW_OUT * pixels * out_channels
    if isinstance(layer, L.Conv2D):
        kh, kw = layer.kernel_size
        if kh * kw == 1:
            padded = -(-int(round(in_channels)) // 8) * 8
            return pixels * (PW_MAC * padded * out_channels + PW_OUT * out_channels + PW_PIXEL)
        window = kh * kw * in_channels
        return pixels * (CONV_MAC * window * out_channels + CONV_IM2COL * window + CONV_OUT * out_channels)
    if isinstance(layer, L.Dense):
        return FC_MAC * pixels * in_channels * out_channels
    if isinstance(layer, _MERGE):
        return MERGE_ELEMENT * pixels * out_channels
    if isinstance(layer, _POOL):
        in_shape = layer.input_shape
        return (MEAN_ELEMENT if "Global" in type(layer).__name__ else POOL_ELEMENT) * _pixels(in_shape) * in_channels
    if isinstance(layer, L.Concatenate):
        return COPY_ELEMENT * pixels * out_channels
    return 0.0
