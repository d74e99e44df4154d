"""Streaming models: state in a tf.Variable exported as VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE with a
CALL_ONCE init subgraph. The state lives in the arena across invokes, initialised by tfedge_model_init;
outputs are bit-exact with TFLite Micro (which keeps its resource variables across invokes too) on 60
consecutive inputs, on the host and on the M4 board."""

from __future__ import annotations

import numpy as np
import pytest

from modelgen import get_model
from tfedge.compiler import compile_model
from tfedge.compiler.host_run import run_model
from tfedge.compiler.reader import read_model
from tflm_ref import tflm_run

STREAM = dict(converter="resource_variables")


def _inputs(m: dict) -> np.ndarray:
    g = read_model(m["tflite"])
    t = g.tensors[g.inputs[0]]
    q = np.clip(np.round(m["x_float"][:10].reshape(-1, *t.shape) / t.q_scale) + t.q_zero, -128, 127).astype(np.int8)
    return np.concatenate([q, np.random.default_rng(9).integers(-128, 128, (50, *t.shape), dtype=np.int8)])


def test_streaming_model_bit_exact_with_tflm(tmp_path):
    m = get_model("streaming_ema", **STREAM)
    kinds = [op.kind for op in read_model(m["tflite"]).ops]
    assert {"CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"} <= set(kinds)
    x = _inputs(m)
    ours, ref = run_model(m["tflite"], x), tflm_run(m["tflite"], x)
    assert int((ours != ref).sum()) == 0, f"{int((ours != ref).sum())} of {ref.size} outputs differ from TFLM"
    same = np.concatenate([x[:1]] * 3)  # the state makes one input give different outputs in a row
    y = run_model(m["tflite"], same)
    assert (y[0] != y[1]).any() and np.array_equal(y, tflm_run(m["tflite"], same))
    report = compile_model(m["tflite"], tmp_path).report
    order = [r["op"] for r in report["layers"]]
    assert order.index("READ_VARIABLE") < order.index("ASSIGN_VARIABLE") and "CALL_ONCE" not in order
    state = [r for r in report["arena_plan"] if r["tensor"].endswith("state")]
    assert len(state) == 1 and state[0]["first_layer"] == -1 and state[0]["last_layer"] == len(report["layers"])
    assert "memcpy(" in (tmp_path / "model.c").read_text().split("tfedge_model_init")[1].split("}")[0]


@pytest.mark.slow
def test_streaming_model_bit_exact_on_mps2_an386(tmp_path):
    from tfedge.emulate.flash import flash_model

    m = get_model("streaming_ema", **STREAM)
    model = tmp_path / "streaming.tflite"
    model.write_bytes(m["tflite"])
    x = _inputs(m)
    r = flash_model(model, "mps2-an386", x, progress=False)
    assert r["mismatches"] == 0
    np.testing.assert_array_equal(r["outputs"].reshape(len(x), -1), tflm_run(m["tflite"], x).reshape(len(x), -1))
