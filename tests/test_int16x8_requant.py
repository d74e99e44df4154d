"""int16x8 for ops the TFLite converter refuses in 16x8 (export/int16x8_requant.py): `export_int8(int16x8=True)`
quantizes PRELU itself (int16 activations, symmetric from the calibrated range / 32767; int8 alpha, which TFLM's
int16 PRELU requires) and HARD_SWISH (which no referee runs in int16) as ADD(x, 3) with RELU6, MUL, MUL. Each hand-made file is run by both referees (TFLM, and LiteRT's reference kernels: both
accept it) and by tfedge: bit-exact on 150 inputs, and each referee's RMS distance to the float Keras model is
shown and bounded, so a wrong scale cannot pass because both sides agree on it."""

from __future__ import annotations

import numpy as np
import pytest

from modelgen import get_model
from tfedge.compiler.host_run import run_model
from tfedge.compiler.reader import read_model
from tfedge.errors import ModelError
from tflm_ref import litert_ref_run, tflm_run

I16 = {"int16x8": True}
CASES = {
    # alpha per element (5, 4, 4), then a PReLU shared over H and W (alpha (1, 1, 2): broadcast per channel)
    "prelu_per_element": ("prelu", {}),
    "prelu_shared_hw": ("prelu", dict(shared_axes=[1, 2], c=6)),  # per-channel alpha (1, 1, 6)
    "prelu_shared_h": ("prelu", dict(shared_axes=[1], hw=(3, 6))),  # alpha (1, 6, 4): broadcast along H
    # HARD_SWISH: no int16 kernel in TFLM or LiteRT; written as ADD(x, 3)+RELU6, MUL, MUL (int16 kernels both have)
    "hard_swish_after_conv": ("activation", dict(fn="hard_swish")),
    "hard_swish_wide": ("activation", dict(fn="hard_swish", input_range=4.0, c=5)),  # past -3 and +3
    "hard_swish_on_input": ("activation", dict(fn="hard_swish", pre_conv=False, input_range=5.0)),
}


def _distance(y: np.ndarray, t, y_float: np.ndarray) -> float:
    """Relative RMS distance of dequantized int16 outputs to the float Keras outputs."""
    y = (y.astype(np.float64) - t.q_zero) * t.q_scale
    y_float = y_float.astype(np.float64).reshape(y.shape)
    return float(np.sqrt(np.mean((y - y_float) ** 2)) / (np.sqrt(np.mean(y_float ** 2)) + 1e-12))


def _int8_distance(m: dict) -> float:
    g = read_model(m["tflite"])
    t_in, t_out = g.tensors[g.inputs[0]], g.tensors[g.outputs[0]]
    x = np.clip(np.round(m["x_float"].reshape((-1, *t_in.shape)) / t_in.q_scale) + t_in.q_zero, -128, 127).astype(np.int8)
    return _distance(tflm_run(m["tflite"], x), t_out, m["y_float"])


