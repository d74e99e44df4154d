"""tfedge search: the space's checks, a Ray Tune search of a fast stand-in trial (resume, a failing
trial, budgets, the report in Chromium), and one real trial measured on the emulated board."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tfedge.search.report import summary_lines, write_search_report
from tfedge.search.run import run_search
from tfedge.search.space import SearchError, SearchSpace
from tfedge.search.store import ResultStore

TESTS = Path(__file__).resolve().parent
SPACE = {"boards": ["stm32f405", "stm32h743"], "model": {"width": [8, 13], "depth": [1, 2]},
         "recipe": {"sparsity": [0.0, 0.5], "clusters": [0]}, "trials": 6, "budget": {"ms": 3.0}}


def fake_trial(space, params, trial_dir, checkpoint):
    """Stands in for tfedge.search.trial.run_trial in the Ray workers: figures from the parameters, no
    training (the Ray machinery is what is under test); width 13 fails like a broken trial would."""
    width, depth = params["model.width"], params["model.depth"]
    if width == 13:
        raise ValueError("width 13 cannot be built")
    checkpoint(1, {"float_accuracy": 0.5 + 0.1 * depth})
    slow = 2.0 if params["board"] == "stm32f405" else 1.0
    return {"fits": True, "accuracy": 0.7 + 0.1 * depth - 0.2 * params["recipe.sparsity"], "ms": slow * depth * (1 - params["recipe.sparsity"] / 2),
            "instructions": 10_000 * depth, "flash_bytes": 20_000 * depth, "ram_bytes": 2_000 * depth, "seconds": 0.0}


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    out = tmp_path_factory.mktemp("search")
    # Ray's socket paths must stay short (107 bytes): its session folder goes under a short /tmp name.
    ray_tmp = tempfile.mkdtemp(prefix="tfs", dir="/tmp")
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(TESTS), *([saved] if saved else [])])  # workers import fake_trial
    lines: list[str] = []
    try:
        records = run_search(SearchSpace.from_dict(SPACE), out, trial_fn="test_search:fake_trial", cpus=2,
                             ray_temp_dir=ray_tmp, progress=lines.append)
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
        shutil.rmtree(ray_tmp, ignore_errors=True)
    return out, records, lines


def test_space_checks_name_the_key_and_the_fix():
    with pytest.raises(SearchError, match="unknown key.*widths"):
        SearchSpace.from_dict({"widths": [8]})
    with pytest.raises(SearchError, match="model.width must be a non-empty list of int"):
        SearchSpace.from_dict({"model": {"width": "wide"}})
    with pytest.raises(SearchError, match="unknown sampler 'grid'"):
        SearchSpace.from_dict({"sampler": "grid"})
    with pytest.raises(SearchError, match="short_epochs"):
        SearchSpace.from_dict({"epochs": 2, "short_epochs": 3})
    with pytest.raises(Exception, match="nosuchboard"):
        SearchSpace.from_dict({"boards": ["nosuchboard"]})


def test_yaml_space_is_the_dataclass(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("boards: [stm32f405]\nmodel: {width: [4, 8]}\nrecipe: {clusters: [0, 8]}\ntrials: 3\nbudget: {ms: 1.5}\n")
    space = SearchSpace.from_yaml(path)
    assert space == SearchSpace.from_dict({"boards": ["stm32f405"], "model": {"width": [4, 8]}, "recipe": {"clusters": [0, 8]},
                                           "trials": 3, "budget": {"ms": 1.5}})
    assert space.choices()["model.width"] == [4, 8] and space.choices()["model.depth"] == [1, 2]  # defaults kept
    assert space.choices()["recipe.clusters"] == [0, 8] and space.choices()["board"] == ["stm32f405"]


def test_every_trial_is_recorded_and_a_failing_one_does_not_stop_the_search(searched):
    out, records, lines = searched
    assert len(records) == SPACE["trials"]
    assert {r["status"] for r in records} <= {"done", "stopped", "failed"}
    failed = [r for r in records if r["status"] == "failed"]
    assert failed and all(r["params"]["model.width"] == 13 for r in failed)
    assert all("ValueError: width 13 cannot be built" in r["error"] for r in failed)
    assert any(r["status"] == "done" for r in records)  # the others ran on
    done = [r for r in records if r["status"] == "done" and not r.get("cached")]
    assert all(r["metrics"]["ms"] > 0 and r["metrics"]["accuracy"] > 0 for r in done)
    assert lines and lines[-1].startswith(f"search: {SPACE['trials']}/{SPACE['trials']} trials")
    assert "failed" in lines[-1] and "best within budget" in lines[-1]


def test_resume_reruns_nothing(searched):
    out, records, _ = searched
    before = (out / "trials.jsonl").read_bytes()
    lines: list[str] = []
    again = run_search(SearchSpace.from_dict(SPACE), out, trial_fn="test_search:fake_trial", progress=lines.append)
    assert again == records
    assert (out / "trials.jsonl").read_bytes() == before
    assert lines == [f"search: all {SPACE['trials']} trials already in {out / 'trials.jsonl'} (nothing to rerun)"]


def test_report_front_and_winners(searched, tmp_path):
    out, records, _ = searched
    space = SearchSpace.from_dict(SPACE)
    report = write_search_report(space, records, tmp_path)
    assert report["front"], report["summary"]
    by_number = {t["number"]: t for t in report["trials"]}
    for n in report["front"]:  # every front trial meets the budget and no trial measured on its board dominates it
        m, board = by_number[n]["metrics"], by_number[n]["params"]["board"]
        assert m["ms"] <= SPACE["budget"]["ms"]
        for t in report["trials"]:
            o = t["metrics"]
            if t["status"] == "done" and "accuracy" in o and o["ms"] <= SPACE["budget"]["ms"] and t["params"]["board"] == board:
                assert not (o["accuracy"] >= m["accuracy"] and o["ms"] <= m["ms"] and o["ram_bytes"] <= m["ram_bytes"]
                            and (o["accuracy"], o["ms"], o["ram_bytes"]) != (m["accuracy"], m["ms"], m["ram_bytes"]))
    assert set(report["winners"].values()) <= set(report["front"])
    for board, n in report["winners"].items():  # the most accurate of its board's front
        assert by_number[n]["params"]["board"] == board
        assert by_number[n]["metrics"]["accuracy"] == max(by_number[f]["metrics"]["accuracy"] for f in report["front"]
                                                          if by_number[f]["params"]["board"] == board)
    saved = json.loads((tmp_path / "search.json").read_text())
    assert saved["front"] == report["front"] and len(saved["trials"]) == len(records)


def test_impossible_budget_names_the_closest_trials(searched, tmp_path):
    out, records, _ = searched
    space = SearchSpace.from_dict({**SPACE, "budget": {"ms": 0.01, "ram": 100}})
    report = write_search_report(space, records, tmp_path)
    assert report["summary"] == "no trial met the budget" and report["front"] == []
    assert report["closest"] and all(c["over_budget"] for c in report["closest"])
    lines = summary_lines(report)
    assert lines[0] == "no trial met the budget" and "closest: trial" in lines[1] and "ms " in lines[1]
    page = (tmp_path / "search.html").read_text()
    assert "no trial met the budget" in page and "closest" in page
    assert json.loads((tmp_path / "search.json").read_text())["summary"] == "no trial met the budget"


def test_search_page_renders_in_chromium(searched, tmp_path):
    from test_report import CHROMIUM_FLAGS, _chromium

    out, records, _ = searched
    write_search_report(SearchSpace.from_dict(SPACE), records, tmp_path)
    from matplotlib.image import imread

    plot = imread(tmp_path / "pareto.png")
    assert plot.shape[0] > 300 and plot.shape[1] > 500
    shot = tmp_path / "shot.png"
    subprocess.run([_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000",
                    f"--screenshot={shot}", "--window-size=1100,1600", (tmp_path / "search.html").as_uri()],
                   capture_output=True, timeout=60, check=True)
    pixels = imread(shot)
    assert pixels.shape[:2] == (1600, 1100)
    assert np.mean(pixels[..., :3].min(axis=(1, 2)) < 0.5) > 0.3  # the plot and the tables, not a blank page


@pytest.mark.slow
@pytest.mark.qemu
def test_a_real_trial_is_measured_on_the_board_and_deployed(tmp_path):
    from tfedge.search.cli import deploy_winners
    from tfedge.search.trial import run_trial

    space = SearchSpace.from_dict({"boards": ["stm32f405"], "epochs": 2, "short_epochs": 1, "samples": 32})
    params = {"model.width": 4, "model.depth": 1, "model.kernel": 3, "recipe.sparsity": 0.0, "recipe.clusters": 0,
              "recipe.quantization": "ptq", "board": "stm32f405"}
    steps = []
    metrics = run_trial(space, params, tmp_path, lambda step, m: steps.append((step, m)))
    assert steps and steps[0][0] == 1 and 0 < steps[0][1]["float_accuracy"] <= 1
    assert metrics["fits"] and metrics["board_samples"] == 32
    assert 0 <= metrics["accuracy"] <= 1 and metrics["instructions"] > 1000 and metrics["ms"] > 0
    assert 0 < metrics["ram_bytes"] < 192 * 1024 and metrics["flash_bytes"] > metrics["model_bytes"] > 0
    assert Path(metrics["tflite"]).is_file()

    # the winner's deploy folder: the same model measured again by tfedge deploy, same figures
    report = {"winners": {"stm32f405": 0}, "trials": [{"number": 0, "metrics": metrics}]}
    pages = deploy_winners(space, report, tmp_path / "out", progress=lambda _line: None)
    assert Path(pages["stm32f405"]).is_file()
    board = json.loads((tmp_path / "out" / "winners" / "stm32f405" / "report.json").read_text())["board"]
    assert board["instructions_per_inference"] == metrics["instructions"] and board["ram_bytes"] == metrics["ram_bytes"]


def test_halving_score_ranks_over_budget_and_misfits_below_accurate_fitting_models():
    space = SearchSpace.from_dict({"budget": {"ms": 1.0, "ram": 4000}})
    fast = {"float_accuracy": 0.6, "early_fits": True, "early_ms": 0.5, "early_ram_bytes": 3000, "early_flash_bytes": 1}
    slow = {**fast, "float_accuracy": 0.9, "early_ms": 2.0}  # twice the budget: 0.9 - 1.0
    from tfedge.search.pareto import halving_score

    assert halving_score(space, fast) == 0.6
    assert halving_score(space, slow) == pytest.approx(-0.1)
    assert halving_score(space, {"float_accuracy": 0.99, "early_fits": False}) < halving_score(space, slow)
    assert halving_score(space, {"float_accuracy": 0.7}) == 0.7  # no early figures: the accuracy alone
