"""UNIDIRECTIONAL_SEQUENCE_LSTM (int8, TFLM's integer LSTM: int16 gates and cell state): Keras LSTM models
trained briefly are bit-exact with TFLite Micro on 60 sequences, on the host and on the M4 board. The
hidden and cell state persist across invokes, as TFLM's variable tensors do, so the comparison runs the
sequences in one order through one interpreter / one firmware boot."""

from __future__ import annotations

import numpy as np
import pytest

from modelgen import get_model
from tfedge.compiler import compile_model
from tfedge.compiler.host_run import run_model
from tfedge.compiler.reader import read_model
from tfedge.compiler.ops import REGISTRY
from tflm_ref import tflm_run

CASES = {
    "lstm_kws": dict(),  # one LSTM layer, 12 steps x 4 features, 8 units
    "lstm_stacked2": dict(layers=2, units=6),
    "lstm_wide": dict(steps=5, features=10, units=16, train=False),
}


def _inputs(m: dict, n_uniform: int = 50) -> np.ndarray:
    g = read_model(m["tflite"])
    t = g.tensors[g.inputs[0]]
    x = m["x_float"].reshape((-1, *t.shape))[:10]
    q = np.clip(np.round(x / t.q_scale) + t.q_zero, -128, 127).astype(np.int8)
    uniform = np.random.default_rng(5).integers(-128, 128, (n_uniform, *t.shape), dtype=np.int8)
    return np.concatenate([q, uniform])


@pytest.mark.parametrize("case", sorted(CASES))
def test_lstm_bit_exact_with_tflm(case, tmp_path):
    m = get_model("lstm_seq", **CASES[case])
    ops = [op.kind for op in read_model(m["tflite"]).ops]
    assert ops.count("UNIDIRECTIONAL_SEQUENCE_LSTM") == CASES[case].get("layers", 1)
    x = _inputs(m)
    ours, ref = run_model(m["tflite"], x), tflm_run(m["tflite"], x)
    assert int((ours != ref).sum()) == 0, f"{case}: {int((ours != ref).sum())} of {ref.size} outputs differ from TFLM"
    # the state carries over: the same sequence twice in a row gives different outputs (in both runtimes)
    twice = np.concatenate([x[:1], x[:1]])
    assert (run_model(m["tflite"], twice)[0] != run_model(m["tflite"], twice)[1]).any()
    report = compile_model(m["tflite"], tmp_path).report
    layer = next(l for l in report["layers"] if l["op"] == "UNIDIRECTIONAL_SEQUENCE_LSTM")
    assert layer["kernel"] == "lstm_s8" and layer["macs"] > 0
    print(f"{case}: bit-exact on {len(x)} sequences; arena {report['arena_bytes']} B, LSTM MACs {layer['macs']}")


def test_lstm_trained_model_is_close_to_keras():
    """Each sequence from the reset state (one run each, as Keras sees independent sequences): the int8
    classes agree with the float model's."""
    m = get_model("lstm_seq")
    g = read_model(m["tflite"])
    t = g.tensors[g.inputs[0]]
    n = 30
    q = np.clip(np.round(m["x_float"][:n] / t.q_scale) + t.q_zero, -128, 127).astype(np.int8)
    y = np.concatenate([run_model(m["tflite"], q[i:i + 1]) for i in range(n)]).reshape(n, -1)
    agree = float(np.mean(np.argmax(y, 1) == np.argmax(m["y_float"][:n], 1)))
    print(f"lstm_kws: int8 top-1 agrees with the float Keras model on {agree:.0%} of {n} sequences")
    assert agree >= 0.8


def test_lstm_state_lives_in_the_arena_for_the_whole_invoke(tmp_path):
    m = get_model("lstm_seq", layers=2, units=6)
    report = compile_model(m["tflite"], tmp_path).report
    g = read_model(m["tflite"])
    states = {t.name for t in g.tensors if t.variable}
    rows = [r for r in report["arena_plan"] if r["tensor"] in states]
    assert len(rows) == 4 and all(r["first_layer"] <= 0 and r["last_layer"] >= len(report["layers"]) - 1 for r in rows)
    model_c = (tmp_path / "model.c").read_text()
    assert model_c.count("memset(") >= 4  # tfedge_model_init resets every state tensor


def test_lstm_without_variable_state_is_refused():
    """The validation rule names what is wrong (here: a cell state that is not a variable tensor)."""
    g = read_model(get_model("lstm_seq", units=4, train=False)["tflite"])
    lstm = next(op for op in g.ops if op.kind == "UNIDIRECTIONAL_SEQUENCE_LSTM")
    g.tensors[lstm.inputs[19]].variable = False
    assert any("variable tensors" in p for p in REGISTRY["UNIDIRECTIONAL_SEQUENCE_LSTM"].validate(lstm, g))


@pytest.mark.slow
@pytest.mark.parametrize("case", ["lstm_kws", "lstm_stacked2"])
def test_lstm_bit_exact_on_mps2_an386(case, tmp_path):
    from tfedge.emulate.flash import flash_model

    m = get_model("lstm_seq", **CASES[case])
    model = tmp_path / f"{case}.tflite"
    model.write_bytes(m["tflite"])
    x = _inputs(m)
    r = flash_model(model, "mps2-an386", x, progress=False)
    assert r["mismatches"] == 0
    np.testing.assert_array_equal(r["outputs"].reshape(len(x), -1), tflm_run(m["tflite"], x).reshape(len(x), -1))
    print(f"{case} on mps2-an386: {r['instructions_per_inference']:,} instructions per sequence, "
          f"arena {r['arena_bytes']} B")
