"""Run a search on Ray Tune: Optuna proposes trials (TPE or NSGA-II) in batches of the concurrency,
successive halving stops poor ones after the short training (both in tfedge.search.ordered, so the
same seed gives the same trials whatever order the workers finish in), each trial takes one CPU (one
QEMU at a time per CPU) and the driver gathers results.

    DIR/trials.jsonl     every finished trial (tfedge.search.store): resuming reruns none of them
    DIR/optuna.journal   the Optuna study, so a resumed sampler knows what was already tried
    DIR/trials/<key>/    each trial's optimize folder and int8 .tflite (error.txt when it failed)
    DIR/ray/             Ray Tune's own experiment folder
    DIR/search.json, search.html, pareto.png   the report (tfedge.search.report)

Ray is started locally with `cpus` CPUs, or joins an existing cluster with `address`.
"""

from __future__ import annotations

import importlib
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from tfedge.search.pareto import halving_score
from tfedge.search.space import OBJECTIVES, SearchError, SearchSpace, trial_key, within_budget
from tfedge.search.store import ResultStore

Progress = Callable[[str], None]


def say(message: str) -> None:
    """The default progress: print, looked up when called. Ray pickles the Tuner's callbacks by reference, and a
    `print` captured as a default argument is no longer `builtins.print` once Ray (or anything) has replaced it in the
    process, which cloudpickle refuses."""
    print(message)
DEFAULT_TRIAL = "tfedge.search.trial:run_trial"
PENALTY = 1e12  # objective value of a model that does not fit: dominated by every model that does


class SearchInterrupted(SearchError):
    """The Ray Tune run stopped before every trial ended (Ctrl+C): no report, no DNAS, no deploy."""


def _resolve(spec: str) -> Callable:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def objective_values(space: SearchSpace, metrics: dict) -> dict:
    """What Optuna optimizes: the objectives, a model that does not fit getting accuracy 0 and huge costs."""
    fits = metrics.get("fits", True) and "accuracy" in metrics
    return {f"obj_{name}": (metrics[key] if fits else (0.0 if direction == "max" else PENALTY))
            for name, (key, direction) in ((n, OBJECTIVES[n]) for n in space.objectives)}


def _trainable(space: SearchSpace, out_dir: str, trial_fn: str, known: dict[str, dict]):
    """The Ray Tune function trainable (it runs in a worker process; everything it needs is in its closure)."""

    def trainable(config: dict) -> None:
        from ray import tune

        key = trial_key(space, config)
        if key not in known:  # finished earlier in this run? (the store is on this machine's disk locally)
            known.update(ResultStore(Path(out_dir)).done())
        if key in known:  # the sampler proposed a finished trial again: its stored result, not a rerun
            tune.report({**known[key], "step": 2, "cached": True, **objective_values(space, known[key])})
            return
        trial_dir = Path(out_dir) / "trials" / key
        trial_dir.mkdir(parents=True, exist_ok=True)
        step1: dict = {}

        def checkpoint(step: int, metrics: dict) -> None:
            step1.update(metrics, halving_score=halving_score(space, metrics))
            tune.report({**step1, "step": step})

        try:
            metrics = _resolve(trial_fn)(space, config, trial_dir, checkpoint)
        except Exception as exc:  # recorded at once, not retried: the same parameters would fail again
            error = f"{type(exc).__name__}: {exc}"
            (trial_dir / "error.txt").write_text(f"{error}\n\n{traceback.format_exc()}")
            tune.report({**step1, "step": 2, "error": error})
            return
        tune.report({**step1, **metrics, "step": 2, **objective_values(space, metrics)})

    return trainable


def _callback(space: SearchSpace, store: ResultStore, out_dir: Path, total: int, progress: Progress):
    from ray.tune import Callback

    class Gather(Callback):
        """On the driver: each trial's end goes into the store at once, then one progress line."""

        def __init__(self):
            self.start, self.finished = time.monotonic(), 0

        def _record(self, trial, status: str, error: str | None) -> None:
            params = dict(trial.config)
            result = {k: v for k, v in (trial.last_result or {}).items() if not k.startswith("obj_")}
            metrics = {k: result[k] for k in ("float_accuracy", "litert_accuracy", "accuracy", "ms", "instructions",
                                              "flash_bytes", "ram_bytes", "arena_bytes", "fits", "fit_error", "tflite",
                                              "model_bytes", "board_samples", "seconds", "early_fits", "early_ms",
                                              "early_ram_bytes", "early_flash_bytes", "halving_score") if k in result}
            if status == "done" and result.get("step") != 2:
                status = "stopped"
            store.add({"key": trial_key(space, params), "params": params, "status": status, "metrics": metrics,
                       "error": error, "seconds": metrics.get("seconds"), "cached": bool(result.get("cached"))})
            self.finished += 1
            self._progress()

        def _progress(self) -> None:
            records = [r for r in store.all() if r["params"].get("mode") != "dnas"]
            failed = sum(r["status"] == "failed" for r in records)
            stopped = sum(r["status"] == "stopped" for r in records)
            ok = [r for r in records if r["status"] == "done" and not within_budget(space, r["metrics"])]
            best = max(ok, key=lambda r: r["metrics"].get("accuracy", 0), default=None)
            best_text = (f"best within budget: accuracy {best['metrics']['accuracy']:.3f} at {best['metrics']['ms']:.3f} ms "
                         f"on {best['params']['board']} (trial {best['number']})") if best else "no trial within budget yet"
            elapsed = time.monotonic() - self.start
            left = max(0, total - len(records))
            eta = f"~{elapsed / self.finished * left / 60:.1f} min left" if self.finished and left else "finishing"
            progress(f"search: {len(records)}/{total} trials ({stopped} stopped early, {failed} failed); {best_text}; {eta}")

        def on_trial_complete(self, iteration, trials, trial, **info):
            error = (trial.last_result or {}).get("error")
            self._record(trial, "failed" if error else "done", error)

        def on_trial_error(self, iteration, trials, trial, **info):
            # Only a worker that died gets here (a Python error is reported as a result): Ray retried it
            # FailureConfig.max_failures times first.
            self._record(trial, "failed", f"the trial's worker died ({trial.num_failures} attempts): {_first_line(trial)}")

    return Gather()


