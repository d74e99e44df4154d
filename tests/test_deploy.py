"""`tfedge deploy`: every stage's product, the report, resuming (skip what is up to date, --from a stage
or a file) and errors. Uses the small deploy of tests/deployed.py (shared with the report tests)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from deployed import BOARD, RECIPE, SAMPLES, deployed_dir
from tfedge import cli
from tfedge.deploy import STAGES, deploy
from tfedge.errors import ModelError

pytestmark = pytest.mark.qemu


@pytest.fixture(scope="session")
def deployed(tmp_path_factory):
    return deployed_dir(tmp_path_factory)


@pytest.fixture
def copy(deployed, tmp_path):
    """A private copy of the deploy (folder + recipe) that a test may resume or change."""
    out = tmp_path / "out"
    shutil.copytree(deployed, out)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE)
    return recipe, out


def _statuses(report: dict) -> dict[str, str]:
    return {s["stage"]: s["status"] for s in report["deploy"]}


def test_deploy_writes_every_stage_and_the_report(deployed):
    report = json.loads((deployed / "report.json").read_text())
    assert [s["name"] for s in report["stages"]] == ["float", "prune", "int8"]
    for name in ("model_int8.tflite", "export.json", "compile/model.c", "compile/compile_report.json",
                 f"firmware-{BOARD}.elf", "board.json", "deploy.json", "report.md", "report.html"):
        assert (deployed / name).is_file(), name
    for stage in report["stages"]:
        assert (deployed / stage["path"]).exists(), stage["path"]
        # every stage was exported and measured on the board
        assert stage["board"]["instructions_per_inference"] > 100_000
        assert 0 < stage["board"]["flash_bytes"] < 1024 * 1024
    int8 = report["stages"][-1]
    assert int8["path"] == "model_int8.tflite" and int8["tflite_bytes"] == (deployed / "model_int8.tflite").stat().st_size
    # the exported model is the pruned one: its int8 kernels keep the sparsity
    assert int8["sparsity"] >= 0.45
    board = report["board"]
    assert board["board"] == BOARD and board["inputs"] == SAMPLES
    assert board["mismatches"] == 0  # on-device outputs equal the host int8 runner's
    # the accuracy measured on the board agrees with LiteRT's on the same model (bit-exact runtimes,
    # a 64-sample slice of the test set vs all of it)
    assert abs(board["accuracy"] - int8["accuracy"]) < 0.08
    assert report["compile"]["arena_plan"] and len(report["compile"]["layers"]) == len(board["layers"])
    assert [s["stage"] for s in report["deploy"]] == list(STAGES)


def test_rerun_skips_every_stage_that_is_up_to_date(copy, capsys):
    recipe, out = copy
    assert cli.main(["deploy", str(recipe), "--board", BOARD, "--out", str(out), "--samples", str(SAMPLES)]) == 0
    text = capsys.readouterr().out
    for number, stage in enumerate(STAGES, 1):
        assert f"[{number}/5] {stage}: up to date, skipped" in text
    assert "report: " in text and "report.html" in text
    assert json.loads((out / "report.json").read_text())["board"]["accuracy"] > 0.5


def test_from_a_stage_redoes_it_and_what_follows(copy):
    recipe, out = copy
    elf_before = (out / f"firmware-{BOARD}.elf").read_bytes()
    report = deploy(recipe, BOARD, out, start="compile", samples=SAMPLES, stage_runs=False, progress=lambda _m: None)
    status = _statuses(report)
    assert status["optimize"].startswith("skipped") and status["export"].startswith("skipped")
    assert status["compile"] == status["build"] == status["run"] == "ran"
    assert (out / f"firmware-{BOARD}.elf").read_bytes() == elf_before  # same inputs, same firmware


def test_changing_the_last_stage_redoes_only_what_depends_on_it(copy, deployed):
    recipe, out = copy
    recipe.write_text(RECIPE.replace("representative_samples: 64", "representative_samples: 32"))
    report = deploy(recipe, BOARD, out, samples=SAMPLES, stage_runs=False, progress=lambda _m: None)
    status = _statuses(report)
    assert status["optimize"].startswith("skipped")
    assert status["export"] == "ran" and status["compile"] == "ran" and status["run"] == "ran"
    # the recalibrated export is a different model
    assert (out / "model_int8.tflite").read_bytes() != (deployed / "model_int8.tflite").read_bytes()


def test_from_a_tflite_starts_at_compile(deployed, tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE)
    report = deploy(recipe, BOARD, tmp_path / "out", start=deployed / "model_int8.tflite", samples=16,
                    progress=lambda _m: None)
    status = _statuses(report)
    assert status["optimize"].startswith("not needed") and status["export"].startswith("not needed")
    assert report["board"]["board"] == BOARD and report["board"]["inputs"] == 16
    assert report["stages"] == []
    assert (tmp_path / "out" / "report.html").is_file()
    assert not (tmp_path / "out" / "optimize").exists()


def test_from_a_keras_model_exports_it(deployed, tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE)
    keras_file = deployed / json.loads((deployed / "report.json").read_text())["stages"][1]["path"]
    report = deploy(recipe, BOARD, tmp_path / "out", start=keras_file, samples=16, progress=lambda _m: None)
    status = _statuses(report)
    assert status["optimize"].startswith("not needed") and status["export"] == "ran"
    assert [s["name"] for s in report["stages"]] == ["int8"]
    exported = (tmp_path / "out" / "model_int8.tflite").read_bytes()
    assert exported == (deployed / "model_int8.tflite").read_bytes()  # same model, same calibration: same bytes


def test_bad_from_and_board_are_clear_errors(tmp_path, capsys):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE)
    with pytest.raises(ModelError, match="no such file"):
        deploy(recipe, BOARD, tmp_path / "out", start=tmp_path / "missing.tflite")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ModelError, match="expected a stage name"):
        deploy(recipe, BOARD, tmp_path / "out", start=tmp_path / "notes.txt", progress=lambda _m: None)
    assert cli.main(["deploy", str(recipe), "--board", "no-such-board", "--out", str(tmp_path / "o2")]) == 1
    assert "no-such-board" in capsys.readouterr().err
    assert not (tmp_path / "o2").exists()
    np.testing.assert_equal(sorted(p.name for p in tmp_path.iterdir()), ["notes.txt", "recipe.yaml"])
