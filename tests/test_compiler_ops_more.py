"""The common builtin ops beyond the CNN set (issue 12): data movement (TRANSPOSE, STRIDED_SLICE, SLICE,
SPLIT, SPLIT_V, PACK, UNPACK, GATHER), shape arithmetic folded at compile time, elementwise math,
reductions, TRANSPOSE_CONV and BATCH_MATMUL. Each generated Keras model is bit-exact with TFLite Micro on 150 inputs (100 from the model's
input distribution + 50 uniform int8) and close to the float Keras model.

Ops TFLM has no int8 kernel for (GELU) are refereed by LiteRT's reference kernels instead, with the
distances of both to the float model shown.
"""

from __future__ import annotations

import numpy as np
import pytest

import test_compiler_ops
from modelgen import get_model
from test_compiler_ops import _float_distance, _inputs, _ops
from tfedge.compiler import generate_sources
from tfedge.compiler.host_run import run_model
from tfedge.compiler.reader import read_model
from tflm_ref import litert_ref_run, tflm_run

DYN = {"converter": "from_keras_model"}  # dynamic batch: the shape arithmetic in front of RESHAPE is folded

CASES = {
    # data movement: (builder, params, an op the export must contain)
    "cropping2d": ("cropping", {}, "STRIDED_SLICE"),
    "cropping2d_dyn": ("cropping", dict(crop=((0, 1), (3, 0)), **DYN), "STRIDED_SLICE"),
    "permute_hw": ("permute", {}, "TRANSPOSE"),
    "permute_chw": ("permute", dict(dims=(3, 1, 2)), "TRANSPOSE"),
    "nchw_input_conv": ("nchw_conv", {}, "TRANSPOSE"),
    "strided_slice_neg_stride": ("tf_slice", dict(kind="strided"), "STRIDED_SLICE"),
    "strided_slice_shrink": ("tf_slice", dict(kind="shrink"), "STRIDED_SLICE"),
    "strided_slice_ellipsis": ("tf_slice", dict(kind="ellipsis"), "STRIDED_SLICE"),
    "slice": ("tf_slice", dict(kind="slice_all_batch"), "SLICE"),
    "split_channels": ("split_concat", dict(kind="split"), "SPLIT"),
    "split_width": ("split_concat", dict(kind="split", hw=(4, 6), axis=2), "SPLIT"),
    "split_v_channels": ("split_concat", dict(kind="split_v"), "SPLIT_V"),
    "split_v_rows": ("split_concat", dict(kind="split_v", axis=1), "SPLIT_V"),
    "unpack_rows": ("split_concat", dict(kind="unpack", axis=1), "UNPACK"),
    "pack_axis1": ("split_concat", dict(kind="pack"), "PACK"),
    "broadcast_to": ("broadcast_to", {}, "BROADCAST_TO"),
    "depth_to_space": ("space_depth", {}, "DEPTH_TO_SPACE"),
    "space_to_depth": ("space_depth", dict(kind="space_to_depth", c=3), "SPACE_TO_DEPTH"),
    "depth_to_space_b3": ("space_depth", dict(hw=(2, 3), c=18, block=3), "DEPTH_TO_SPACE"),
    "gather_channels": ("gather", {}, "GATHER"),
    "gather_rows": ("gather", dict(indices=(3, 3, 0), axis=1), "GATHER"),
    # elementwise
    "maximum": ("binary_math", dict(fn="maximum"), "MAXIMUM"),
    "minimum_broadcast": ("binary_math", dict(fn="minimum", broadcast=True), "MINIMUM"),
    "squared_difference": ("binary_math", dict(fn="squared_difference"), "SQUARED_DIFFERENCE"),
    "squared_difference_broadcast": ("binary_math", dict(fn="squared_difference", broadcast=True), "SQUARED_DIFFERENCE"),
    "abs": ("unary_math", dict(fn="abs"), "ABS"),
    "rsqrt": ("unary_math", dict(fn="rsqrt"), "RSQRT"),
    "prelu_per_channel": ("prelu", {}, "PRELU"),
    "prelu_shared": ("prelu", dict(shared_axes=[1, 2]), "PRELU"),
    # Conv2DTranspose
    "conv_transpose_s2_same": ("conv_transpose", {}, "TRANSPOSE_CONV"),
    "conv_transpose_s2_valid": ("conv_transpose", dict(padding="valid"), "TRANSPOSE_CONV"),
    "conv_transpose_s1_k2": ("conv_transpose", dict(strides=1, kernel=2), "TRANSPOSE_CONV"),
    "conv_transpose_3x2_s21_nobias": ("conv_transpose", dict(kernel=(3, 2), strides=(2, 1), use_bias=False),
                                      "TRANSPOSE_CONV"),
    "conv_transpose_relu_per_tensor": ("conv_transpose", dict(activation="relu", per_channel=False), "TRANSPOSE_CONV"),
    "conv_transpose_decoder": ("conv_transpose", dict(decoder=True, hw=(3, 4), filters=2), "TRANSPOSE_CONV"),
    # more parameter corners: constant operands, 2-D indices, new axis, 3-D tensors
    "maximum_const": ("more_params", dict(kind="max_const"), "MAXIMUM"),
    "minimum_const_vector": ("more_params", dict(kind="min_const_vector"), "MINIMUM"),
    "squared_difference_const": ("more_params", dict(kind="squared_difference_const"), "SQUARED_DIFFERENCE"),
    "gather_2d_indices": ("more_params", dict(kind="gather_2d_indices"), "GATHER"),
    "unpack_channels_pack_axis1": ("more_params", dict(kind="unpack_channels"), "UNPACK"),
    "permute_3d": ("more_params", dict(kind="permute_3d"), "TRANSPOSE"),
    "sum_3d": ("more_params", dict(kind="sum_3d"), "SUM"),
    # a LayerNormalization block (MEAN, SQUARED_DIFFERENCE, ADD, RSQRT, MUL, SUB around two TRANSPOSEs)
    "layer_norm": ("layer_norm", {}, "RSQRT"),
    "layer_norm_residual": ("layer_norm", dict(block="residual"), "SQUARED_DIFFERENCE"),
    # MEAN over H and W with keep_dims (GlobalAveragePooling2D(keepdims=True)): TFLM's own rounding path
    "mean_hw_keepdims": ("mean", dict(keepdims=True), "MEAN"),
    "mean_hw_keepdims_same_quant": ("board_ops", dict(kind="moves"), "MEAN"),
    # BATCH_MATMUL of two activations
    "batch_matmul": ("batch_matmul", dict(steps=4, features=4), "BATCH_MATMUL"),
    "batch_matmul_adj_y": ("batch_matmul", dict(adj_y=True), "BATCH_MATMUL"),
    "batch_matmul_adj_x": ("batch_matmul", dict(adj_x=True), "BATCH_MATMUL"),
    # reductions, resize
    "sum_hw": ("reduce", dict(fn="sum"), "SUM"),
    "sum_c_keepdims": ("reduce", dict(fn="sum", axes=(3,), keepdims=True), "SUM"),
    "reduce_min_hw": ("reduce", dict(fn="min"), "REDUCE_MIN"),
    "upsample_bilinear": ("resize_bilinear", {}, "RESIZE_BILINEAR"),
    "resize_bilinear_align_corners": ("resize_bilinear", dict(align_corners=True, half_pixel=False, out=(5, 7)),
                                      "RESIZE_BILINEAR"),
    "resize_bilinear_plain_down": ("resize_bilinear", dict(hw=(6, 7), half_pixel=False, out=(4, 3)), "RESIZE_BILINEAR"),
}