@pytest.mark.parametrize("case", sorted(CASES))
def test_requantized_ops_bit_exact_with_tflm_and_litert(case, record_property):
    builder, params = CASES[case]
    m = get_model(builder, **params, **I16)
    g = read_model(m["tflite"])
    types = {t.dtype for t in g.tensors}
    assert "float32" not in types and types <= {"int16", "int8", "int32", "int64"}, types
    kinds = [op.kind for op in g.ops]
    if builder == "prelu":
        prelus = [op for op in g.ops if op.kind == "PRELU"]
        assert prelus and all(g.tensors[op.inputs[0]].dtype == "int16" and g.tensors[op.inputs[1]].dtype == "int8"
                              for op in prelus)
    else:
        assert "HARD_SWISH" not in kinds and kinds[-3:] == ["ADD", "MUL", "MUL"], kinds
    t_in, t_out = g.tensors[g.inputs[0]], g.tensors[g.outputs[0]]
    assert t_in.dtype == t_out.dtype == "int16" and t_in.q_zero == t_out.q_zero == 0

    x_float = m["x_float"].reshape((-1, *t_in.shape))
    q = np.clip(np.round(x_float / t_in.q_scale), -32768, 32767).astype(np.int16)
    uniform = np.random.default_rng(3).integers(-32768, 32768, (50, *t_in.shape), dtype=np.int16)
    x = np.concatenate([q, uniform])
    ours, tflm, litert = run_model(m["tflite"], x), tflm_run(m["tflite"], x), litert_ref_run(m["tflite"], x)
    assert ours.dtype == tflm.dtype == np.int16
    np.testing.assert_array_equal(ours, tflm.reshape(ours.shape))
    # LiteRT, the second referee, runs the file too; it is not TFLM bit for bit on int16x8 (prelu_per_element:
    # 1 of 6,000 values 1 LSB apart), so it is held to 1 LSB on at most 0.1 % of the values
    off = np.abs(ours.astype(np.int32) - litert.reshape(ours.shape))
    assert off.max() <= 1 and np.count_nonzero(off) <= ours.size // 1000, (off.max(), np.count_nonzero(off))

    n = len(q)
    d_tflm = _distance(tflm[:n], t_out, m["y_float"])
    d_litert = _distance(litert[:n], t_out, m["y_float"])
    d_int8 = _int8_distance(get_model(builder, **params))  # the converter's own int8 file of the same model
    record_property("distance_to_float", {"tflm": d_tflm, "litert": d_litert, "int8": d_int8})
    print(f"{case}: {len(x)} inputs bit-exact with TFLM (LiteRT: {np.count_nonzero(off)} of {off.size} values 1 LSB "
          f"apart); relative RMS distance to float Keras: TFLM {d_tflm:.5f}, LiteRT {d_litert:.5f} (int8 file: {d_int8:.5f})")
    # The int8 weights and alpha dominate the error; int16 activations must do better than the int8 file (a wrong
    # activation or alpha scale gives distances of order 0.1-1)
    assert d_tflm < d_int8 and d_litert < d_int8 and d_tflm < 0.03


def test_alpha_scale_is_the_int8_converters():
    """The alpha of the re-quantized int16x8 PRELU is quantized as the converter quantizes it in int8 models:
    per tensor, zero point 0, scale max|alpha| / 127 (so the two files carry the same alpha integers)."""
    m16 = read_model(get_model("prelu", **I16)["tflite"])
    m8 = read_model(get_model("prelu")["tflite"])
    a16 = [m16.tensors[op.inputs[1]] for op in m16.ops if op.kind == "PRELU"]
    a8 = [m8.tensors[op.inputs[1]] for op in m8.ops if op.kind == "PRELU"]
    assert len(a16) == len(a8) == 2
    for x, y in zip(a16, a8):
        assert x.q_zero == 0 and len(x.scale) == 1
        np.testing.assert_allclose(x.q_scale, y.q_scale, rtol=1e-6)
        np.testing.assert_array_equal(x.data, y.data)


