"""int16x8 models (int16 activations, int8 weights, int64 bias; `tfedge export --int16x8`): every op tfedge
compiles in int16 is bit-exact with TFLite Micro on 150 inputs (100 from the model's input distribution +
50 uniform int16) and close to the float Keras model; the type axis refuses what it does not support."""

from __future__ import annotations

import numpy as np
import pytest

from modelgen import get_model
from tfedge.compiler import compile_model
from tfedge.compiler.host_run import run_model
from tfedge.compiler.reader import read_model
from tfedge.errors import UnsupportedModelError
from tflm_ref import tflm_run

I16 = {"int16x8": True}

CASES = {
    "conv_s1_same": ("conv2d", {}),
    "conv_s2_valid_relu": ("conv2d", dict(hw=(9, 7), strides=2, padding="valid", activation="relu")),
    "conv_relu6_nobias": ("conv2d", dict(activation="relu6", use_bias=False)),
    "conv_per_tensor": ("conv2d", dict(per_channel=False, filters=5)),
    "conv_dilation2": ("conv2d", dict(dilation=2)),
    "dw_s1": ("depthwise", {}),
    "dw_s2_mult2_relu6": ("depthwise", dict(hw=(7, 7), strides=2, multiplier=2, activation="relu6")),
    "fc_bias": ("dense", {}),
    "fc_relu_nobias": ("dense", dict(use_bias=False, activation="relu")),
    "fc_softmax": ("dense", dict(units=7, softmax=True)),
    "fc_keep_num_dims": ("dense", dict(shape=(3, 20), units=6)),
    "flatten_reshape": ("flatten_dense", {}),
    "avgpool": ("pool", dict(kind="avg")),
    "maxpool": ("pool", dict(kind="max")),
    "global_avg_mean": ("global_pool", dict(kind="avg")),
    "mean_c_keepdims": ("mean", dict(axes=(3,), keepdims=True)),
    "mean_hw_keepdims": ("mean", dict(keepdims=True)),
    "moves": ("board_ops", dict(kind="moves16", transpose=True)),  # the int16 board group: PAD, SLICE, SPLIT_V, UNPACK, PACK, ...
    "add_scales": ("residual", dict(op="add")),
    "sub_scales": ("residual", dict(op="sub")),
    "mul_scales": ("residual", dict(op="mul", scale_b=2.0)),
    "mul_broadcast_se": ("broadcast_mul", {}),
    "logistic": ("activation", dict(fn="sigmoid")),
    "tanh": ("activation", dict(fn="tanh")),
    "leaky_relu": ("activation", dict(fn="leaky_relu")),
    "softmax_4d": ("activation", dict(fn="softmax")),
    "concat_channels": ("concat", {}),
    "zero_pad": ("zero_pad", {}),
    "small_cnn": ("small_cnn", {}),
    "float_io": ("activation", dict(fn="tanh", converter="float_io16")),
    # data movement on int16 (byte copies of two-byte elements)
    "cropping2d": ("cropping", {}),
    "strided_slice_neg_stride": ("tf_slice", dict(kind="strided")),
    "strided_slice_shrink": ("tf_slice", dict(kind="shrink")),
    "strided_slice_ellipsis": ("tf_slice", dict(kind="ellipsis")),
    "slice": ("tf_slice", dict(kind="slice_all_batch")),
    "permute_hw": ("permute", {}),
    "permute_chw": ("permute", dict(dims=(3, 1, 2))),
    "nchw_input_conv": ("nchw_conv", {}),
    "split_width": ("split_concat", dict(kind="split", hw=(4, 6), axis=2)),
    "split_v_rows": ("split_concat", dict(kind="split_v", axis=1)),
    "unpack_rows": ("split_concat", dict(kind="unpack", axis=1)),
    "pack_axis1": ("split_concat", dict(kind="pack")),
    "broadcast_to": ("broadcast_to", {}),
    "upsample_nearest": ("upsample", {}),
    # MAXIMUM / MINIMUM (raw int16 comparisons; the converter requantizes the inputs to the output's scale)
    "maximum": ("binary_math", dict(fn="maximum")),
    "minimum_broadcast": ("binary_math", dict(fn="minimum", broadcast=True)),
    "maximum_const": ("more_params", dict(kind="max_const")),
    # SQUARED_DIFFERENCE (TFLM's int16 path: left shift 0), ABS, RSQRT (abs_s16, rsqrt_s16: per element, no table)
    "squared_difference": ("binary_math", dict(fn="squared_difference")),
    "squared_difference_broadcast": ("binary_math", dict(fn="squared_difference", broadcast=True)),
    "squared_difference_const": ("more_params", dict(kind="squared_difference_const")),
    "abs": ("unary_math", dict(fn="abs")),
    "rsqrt": ("unary_math", dict(fn="rsqrt")),  # rsqrt_s16: GetInvSqrtQuantizedMultiplierExp in C
    # BATCH_MATMUL (int64 accumulators)
    "batch_matmul": ("batch_matmul", dict(steps=4, features=4)),
    "batch_matmul_adj_y": ("batch_matmul", dict(adj_y=True)),
    "batch_matmul_adj_x": ("batch_matmul", dict(adj_x=True)),
    # Conv2DTranspose (int64 bias and accumulators)
    "conv_transpose_s2_same": ("conv_transpose", {}),
    "conv_transpose_s2_valid": ("conv_transpose", dict(padding="valid")),
    "conv_transpose_s1_k2": ("conv_transpose", dict(strides=1, kernel=2)),
    "conv_transpose_3x2_s21_nobias": ("conv_transpose", dict(kernel=(3, 2), strides=(2, 1), use_bias=False)),
    "conv_transpose_relu_per_tensor": ("conv_transpose", dict(activation="relu", per_channel=False)),
    "conv_transpose_decoder": ("conv_transpose", dict(decoder=True, hw=(3, 4), filters=2)),
}


