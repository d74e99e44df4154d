"""int16x8 UNIDIRECTIONAL_SEQUENCE_LSTM (TFLM's EvalLstm<int16, int8, int16, int64>). The TFLite converter
refuses LSTM in 16x8, so the models are written by tfedge.export.lstm16x8 from Keras models; TFLM accepting
and running them (close to the float Keras model) shows the quantization is one TFLM's kernel takes. tfedge's
lstm_s16 is bit-exact with TFLM on 60 sequences on the host and on mps2-an386. Models: a keyword/sequence
classifier trained in Keras and a stacked two-layer LSTM (trained), joined into one model with two outputs
(one firmware build), and a bare untrained LSTM whose hidden sequence is the model output (no softmax in
front of the comparison)."""

from __future__ import annotations

import numpy as np
import pytest

from modelgen import get_model
from tfedge.compiler import compile_model
from tfedge.compiler.host_run import run_model
from tfedge.compiler.reader import read_model
from tflm_ref import tflm_run

LSTM16 = {"converter": "lstm16x8"}
PAIR = dict(parts=[["lstm_seq", {}], ["lstm_seq", {"layers": 2, "units": 6}]], **LSTM16)  # kws + stacked2
RAW = dict(steps=6, features=5, units=7, head=False, train=False, **LSTM16)
CASES = {"kws_and_stacked2": ("joined", PAIR, 3), "bare_lstm": ("lstm_seq", RAW, 1)}  # (builder, params, LSTMs)
N_UNIFORM = 50


def _model(case: str) -> dict:
    builder, params, _ = CASES[case]
    return get_model(builder, **params)


def _outputs(y) -> list[np.ndarray]:
    return y if isinstance(y, list) else [y]


def _inputs(m: dict, n_float: int = 10) -> np.ndarray:
    """Calibration-like sequences (the float inputs quantized) and uniform int16 ones."""
    g = read_model(m["tflite"])
    t = g.tensors[g.inputs[0]]
    x = _outputs(m["x_float"])[0][:n_float].reshape((-1, *t.shape))  # one input (a list: several outputs)
    q = np.clip(np.round(x / t.q_scale), -32768, 32767).astype(np.int16)
    uniform = np.random.default_rng(5).integers(-32768, 32768, (N_UNIFORM, *t.shape), dtype=np.int16)
    return np.concatenate([q, uniform])


@pytest.mark.parametrize("case", sorted(CASES))
def test_lstm16_bit_exact_with_tflm(case, tmp_path):
    """The sequences in one order through one interpreter / one runner: the state carries over in both."""
    m = _model(case)
    g = read_model(m["tflite"])
    lstms = [op for op in g.ops if op.kind == "UNIDIRECTIONAL_SEQUENCE_LSTM"]
    assert len(lstms) == CASES[case][2] and all(g.tensors[op.inputs[0]].dtype == "int16" for op in lstms)
    x = _inputs(m)
    ours = _outputs(run_model(m["tflite"], x))
    for i, y in enumerate(ours):
        ref = tflm_run(m["tflite"], x, i).reshape(y.shape)
        assert y.dtype == np.int16
        assert int((y != ref).sum()) == 0, f"{case} output {i}: {int((y != ref).sum())} of {ref.size} differ from TFLM"
    report = compile_model(m["tflite"], tmp_path).report
    layers = [l for l in report["layers"] if l["op"] == "UNIDIRECTIONAL_SEQUENCE_LSTM"]
    assert len(layers) == len(lstms) and all(l["kernel"] == "lstm_s16" for l in layers)
    print(f"{case}: {len(ours)} output(s) bit-exact with TFLM on {len(x)} sequences; arena {report['arena_bytes']} B")


def test_lstm16_quantization_follows_the_16x8_rules():
    """Every LSTM tensor as TFLite's 16x8 spec has it (and TFLM's kernel needs it)."""
    g = read_model(_model("kws_and_stacked2")["tflite"])
    for op in g.ops:
        t = [g.tensors[k] if k >= 0 else None for k in op.inputs]
        y = g.tensors[op.outputs[0]]
        if op.kind == "UNIDIRECTIONAL_SEQUENCE_LSTM":
            x, h, c = t[0], t[18], t[19]
            assert x.dtype == h.dtype == y.dtype == "int16" and x.q_zero == h.q_zero == y.q_zero == 0
            assert h.variable and c.variable and h.q_scale == y.q_scale  # the hidden state is copied to the output
            assert c.dtype == "int16" and c.q_zero == 0 and np.log2(c.q_scale) == round(np.log2(c.q_scale))
            for gate in range(4):
                w, r, b = t[1 + gate], t[5 + gate], t[12 + gate]
                assert w.dtype == r.dtype == "int8" and len(w.scale) == len(r.scale) == 1
                assert np.all(w.zero_point == 0) and np.abs(w.data).max() == 127  # symmetric, narrow range
                assert b.dtype == "int64" and np.isclose(b.q_scale, x.q_scale * w.q_scale, rtol=1e-6)
        elif op.kind == "FULLY_CONNECTED":
            assert t[0].dtype == y.dtype == "int16" and t[2].dtype == "int64"
            np.testing.assert_allclose(t[2].scale, t[0].q_scale * t[1].scale, rtol=1e-6)
        elif op.kind == "SOFTMAX":
            assert y.dtype == "int16" and y.q_scale == np.float32(1 / 32768) and y.q_zero == 0


def _keras_output(name: str, k: int) -> int:
    """The Keras output a .tflite output is: the converter names them 'StatefulPartitionedCall:N', in its own order."""
    tail = name.rsplit(":", 1)[-1]
    return int(tail) if ":" in name and tail.isdigit() else k


