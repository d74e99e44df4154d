"""tfedge search: the space's checks, a Ray Tune search of a fast stand-in trial (resume, a failing
trial, budgets, the report in Chromium), and one real trial measured on the emulated board."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sys
import time
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


def _maybe_die(trial_dir: Path) -> None:
    """The worker kills itself (SIGKILL: no Python cleanup, Ray sees a dead actor) when the search folder
    holds a marker: `kill_once` is claimed by the first trial to start (renamed, atomically) and it dies
    that once; `doomed` makes the first trial to claim it die on every attempt."""
    out = trial_dir.parent.parent
    if (out / "kill_once").exists():
        try:
            os.rename(out / "kill_once", out / f"killed_once.{trial_dir.name}")
        except FileNotFoundError:
            pass  # another trial claimed it
        else:
            os.kill(os.getpid(), signal.SIGKILL)
    if (out / "doomed").exists():
        try:
            fd = os.open(out / "doomed.claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            os.write(fd, trial_dir.name.encode())
            os.close(fd)
        except FileExistsError:
            pass
        if (out / "doomed.claim").read_text() == trial_dir.name:
            os.kill(os.getpid(), signal.SIGKILL)


def fake_trial(space, params, trial_dir, checkpoint):
    """Stands in for tfedge.search.trial.run_trial in the Ray workers: figures from the parameters, no
    training (the Ray machinery is what is under test); width 13 fails like a broken trial would."""
    width, depth = params["model.width"], params["model.depth"]
    _maybe_die(trial_dir)
    if width == 13:
        raise ValueError("width 13 cannot be built")
    checkpoint(1, {"float_accuracy": 0.5 + 0.1 * depth})
    slow = 2.0 if params["board"] == "stm32f405" else 1.0
    return {"fits": True, "accuracy": 0.7 + 0.1 * depth - 0.2 * params["recipe.sparsity"], "ms": slow * depth * (1 - params["recipe.sparsity"] / 2),
            "instructions": 10_000 * depth, "flash_bytes": 20_000 * depth, "ram_bytes": 2_000 * depth, "seconds": 0.0}


@contextlib.contextmanager
def stand_in_workers():
    """A short Ray temp dir (its socket paths must stay under 107 bytes: the session folder goes under a
    short /tmp name) and PYTHONPATH with this folder, so Ray workers import test_search:fake_trial;
    both undone afterwards."""
    ray_tmp = tempfile.mkdtemp(prefix="tfs", dir="/tmp")
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(TESTS), *([saved] if saved else [])])
    try:
        yield ray_tmp
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
        shutil.rmtree(ray_tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    out = tmp_path_factory.mktemp("search")
    lines: list[str] = []
    with stand_in_workers() as ray_tmp:
        records = run_search(SearchSpace.from_dict(SPACE), out, trial_fn="test_search:fake_trial", cpus=2,
                             ray_temp_dir=ray_tmp, progress=lines.append)
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
    # every line: trials done, best so far, time left (estimated from the trials so far)
    assert all(line.startswith("search: ") and "/6 trials" in line and ("best within budget" in line or "no trial within" in line)
               for line in lines)
    assert all(line.endswith("min left") for line in lines[:-1]) and lines[-1].endswith("finishing")


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


def test_a_trial_trains_the_same_model_for_the_same_seed():
    from tfedge.export import export_int8
    from tfedge.search.trial import load_data, short_trained

    space = SearchSpace.from_dict({"short_epochs": 1, "epochs": 1})
    params = {"model.width": 4, "model.depth": 1, "model.kernel": 3}
    data = load_data("digits")
    a, b = short_trained(space, params, data), short_trained(space, params, data)
    assert all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))
    assert export_int8(a, data.x_train[:64]) == export_int8(b, data.x_train[:64])
    c = short_trained(SearchSpace.from_dict({"short_epochs": 1, "epochs": 1, "seed": 1}), params, data)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])  # the seed matters


def test_the_sampler_runs_no_parameter_set_twice():
    """NSGA-II on a small categorical space proposes repeats; the batched searcher discards them (told
    failed) and asks again, so every trial Ray runs is a new candidate, until the space is exhausted."""
    import optuna

    from tfedge.search.ordered import BatchedOptunaSearch

    choices = {"a": [0, 1, 2], "b": [0, 1], "c": [0, 1]}  # 12 parameter sets
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=optuna.samplers.NSGAIISampler(seed=0, population_size=4))
    search = BatchedOptunaSearch(study, {k: optuna.distributions.CategoricalDistribution(v) for k, v in choices.items()},
                                 ["obj_accuracy", "obj_ms"], size=2, total=12)
    proposed = []
    for number in range(12):
        params = search.suggest(str(number))
        assert isinstance(params, dict)
        proposed.append(tuple(sorted(params.items())))
        search.on_trial_complete(str(number), {"obj_accuracy": params["a"] / 2, "obj_ms": 1.0 + params["b"] + params["c"]})
    assert len(set(proposed)) == 12  # the whole space, each set once
    assert search.repeats > 0  # NSGA-II did repeat itself: the check is not idle
    assert search.suggest("12") == search.FINISHED


def test_halving_score_ranks_over_budget_and_misfits_below_accurate_fitting_models():
    space = SearchSpace.from_dict({"budget": {"ms": 1.0, "ram": 4000}})
    fast = {"float_accuracy": 0.6, "early_fits": True, "early_ms": 0.5, "early_ram_bytes": 3000, "early_flash_bytes": 1}
    slow = {**fast, "float_accuracy": 0.9, "early_ms": 2.0}  # twice the budget: 0.9 - 1.0
    from tfedge.search.pareto import halving_score

    assert halving_score(space, fast) == 0.6
    assert halving_score(space, slow) == pytest.approx(-0.1)
    assert halving_score(space, {"float_accuracy": 0.99, "early_fits": False}) < halving_score(space, slow)
    assert halving_score(space, {"float_accuracy": 0.7}) == 0.7  # no early figures: the accuracy alone


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.fixture(scope="module")
def ray_cluster():
    """A real one-node Ray cluster, `ray start --head --num-cpus 2`, on free ports and a temp dir of its own.
    `--block` keeps `ray start` as the parent of the processes it starts, in a session of their own, so the
    teardown stops exactly this cluster (`ray stop` would stop every Ray of this user on the machine)."""
    temp = tempfile.mkdtemp(prefix="tfr", dir="/tmp")  # Ray's socket paths must stay short
    gcs, *others = _free_ports(10)
    flags = ("--ray-client-server-port", "--dashboard-port", "--dashboard-agent-listen-port", "--dashboard-agent-grpc-port",
             "--runtime-env-agent-port", "--metrics-export-port", "--node-manager-port", "--object-manager-port")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)]), "RAY_USAGE_STATS_ENABLED": "0"}
    log = open(Path(temp) / "ray_start.log", "w")
    head = subprocess.Popen([str(Path(sys.executable).parent / "ray"), "start", "--head", "--block", "--num-cpus", "2",
                             "--port", str(gcs), "--temp-dir", temp, "--include-dashboard", "false",
                             *[a for flag, port in zip(flags, others) for a in (flag, str(port))]],
                            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "Ray runtime started" not in (Path(temp) / "ray_start.log").read_text():
            assert head.poll() is None and time.monotonic() < deadline, (Path(temp) / "ray_start.log").read_text()
            time.sleep(0.5)
        yield f"127.0.0.1:{gcs}", env
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(5)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(head.pid, signal.SIGKILL)  # what the graceful drain left (workers, agents)
        except ProcessLookupError:
            pass
        head.wait()
        log.close()
        shutil.rmtree(temp, ignore_errors=True)


def _front_params(out: Path, space: SearchSpace) -> list[dict]:
    report = write_search_report(space, ResultStore(out).all(), out)
    by_number = {t["number"]: t for t in report["trials"]}
    return sorted((by_number[n]["params"] for n in report["front"]), key=lambda p: json.dumps(p, sort_keys=True))


def test_a_ray_cluster_search_finds_the_local_front_and_retries_a_killed_worker(searched, ray_cluster, tmp_path):
    """`tfedge search --address` on a `ray start --head` cluster: the same trials and front as the local run for
    the same seed (trials go in batches of the concurrency, told in a fixed order), although the first trial's
    worker is killed once (SIGKILL) and Ray runs it again."""
    import yaml

    local_out, local_records, _ = searched
    address, env = ray_cluster
    space_file = tmp_path / "space.yaml"
    space_file.write_text(yaml.safe_dump(SPACE))
    out = tmp_path / "cluster"
    out.mkdir()
    (out / "kill_once").touch()
    run = subprocess.run([str(Path(sys.executable).parent / "tfedge"), "search", str(space_file), "--out", str(out),
                          "--address", address, "--cpus", "2", "--trial", "test_search:fake_trial", "--no-deploy"],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "search: 6/6 trials" in run.stdout and "report:" in run.stdout
    killed = list(out.glob("killed_once.*"))
    assert len(killed) == 1 and not (out / "kill_once").exists()  # a worker did die
    records = ResultStore(out).all()
    retried = [r for r in records if r["key"] == killed[0].name.split(".", 1)[1]]
    # ... and its trial ran again to the end: measured, stopped, or (width 13) its own Python error, not the kill
    assert retried and "worker died" not in (retried[0]["error"] or ""), retried

    def outcome(rs):
        return sorted((json.dumps(r["params"], sort_keys=True), r["status"], json.dumps(r["metrics"], sort_keys=True))
                      for r in rs if not r.get("cached"))

    space = SearchSpace.from_dict(SPACE)
    assert outcome(records) == outcome(local_records)  # the same trials, stopped and failed alike
    front = _front_params(out, space)
    assert front and front == _front_params(local_out, space)


def test_a_worker_that_keeps_dying_is_recorded_as_failed_and_the_search_goes_on(ray_cluster, tmp_path):
    space = SearchSpace.from_dict({**SPACE, "model": {"width": [8], "depth": [1, 2]}, "trials": 3})
    (tmp_path / "doomed").touch()
    lines: list[str] = []
    records = run_search(space, tmp_path, address=ray_cluster[0], cpus=2, trial_fn="test_search:fake_trial",
                         progress=lines.append)
    assert len(records) == 3
    doomed = (tmp_path / "doomed.claim").read_text()
    failed = [r for r in records if r["status"] == "failed"]
    assert failed and {r["key"] for r in failed} == {doomed}
    assert failed[0]["error"].startswith("the trial's worker died (2 attempts)"), failed[0]["error"]
    assert all(r["status"] in ("done", "stopped") for r in records if r["key"] != doomed)
    assert lines[-1].startswith("search: 3/3 trials") and "1 failed" in lines[-1]
