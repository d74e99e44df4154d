"""Issue 12's acceptance audit (docs/compiler.md, "Issue 12 acceptance map"): op parameters and types no other
test covered, each a generated Keras model bit-exact with TFLite Micro on 150 inputs on the host (the checks of
test_compiler_ops_more / test_compiler_int16, run on these cases), and the ones of them whose op kind and type
no board test ran, on mps2-an386 (50 inputs, the check of test_ops_more_board):
- int8: BATCH_MATMUL of rank 4 with a broadcast batch dimension and with a constant left operand, REDUCE_MIN
  over channels with keep_dims, DIV with a broadcast divisor;
- int16x8: SPLIT / SPLIT_V over channels, UNPACK over channels, a 3-D TRANSPOSE, MINIMUM with a constant
  vector, a non-default Cropping2D, the two BATCH_MATMUL corners, and dynamic-batch exports (Cropping2D, and
  Dense on 3-D input whose SHAPE/REDUCE_PROD arithmetic TFLM cannot run: TFLM on the static export referees),
  QUANTIZE int8 -> int16 and int16 -> int8 (a rewritten file);
- `tfedge export --int16x8` then `tfedge flash`, both through the CLI, on the digits demo CNN (mps2-an386);
- on the board: int16 MAXIMUM, MINIMUM, SPLIT (no board model held them), QUANTIZE float32 -> int16,
  int8 -> int16 and int16 -> int8, DEQUANTIZE int16 -> float32.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import test_compiler_int16
import test_compiler_ops_more
import test_ops_more_board
from modelgen import get_model
from test_compiler_ops import _ops
from tfedge.compiler import generate_sources
from tfedge.compiler.host_run import run_model
from tfedge.compiler.reader import read_model
from tflm_ref import litert_ref_run, tflm_run

I16 = {"int16x8": True}
DYN16 = {"converter": "float_io16"}  # int16x8, dynamic batch (from_keras_model), float input and output

INT8_CASES = {  # name -> (builder, params, an op the export must contain)
    "batch_matmul_rank4_broadcast": ("batch_matmul_more", {}, "BATCH_MATMUL"),
    "batch_matmul_const_lhs": ("batch_matmul_more", dict(kind="const_lhs"), "BATCH_MATMUL"),
    "reduce_min_c_keepdims": ("reduce", dict(fn="min", axes=(3,), keepdims=True), "REDUCE_MIN"),
    # a divisor broadcast over the pixels (one per channel, >= 0.5): no tiny-dividend case, so TFLM referees
    "div_broadcast": ("binary_math", dict(fn="div", broadcast=True), "DIV"),
}
INT16_CASES = {  # name -> (builder, params, an op the export must contain)
    "split_channels": ("split_concat", dict(kind="split"), "SPLIT"),
    "split_v_channels": ("split_concat", dict(kind="split_v"), "SPLIT_V"),
    "unpack_channels_pack_axis1": ("more_params", dict(kind="unpack_channels"), "UNPACK"),
    "permute_3d": ("more_params", dict(kind="permute_3d"), "TRANSPOSE"),
    "minimum_const_vector": ("more_params", dict(kind="min_const_vector"), "MINIMUM"),
    "cropping2d_asymmetric": ("cropping", dict(crop=((0, 1), (3, 0))), "STRIDED_SLICE"),
    "cropping2d_dynamic_batch": ("cropping", dict(crop=((0, 1), (3, 0)), **DYN16), "STRIDED_SLICE"),
    "batch_matmul_rank4_broadcast": ("batch_matmul_more", {}, "BATCH_MATMUL"),
    "batch_matmul_const_lhs": ("batch_matmul_more", dict(kind="const_lhs"), "BATCH_MATMUL"),
}


def _params16(params: dict) -> dict:
    return dict(params) if "converter" in params else {**params, **I16}


@pytest.mark.parametrize("case", sorted(INT8_CASES))
def test_int8_gap_bit_exact_with_tflm(case, record_property, monkeypatch):
    monkeypatch.setitem(test_compiler_ops_more.CASES, case, INT8_CASES[case])
    test_compiler_ops_more.test_more_ops_bit_exact_with_tflm(case, record_property, monkeypatch)


@pytest.mark.parametrize("case", sorted(INT16_CASES))
def test_int16x8_gap_bit_exact_with_tflm(case, record_property, monkeypatch):
    builder, params, op = INT16_CASES[case]
    assert op in _ops(get_model(builder, **_params16(params))["tflite"]), "the export no longer produces " + op
    monkeypatch.setitem(test_compiler_int16.CASES, case, (builder, params))
    test_compiler_int16.test_int16x8_op_bit_exact_with_tflm(case, record_property)


def test_int16x8_dense_on_3d_input_dynamic_batch():
    """Dense on (steps, features) in int16x8 with a dynamic batch (float I/O): the SHAPE -> ... -> REDUCE_PROD
    -> PACK arithmetic is folded (model.c: QUANTIZE, two FULLY_CONNECTED, DEQUANTIZE). TFLM has no REDUCE_PROD
    and cannot allocate the model; the referee is TFLM on the static int16x8 export of the same Keras model
    (same scales and weights, checked), fed the int16 inputs whose dequantized values the dynamic model reads.
    LiteRT's reference kernels are no referee here: their int16 FULLY_CONNECTED differs from TFLM's on the
    static export (shown)."""
    dyn, static = get_model("dense_3d", **DYN16), get_model("dense_3d", **I16)
    assert {"SHAPE", "REDUCE_PROD", "PACK"} <= set(_ops(dyn["tflite"]))
    report = json.loads(generate_sources(dyn["tflite"])["compile_report.json"])
    assert [layer["op"] for layer in report["layers"]] == ["QUANTIZE", "FULLY_CONNECTED", "FULLY_CONNECTED",
                                                          "DEQUANTIZE"]
    gd, gs = read_model(dyn["tflite"]), read_model(static["tflite"])
    assert {(t.dtype, t.q_scale) for t in gd.tensors if t.quantized} == \
        {(t.dtype, t.q_scale) for t in gs.tensors if t.quantized}
    assert [t.data.tobytes() for t in gd.tensors if t.dtype == "int8" and t.is_const] == \
        [t.data.tobytes() for t in gs.tensors if t.dtype == "int8" and t.is_const]
    x16, n, t_in = test_compiler_int16._inputs(static)  # 100 from the input distribution + 50 uniform int16
    t_out = gs.tensors[gs.outputs[0]]
    ours = run_model(dyn["tflite"], (x16.astype(np.float32) * np.float32(t_in.q_scale)))
    tflm = tflm_run(static["tflite"], x16)
    ours_q = np.round(ours.reshape(tflm.shape) / t_out.q_scale)
    assert int((ours_q != tflm).sum()) == 0, "differs from TFLM on the static export"
    assert np.abs(ours.reshape(tflm.shape) - tflm * t_out.q_scale).max() < 0.01 * t_out.q_scale  # DEQUANTIZE's float
    litert = litert_ref_run(static["tflite"], x16)
    d_ours, d_litert = (test_compiler_int16._float_distance(static["tflite"], y[:n], static["y_float"])
                        for y in (tflm, litert))
    print(f"int16x8 dense_3d dynamic batch: bit-exact with TFLM (static export) on {len(x16)} inputs; LiteRT-ref "
          f"differs from TFLM on {int((litert != tflm).sum())} of {tflm.size} outputs; distance to float Keras: "
          f"tfedge = TFLM {d_ours:.5f}  LiteRT-ref {d_litert:.5f}")
    assert d_ours < 0.05


BOARD_MODELS = {  # name -> (builder, params, referee), run by test_ops_more_board's board check
    "gaps_int8": ("joined", {"parts": [["reduce", {"fn": "min", "axes": [3], "keepdims": True}],
                                       ["batch_matmul_more", {}], ["batch_matmul_more", {"kind": "const_lhs"}]]},
                  "tflm"),
    "gaps_int16x8": ("joined", {"parts": [["split_concat", {"kind": "split"}],
                                          ["binary_math", {"fn": "maximum"}],
                                          ["binary_math", {"fn": "minimum", "broadcast": True}],
                                          ["batch_matmul_more", {}], ["more_params", {"kind": "permute_3d"}]],
                                **I16}, "tflm"),
    "float_io_int16x8": ("activation", {"fn": "tanh", **DYN16}, "tflm"),  # QUANTIZE f32->int16, DEQUANTIZE
    # QUANTIZE int8 -> int16 and int16 -> int8: the same model rewritten to int8 I/O (int8_io_around_int16)
    "int8_io_int16x8": ("int8_io:activation", {"fn": "tanh", **DYN16}, "tflm"),
}


@pytest.mark.qemu
@pytest.mark.parametrize("name", sorted(BOARD_MODELS))
def test_gaps_bit_exact_on_mps2_an386(name, tmp_path, monkeypatch):
    plain = test_ops_more_board._tflite

    def tflite(builder: str, params: dict) -> bytes:  # "int8_io:" builders: the file int8_io_around_int16 writes
        if builder.startswith("int8_io:"):
            return int8_io_around_int16(get_model(builder[8:], **params)["tflite"])
        return plain(builder, params)

    monkeypatch.setattr(test_ops_more_board, "_tflite", tflite)
    monkeypatch.setitem(test_ops_more_board.MODELS, name, BOARD_MODELS[name])
    test_ops_more_board.test_new_ops_bit_exact_on_mps2_an386(name, tmp_path)


@pytest.mark.qemu
@pytest.mark.slow
def test_digits_demo_export_int16x8_cli_then_flash_cli(tmp_path, capsys):
    """Acceptance: `tfedge export --int16x8` then `tfedge flash`, both through the CLI (test_compiler_int16's
    digits test calls export_int8 itself), on the digits demo CNN (`tfedge demo`'s architecture, untrained,
    seeded): the written file has int16 I/O and runs on mps2-an386 bit-exact with TFLM on 50 inputs."""
    from tfedge import cli
    from tfedge._tf import keras
    from tfedge.optimize.models import demo_cnn

    keras.utils.set_random_seed(1234)
    demo_cnn().save(tmp_path / "digits.h5")
    rng = np.random.default_rng(7)
    np.save(tmp_path / "data.npy", rng.uniform(0.0, 16.0, (64, 8, 8, 1)).astype(np.float32))  # digits' 0..16 range
    model = tmp_path / "digits_int16x8.tflite"
    assert cli.main(["export", str(tmp_path / "digits.h5"), "--data", str(tmp_path / "data.npy"), "--int16x8",
                     "-o", str(model)]) == 0
    g = read_model(model.read_bytes())
    t = g.tensors[g.inputs[0]]
    assert (t.dtype, g.tensors[g.outputs[0]].dtype) == ("int16", "int16")
    x = np.clip(np.round(rng.uniform(0.0, 16.0, (50, *t.shape)) / t.q_scale), -32768, 32767).astype(np.int16)
    np.save(tmp_path / "x.npy", x)
    assert cli.main(["flash", str(model), "--board", "mps2-an386", "--inputs", str(tmp_path / "x.npy"), "-o",
                     str(tmp_path / "y.npy"), "--out-dir", str(tmp_path / "fw")]) == 0
    out = capsys.readouterr().out
    assert "bit-exact" in out
    y = np.load(tmp_path / "y.npy")
    assert y.dtype == np.int16
    np.testing.assert_array_equal(y.reshape(50, -1), tflm_run(model.read_bytes(), x).reshape(50, -1))
    print("\n".join(line for line in out.splitlines() if "bit-exact" in line or "instructions" in line))


def int8_io_around_int16(tflite: bytes, in_q=(2.0 / 255, 0), out_q=(1.0 / 128, 0)) -> bytes:
    """An int16x8 model with float I/O (QUANTIZE float32 -> int16 ... DEQUANTIZE int16 -> float32) rewritten
    to int8 I/O: the input tensor int8 and the final DEQUANTIZE a QUANTIZE to an int8 output, so that the file
    holds QUANTIZE int8 -> int16 and int16 -> int8 (no converter writes a 16x8 model with int8 I/O)."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite))
    sg = model.subgraphs[0]
    codes = [c.builtinCode for c in model.operatorCodes]
    for index, (scale, zero) in ((sg.inputs[0], in_q), (sg.outputs[0], out_q)):
        t = sg.tensors[index]
        assert t.type == schema.TensorType.FLOAT32
        t.type = schema.TensorType.INT8
        t.quantization = schema.QuantizationParametersT()
        t.quantization.scale, t.quantization.zeroPoint = [scale], [zero]
    last = sg.operators[-1]
    assert codes[last.opcodeIndex] == schema.BuiltinOperator.DEQUANTIZE
    last.opcodeIndex = codes.index(schema.BuiltinOperator.QUANTIZE)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def test_quantize_int8_to_int16_and_back_bit_exact_with_tflm():
    """QUANTIZE int8 -> int16 (requantize_s8_s16) and int16 -> int8 (requantize_s16_s8), which no generated
    model held: the int16x8 tanh model of test_compiler_int16 (float_io) with int8 I/O, on 150 inputs (every
    int8 value, then uniform) vs TFLM; distance to the float Keras model through the int8 input's rounding."""
    m = get_model("activation", fn="tanh", **DYN16)
    tflite = int8_io_around_int16(m["tflite"])
    g = read_model(tflite)
    pairs = [(g.tensors[op.inputs[0]].dtype, g.tensors[op.outputs[0]].dtype) for op in g.ops if op.kind == "QUANTIZE"]
    assert pairs == [("int8", "int16"), ("int16", "int8")]
    t = g.tensors[g.inputs[0]]
    q = np.clip(np.round(m["x_float"].reshape(-1, *t.shape) / t.q_scale) + t.q_zero, -128, 127).astype(np.int8)
    sweep = np.resize(np.arange(-128, 128, dtype=np.int8), (50, *t.shape))  # every int8 value
    x = np.concatenate([q, sweep])
    ours, ref = run_model(tflite, x), tflm_run(tflite, x)
    assert ours.dtype == ref.dtype == np.int8 and len(np.unique(ours)) > 50
    assert int((ours.reshape(ref.shape) != ref).sum()) == 0, "differs from TFLM"
    distance = test_compiler_int16._float_distance(tflite, ours[:len(q)], m["y_float"])
    print(f"QUANTIZE int8 -> int16 -> int8: bit-exact with TFLM on {len(x)} inputs; distance to float Keras {distance:.4f}")
    assert distance < 0.05

