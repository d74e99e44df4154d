"""Run a recipe: load model and data, check everything, run each stage, write the output folder.

Output folder (written to a temporary sibling, renamed into place at the end so that a failed
run never leaves a half-written folder):
    model_int8.tflite        the final model (when the recipe ends with int8)
    stages/NN_<stage>.keras  each stage's Keras checkpoint (a .savedmodel folder for QAT stages)
    stages/NN_<stage>.tflite each float stage's model exported to int8 (for its size and int8 accuracy)
    report.json / report.md  the per-stage table
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tfedge._tf import keras, require_legacy_keras, set_seeds, tfmot
from tfedge.errors import DataError, ModelError
from tfedge.export import evaluate_tflite, export_int8
from tfedge.export.int8 import validate_representative_data
from tfedge.export.keras_load import load_keras_model
from tfedge.export.litert import tflite_kernel_stats
from tfedge.optimize.checks import check_model
from tfedge.optimize.cluster import cluster, cluster_layers
from tfedge.optimize.data import Dataset, load_dataset
from tfedge.optimize.keras_convert import as_tf_keras
from tfedge.optimize.metrics import keras_accuracy, kernels, overall_sparsity, unique_weights_per_layer
from tfedge.optimize.models import BUILTIN_MODELS
from tfedge.optimize.prune import prune, prune_targets
from tfedge.optimize.qat import check_qat, qat
from tfedge.optimize.recipe import QAT, ChannelPrune, Cluster, Int8, Prune, Recipe, Train
from tfedge.optimize.report import write_report
from tfedge.optimize.training import FineTune, copy_model, fit

Progress = Callable[[str], None]


def run_recipe(
    recipe: Recipe,
    out_dir: str | Path,
    *,
    model: keras.Model | None = None,
    data: Dataset | None = None,
    progress: Progress = print,
) -> dict:
    """Run `recipe` and write `out_dir`; returns the report (also in out_dir/report.json).

    `model`/`data` override the recipe's `model:`/`data:` entries (for Python callers).
    """
    recipe.validate()
    out_dir = Path(out_dir)
    data = data if data is not None else _load_data(recipe)
    set_seeds(recipe.seed)  # before a built-in model is built: its initial weights come from the seed
    model = model if model is not None else _load_model(recipe, data)
    model = as_tf_keras(model, "optimize")
    precheck(recipe, model, data)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        report = _run(recipe, model, data, work, progress)
        report["stages"] = [_relocate(entry, work) for entry in report["stages"]]
        write_report(report, work)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        work.rename(out_dir)
    finally:
        if work.exists():
            shutil.rmtree(work)
    progress("")
    progress((out_dir / "report.md").read_text())
    return report


def precheck(recipe: Recipe, model: keras.Model, data: Dataset) -> None:
    """Everything that can fail without training: model kind, layers per tfmot stage, data shapes and values."""
    model = as_tf_keras(model, "optimize")
    require_legacy_keras(model, "optimize")
    expected = tuple(model.inputs[0].shape[1:]) if len(model.inputs) == 1 else None
    if expected is None:
        raise ModelError("optimize: recipes handle single-input models; call the stage functions directly otherwise")
    for split in ("train", "test"):
        x = getattr(data, f"x_{split}")
        if tuple(x.shape[1:]) != expected:
            raise DataError(f"data: x_{split} samples have shape {tuple(x.shape[1:])}, the model input is (N, {', '.join(map(str, expected))})")
        if not np.all(np.isfinite(x)):
            raise DataError(f"data: x_{split} contains NaN or infinite values; clean or drop those samples")
    for stage in recipe.stages:
        if isinstance(stage, Prune):
            prune_targets(model, sparsity=stage.sparsity, layers=stage.layers, m_by_n=stage.m_by_n)
        elif isinstance(stage, ChannelPrune):
            from tfedge.optimize.channel_prune import channel_plan, check_options

            check_options(stage.macs, stage.criterion, stage.multiple_of, stage.instructions)
            channel_plan(model)  # what the run refuses, and only that
        elif isinstance(stage, Cluster):
            cluster_layers(model, stage.layers)
        elif isinstance(stage, QAT):
            check_qat(model, stage.scheme)
        elif isinstance(stage, Int8):
            validate_representative_data(model, data.x_train[: stage.representative_samples])


def _run(recipe: Recipe, model: keras.Model, data: Dataset, work: Path, progress: Progress) -> dict:
    stages_dir = work / "stages"
    stages_dir.mkdir()
    entries = []
    # Every stage is exported with the recipe's own export options (defaults without an int8
    # stage), so sizes compare like with like and the int8 stage reuses the last stage's export.
    final = recipe.stages[-1]
    export = final if isinstance(final, Int8) else Int8()
    trains = [s for s in recipe.stages if isinstance(s, Train)]
    rest = [s for s in recipe.stages if not isinstance(s, Train)]
    total = 1 + len(rest)

    start = time.monotonic()
    if trains:
        model = copy_model(model)
    for stage in trains:
        progress(f"[1/{total}] float: training {stage.epochs} epochs")
        fit(model, _fine_tune(stage, recipe, data), "train")
    if not trains:
        progress(f"[1/{total}] float: evaluating the input model")
    entries.append(_keras_entry("float", 0, model, data, export, stages_dir, start, progress))

    pruned = False
    for number, stage in enumerate(rest, 1):
        label = _label(stage, pruned)
        progress(f"[{number + 1}/{total}] {label}")
        start = time.monotonic()
        if isinstance(stage, Int8):
            entries.append(_int8_entry(stage, Path(entries[-1]["tflite_path"]), data, work, start, progress))
            continue
        training = _fine_tune(stage, recipe, data)
        notes: dict = {}  # stage figures beyond the common ones (report.json)
        if isinstance(stage, Prune):
            model, _ = prune(model, training, sparsity=stage.sparsity, schedule=stage.schedule, layers=stage.layers, m_by_n=stage.m_by_n)
            pruned = True
        elif isinstance(stage, ChannelPrune):
            from tfedge.optimize.channel_prune import channel_prune

            model, metrics = channel_prune(model, training, macs=stage.macs, instructions=stage.instructions,
                                           criterion=stage.criterion, multiple_of=stage.multiple_of)
            notes = {key: metrics[key] for key in ("macs_before", "macs_after", "est_instructions_before",
                                                   "est_instructions_after", "channels")}
        elif isinstance(stage, Cluster):
            preserve = pruned if stage.preserve_sparsity is None else stage.preserve_sparsity
            model, metrics = cluster(model, training, clusters=stage.clusters, init=stage.init,
                                     preserve_sparsity=preserve, layers=stage.layers)
            notes = {key: metrics[key] for key in ("clusters_per_layer", "not_clustered") if metrics[key]}
            if metrics["not_clustered"]:
                progress(f"    not clustered ({next(iter(metrics['not_clustered'].values()))}): "
                         f"{', '.join(metrics['not_clustered'])}")
            if metrics["clusters_per_layer"]:
                progress(f"    fewer clusters (too few distinct weights for {stage.clusters}): "
                         + ", ".join(f"{layer} {k}" for layer, k in metrics["clusters_per_layer"].items()))
        elif isinstance(stage, QAT):
            model, _ = qat(model, training, scheme=stage.scheme)
        name = stage.scheme if isinstance(stage, QAT) else stage.name
        entries.append({**_keras_entry(name, number, model, data, export, stages_dir, start, progress), **notes})
    return {"recipe": recipe.to_dict(), "stages": entries}


def _label(stage, pruned: bool) -> str:
    if isinstance(stage, Prune):
        what = f"{stage.m_by_n} structured" if stage.m_by_n else (f"per-layer {stage.layers}" if stage.layers else f"{stage.sparsity:.0%}")
        return f"prune: {what}, {stage.schedule} schedule, {stage.epochs} epochs"
    if isinstance(stage, ChannelPrune):
        share = stage.macs if stage.instructions is None else stage.instructions
        return (f"channel_prune: filters removed to {stage.macs:.0%} of the MACs and {share:.0%} of the estimated "
                f"instructions ({stage.criterion}), {stage.epochs} epochs")
    if isinstance(stage, Cluster):
        preserve = pruned if stage.preserve_sparsity is None else stage.preserve_sparsity
        return f"cluster: {stage.clusters} clusters, {stage.init} init{', sparsity-preserving' if preserve else ''}, {stage.epochs} epochs"
    if isinstance(stage, QAT):
        return f"{stage.scheme}: quantization-aware training, {stage.epochs} epochs"
    return "int8: full-integer export" + (" (int16 activations)" if stage.int16x8 else "")


def _fine_tune(stage, recipe: Recipe, data: Dataset) -> FineTune:
    return FineTune(
        data.x_train,
        data.y_train,
        epochs=stage.epochs,
        batch_size=stage.batch_size or recipe.batch_size,
        learning_rate=stage.learning_rate,
    )


def _keras_entry(name, number, model, data: Dataset, export: Int8, stages_dir: Path, start, progress) -> dict:
    """Keras accuracy and kernel figures of a stage, its checkpoint, and the size of its int8 export."""
    stem = stages_dir / f"{number:02d}_{name}"
    checkpoint = save_checkpoint(model, stem)
    unique = unique_weights_per_layer(model)
    tflite = export_int8(
        model,
        data.x_train[: export.representative_samples],
        int16x8=export.int16x8,
        allow_float_fallback=export.allow_float_fallback,
        per_channel=export.per_channel,
    )
    stem.with_suffix(".tflite").write_bytes(tflite)
    entry = {
        "name": name,
        "accuracy": keras_accuracy(model, data.x_test, data.y_test),
        "int8_accuracy": evaluate_tflite(tflite, data.x_test, data.y_test),
        "sparsity": overall_sparsity(model),
        "max_unique_weights": max(unique.values(), default=0),
        "tflite_bytes": len(tflite),
        "gzip_bytes": len(gzip.compress(tflite, 9)),
        "path": str(checkpoint),
        "tflite_path": str(stem.with_suffix(".tflite")),
        "seconds": round(time.monotonic() - start, 1),
        "per_layer": {
            name: {"sparsity": float(np.mean(w == 0)), "unique_weights": unique[name]} for name, w in kernels(model).items()
        },
    }
    progress(f"    -> accuracy {entry['accuracy']:.2%} (int8 {entry['int8_accuracy']:.2%}), "
             f"sparsity {entry['sparsity']:.1%}, max unique {entry['max_unique_weights']}, "
             f"{entry['gzip_bytes']} gzip bytes, {entry['seconds']}s")
    return entry


def save_checkpoint(model: keras.Model, stem: Path) -> Path:
    """Save a stage's model where load_keras_model can read it back; returns the path.

    Quantization-aware models are saved as a TensorFlow SavedModel folder: tfmot's collaborative
    quantizers create weights that the .keras and .h5 formats do not restore ("expected N
    variables"), while the SavedModel round trip is exact. Other stages use the .keras format.
    """
    quantized = any(isinstance(layer, tfmot.quantization.keras.QuantizeWrapperV2) for layer in model.layers)
    path = stem.with_suffix(".savedmodel" if quantized else ".keras")
    if quantized:
        # Without traced functions the folder is rebuilt from the layer configs inside tfmot's
        # scopes (load_keras_model); saving is 4x faster and the round trip is still exact.
        model.save(path, save_format="tf", save_traces=False)
    else:
        model.save(path)
    return path


def _int8_entry(stage: Int8, exported: Path, data: Dataset, work: Path, start, progress) -> dict:
    """The final model: the last stage's export (same options), measured with LiteRT."""
    tflite = exported.read_bytes()
    path = work / ("model_int16x8.tflite" if stage.int16x8 else "model_int8.tflite")
    path.write_bytes(tflite)
    stats = tflite_kernel_stats(tflite)
    entry = {
        "name": "int16x8" if stage.int16x8 else "int8",
        "accuracy": evaluate_tflite(tflite, data.x_test, data.y_test),
        "sparsity": stats["sparsity"],
        "max_unique_weights": stats["max_unique_weights_per_channel"],
        "tflite_bytes": len(tflite),
        "gzip_bytes": len(gzip.compress(tflite, 9)),
        "path": str(path),
        "seconds": round(time.monotonic() - start, 1),
    }
    progress(f"    -> LiteRT accuracy {entry['accuracy']:.2%}, {entry['tflite_bytes']} bytes "
             f"({entry['gzip_bytes']} gzip), {entry['seconds']}s")
    return entry


def _relocate(entry: dict, work: Path) -> dict:
    """Paths in the report point into the final folder, relative to it."""
    moved = dict(entry)
    for key in ("path", "tflite_path"):
        if key in moved:
            moved[key] = str(Path(moved[key]).relative_to(work))
    return moved


def _load_data(recipe: Recipe) -> Dataset:
    if recipe.data is None:
        raise DataError("the recipe names no data: add `data: digits` or `data: file.npz` (x_train, y_train, x_test, y_test)")
    return load_dataset(recipe.data, recipe.base_dir)


def _load_model(recipe: Recipe, data: Dataset) -> keras.Model:
    if recipe.model is None:
        raise ModelError("the recipe names no model: add `model: demo_cnn` or `model: path/to/model.keras`")
    if recipe.model in BUILTIN_MODELS:
        classes = int(max(data.y_train.max(), data.y_test.max())) + 1 if data.y_train.ndim == 1 else data.y_train.shape[-1]
        return BUILTIN_MODELS[recipe.model](tuple(data.x_train.shape[1:]), classes)
    path = Path(recipe.model) if recipe.base_dir is None else recipe.base_dir / recipe.model
    if not path.exists():
        raise ModelError(f"model '{recipe.model}': no such file (or use a built-in model: {', '.join(BUILTIN_MODELS)})")
    return load_keras_model(path)
