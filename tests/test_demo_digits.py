"""Acceptance on digits: the demo's optimize half (prune 50% -> cluster 16 -> PCQAT -> int8).

(`tfedge demo` goes on to the board; that part is tested with the board code.)

The demo runs once per test session, even under pytest-xdist: the first worker runs it under a
file lock in the session's shared temp folder and the others read its output. The checks are one
test so that only one worker ever needs the demo (another would wait idle on the lock).
"""

import fcntl
import json
from pathlib import Path

import numpy as np
import pytest

from tfedge.demo import optimize_demo
from tfedge.export.litert import tflite_kernels, tflite_summary


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory) -> Path:
    shared = tmp_path_factory.getbasetemp().parent  # common to all xdist workers of this run
    out = shared / "tfedge-demo-out"
    with open(shared / "tfedge-demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "report.json").is_file():
            optimize_demo(out)
    return out


@pytest.fixture(scope="session")
def report(demo_out) -> dict:
    return json.loads((demo_out / "report.json").read_text())


def _stage(report: dict, name: str) -> dict:
    return next(stage for stage in report["stages"] if stage["name"] == name)


def test_demo_meets_the_acceptance_figures(report, demo_out):
    check_report_lists_every_stage(report, demo_out)
    check_float_accuracy_and_int8_within_two_points(report, demo_out)
    check_pruned_and_clustered_kernels(report, demo_out)
    check_int8_model_is_fully_integer(demo_out)


def check_report_lists_every_stage(report, demo_out):
    assert [s["name"] for s in report["stages"]] == ["float", "prune", "cluster", "pcqat", "int8"]
    for stage in report["stages"]:
        assert {"name", "accuracy", "sparsity", "max_unique_weights", "tflite_bytes", "gzip_bytes", "path"} <= set(stage)
        assert (demo_out / stage["path"]).exists(), stage["path"]
        assert 0 < stage["gzip_bytes"] < stage["tflite_bytes"]
    assert _stage(report, "int8")["path"] == "model_int8.tflite"
    assert "| pcqat" in (demo_out / "report.md").read_text()
    assert not [p for p in demo_out.parent.iterdir() if p.name.startswith(".tfedge-demo-out.")]  # no temp folder left


def check_float_accuracy_and_int8_within_two_points(report, demo_out):
    float_acc = _stage(report, "float")["accuracy"]
    assert float_acc >= 0.95
    # Re-measure the int8 model independently of the report.
    from tfedge.export import evaluate_tflite
    from tfedge.optimize.data import digits

    data = digits()
    int8_acc = evaluate_tflite((demo_out / "model_int8.tflite").read_bytes(), data.x_test, data.y_test)
    assert int8_acc == pytest.approx(_stage(report, "int8")["accuracy"])
    assert int8_acc >= float_acc - 0.02


def check_pruned_and_clustered_kernels(report, demo_out):
    from tfedge.optimize.metrics import kernels
    from tfedge.optimize.pipeline import load_keras_model

    for name in ("cluster", "pcqat"):
        model = load_keras_model(demo_out / _stage(report, name)["path"])
        found = kernels(model)
        assert len(found) == 5, found.keys()  # conv1..3, fc1, fc2
        for layer, values in found.items():
            assert np.mean(values == 0) >= 0.49, (name, layer)
            assert np.unique(values).size <= 16, (name, layer)
    assert _stage(report, "prune")["sparsity"] >= 0.49
    assert _stage(report, "float")["sparsity"] < 0.01
    assert _stage(report, "cluster")["max_unique_weights"] <= 16
    # Pruning and clustering show in the compressed size.
    gz = [s["gzip_bytes"] for s in report["stages"]]
    assert gz[1] < 0.85 * gz[0] and gz[2] < gz[1]


def check_int8_model_is_fully_integer(demo_out):
    tflite = (demo_out / "model_int8.tflite").read_bytes()
    info = tflite_summary(tflite)
    assert info["inputs"] == ["int8"] and info["outputs"] == ["int8"]
    assert info["float_ops"] == []
    assert set(info["constant_dtypes"]) <= {"int8", "int32"}
    kernels = tflite_kernels(tflite)
    assert len(kernels) == 5
    for values, axis in kernels.values():
        assert values.dtype == np.int8
        assert np.mean(values == 0) >= 0.49
        for channel in np.moveaxis(values, axis, 0):
            assert np.unique(channel).size <= 16
