"""Run a search on Ray Tune: Optuna proposes trials (TPE or NSGA-II), ASHA stops poor ones after the
short training, each trial takes one CPU (one QEMU at a time per CPU) and the driver gathers results.

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
from tfedge.search.space import OBJECTIVES, SearchSpace, trial_key, within_budget
from tfedge.search.store import ResultStore

Progress = Callable[[str], None]
DEFAULT_TRIAL = "tfedge.search.trial:run_trial"
PENALTY = 1e12  # objective value of a model that does not fit: dominated by every model that does


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
        except Exception as exc:
            (trial_dir / "error.txt").write_text(f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}")
            raise
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
            records = store.all()
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
            self._record(trial, "done", None)

        def on_trial_error(self, iteration, trials, trial, **info):
            error_file = out_dir / "trials" / trial_key(space, dict(trial.config)) / "error.txt"
            error = error_file.read_text().split("\n\n", 1)[0] if error_file.exists() else "the trial's worker died"
            self._record(trial, "failed", error)

    return Gather()


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
    progress: Progress = print,
) -> list[dict]:
    """Run the trials the store does not hold yet; returns every stored record."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    store = ResultStore(out_dir)
    left = space.trials - len(store)
    if left <= 0:
        progress(f"search: all {space.trials} trials already in {store.path} (nothing to rerun)")
        return store.all()
    if len(store):
        progress(f"search: resuming, {len(store)} trials done, {left} to run")

    import optuna
    import ray
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search.optuna import OptunaSearch

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # The short-training report (step 1) carries only the float accuracy ASHA ranks on; the objectives
    # come with the final one. A trial ASHA stops there reaches Optuna as pruned.
    os.environ.setdefault("TUNE_DISABLE_STRICT_METRIC_CHECKING", "1")
    started_ray = not ray.is_initialized()
    if started_ray:
        init = dict(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        if address is None:
            init.update(num_cpus=cpus or 2, _temp_dir=ray_temp_dir)
        ray.init(**{k: v for k, v in init.items() if v is not None})
    try:
        objectives = [f"obj_{name}" for name in space.objectives]
        modes = [OBJECTIVES[name][1] for name in space.objectives]
        if space.sampler == "tpe":  # one objective: the int8 accuracy (budgets filter the front afterwards)
            objectives, modes = ["obj_accuracy"], ["max"]
        searcher = OptunaSearch(
            {name: optuna.distributions.CategoricalDistribution(values) for name, values in space.choices().items()},
            metric=objectives if len(objectives) > 1 else objectives[0], mode=modes if len(modes) > 1 else modes[0],
            sampler=_sampler(space), study_name="tfedge-search",
            storage=JournalStorage(JournalFileBackend(str(out_dir / "optuna.journal"))))
        # Successive halving after the short training (step 1 of 2) on the float accuracy less the early
        # board cost's excess over the budget (pareto.halving_score).
        scheduler = ASHAScheduler(time_attr="training_iteration", metric="halving_score", mode="max", max_t=2,
                                  grace_period=1, reduction_factor=2)
        known = store.done()
        trainable = tune.with_resources(_trainable(space, str(out_dir), trial_fn, known), {"cpu": 1})
        tuner = tune.Tuner(
            trainable,
            tune_config=tune.TuneConfig(search_alg=searcher, scheduler=scheduler, num_samples=left,
                                        max_concurrent_trials=cpus or (2 if address is None else None)),
            run_config=tune.RunConfig(name=f"tune-{int(time.time())}", storage_path=str(out_dir / "ray"), verbose=0,
                                      failure_config=tune.FailureConfig(max_failures=1),  # a killed worker: retried once
                                      callbacks=[_callback(space, store, out_dir, space.trials, progress)]),
        )
        tuner.fit()
    finally:
        if started_ray:
            ray.shutdown()
    return ResultStore(out_dir).all()