def _first_line(trial) -> str:
    try:
        text = Path(trial.error_file).read_text() if trial.error_file else ""
    except OSError:
        text = ""
    lines = [line.strip() for line in text.splitlines() if "Error" in line or "died" in line]
    return (lines[-1] if lines else "no error text")[:300]


def _sampler(space: SearchSpace):
    import optuna

    if space.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=space.seed, multivariate=True)
    return optuna.samplers.NSGAIISampler(seed=space.seed, population_size=max(4, min(16, space.trials // 3)))


def run_search(
    space: SearchSpace,
    out_dir: str | Path,
    *,
    address: str | None = None,
    cpus: int | None = None,
    trial_fn: str = DEFAULT_TRIAL,
    ray_temp_dir: str | None = None,
    max_failures: int = 1,
    progress: Progress = say,
) -> list[dict]:
    """Run the trials the store does not hold yet; returns every stored record. `cpus` trials run at
    once (default 2), on a local Ray or the cluster at `address`; a trial whose worker dies is
    retried `max_failures` times, then recorded as failed."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    store = ResultStore(out_dir)
    sampled = sum(r["params"].get("mode") != "dnas" for r in store.all())
    left = space.trials - sampled
    if left <= 0:
        progress(f"search: all {space.trials} trials already in {store.path} (nothing to rerun)")
        return store.all()
    if sampled:
        progress(f"search: resuming, {sampled} trials done, {left} to run")

    import optuna
    import ray
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    from ray import tune

    from tfedge.search.ordered import BatchedOptunaSearch, BatchHalving

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # The short-training report (step 1) carries only the halving score; the objectives come with
    # the final one.
    os.environ.setdefault("TUNE_DISABLE_STRICT_METRIC_CHECKING", "1")
    concurrency = cpus or 2  # also the batch size: the same on a local Ray and on a cluster (ordered.py)
    started_ray = not ray.is_initialized()
    if started_ray:
        init = dict(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        if address is None:
            init.update(num_cpus=concurrency, _temp_dir=ray_temp_dir)
        ray.init(**{k: v for k, v in init.items() if v is not None})
    try:
        objectives = [f"obj_{name}" for name in space.objectives]
        directions = ["maximize" if OBJECTIVES[name][1] == "max" else "minimize" for name in space.objectives]
        if space.sampler == "tpe":  # one objective: the int8 accuracy (budgets filter the front afterwards)
            objectives, directions = ["obj_accuracy"], ["maximize"]
        study = optuna.create_study(study_name="tfedge-search", directions=directions, sampler=_sampler(space),
                                    storage=JournalStorage(JournalFileBackend(str(out_dir / "optuna.journal"))),
                                    load_if_exists=True)
        searcher = BatchedOptunaSearch(
            study, {name: optuna.distributions.CategoricalDistribution(values) for name, values in space.choices().items()},
            objectives, size=concurrency, total=left)
        known = store.done()
        trainable = tune.with_resources(_trainable(space, str(out_dir), trial_fn, known), {"cpu": 1})
        tuner = tune.Tuner(
            trainable,
            tune_config=tune.TuneConfig(search_alg=searcher, scheduler=BatchHalving(searcher), num_samples=left,
                                        max_concurrent_trials=concurrency),
            run_config=tune.RunConfig(name=f"tune-{int(time.time())}", storage_path=str(out_dir / "ray"), verbose=0,
                                      failure_config=tune.FailureConfig(max_failures=max_failures),
                                      callbacks=[_callback(space, store, out_dir, space.trials, progress)]),
        )
        tuner.fit()
    finally:
        if started_ray:
            ray.shutdown()
    records = ResultStore(out_dir).all()
    finished = sum(r["params"].get("mode") != "dnas" for r in records)
    if finished < space.trials:  # every trial that ends is recorded: fewer means Tune was stopped (Ctrl+C)
        raise SearchInterrupted(f"search interrupted after {finished}/{space.trials} trials; run the same command "
                                "again to resume (finished trials are not rerun)")
    return records
