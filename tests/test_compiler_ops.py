"""Generated Keras models covering every supported op and option: the compiled C is bit-exact with
TFLite Micro on 150 inputs (100 from the model's input distribution + 50 uniform int8), and close to
the float Keras model (the distance is printed and bounded).

Dilated convolutions exported as SPACE_TO_BATCH_ND -> CONV -> BATCH_TO_SPACE_ND are computed wrongly
by TFLM; there tfedge must equal LiteRT's reference kernels and be at least as close to the float model.
"""

from __future__ import annotations

import numpy as np
import pytest

from modelgen import get_model
from tfedge.compiler.host_run import run_model
from tfedge.compiler.reader import read_model
from tflm_ref import litert_ref_run, tflm_run

S2B = {"converter": "from_keras_model"}  # dynamic-batch export: dilations become SPACE_TO_BATCH_ND/BATCH_TO_SPACE_ND

CASES = {
    # CONV_2D: strides, SAME/VALID on even and odd sizes, 1-pixel maps, odd channel counts, activations, bias
    "conv_s1_same": ("conv2d", {}),
    "conv_s2_same_even": ("conv2d", dict(hw=(8, 8), strides=2)),
    "conv_s2_same_odd": ("conv2d", dict(hw=(7, 9), strides=2, cin=5, filters=7)),
    "conv_s2_valid_odd": ("conv2d", dict(hw=(9, 7), strides=2, padding="valid", kernel=3)),
    "conv_5x3_relu": ("conv2d", dict(hw=(10, 6), kernel=(5, 3), activation="relu")),
    "conv_relu6_nobias": ("conv2d", dict(activation="relu6", use_bias=False)),
    "conv_1px": ("conv2d", dict(hw=(1, 1), cin=3, filters=5, kernel=1)),
    "conv_1px_3x3_same": ("conv2d", dict(hw=(1, 1), cin=2, filters=3, kernel=3)),
    "conv_bn_relu": ("conv2d", dict(bn=True, activation="relu", cin=1, filters=5)),
    "conv_per_tensor": ("conv2d", dict(per_channel=False, filters=5)),
    "conv_dilation2_same": ("conv2d", dict(dilation=2)),
    "conv_dilation2_valid": ("conv2d", dict(dilation=2, padding="valid", hw=(9, 8))),
    "conv1d_dilation2": ("conv1d", dict(dilation=2)),
    "conv1d_s2_valid": ("conv1d", dict(strides=2, padding="valid", length=15, cin=2)),
    # DEPTHWISE_CONV_2D
    "dw_s1": ("depthwise", {}),
    "dw_s2_same_odd_mult2": ("depthwise", dict(hw=(7, 7), strides=2, multiplier=2, activation="relu6")),
    "dw_valid_mult2": ("depthwise", dict(padding="valid", multiplier=2, cin=5)),
    "dw_dilation2": ("depthwise", dict(dilation=2)),
    "separable": ("separable", {}),
    # FULLY_CONNECTED
    "fc_bias": ("dense", {}),
    "fc_nobias_relu": ("dense", dict(use_bias=False, activation="relu")),
    "fc_keep_num_dims": ("dense", dict(shape=(3, 20), units=6)),
    "fc_softmax": ("dense", dict(units=7, softmax=True)),
    "flatten_reshape": ("flatten_dense", {}),
    "flatten_dynamic_batch": ("flatten_dense", S2B),  # SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE folded
    # pooling
    "avgpool_s2_same_odd": ("pool", dict(kind="avg")),
    "avgpool_2x2_valid": ("pool", dict(kind="avg", size=2, strides=2, padding="valid", hw=(8, 6))),
    "maxpool_s2_same_odd": ("pool", dict(kind="max")),
    "maxpool_2x2_even": ("pool", dict(kind="max", size=2, strides=2, hw=(8, 8))),
    "global_avg": ("global_pool", dict(kind="avg")),
    "global_avg_keepdims": ("global_pool", dict(kind="avg", keepdims=True)),
    "global_max": ("global_pool", dict(kind="max")),
    "mean_hw": ("mean", {}),
    "mean_c_keepdims": ("mean", dict(axes=(3,), keepdims=True)),
    # elementwise with different input scales, broadcasting
    "add_scales": ("residual", dict(op="add")),
    "add_relu": ("residual", dict(op="add", activation="relu", scale_b=0.3)),
    "sub_scales": ("residual", dict(op="sub")),
    "mul_scales": ("residual", dict(op="mul", scale_b=2.0)),
    "mul_broadcast_se": ("broadcast_mul", {}),
    # activations
    "logistic": ("activation", dict(fn="sigmoid")),
    "tanh": ("activation", dict(fn="tanh")),
    "hard_swish": ("activation", dict(fn="hard_swish")),
    "relu": ("activation", dict(fn="relu", pre_conv=False)),
    "leaky_relu": ("activation", dict(fn="leaky_relu")),
    "softmax_4d": ("activation", dict(fn="softmax")),
    # data movement
    "concat_channels": ("concat", {}),
    "concat_width": ("concat", dict(axis=2)),
    "zero_pad": ("zero_pad", {}),
    "upsample2": ("upsample", {}),
    "upsample3": ("upsample", dict(size=3, hw=(2, 3))),
    "quantize_int8_requantize": ("concat_requantize", {}),
    "float_io_quantize_dequantize": ("activation", dict(fn="sigmoid", converter="float_io")),
    "small_cnn": ("small_cnn", {}),
}

