"""Weight clustering (tfmot) with fine-tuning; returns the stripped model and distinct values per kernel.

Two tfmot limits are handled here rather than met mid-run:
* k-means++ initialisation samples each centroid from the weights (with sparsity preserved: the
  negative and the positive non-zero weights separately, the clusters shared out in proportion), and
  aborts with `num_to_sample <= points.rows()` when a layer has fewer of them than clusters (a 4-wide
  conv pruned to 75 %). Such a layer gets the most clusters its weights allow (`clusters_per_layer`).
* tfmot's registry clusters no DepthwiseConv2D kernel ("non-clusterable due to big unrecoverable
  accuracy loss"), and cluster-preserving QAT keeps no depthwise clusters either: those layers are
  listed in `not_clustered` with the reason, instead of silently keeping every distinct value.
"""

from __future__ import annotations

import numpy as np

from tfedge._tf import keras, tfmot
from tfedge.errors import RecipeError
from tfedge.optimize.checks import check_model
from tfedge.optimize.keras_convert import as_tf_keras
from tfedge.optimize.metrics import kernels, overall_sparsity, unique_weights_per_layer
from tfedge.optimize.training import FineTune, copy_model, fit, loss_for

_Init = tfmot.clustering.keras.CentroidInitialization
INITS = {
    "kmeans++": _Init.KMEANS_PLUS_PLUS,
    "linear": _Init.LINEAR,
    "density": _Init.DENSITY_BASED,
    "random": _Init.RANDOM,
}


def cluster(
    model: keras.Model,
    training: FineTune,
    *,
    clusters: int = 16,
    init: str = "kmeans++",
    preserve_sparsity: bool = False,
    layers: list[str] | None = None,
) -> tuple[keras.Model, dict]:
    """Cluster every kernel (or the named layers') to `clusters` shared values, fine-tune, strip.

    preserve_sparsity keeps pruned zeros at zero (prune -> cluster without losing sparsity).
    A layer with too few distinct (non-zero, with preserve_sparsity) weights for `clusters` gets fewer
    (tfmot's k-means++ would abort). Metrics: {'max_unique_weights', 'unique_weights_per_layer':
    {layer: count}, 'sparsity', 'clusters_per_layer': {layer: clusters} (the layers given fewer),
    'not_clustered': {layer: reason} (layers with weights that tfmot leaves as they are)}.
    """
    model = as_tf_keras(model, "cluster")
    if init not in INITS:
        raise RecipeError(f"cluster: unknown init '{init}'; use one of {', '.join(INITS)}")
    if not isinstance(clusters, int) or clusters < 2:
        raise RecipeError(f"cluster: clusters must be an integer >= 2, got {clusters!r}")
    names = cluster_layers(model, layers)
    model = copy_model(model)
    found = kernels(model)
    per_layer = _clusters_per_layer(found, names, clusters, preserve_sparsity)
    fewer = {name: k for name, k in per_layer.items() if k < clusters}

    def wrap(layer: keras.layers.Layer) -> keras.layers.Layer:
        if layer.name not in names:
            return layer
        return tfmot.clustering.keras.cluster_weights(
            layer, number_of_clusters=per_layer.get(layer.name, clusters), cluster_centroids_init=INITS[init],
            preserve_sparsity=preserve_sparsity,
        )

    wrapped = keras.models.clone_model(model, clone_function=wrap)
    fit(wrapped, training, "cluster", loss=loss_for(model, training.y))
    stripped = tfmot.clustering.keras.strip_clustering(wrapped)
    unique = {name: count for name, count in unique_weights_per_layer(stripped).items() if name.split(":")[0] in names}
    return stripped, {
        "max_unique_weights": max(unique.values(), default=0),
        "unique_weights_per_layer": unique,
        "sparsity": overall_sparsity(stripped, list(unique)),
        "clusters_per_layer": fewer,
        "not_clustered": not_clustered(model, names),
    }


def clusters_for(weights: np.ndarray, clusters: int, preserve_sparsity: bool) -> int | None:
    """The most clusters (<= `clusters`) tfmot's centroid initialisation can place on `weights`, None if
    not even tfmot's minimum (2; 3 with sparsity preserved).

    Without sparsity preservation every centroid needs a distinct weight; with it, one centroid is 0 and
    the other k - 1 are split between the negative and positive weights in proportion to their counts
    (tf.math.round, half to even like Python's round), each side needing as many distinct values."""
    w = np.asarray(weights).ravel()
    if not preserve_sparsity:
        k = min(clusters, np.unique(w).size)
        return k if k >= 2 else None
    negative, positive = int(np.sum(w < 0)), int(np.sum(w > 0))
    if negative + positive == 0:
        return clusters  # tfmot keeps the single zero centroid
    distinct_neg, distinct_pos = np.unique(w[w < 0]).size, np.unique(w[w > 0]).size
    for k in range(clusters, 2, -1):
        on_negative = round((k - 1) * negative / (negative + positive))
        if on_negative <= distinct_neg and k - 1 - on_negative <= distinct_pos:
            return k
    return None


def _clusters_per_layer(found: dict[str, np.ndarray], names: list[str], clusters: int,
                        preserve_sparsity: bool) -> dict[str, int]:
    """{layer: clusters it gets}; RecipeError naming a layer whose weights admit none."""
    per_layer = {}
    for name in names:
        if name not in found:
            continue
        k = clusters_for(found[name], clusters, preserve_sparsity)
        if k is None:
            w = found[name]
            detail = (f"{np.unique(w[w < 0]).size} distinct negative and {np.unique(w[w > 0]).size} distinct "
                      "positive non-zero weights" if preserve_sparsity else f"{np.unique(w).size} distinct weight(s)")
            raise RecipeError(
                f"cluster: layer '{name}' has {detail}, too few for tfmot's smallest clustering "
                f"({3 if preserve_sparsity else 2} clusters{', one of them 0' if preserve_sparsity else ''}); "
                "leave it out with `layers: [names]`, or prune it less before clustering")
        per_layer[name] = k
    return per_layer


def not_clustered(model: keras.Model, names: list[str]) -> dict[str, str]:
    """{layer: why its kernel keeps all its values} for the layers asked for that tfmot leaves alone."""
    out = {}
    for layer in model.layers:
        if layer.name in names and isinstance(layer, keras.layers.DepthwiseConv2D):
            out[layer.name] = ("DepthwiseConv2D: tfmot's clustering registry has no clusterable weight for it "
                               "(and cluster-preserving QAT none either)")
    return out


def cluster_layers(model: keras.Model, layers: list[str] | None = None) -> list[str]:
    """The layers to cluster (the named ones, or all with a kernel), after checking tfmot can wrap them."""
    with_kernels = {name.split(":")[0] for name in kernels(model)}
    names = list(layers) if layers is not None else [layer.name for layer in model.layers if layer.name in with_kernels]
    check_model(model, "cluster", names)
    return names