@pytest.mark.parametrize("case", sorted(CASES))
def test_lstm16_close_to_keras(case):
    """Each sequence from the reset state (as Keras sees independent sequences): TFLM's and tfedge's outputs
    (dequantized) against the float Keras model."""
    m = _model(case)
    g = read_model(m["tflite"])
    n = 20
    x = _inputs(m, n)[:n]
    ours = [_outputs(run_model(m["tflite"], x[i:i + 1])) for i in range(n)]
    for k, out in enumerate(g.outputs):
        y_float = _outputs(m["y_float"])[_keras_output(g.tensors[out].name, k)]
        scale = g.tensors[out].q_scale
        mine = np.stack([o[k] for o in ours]).reshape(n, -1) * scale
        tflm = np.stack([tflm_run(m["tflite"], x[i:i + 1], k) for i in range(n)]).reshape(n, -1) * scale
        ref = y_float[:n].reshape(n, -1)
        rms_tfedge, rms_tflm = (float(np.sqrt(np.mean((v - ref) ** 2))) for v in (mine, tflm))
        print(f"{case} output {k}: RMS distance to Keras: tfedge {rms_tfedge:.2e}, TFLM {rms_tflm:.2e} "
              f"(float outputs' RMS {float(np.sqrt(np.mean(ref ** 2))):.2e})")
        assert rms_tfedge < 0.01 and rms_tflm < 0.01
        if case == "kws_and_stacked2":
            assert np.mean(mine.argmax(1) == ref.argmax(1)) >= 0.9


@pytest.mark.qemu
def test_lstm16_bit_exact_on_mps2_an386(tmp_path):
    from tfedge.emulate.flash import flash_model

    m = _model("kws_and_stacked2")
    model = tmp_path / "lstm16.tflite"
    model.write_bytes(m["tflite"])
    x = _inputs(m)
    r = flash_model(model, "mps2-an386", x, progress=False, out_dir=tmp_path / "build")
    assert r["mismatches"] == 0 and r["mismatched_values"] == 0
    for i, device in enumerate(_outputs(r["outputs"])):
        np.testing.assert_array_equal(np.asarray(device).reshape(len(x), -1),
                                      tflm_run(m["tflite"], x, i).reshape(len(x), -1))
    print(f"int16x8 kws + stacked2 LSTMs on mps2-an386: {len(x)} sequences bit-exact with TFLM; "
          f"{r['instructions_per_inference']:,} instructions per sequence, arena {r['arena_bytes']} B, "
          f"flash {r['flash_bytes']:,} B")


def test_lstm16_wrong_bias_type_is_refused():
    """The int16 rule names what is wrong: an int16x8 LSTM whose gate biases are int32 (the int8 kernel's)."""
    from tfedge.compiler.ops import REGISTRY

    g = read_model(_model("bare_lstm")["tflite"])
    lstm = next(op for op in g.ops if op.kind == "UNIDIRECTIONAL_SEQUENCE_LSTM")
    assert REGISTRY["UNIDIRECTIONAL_SEQUENCE_LSTM"].validate(lstm, g) == []
    g.tensors[lstm.inputs[13]].dtype = "int32"
    assert any("bias 13" in p and "expected int64" in p for p in REGISTRY["UNIDIRECTIONAL_SEQUENCE_LSTM"].validate(lstm, g))


def test_export_int16x8_routes_lstm_models(tmp_path, capsys):
    """`tfedge export --int16x8` on a Keras LSTM model: the converter refuses the LSTM in 16x8, export_int8 hands
    the model to export_lstm_int16x8 and says so; the file compiles and is bit-exact with TFLM."""
    from modelgen import BUILDERS
    from tfedge import cli
    from tfedge._tf import keras

    keras.utils.set_random_seed(1)
    model = BUILDERS["lstm_seq"](keras, steps=4, features=3, units=5, head=False, train=False)
    model.save(tmp_path / "lstm.keras")
    np.save(tmp_path / "x.npy", np.random.default_rng(0).uniform(-1, 1, (40, 4, 3)).astype(np.float32))
    out = tmp_path / "lstm16.tflite"
    assert cli.main(["export", str(tmp_path / "lstm.keras"), "--data", str(tmp_path / "x.npy"), "--int16x8",
                     "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "refuses UNIDIRECTIONAL_SEQUENCE_LSTM in 16x8; tfedge wrote the int16x8 LSTM file" in err, err
    assert "warning" not in err
    tflite = out.read_bytes()
    g = read_model(tflite)
    lstm = next(op for op in g.ops if op.kind == "UNIDIRECTIONAL_SEQUENCE_LSTM")
    assert g.tensors[lstm.inputs[0]].dtype == g.tensors[lstm.inputs[18]].dtype == "int16"
    assert g.tensors[lstm.inputs[12]].dtype == "int64"
    x = np.random.default_rng(2).integers(-32768, 32768, (30, *g.tensors[g.inputs[0]].shape), dtype=np.int16)
    ours = run_model(tflite, x)
    np.testing.assert_array_equal(ours, tflm_run(tflite, x).reshape(ours.shape))
    assert compile_model(tflite, tmp_path / "c").report["layers"][0]["kernel"] == "lstm_s16"


def test_cell_state_scale_is_the_16x8_power_of_two():
    from tfedge.errors import ModelError
    from tfedge.export.int16x8_requant import int16_scale
    from tfedge.export.lstm16x8 import cell_scale

    assert cell_scale(0.3) == cell_scale(1.0) == 2.0 ** -15 and cell_scale(1.5) == 2.0 ** -14
    assert cell_scale(300.0) == 2.0 ** -6
    with pytest.raises(ModelError, match="cell state reaches"):
        cell_scale(600.0)
    assert np.float32(int16_scale(-0.5, 2.0)) == np.float32(2.0 / 32767)  # the activation scale, shared