# TFLM computes these wrongly; LiteRT's reference kernels referee. Dilated convolutions exported as
# SPACE_TO_BATCH_ND/BATCH_TO_SPACE_ND, and a standalone RELU6 whose output quantization differs from its
# input's (TFLM clamps the raw input values and ignores the output's scale).
TFLM_WRONG = {
    "relu6_requantizing": ("activation", dict(fn="relu6", pre_conv=False, input_range=8.0)),
    "s2b_conv_dilation2_same": ("conv2d", dict(dilation=2, **S2B)),
    "s2b_conv_dilation2_valid": ("conv2d", dict(dilation=2, padding="valid", **S2B)),
    "s2b_conv1d_dilation2": ("conv1d", dict(dilation=2, **S2B)),
    "s2b_dw_dilation2": ("depthwise", dict(dilation=2, **S2B)),
}


def _inputs(m: dict) -> tuple[np.ndarray, np.ndarray, dict]:
    g = read_model(m["tflite"])
    t = g.tensors[g.inputs[0]]
    x_float = m["x_float"].reshape((-1, *t.shape))
    if t.dtype == "float32":
        return x_float, x_float, {"scale": None}
    q = np.clip(np.round(x_float / t.q_scale) + t.q_zero, -128, 127).astype(np.int8)
    uniform = np.random.default_rng(3).integers(-128, 128, (50, *t.shape), dtype=np.int8)
    return np.concatenate([q, uniform]), q, {"scale": t.q_scale}


def _float_distance(tflite: bytes, y: np.ndarray, y_float: np.ndarray) -> float:
    """RMS error against the float Keras model, relative to the float outputs' RMS."""
    g = read_model(tflite)
    t = g.tensors[g.outputs[0]]
    y = y.astype(np.float64)
    if t.dtype == "int8":
        y = (y - t.q_zero) * t.q_scale
    y = y.reshape(y_float.shape)
    return float(np.sqrt(np.mean((y - y_float) ** 2)) / (np.sqrt(np.mean(y_float.astype(np.float64) ** 2)) + 1e-9))


def _ops(tflite: bytes) -> list[str]:
    return [op.kind for op in read_model(tflite).ops]


@pytest.mark.parametrize("case", sorted(CASES))
def test_op_bit_exact_with_tflm(case, record_property):
    builder, params = CASES[case]
    m = get_model(builder, **params)
    x, x_dist, _ = _inputs(m)
    ours = run_model(m["tflite"], x)
    ref = tflm_run(m["tflite"], x)
    assert ours.shape == ref.shape
    bad = int((ours != ref).sum())
    assert bad == 0, f"{case} {_ops(m['tflite'])}: {bad} of {ref.size} outputs differ from TFLM"
    distance = _float_distance(m["tflite"], ours[: len(x_dist)], m["y_float"])
    record_property("float_distance", distance)
    print(f"{case}: bit-exact on {len(x)} inputs; relative RMS distance to float Keras {distance:.4f}")
    assert distance < 0.1, f"{case}: far from the float model (relative RMS {distance:.3f})"


@pytest.mark.parametrize("case", sorted(TFLM_WRONG))
def test_where_tflm_is_wrong_match_litert(case, record_property):
    builder, params = TFLM_WRONG[case]
    m = get_model(builder, **params)
    expected_op = "SPACE_TO_BATCH_ND" if case.startswith("s2b") else "RELU6"
    assert expected_op in _ops(m["tflite"]), "the export no longer produces the pattern under test"
    x, x_dist, _ = _inputs(m)
    ours = run_model(m["tflite"], x)
    litert = litert_ref_run(m["tflite"], x)
    tflm = tflm_run(m["tflite"], x)
    n = len(x_dist)
    d_ours, d_litert, d_tflm = (_float_distance(m["tflite"], y[:n], m["y_float"]) for y in (ours, litert, tflm))
    print(f"{case}: distance to float Keras: tfedge {d_ours:.4f}  LiteRT-ref {d_litert:.4f}  TFLM {d_tflm:.4f}")
    record_property("float_distance", {"tfedge": d_ours, "litert_ref": d_litert, "tflm": d_tflm})
    assert int((ours != litert).sum()) == 0, f"{case}: differs from LiteRT's reference kernels"
    assert d_ours <= d_litert + 1e-12 and d_ours < 0.1
    assert d_tflm > d_ours, f"{case}: TFLM is right here; move the case to CASES"
