#!/usr/bin/env python3
"""Builds the benchmark corpus (scripts/corpus/models.py) on demand: one int8 .tflite per model, cached
content-keyed outside the repository (~/.cache/tfedge/corpus, or --out), so a model is rebuilt only when
its builder, its helpers, its recipe, its seed or the TensorFlow version change.

    scripts/corpus/build.py [--out DIR] [--models a,b] [--jobs 2]

Missing models are built in at most `jobs` spawned worker processes (TensorFlow is imported there only,
one intra-op thread each), with one progress line per model.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import inspect
import json
import multiprocessing
import os
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

if __name__ == "__main__":  # run as a script: make `corpus` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from corpus import models as corpus_models  # noqa: E402
from corpus.models import CorpusModel, select, synthetic_data  # noqa: E402

VERSION = 1  # bump to rebuild everything
CALIBRATION_SAMPLES = 64
TRAIN_SAMPLES = 512


def default_dir() -> Path:
    from tfedge.paths import cache_dir

    return cache_dir() / "corpus"


def _tf_versions() -> str:
    return "/".join(f"{p}={importlib.metadata.version(p)}" for p in ("tensorflow", "tf_keras"))


def _helpers_source() -> str:
    """Source of the layer helpers every builder may call, and of the recipe below (edit, train, export)."""
    parts = [inspect.getsource(f) for n, f in sorted(vars(corpus_models).items())
             if inspect.isfunction(f) and (n.startswith("_") or n == "synthetic_data") and f.__module__ == corpus_models.__name__]
    return "".join(parts) + "".join(inspect.getsource(f) for f in (_edit_filters, _train, _make))


def cache_key(spec: CorpusModel) -> str:
    fields = [VERSION, spec.name, inspect.getsource(spec.builder), _helpers_source(), spec.seed, list(spec.shape),
              spec.params, spec.train_epochs, spec.zero_filters, spec.tiny_filters, spec.edit_layers, spec.per_channel,
              _tf_versions()]
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:16]


def paths_for(spec: CorpusModel, root: Path) -> tuple[Path, Path]:
    stem = root / f"{spec.name}-{cache_key(spec)}"
    return stem.with_suffix(".tflite"), stem.with_suffix(".json")


# ---- the recipe (runs in a worker; TensorFlow) -------------------------------------------------------------


def _edit_filters(keras, model, spec: CorpusModel) -> dict:
    """Zero (or scale by 1e-3) a seeded choice of output filters of the last `edit_layers` weighted layers
    before the classifier: what channel pruning and L1 regularisation leave in trained models."""
    if not (spec.zero_filters or spec.tiny_filters):
        return {}
    kinds = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)
    weighted = [l for l in model.layers if isinstance(l, kinds)][:-1]  # the output layer keeps all its units
    rng = np.random.default_rng(spec.seed + 1000)
    edited = {}
    for layer in weighted[-spec.edit_layers:]:
        w = layer.get_weights()
        kernel = w[0]
        axis = 2 if isinstance(layer, keras.layers.DepthwiseConv2D) else kernel.ndim - 1
        n = kernel.shape[axis]
        count = int(round(n * (spec.zero_filters or spec.tiny_filters)))
        chosen = rng.choice(n, size=count, replace=False)
        index = [slice(None)] * kernel.ndim
        index[axis] = chosen
        kernel[tuple(index)] *= 0.0 if spec.zero_filters else 1e-3
        layer.set_weights([kernel, *w[1:]])
        edited[layer.name] = count
    return edited


def _train(keras, model, spec: CorpusModel) -> None:
    """A few epochs on synthetic data: classifiers learn a random linear labelling, autoencoders their input."""
    x = synthetic_data(spec, TRAIN_SAMPLES, spec.seed + 1)
    if tuple(model.output_shape[1:]) == tuple(spec.shape):
        model.compile(keras.optimizers.Adam(1e-3), "mse")
        model.fit(x, x, batch_size=32, epochs=spec.train_epochs, verbose=0)
        return
    classes = model.output_shape[-1]
    proj = np.random.default_rng(spec.seed + 2).standard_normal((x[0].size, classes)).astype(np.float32)
    y = np.argmax(x.reshape(len(x), -1) @ proj, axis=1)
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=32, epochs=spec.train_epochs, verbose=0)


def _make(spec: CorpusModel) -> tuple[bytes, dict]:
    from tfedge._tf import keras
    from tfedge.export import export_int8

    keras.utils.set_random_seed(spec.seed)
    model = spec.builder(keras, spec.shape, **spec.params)
    if spec.train_epochs:
        _train(keras, model, spec)
    edited = _edit_filters(keras, model, spec)
    rep = synthetic_data(spec, CALIBRATION_SAMPLES, spec.seed)
    tflite = export_int8(model, rep, per_channel=spec.per_channel)
    return tflite, {"float_params": int(model.count_params()), "edited_filters": edited}


def _worker_init(threads: int) -> None:
    from tfedge._tf import tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def _build_one(name: str, root: str) -> dict:
    spec = corpus_models.BY_NAME[name]
    t0 = time.time()
    tflite, extra = _make(spec)
    path, meta_path = paths_for(spec, Path(root))
    meta = {"name": spec.name, "builder": spec.builder.__name__, "seed": spec.seed, "shape": list(spec.shape),
            "params": spec.params, "train_epochs": spec.train_epochs, "zero_filters": spec.zero_filters,
            "tiny_filters": spec.tiny_filters, "per_channel": spec.per_channel, "note": spec.note,
            "tf": _tf_versions(), "key": cache_key(spec), "build_seconds": round(time.time() - t0, 1),
            "tflite_bytes": len(tflite), **extra}
    for target, data in ((path, tflite), (meta_path, (json.dumps(meta, indent=1) + "\n").encode())):
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.partial")  # concurrent builders never share one
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return {**meta, "path": str(path)}


def build_corpus(names: list[str] | None = None, root: Path | None = None, jobs: int = 2, log=print) -> dict[str, Path]:
    """{name: .tflite path} for the corpus models named (all by default), building the missing ones."""
    specs = select(names)
    root = Path(root) if root else default_dir()
    root.mkdir(parents=True, exist_ok=True)
    paths = {s.name: paths_for(s, root)[0] for s in specs}
    todo = [s.name for s in specs if not paths[s.name].is_file()]
    if not todo:
        return paths
    jobs = max(1, min(jobs, 2, len(todo)))  # TensorFlow per worker: never more than two at once
    log(f"corpus: building {len(todo)} of {len(specs)} models into {root} ({jobs} process{'es' if jobs > 1 else ''}) ...")
    t0 = time.time()
    ctx = multiprocessing.get_context("spawn")  # never fork a process that may have imported TensorFlow
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init,
                             initargs=(2 if jobs == 1 else 1,)) as pool:
        futures = {pool.submit(_build_one, n, str(root)): n for n in todo}
        for k, fut in enumerate(as_completed(futures), 1):
            meta = fut.result()
            paths[meta["name"]] = Path(meta["path"])  # where the worker wrote it (its key is the one that counts)
            log(f"corpus [{k:>2}/{len(todo)}] {time.time() - t0:5.0f} s  {meta['name']:<16} {meta['tflite_bytes']:>9,} B "
                f"({meta['build_seconds']:.0f} s)")
    return paths


def metadata(path: Path) -> dict:
    return json.loads(path.with_suffix(".json").read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="cache folder (default ~/.cache/tfedge/corpus)")
    parser.add_argument("--models", help="comma-separated corpus names (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="builder processes (at most 2)")
    args = parser.parse_args(argv)
    paths = build_corpus(args.models.split(",") if args.models else None, args.out, args.jobs,
                         log=lambda m: print(m, file=sys.stderr, flush=True))
    for name, path in paths.items():
        print(f"{name:<16} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