# TFLM cannot run these (GELU: no kernel; EXP, LOG, SQRT: float only; STRIDED_SLICE with new_axis_mask and a
# BROADCAST_TO whose shape is computed from the dynamic batch: fail to prepare): LiteRT's reference
# kernels referee.
LITERT_ONLY = {
    "broadcast_to_dynamic_batch": ("broadcast_to", DYN, "BROADCAST_TO"),
    "strided_slice_new_axis": ("more_params", dict(kind="new_axis"), "STRIDED_SLICE"),
    "gelu": ("unary_math", dict(fn="gelu"), "GELU"),
    "gelu_tanh": ("unary_math", dict(fn="gelu_tanh"), "GELU"),
    "exp": ("unary_math", dict(fn="exp"), "EXP"),
    "log": ("unary_math", dict(fn="log"), "LOG"),
    "sqrt": ("unary_math", dict(fn="sqrt"), "SQRT"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_more_ops_bit_exact_with_tflm(case, record_property, monkeypatch):
    """The same check as test_compiler_ops (bit-exact with TFLM, close to float Keras), on these cases."""
    builder, params, op = CASES[case]
    kinds = _ops(get_model(builder, **params)["tflite"])
    assert op in kinds, f"the export no longer produces {op}: {kinds}"
    monkeypatch.setitem(test_compiler_ops.CASES, case, (builder, params))
    test_compiler_ops.test_op_bit_exact_with_tflm(case, record_property)


@pytest.mark.parametrize("case", sorted(LITERT_ONLY))
def test_ops_tflm_lacks_match_litert(case, record_property):
    builder, params, op = LITERT_ONLY[case]
    m = get_model(builder, **params)
    assert op in _ops(m["tflite"])
    x, x_dist, _ = _inputs(m)
    ours = run_model(m["tflite"], x)
    litert = litert_ref_run(m["tflite"], x)
    n = len(x_dist)
    d_ours, d_litert = (_float_distance(m["tflite"], y[:n], m["y_float"]) for y in (ours, litert))
    print(f"{case}: distance to float Keras: tfedge {d_ours:.4f}  LiteRT-ref {d_litert:.4f}  (TFLM cannot run this {op})")
    record_property("float_distance", {"tfedge": d_ours, "litert_ref": d_litert})
    assert int((ours != litert).sum()) == 0, f"{case}: differs from LiteRT's reference kernels"
    assert d_ours < 0.1


def test_dense_on_3d_input_dynamic_batch():
    """Dense on (steps, features) exported with a dynamic batch computes its RESHAPE targets with SHAPE ->
    GATHER -> REDUCE_PROD -> PACK -> CONCATENATION. TFLM has no REDUCE_PROD and fails to allocate the model;
    tfedge folds the arithmetic for batch 1 (model.c holds the two FULLY_CONNECTED layers only). The
    referee is TFLM on the static-batch export of the same Keras model, whose weights and quantization are
    identical (checked)."""
    dynamic, static = get_model("dense_3d", **DYN), get_model("dense_3d")
    kinds = _ops(dynamic["tflite"])
    assert {"SHAPE", "GATHER", "REDUCE_PROD", "PACK", "CONCATENATION"} <= set(kinds)
    report = __import__("json").loads(generate_sources(dynamic["tflite"])["compile_report.json"])
    assert [layer["op"] for layer in report["layers"]] == ["FULLY_CONNECTED", "FULLY_CONNECTED"]
    gd, gs = read_model(dynamic["tflite"]), read_model(static["tflite"])
    assert {(t.q_scale, t.q_zero) for t in gd.tensors if t.quantized} == {(t.q_scale, t.q_zero) for t in gs.tensors if t.quantized}
    assert [t.data.tobytes() for t in gd.tensors if t.dtype == "int8" and t.is_const] == \
        [t.data.tobytes() for t in gs.tensors if t.dtype == "int8" and t.is_const]
    x, x_dist, _ = _inputs(dynamic)
    ours = run_model(dynamic["tflite"], x)
    ref = tflm_run(static["tflite"], x)
    assert int((ours.reshape(ref.shape) != ref).sum()) == 0
    distance = _float_distance(dynamic["tflite"], ours[: len(x_dist)], dynamic["y_float"])
    print(f"dense_3d dynamic batch: bit-exact with TFLM (static export) on {len(x)} inputs; distance {distance:.4f}")
    assert distance < 0.1


def test_div_where_tflm_overflows_its_shift():
    """int8 DIV: for a dividend of a few LSB TFLM's final RoundingDivideByPOT gets a shift >= 32 (undefined
    in C++); on the x86 host TFLM and LiteRT (same code) then output about the largest quotient for 0 / x.
    tfedge saturates the shift (quotient 0) and equals TFLM everywhere else; the distances show it."""
    m = get_model("binary_math", fn="div")
    assert "DIV" in _ops(m["tflite"])
    x, x_dist, _ = _inputs(m)
    ours, tflm, litert = run_model(m["tflite"], x), tflm_run(m["tflite"], x), litert_ref_run(m["tflite"], x)
    g = read_model(m["tflite"])
    zero = g.tensors[g.outputs[0]].q_zero
    differ = ours != tflm
    assert np.all(ours[differ] == zero), "tfedge differs from TFLM beyond the overflowing-shift case"
    assert np.array_equal(tflm, litert)
    n = len(x_dist)
    d_ours, d_tflm = (_float_distance(m["tflite"], y[:n], m["y_float"]) for y in (ours, tflm))
    print(f"div: {int(differ.sum())} of {ours.size} outputs differ (TFLM's overflowing shift); distance to float "
          f"Keras: tfedge {d_ours:.4f}  TFLM = LiteRT-ref {d_tflm:.4f}")
    assert d_ours < 0.1 and d_ours < d_tflm


def test_fill_and_zeros_like_folded():
    """FILL (its dims from the dynamic batch), ZEROS_LIKE and the QUANTIZE of their float results are
    constants at compile time: model.c keeps CONV_2D, ADD, CONCATENATION (the DEQUANTIZE that only fed
    ZEROS_LIKE goes too). TFLM fails to allocate this dynamic model; LiteRT's reference kernels referee."""
    m = get_model("fill_concat", **DYN)
    assert {"FILL", "ZEROS_LIKE", "SHAPE", "QUANTIZE", "DEQUANTIZE"} <= set(_ops(m["tflite"]))
    report = __import__("json").loads(generate_sources(m["tflite"])["compile_report.json"])
    assert [layer["op"] for layer in report["layers"]] == ["CONV_2D", "ADD", "CONCATENATION"]
    x, x_dist, _ = _inputs(m)
    ours, litert = run_model(m["tflite"], x), litert_ref_run(m["tflite"], x)
    assert int((ours != litert).sum()) == 0
    n = len(x_dist)
    d_ours, d_litert = (_float_distance(m["tflite"], y[:n], m["y_float"]) for y in (ours, litert))
    print(f"fill/zeros_like folded: distance to float Keras: tfedge {d_ours:.4f}  LiteRT-ref {d_litert:.4f}")
    assert d_ours < 0.1


def test_elu_bit_exact_with_tflm():
    """TFLM has an int8 ELU (a float table built in Prepare) but the converter keeps Keras ELU float: the
    LEAKY_RELU model with its operator code switched to ELU (fuzz_seeds.as_elu; its output range reaches
    below zero, so the exp(x) - 1 half of the table is exercised) stands in, checked against TFLM (no
    float Keras model to measure a distance to)."""
    from fuzz_seeds import seed_bytes

    m = get_model("activation", fn="leaky_relu")
    model = seed_bytes("elu")
    assert _ops(model) == ["CONV_2D", "ELU"]
    x, _, _ = _inputs(m)
    ours, ref = run_model(model, x), tflm_run(model, x)
    assert int((ours != ref).sum()) == 0
    zero = read_model(model).tensors[read_model(model).outputs[0]].q_zero
    assert np.any((ours > -128) & (ours < zero)), "no output in ELU's negative range: the test lost its point"
    print(f"elu (crafted): bit-exact with TFLM on {len(x)} inputs")


def _problems(builder: str, mutate, **params) -> str:
    """Validation messages of a generated model after `mutate(graph)` (a file no converter writes)."""
    from tfedge.compiler import passes
    from tfedge.compiler.validate import validate
    from tfedge.errors import UnsupportedModelError

    g = read_model(get_model(builder, **params)["tflite"])
    passes.fold_constants(g)
    mutate(g)
    with pytest.raises(UnsupportedModelError) as info:
        validate(g)
    return "\n".join(info.value.problems)


def _op(g, kind):
    return next(op for op in g.ops if op.kind == kind)


def test_bad_data_movement_and_math_ops_refused_clearly():
    def indices_out_of_range(g):
        g.tensors[_op(g, "GATHER").inputs[1]].data = np.array([0, 9], np.int32)

    def lying_slice_shape(g):
        g.tensors[_op(g, "STRIDED_SLICE").outputs[0]].shape = (1, 9, 9, 3)

    def bad_permutation(g):
        g.tensors[_op(g, "TRANSPOSE").inputs[1]].data = np.array([0, 1, 1, 3], np.int32)

    def split_into_wrong_count(g):
        _op(g, "SPLIT").options["NumSplits"] = 4

    def maximum_requantizing(g):
        out = g.tensors[_op(g, "MAXIMUM").outputs[0]]
        out.scale = out.scale * 2

    def runtime_indices(g):
        t = g.tensors[_op(g, "GATHER").inputs[1]]
        t.data = None

    assert "indices [0, 9] outside 0..5" in _problems("gather", indices_out_of_range)
    assert "has shape (1, 9, 9, 3), but the op computes" in _problems("cropping", lying_slice_shape)
    assert "permutation [0, 1, 1, 3]" in _problems("permute", bad_permutation)
    assert "cannot be split into 4 equal parts" in _problems("split_concat", split_into_wrong_count, kind="split")
    assert "must share one quantization" in _problems("binary_math", maximum_requantizing, fn="maximum")
    assert "indices" in _problems("gather", runtime_indices) and "must be a constant" in _problems("gather", runtime_indices)


SANITIZED = {  # every new kernel at least once, under ASan/UBSan on the host
    "many_ops": ("many_ops", {}),
    "div": ("binary_math", dict(fn="div")),
    "decoder": ("conv_transpose", dict(decoder=True, hw=(3, 4), filters=2)),
    "batch_matmul_adj_x": ("batch_matmul", dict(adj_x=True)),
    "strided_slice_neg_stride": ("tf_slice", dict(kind="strided")),
    "split_v_rows": ("split_concat", dict(kind="split_v", axis=1)),
    "unpack_rows": ("split_concat", dict(kind="unpack", axis=1)),
    "minimum_broadcast": ("binary_math", dict(fn="minimum", broadcast=True)),
    "reduce_min_hw": ("reduce", dict(fn="min")),
    "resize_bilinear_align_corners": ("resize_bilinear", dict(align_corners=True, half_pixel=False, out=(5, 7))),
    "gelu": ("unary_math", dict(fn="gelu")),
}


def test_new_kernels_sanitizer_clean(tmp_path):
    import shutil
    import subprocess

    from test_host_run import SAN_FLAGS
    from tfedge.compiler import compile_model, runtime_include_dirs
    from tfedge.compiler.host_run import runtime_objects

    if not shutil.which("gcc"):
        pytest.fail("gcc is needed for the sanitizer build (scripts/setup.sh installs it)")
    objects = runtime_objects("gcc", SAN_FLAGS)
    for name, (builder, params) in SANITIZED.items():
        tflite = get_model(builder, **params)["tflite"]
        out = tmp_path / name
        result = compile_model(tflite, out)
        subprocess.run(["gcc", *SAN_FLAGS, f"-I{out}", *(f"-I{d}" for d in runtime_include_dirs()),
                        str(result.model_c), *map(str, objects), "-o", str(out / "runner")], check=True)
        shape = result.report["inputs"][0]["shape"]
        x = np.random.default_rng(9).integers(-128, 128, (20, *shape), dtype=np.int8)
        x.tofile(out / "x.bin")
        proc = subprocess.run([str(out / "runner"), str(out / "x.bin"), str(out / "y.bin"), "20"],
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"{name}: {proc.stderr[-2000:]}"
        y = np.fromfile(out / "y.bin", dtype=np.int8)
        assert np.array_equal(y, run_model(tflite, x).ravel()), name
