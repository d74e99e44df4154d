"""`tfedge compare a.tflite b.tflite --board B [--data test.npz] [--json]`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from deployed import BOARD, deployed_dir
from tfedge import cli
from tfedge.errors import DataError

pytestmark = pytest.mark.qemu


@pytest.fixture(scope="session")
def deployed(tmp_path_factory):
    return deployed_dir(tmp_path_factory)


@pytest.fixture
def test_npz(tmp_path):
    from tfedge.optimize.data import digits

    data = digits()
    path = tmp_path / "test.npz"
    np.savez(path, x_test=data.x_test[:32], y_test=data.y_test[:32])
    return path, data.x_test[:32], data.y_test[:32]


def test_compare_two_stages_side_by_side(deployed, test_npz, capsys, tmp_path):
    from tfedge.compiler.host_run import run_model
    from tfedge.emulate.figures import compile_report, quantize_inputs

    report = json.loads((deployed / "report.json").read_text())
    a, b = deployed / report["stages"][0]["tflite_path"], deployed / "model_int8.tflite"
    npz, x, y = test_npz
    out_json = tmp_path / "cmp.json"
    assert cli.main(["compare", str(a), str(b), "--board", BOARD, "--data", str(npz), "--json", str(out_json)]) == 0
    text = capsys.readouterr().out
    assert f"00_float.tflite vs model_int8.tflite on {BOARD}" in text
    for label in ("accuracy (on the board)", "flash bytes", "RAM bytes", "instructions / inference", "est. ms / inference"):
        assert label in text
    result = json.loads(out_json.read_text())
    assert result["board"] == BOARD and len(result["models"]) == 2
    for model, path, stage in zip(result["models"], (a, b), (report["stages"][0], report["stages"][-1])):
        assert model["inputs"] == 32
        # the on-device top-1 equals the host int8 runner's on the same samples
        host = run_model(path, quantize_inputs(x, compile_report(path)["inputs"][0]))
        assert model["accuracy"] == pytest.approx(np.mean(host.reshape(32, -1).argmax(1) == y))
        assert model["flash_bytes"] == stage["board"]["flash_bytes"]  # same firmware as the deploy measured
        assert f"{model['flash_bytes']:,}" in text and f"{model['accuracy']:.2%}" in text

    # per Keras layer: same names in both models, instructions side by side
    assert "instructions per Keras layer" in text and "conv1 (CONV_2D)" in text and "fc2 (FULLY_CONNECTED)" in text

    assert cli.main(["compare", str(a), str(b), "--board", BOARD, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert "accuracy" not in printed["models"][0]
    assert printed["models"][1]["instructions_per_inference"] > 0


def test_compare_bad_data_is_a_clear_error(deployed, tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, images=np.zeros((2, 8, 8, 1)))
    with pytest.raises(DataError, match="x_test and y_test"):
        from tfedge.compare import load_test_data

        load_test_data(bad)
    assert cli.main(["compare", str(deployed / "model_int8.tflite"), str(tmp_path / "nope.tflite"), "--board", BOARD]) == 1
