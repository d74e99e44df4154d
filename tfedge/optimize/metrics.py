"""What the optimization stages are judged by: kernel sparsity and distinct kernel values, per layer.

A "kernel" is a layer's multiply weight (kernel, depthwise_kernel, pointwise_kernel,
recurrent_kernel), not biases or batch-norm statistics: those are what pruning and clustering
act on and what dominates the flash size of the exported model.
"""

from __future__ import annotations

import numpy as np

from tfedge._tf import keras

KERNEL_SUFFIXES = ("kernel:0", "kernel")


def kernels(model: keras.Model) -> dict[str, np.ndarray]:
    """layer name -> its kernel weights (several per layer get ':' suffixes, e.g. 'sep:pointwise_kernel')."""
    found: dict[str, np.ndarray] = {}
    for layer in model.layers:
        layer_kernels = [w for w in layer.weights if _is_kernel(w.name)]
        for weight in layer_kernels:
            key = layer.name if len(layer_kernels) == 1 else f"{layer.name}:{_short(weight.name)}"
            found[key] = weight.numpy()
    return found


def _is_kernel(name: str) -> bool:
    short = _short(name)
    # tfmot wrappers add variables such as 'ori_weights_vars_tf' and 'cluster_centroids'; skip them.
    return short.endswith("kernel") and "ori_weights" not in name and "centroid" not in name


def _short(name: str) -> str:
    return name.split("/")[-1].split(":")[0]


def sparsity_per_layer(model: keras.Model) -> dict[str, float]:
    """Fraction of exactly-zero values in each kernel."""
    return {name: float(np.mean(w == 0)) for name, w in kernels(model).items()}


def unique_weights_per_layer(model: keras.Model) -> dict[str, int]:
    """Number of distinct values in each kernel."""
    return {name: int(np.unique(w).size) for name, w in kernels(model).items()}


def overall_sparsity(model: keras.Model, layers: list[str] | None = None) -> float:
    """Zero fraction over all kernel values (of the given kernels only, when named)."""
    values = [w for name, w in kernels(model).items() if layers is None or name in layers]
    total = sum(w.size for w in values)
    return float(sum(int(np.sum(w == 0)) for w in values) / total) if total else 0.0


def keras_accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int = 256) -> float:
    """Top-1 accuracy of a classifier; y holds integer labels or one-hot rows."""
    scores = model.predict(x, batch_size=batch_size, verbose=0)
    y = np.asarray(y)
    labels = y.argmax(-1) if y.ndim == scores.ndim and y.shape[-1] == scores.shape[-1] else y.reshape(-1)
    return float(np.mean(scores.reshape(len(scores), -1).argmax(-1) == labels))
