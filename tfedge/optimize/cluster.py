"""Weight clustering (tfmot) with fine-tuning; returns the stripped model and distinct values per kernel."""

from __future__ import annotations

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
    Metrics: {'max_unique_weights', 'unique_weights_per_layer': {layer: count}, 'sparsity'}.
    """
    model = as_tf_keras(model, "cluster")
    if init not in INITS:
        raise RecipeError(f"cluster: unknown init '{init}'; use one of {', '.join(INITS)}")
    if not isinstance(clusters, int) or clusters < 2:
        raise RecipeError(f"cluster: clusters must be an integer >= 2, got {clusters!r}")
    names = cluster_layers(model, layers)
    model = copy_model(model)

    def wrap(layer: keras.layers.Layer) -> keras.layers.Layer:
        if layer.name not in names:
            return layer
        return tfmot.clustering.keras.cluster_weights(
            layer, number_of_clusters=clusters, cluster_centroids_init=INITS[init], preserve_sparsity=preserve_sparsity
        )

    wrapped = keras.models.clone_model(model, clone_function=wrap)
    fit(wrapped, training, "cluster", loss=loss_for(model, training.y))
    stripped = tfmot.clustering.keras.strip_clustering(wrapped)
    unique = {name: count for name, count in unique_weights_per_layer(stripped).items() if name.split(":")[0] in names}
    return stripped, {
        "max_unique_weights": max(unique.values(), default=0),
        "unique_weights_per_layer": unique,
        "sparsity": overall_sparsity(stripped, list(unique)),
    }


def cluster_layers(model: keras.Model, layers: list[str] | None = None) -> list[str]:
    """The layers to cluster (the named ones, or all with a kernel), after checking tfmot can wrap them."""
    with_kernels = {name.split(":")[0] for name in kernels(model)}
    names = list(layers) if layers is not None else [layer.name for layer in model.layers if layer.name in with_kernels]
    check_model(model, "cluster", names)
    return names
