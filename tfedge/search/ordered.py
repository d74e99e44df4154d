"""A search whose trials, front and halving decisions do not depend on which Ray worker finishes first.

Ray Tune runs trials concurrently and tells its searcher and scheduler about them in the order they
finish, which varies from run to run (and between a local Ray and a cluster). Optuna's next
suggestion depends on what it was told, and ASHA's stop decision on the scores its rung already
holds, so the same seed could give a different front. Here the trials go in batches of `size`
(the concurrency):

- `BatchedOptunaSearch` asks Optuna for a whole batch before telling it anything, and tells the
  batch's results in the order the trials were asked once every one of them has ended;
- `BatchHalving` (successive halving after the short training, like ASHA with reduction factor 2)
  compares a trial's halving score only with the trials of earlier batches, which have all ended.

So a batch's suggestions depend only on the earlier batches, whatever the finishing order.

A parameter set Optuna proposes again (NSGA-II's crossover and mutation often do on a small categorical
space) would spend a Ray trial on a result the store already holds: such a proposal is told to Optuna as
failed (discarded, it counts nowhere) and Optuna asked again, so every trial run is a new candidate.
Only when `MAX_ASKS` proposals in a row are repeats (the space is nearly exhausted) does the repeat run
(the trainable then reuses the stored result).
"""

from __future__ import annotations

import numpy as np
from ray.tune.schedulers import FIFOScheduler, TrialScheduler
from ray.tune.search import Searcher


MAX_ASKS = 200


def _params_key(params: dict) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in params.items()))


class BatchedOptunaSearch(Searcher):
    def __init__(self, study, distributions: dict, objectives: list[str], size: int, total: int):
        super().__init__()
        self.study, self.distributions, self.objectives = study, distributions, objectives
        self.size, self.total = max(1, size), total
        self.asked = 0
        self.batch: list[str] = []  # trial ids of the current batch, in asking order
        self.ended: dict[str, tuple[dict | None, bool]] = {}
        self.optuna_trials: dict = {}
        self.batch_of: dict[str, int] = {}  # trial id -> batch number (BatchHalving reads it)
        self.batch_number = 0
        self.repeats = 0  # proposals discarded as repeats of a trial already run or asked

    def __getstate__(self) -> dict:
        """What pickling keeps: everything but the live Optuna study and its trials. tune.Tuner pickles its
        config (this searcher included) for Tuner.restore, which tfedge never calls (a resumed search builds a
        new searcher from DIR/trials.jsonl and the Optuna journal); since Optuna 5.1 a study holds a thread lock,
        which cannot be pickled."""
        return {**self.__dict__, "study": None, "optuna_trials": {}}

    def set_search_properties(self, metric, mode, config, **spec) -> bool:
        return True  # the space comes from the distributions given above

    def save(self, checkpoint_path: str) -> None:
        """Nothing to save: a resumed search rebuilds its state from DIR/trials.jsonl and the Optuna journal."""

    def restore(self, checkpoint_path: str) -> None:
        pass

    def _batch_closed(self) -> bool:
        return len(self.batch) >= self.size or self.asked >= self.total

    def suggest(self, trial_id: str):
        if self.batch and self._batch_closed():
            if not all(t in self.ended for t in self.batch):
                return None  # Tune asks again later, once the batch has ended
            self._tell_batch()
        if self.asked >= self.total:
            return Searcher.FINISHED
        trial = self._ask_new()
        self.optuna_trials[trial_id] = trial
        self.batch.append(trial_id)
        self.batch_of[trial_id] = self.batch_number
        self.asked += 1
        return dict(trial.params)

    def _ask_new(self):
        """An Optuna trial whose parameters neither an earlier trial of the study (this run or a resumed
        one's journal) nor the current batch holds; repeats are told failed (discarded) and asked again."""
        import optuna

        # a failed trial's parameters too: a Python error would come again (worker deaths were retried by Ray)
        finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.FAIL)
        seen = {_params_key(t.params) for t in self.study.get_trials(deepcopy=False, states=finished)}
        seen |= {_params_key(t.params) for t in self.optuna_trials.values()}
        for _ in range(MAX_ASKS - 1):
            trial = self.study.ask(self.distributions)
            if _params_key(trial.params) not in seen:
                return trial
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
            self.repeats += 1
        return self.study.ask(self.distributions)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        self.ended[trial_id] = (result, error)
        if self._batch_closed() and all(t in self.ended for t in self.batch):
            self._tell_batch()

    def _tell_batch(self) -> None:
        import optuna

        for trial_id in self.batch:
            result, error = self.ended[trial_id]
            trial = self.optuna_trials.pop(trial_id)
            values = [result[o] for o in self.objectives] if result and all(o in result for o in self.objectives) else None
            if error or (result or {}).get("error"):
                self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
            elif values is None:  # stopped after the short training
                self.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            else:
                self.study.tell(trial, values if len(values) > 1 else values[0])
        self.batch = []
        self.batch_number += 1


class BatchHalving(FIFOScheduler):
    """Stop a trial after the short training (step 1) when its halving score is below the median
    (1 - 1/reduction_factor quantile) of the earlier batches' scores; the first batch always goes on."""

    def __init__(self, searcher: BatchedOptunaSearch, metric: str = "halving_score", reduction_factor: int = 2):
        super().__init__()
        self.searcher, self.score_key, self.rf = searcher, metric, reduction_factor
        self.scores: dict[int, dict[str, float]] = {}  # batch -> trial id -> score (a retried trial counts once)

    def on_trial_result(self, tune_controller, trial, result: dict) -> str:
        if result.get("step") != 1 or self.score_key not in result:
            return TrialScheduler.CONTINUE
        batch = self.searcher.batch_of.get(trial.trial_id, 0)
        earlier = [s for b, scores in self.scores.items() if b < batch for s in scores.values()]
        score = float(result[self.score_key])
        self.scores.setdefault(batch, {})[trial.trial_id] = score
        if earlier and score < np.percentile(earlier, (1 - 1 / self.rf) * 100):
            return TrialScheduler.STOP
        return TrialScheduler.CONTINUE
