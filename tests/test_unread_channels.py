"""passes.drop_unread_channels: output channels that no reader uses are not computed. A generated model whose
readers' weights are zero for some input channels: which channels go (and which must stay: a channel one reader
uses, an ADD's input, a MEAN's), the MACs saved in the compile report, bit-exact with TFLM on the host and on the
M4 and M55 boards."""

from __future__ import annotations

import json

import numpy as np
import pytest

from modelgen import get_model
from tfedge.compiler import generate_sources, load_graph
from tfedge.compiler.host_run import run_model
from tflm_ref import random_inputs, tflm_run


@pytest.fixture(scope="module")
def model() -> bytes:
    return get_model("unread_channels")["tflite"]


def _rows(model: bytes) -> dict[str, dict]:
    report = json.loads(generate_sources(model)["compile_report.json"])
    return {row["keras_layers"][0] if row["keras_layers"] else row["name"]: row for row in report["layers"]}


def test_channels_dropped_and_reported(model):
    g = load_graph(model)
    rows = _rows(model)
    dropped = {name: row["channels_dropped"] for name, row in rows.items() if "channels_dropped" in row}
    assert {k: (v["output_channels"], v["input_channels"]) for k, v in dropped.items()} == {
        "a": (2, 0), "b1": (0, 2), "b2": (0, 2), "d1": (1, 0), "d2": (0, 1)}  # a's channels 1, 4 (6: b2 reads it)
    pixels = 9 * 8
    assert [dropped[k]["macs_saved"] for k in ("a", "b1", "b2", "d1", "d2")] == [
        pixels * 27 * 2, pixels * 9 * 6 * 2, pixels * 6 * 2, 5, 4]  # d1: one unit of 5 inputs
    for name, row in rows.items():  # nominal MACs stay the model's own; what runs is the rest
        assert row["macs"] - row["effective_macs"] >= dropped.get(name, {}).get("macs_saved", 0)
    conv_a = next(op for op in g.ops if op.kind == "CONV_2D")
    assert g.tensors[conv_a.outputs[0]].shape == (1, 9, 8, 6)
    assert all(len(g.tensors[i].shape) and g.tensors[i].shape[0] == 6 for i in conv_a.inputs[1:])  # filters and bias


@pytest.mark.parametrize("arch", ["portable", "dsp"])
def test_host_bit_exact_with_tflm(model, arch):
    g = load_graph(model)
    x = random_inputs(g.tensors[g.inputs[0]].shape, np.int8, 64, seed=4)
    ours = run_model(model, x, arch=arch)
    assert np.array_equal(ours, tflm_run(model, x).reshape(ours.shape))


@pytest.mark.parametrize("board", ["mps2-an386", "mps3-an547"])
def test_board_bit_exact_with_tflm(model, board, tmp_path):
    from tfedge.emulate.flash import flash_model

    path = tmp_path / "unread_channels.tflite"
    path.write_bytes(model)
    g = load_graph(model)
    x = random_inputs(g.tensors[g.inputs[0]].shape, np.int8, 3, seed=9)
    m = flash_model(path, board, x, timing="fast", progress=False, compare=False, out_dir=tmp_path / "fw")
    want = tflm_run(model, x)
    assert np.array_equal(np.asarray(m["outputs"]).reshape(want.shape), want)
