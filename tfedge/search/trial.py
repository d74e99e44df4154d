"""One trial: build the sampled model, train it briefly (the halving checkpoint), finish training and
compression with the optimize pipeline, export to int8, and measure it on the sampled board.

`run_trial(space, params, trial_dir, checkpoint)` calls `checkpoint(step, metrics)` after the short
training (step 1: the float test accuracy and the board cost of that model's int8 export) — the
scheduler may stop the trial there — and returns the
final metrics (step 2). A model that does not fit the board is a result (fits=False), not an error.
With checkpoint None (a DNAS model: nothing to stop) the short-training export is not measured.

A trial is deterministic for the space's seed: Python, NumPy and TensorFlow seeded, TensorFlow's ops
deterministic and single-threaded (intra and inter op) in the Ray worker, which starts TensorFlow.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from tfedge.search.space import SearchSpace

Checkpoint = Callable[[int, dict], None]
_DATA: dict = {}
# Channel pruning keeps multiples of 4 filters (the DSP depthwise/FC paths take 4 channels per word):
# the optimize default of 8 cannot shrink the narrow models of a search (8 or 16 channels) at all.
CHANNEL_MULTIPLE = 4


def channel_prune_stage(space: SearchSpace, params: dict):
    """The ChannelPrune stage for the sampled `recipe.channel_prune` (fraction of the MACs removed), or None."""
    from tfedge.optimize.recipe import ChannelPrune

    ratio = float(params.get("recipe.channel_prune") or 0.0)
    if ratio <= 0:
        return None
    return ChannelPrune(macs=1.0 - ratio, multiple_of=CHANNEL_MULTIPLE, epochs=space.finetune_epochs)


def recipe_for(space: SearchSpace, params: dict, trained_epochs: int):
    """The optimize recipe that finishes a trial whose float model already trained `trained_epochs`."""
    from tfedge.optimize.recipe import QAT, Cluster, Int8, Prune, Recipe, Train

    stages: list = []
    if space.epochs > trained_epochs:
        stages.append(Train(epochs=space.epochs - trained_epochs, learning_rate=3e-3))
    sparsity, clusters = float(params["recipe.sparsity"]), int(params["recipe.clusters"])
    channels = channel_prune_stage(space, params)
    if channels is not None:  # structure first: magnitude pruning and clustering then work on the smaller model
        stages.append(channels)
    if sparsity > 0:
        stages.append(Prune(sparsity=sparsity, epochs=space.finetune_epochs))
    if clusters > 0:
        stages.append(Cluster(clusters=clusters, epochs=space.finetune_epochs))
    quantization = params["recipe.quantization"]
    if quantization == "qat":
        scheme = {(False, False): "qat", (True, False): "pqat", (False, True): "cqat", (True, True): "pcqat"}[(sparsity > 0, clusters > 0)]
        stages.append(QAT(scheme=scheme, epochs=space.finetune_epochs))
    stages.append(Int8(representative_samples=256, int16x8=quantization == "int16x8"))
    return Recipe(stages=stages, data=space.data, batch_size=space.batch_size, seed=space.seed)


def load_data(spec: str, resolution: int | None = None):
    """The space's dataset (one load per worker process); images resized to `resolution` x `resolution`
    (bilinear) when the space searches the input resolution."""
    if (spec, resolution) not in _DATA:
        if resolution is None:
            from tfedge.optimize.data import load_dataset

            _DATA[spec, None] = load_dataset(spec)
        else:
            import dataclasses

            from tfedge._tf import tf

            data = load_data(spec)
            if data.x_train.ndim != 4:
                from tfedge.search.space import SearchError

                raise SearchError(f"model.resolution resizes images (N, H, W, C); data {spec!r} has shape {data.x_train.shape}")
            resize = lambda x: tf.image.resize(x, (resolution, resolution)).numpy().astype(x.dtype)  # noqa: E731
            _DATA[spec, resolution] = dataclasses.replace(data, x_train=resize(data.x_train), x_test=resize(data.x_test))
    return _DATA[spec, resolution]


def _early_cost(model, data, board: str, trial_dir: Path, int16x8: bool = False, channels=None) -> dict:
    """The short-trained float model's int8 export measured on the board (cost only, no accuracy run):
    what the halving weighs besides the float accuracy, so a fast small model is not stopped for being behind
    a slow one after two epochs. With a channel-prune stage (`channels`) the model measured is the short-trained
    one with its filters removed the same way (no fine-tuning: only its shape counts here), so a pruned trial is
    not judged by its unpruned cost. Pruning and clustering come later and may still change these figures."""
    from tfedge.emulate.figures import measure_on_board
    from tfedge.errors import DoesNotFitError
    from tfedge.export import export_int8

    if channels is not None:
        from tfedge.optimize.channel_prune import channel_prune
        from tfedge.optimize.training import FineTune

        model, _ = channel_prune(model, FineTune(data.x_train, data.y_train, epochs=0), macs=channels.macs,
                                 instructions=channels.instructions, criterion=channels.criterion,
                                 multiple_of=channels.multiple_of)

    path = trial_dir / "early_int8.tflite"
    path.write_bytes(export_int8(model, data.x_train[:128], int16x8=int16x8))
    try:
        m = measure_on_board(path, board).metrics
    except DoesNotFitError:
        return {"early_fits": False}
    return {"early_fits": True, "early_ms": float(m["ms_per_inference"]), "early_ram_bytes": int(m["ram_bytes"]),
            "early_flash_bytes": int(m["flash_bytes"])}


def deterministic_tf(seed: int) -> None:
    """Seeds and deterministic, single-threaded TensorFlow (threads can only be set before TF starts:
    in a Ray worker it has not; a test calling run_trial in a TF-using process keeps TF's threads)."""
    os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    from tfedge._tf import set_seeds, tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass
    set_seeds(seed)


def short_trained(space: SearchSpace, params: dict, data):
    """The sampled model built and trained `short_epochs`, deterministic for the space's seed."""
    from tfedge.optimize.training import FineTune, fit
    from tfedge.search.builders import build

    deterministic_tf(space.seed)
    classes = int(max(data.y_train.max(), data.y_test.max())) + 1
    model_params = {k.split(".", 1)[1]: v for k, v in params.items() if k.startswith("model.") and v is not None}
    if space.builder is None:
        model_params.pop("resolution", None)  # the data's size (load_data), not a builder argument
    model = build(space.family, tuple(data.x_train.shape[1:]), classes, builder=space.builder, **model_params)
    fit(model, FineTune(data.x_train, data.y_train, epochs=space.short_epochs, batch_size=space.batch_size,
                        learning_rate=3e-3, verbose=False), "short")
    return model


def run_trial(space: SearchSpace, params: dict, trial_dir: Path, checkpoint: Checkpoint | None) -> dict:
    from tfedge.emulate.figures import measure_on_board
    from tfedge.errors import DoesNotFitError
    from tfedge.optimize.metrics import keras_accuracy
    from tfedge.optimize.pipeline import run_recipe

    start = time.monotonic()
    data = load_data(space.data, params.get("model.resolution") if space.builder is None else None)
    model = short_trained(space, params, data)
    float_accuracy = keras_accuracy(model, data.x_test, data.y_test)
    if checkpoint is not None:
        checkpoint(1, {"float_accuracy": float_accuracy, **_early_cost(model, data, params["board"], trial_dir,
                                                                       params["recipe.quantization"] == "int16x8",
                                                                       channel_prune_stage(space, params))})

    recipe = recipe_for(space, params, space.short_epochs)
    report = run_recipe(recipe, trial_dir / "optimize", model=model, data=data, progress=lambda _line: None)
    tflite = trial_dir / "optimize" / ("model_int16x8.tflite" if params["recipe.quantization"] == "int16x8" else "model_int8.tflite")
    metrics = {"float_accuracy": report["stages"][0].get("accuracy", float_accuracy),
               "litert_accuracy": report["stages"][-1].get("accuracy"), "tflite": str(tflite),
               "model_bytes": tflite.stat().st_size}
    try:
        figures = measure_on_board(tflite, params["board"], data.x_test, data.y_test, samples=space.samples)
    except DoesNotFitError as exc:
        metrics.update(fits=False, fit_error=str(exc))
    else:
        m = figures.metrics
        metrics.update(fits=True, accuracy=m["accuracy"], ms=float(m["ms_per_inference"]),
                       instructions=int(m["instructions_per_inference"]), flash_bytes=int(m["flash_bytes"]),
                       ram_bytes=int(m["ram_bytes"]), arena_bytes=int(m["arena_bytes"]), board_samples=int(m.get("inputs", 0)))
    metrics["seconds"] = round(time.monotonic() - start, 1)
    return metrics