def _inputs(m: dict) -> tuple[np.ndarray, int, object]:
    g = read_model(m["tflite"])
    t = g.tensors[g.inputs[0]]
    x_float = m["x_float"].reshape((-1, *t.shape))
    if t.dtype == "float32":
        return x_float, len(x_float), t
    assert t.dtype == "int16" and t.q_zero == 0
    q = np.clip(np.round(x_float / t.q_scale), -32768, 32767).astype(np.int16)
    uniform = np.random.default_rng(3).integers(-32768, 32768, (50, *t.shape), dtype=np.int16)
    return np.concatenate([q, uniform]), len(q), t


def _float_distance(tflite: bytes, y: np.ndarray, y_float: np.ndarray) -> float:
    g = read_model(tflite)
    t = g.tensors[g.outputs[0]]
    y = y.astype(np.float64)
    if t.dtype != "float32":
        y = (y - t.q_zero) * t.q_scale
    y = y.reshape(y_float.shape)
    return float(np.sqrt(np.mean((y - y_float) ** 2)) / (np.sqrt(np.mean(y_float.astype(np.float64) ** 2)) + 1e-9))


@pytest.mark.parametrize("case", sorted(CASES))
def test_int16x8_op_bit_exact_with_tflm(case, record_property):
    builder, params = CASES[case]
    m = get_model(builder, **({**params} if "converter" in params else {**params, **I16}))
    g = read_model(m["tflite"])
    assert any(t.dtype == "int16" for t in g.tensors), "the export did not produce int16 activations"
    x, n, _ = _inputs(m)
    ours = run_model(m["tflite"], x)
    ref = tflm_run(m["tflite"], x)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    bad = int((ours != ref).sum())
    assert bad == 0, f"{case} {[op.kind for op in g.ops]}: {bad} of {ref.size} outputs differ from TFLM"
    distance = _float_distance(m["tflite"], ours[:n], m["y_float"])
    record_property("float_distance", distance)
    print(f"{case}: bit-exact on {len(x)} inputs; relative RMS distance to float Keras {distance:.5f}")
    assert distance < 0.05, f"{case}: far from the float model (relative RMS {distance:.3f})"


def test_int16x8_kernels_named_by_type(tmp_path):
    """The registry's type axis: the int16 model calls the _s16 kernels, the int8 one the _s8 kernels."""
    k16 = {l["kernel"] for l in compile_model(get_model("small_cnn", **I16)["tflite"], tmp_path / "a").report["layers"]}
    k8 = {l["kernel"] for l in compile_model(get_model("small_cnn")["tflite"], tmp_path / "b").report["layers"]}
    assert {"conv_s16_nhwc", "depthwise_conv_s16_nhwc", "fully_connected_s16", "softmax_s16", "max_pool_s16"} <= k16
    assert not any("s16" in k for k in k8)


def test_int16x8_unsupported_op_is_a_clear_error(tmp_path):
    """An op tfedge compiles in int8 only (RESIZE_BILINEAR: TFLM's int16 kernel fails on this model too) names
    the type and the fix."""
    m = get_model("resize_bilinear", **I16)
    with pytest.raises(UnsupportedModelError) as err:
        compile_model(m["tflite"], tmp_path)
    assert "RESIZE_BILINEAR" in str(err.value) and "int16" in str(err.value) and "--int16x8" in str(err.value)


DEVICE_CASES = ["small_cnn", "tanh", "conv_per_tensor", "fc_bias"]  # DSP conv/FC (odd channel counts, tails); pools, MEAN, softmax; the sigmoid table


@pytest.mark.slow
@pytest.mark.parametrize("case", DEVICE_CASES)
def test_int16x8_bit_exact_on_mps2_an386(case, tmp_path):
    from tfedge.emulate.flash import flash_model

    builder, params = CASES[case]
    m = get_model(builder, **params, **I16)
    x, _, _ = _inputs(m)
    x = x[-60:]  # 10 from the input distribution + the 50 uniform int16 inputs
    model = tmp_path / f"{case}.tflite"
    model.write_bytes(m["tflite"])
    r = flash_model(model, "mps2-an386", x, progress=False)
    assert r["mismatches"] == 0 and r["mismatched_values"] == 0
    np.testing.assert_array_equal(r["outputs"].reshape(len(x), -1), tflm_run(m["tflite"], x).reshape(len(x), -1))


@pytest.mark.slow
def test_digits_demo_int16x8_export_then_flash_cli(tmp_path, capsys):
    """`tfedge export --int16x8` (export_int8(int16x8=True)) then `tfedge flash`: the digits demo CNN runs
    on the M4 board bit-exact with TFLM on 60 inputs."""
    from tfedge import cli

    m = get_model("digits_cnn", input_range=8.0, **I16)
    model = tmp_path / "digits_int16x8.tflite"
    model.write_bytes(m["tflite"])
    x, _, _ = _inputs(m)
    x = x[-60:]
    np.save(tmp_path / "x.npy", x)
    argv = ["flash", str(model), "--board", "mps2-an386", "--inputs", str(tmp_path / "x.npy"), "-o",
            str(tmp_path / "y.npy"), "--out-dir", str(tmp_path / "fw")]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "bit-exact" in out and "SOFTMAX" in out
    y = np.load(tmp_path / "y.npy")
    assert y.dtype == np.int16
    np.testing.assert_array_equal(y.reshape(60, -1), tflm_run(m["tflite"], x).reshape(60, -1))
