"""DNAS mode of tfedge search on digits: the per-board cost table, the mask model's widths, and the found
model measured on the board within 10 % of the instructions the table predicted for it."""

from __future__ import annotations

import json
import shutil
import tempfile

import pytest

from tfedge.search.space import SearchError, SearchSpace


def test_dnas_needs_the_digits_cnn_family():
    with pytest.raises(SearchError, match="mode dnas searches digits_cnn widths only"):
        SearchSpace.from_dict({"family": "ds_cnn", "mode": "dnas"})
    with pytest.raises(SearchError, match="unknown mode 'darts'"):
        SearchSpace.from_dict({"mode": "darts"})


def test_the_cost_prediction_is_the_same_on_numbers_and_tensors():
    from tfedge._tf import tf
    from tfedge.search.cost_table import predict

    table = {"overhead": 10.0, "layers": [{"layer": "conv1", "op": "CONV_2D", "coefficients": [100.0, 20.0, 3.0]},
                                          {"layer": "conv2", "op": "CONV_2D", "coefficients": [50.0, 7.0, 2.0]},
                                          {"layer": "fc", "op": "FULLY_CONNECTED", "coefficients": [5.0, 0.0, 1.0]}]}
    # conv1: 1 -> 8, conv2: 8 -> 16, fc: 16 -> 10
    expected = 10 + (100 + 20 * 8 + 3 * 8) + (50 + 7 * 16 + 2 * 8 * 16) + (5 + 16 * 10)
    assert predict(table, [8, 16], 1, 10) == expected
    widths = [tf.Variable(8.0), tf.Variable(16.0)]
    with tf.GradientTape() as tape:
        total = predict(table, widths, 1, 10)
    assert float(total) == expected
    assert [float(g) for g in tape.gradient(total, widths)] == [20 + 3 * 1 + 2 * 16, 7 + 2 * 8 + 1 * 10]


@pytest.mark.slow
@pytest.mark.qemu
def test_dnas_on_digits_finds_widths_measured_within_10_percent_of_the_prediction(tmp_path):
    from tfedge.search.cli import search

    space = SearchSpace.from_dict({"boards": ["stm32f405"], "model": {"width": [4, 8, 16], "depth": [2]}, "epochs": 3,
                                   "short_epochs": 1, "samples": 64, "budget": {"ms": 0.8}, "mode": "dnas"})
    report = search(space, tmp_path, deploy=False)
    [record] = [t for t in report["trials"] if t["params"].get("mode") == "dnas"]
    m = record["metrics"]
    assert record["status"] == "done" and m["fits"]
    widest = [16, 32]
    assert all(1 <= w <= top for w, top in zip(m["widths"], widest)) and m["widths"] != widest  # the cost term pruned
    assert m["predicted_instructions"] > 0 and m["instructions"] > 0
    assert abs(m["instructions"] / m["predicted_instructions"] - 1) <= 0.10, m
    assert m["prediction_error"] == pytest.approx(m["instructions"] / m["predicted_instructions"] - 1)
    assert 0 <= m["accuracy"] <= 1 and m["board_samples"] == 64
    assert record["number"] in report["front"] or record["over_budget"]  # the only model: on the front unless over budget
    saved = json.loads((tmp_path / "search.json").read_text())
    assert [t["params"]["model.widths"] for t in saved["trials"] if t["params"].get("mode") == "dnas"] == [m["widths"]]
    assert (tmp_path / "pareto.png").stat().st_size > 10_000 and "DNAS widths" in (tmp_path / "search.html").read_text()

    again = search(space, tmp_path, deploy=False)  # resumed: the DNAS record is read back, nothing retrained
    assert again["trials"] == report["trials"]


@pytest.mark.slow
@pytest.mark.qemu
def test_mode_both_runs_the_sampled_trials_and_dnas_into_one_report(tmp_path):
    """mode: both: the sampled search on Ray (one real trial, 1 epoch), then DNAS in the driver, one store,
    one front and plot; a rerun runs neither again. The space's widest widths (16-32) and board are the DNAS
    test's, so both share its cached cost table."""
    from tfedge.search.cli import search

    space = SearchSpace.from_dict({"boards": ["stm32f405"], "model": {"width": [4, 16], "depth": [2]},
                                   "recipe": {"sparsity": [0.0], "clusters": [0]}, "trials": 1, "epochs": 1,
                                   "short_epochs": 1, "samples": 16, "budget": {"ms": 0.8}, "mode": "both"})
    ray_tmp = tempfile.mkdtemp(prefix="tfs", dir="/tmp")  # Ray's socket paths must stay short
    try:
        report = search(space, tmp_path, deploy=False, cpus=1, ray_temp_dir=ray_tmp)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    sampled = [t for t in report["trials"] if t["params"].get("mode") != "dnas"]
    dnas = [t for t in report["trials"] if t["params"].get("mode") == "dnas"]
    assert len(sampled) == 1 and sampled[0]["status"] == "done" and sampled[0]["params"]["model.width"] in (4, 16)
    assert len(dnas) == 1 and dnas[0]["status"] == "done" and dnas[0]["metrics"]["fits"]
    for record in sampled + dnas:  # both measured on the board
        assert record["metrics"]["instructions"] > 0 and record["metrics"]["board_samples"] == 16
    within = [t["number"] for t in report["trials"] if not t["over_budget"]]
    assert set(report["front"]) <= set(within) and (report["front"] or not within)
    html = (tmp_path / "search.html").read_text()
    assert "DNAS widths" in html and (tmp_path / "pareto.png").stat().st_size > 10_000
    lines = (tmp_path / "trials.jsonl").read_text()
    again = search(space, tmp_path, deploy=False, cpus=1)  # resumed: neither Ray nor DNAS runs again
    assert again["trials"] == report["trials"] and (tmp_path / "trials.jsonl").read_text() == lines