def test_int16_prelu_needs_an_int8_alpha():
    """TFLM's PreluPrepare refuses an int16 PRELU whose alpha is not int8; the compiler says so."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    from tfedge.compiler import load_graph
    from tfedge.errors import UnsupportedModelError

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(get_model("prelu", **I16)["tflite"]))
    sg = model.subgraphs[0]
    prelu = next(op for op in sg.operators if model.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.PRELU)
    alpha = sg.tensors[prelu.inputs[1]]
    buf = model.buffers[alpha.buffer]
    buf.data = np.frombuffer(np.frombuffer(bytes(bytearray(buf.data)), np.int8).astype(np.int16).tobytes(), np.uint8)
    alpha.type = schema.TensorType.INT16
    with pytest.raises(UnsupportedModelError, match="needs an int8 alpha"):
        load_graph(bytes(flatbuffer_utils.convert_object_to_bytearray(model)))


def test_ops_without_a_rule_are_named():
    """An op the converter refuses in 16x8 and tfedge has no rule for: one clear error naming it and the fix."""
    with pytest.raises(ModelError, match=r"refuses SQUARE in 16x8.*left SQUARE float.*no int16x8 rule.*export int8 instead"):
        get_model("unary_math", fn="square", **I16)


def test_cli_names_the_requantized_ops(tmp_path, capsys):
    """`tfedge export --int16x8` on a PReLU model: the converter refuses it, tfedge quantizes the PRELUs and
    says so; the file it writes compiles."""
    from modelgen import BUILDERS
    from tfedge import cli
    from tfedge._tf import keras

    keras.utils.set_random_seed(1)
    model = BUILDERS["prelu"](keras, hw=(3, 3), c=2)
    model.save(tmp_path / "prelu.keras")
    np.save(tmp_path / "x.npy", np.random.default_rng(0).uniform(-1, 1, (20, 3, 3, 2)).astype(np.float32))
    out = tmp_path / "prelu16.tflite"
    assert cli.main(["export", str(tmp_path / "prelu.keras"), "--data", str(tmp_path / "x.npy"), "--int16x8",
                     "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "refuses PRELU in 16x8; tfedge quantized PRELU#" in err and "warning" not in err
    g = read_model(out.read_bytes())
    assert [op.kind for op in g.ops].count("PRELU") == 2 and g.tensors[g.inputs[0]].dtype == "int16"


def test_rule_helpers_quantize_constants():
    """The helpers an op rule writes with (the hook for further ops, e.g. an int16x8 LSTM): int8 symmetric per
    tensor and per channel, biases at a given scale, each into a buffer of its own (the converter shares one
    buffer between equal constants, and the other tensor may still be float)."""
    from tensorflow.lite.python import schema_py_generated as schema

    from tfedge.export.int16x8_requant import OpContext, int16_scale

    w = np.array([[0.5, -1.0, 0.25], [0.02, 0.01, -0.04]], np.float32)
    model, sg = schema.ModelT(), schema.SubGraphT()
    model.buffers, model.subgraphs, sg.tensors = [schema.BufferT(), schema.BufferT()], [sg], []
    model.buffers[1].data = np.frombuffer(w.tobytes(), np.uint8)
    for name in ("w", "w_twin", "b"):  # w and w_twin share buffer 1
        t = schema.TensorT()
        t.name, t.shape, t.buffer, t.type = name, [2, 3], 1, schema.TensorType.FLOAT32
        sg.tensors.append(t)
    ctx = OpContext(model, schema.OperatorT(), "TEST", 0, {})
    ctx.int8_symmetric(0, axis=0)
    q = np.frombuffer(bytes(bytearray(model.buffers[sg.tensors[0].buffer].data)), np.int8).reshape(2, 3)
    np.testing.assert_array_equal(q, [[64, -127, 32], [64, 32, -127]])
    np.testing.assert_allclose(sg.tensors[0].quantization.scale, [1.0 / 127, 0.04 / 127], rtol=1e-6)
    assert sg.tensors[0].quantization.quantizedDimension == 0 and sg.tensors[1].buffer == 1
    np.testing.assert_array_equal(ctx.constant(1), w)  # the twin still reads its float values
    ctx.int8_symmetric(1)  # per tensor
    assert sg.tensors[1].quantization.scale == [pytest.approx(1.0 / 127)]
    ctx.bias(2, np.array([[1e-3, 1e-3, 1e-3], [1e-2, 1e-2, 1e-2]]))
    b = np.frombuffer(bytes(bytearray(model.buffers[sg.tensors[2].buffer].data)), np.int64).reshape(2, 3)
    np.testing.assert_array_equal(b, [[500, -1000, 250], [2, 1, -4]])
    assert sg.tensors[2].type == schema.TensorType.INT64
    assert int16_scale(-3.0, 1.5) == pytest.approx(3.0 / 32767) and int16_scale(0.0, 0.0) > 0
