"""Refuse models tfmot cannot handle before any training starts, naming the layers and the fix.

tfmot's own errors come late (after cloning, sometimes mid-fit) and name a layer class, not the
layer; checking its registries up front lets a recipe fail in the first second. Pruning and
clustering wrap layers one by one, so their registries answer per layer; QAT first rewrites the
graph (folds BatchNormalization into the conv before it), so qat.check_qat asks tfmot's own
transforms instead (it uses `check_structure` from here for what every stage shares).
"""

from __future__ import annotations

from collections.abc import Iterable

from tfedge._tf import keras, require_legacy_keras, tfmot
from tfedge.errors import ModelError
from tensorflow_model_optimization.python.core.clustering.keras.clustering_registry import ClusteringRegistry
from tensorflow_model_optimization.python.core.sparsity.keras.prune_registry import PruneRegistry

TOOLS = ("prune", "cluster")


def check_structure(model: object, tool: str) -> None:
    """What every tfmot stage needs: a tf_keras Sequential or functional model."""
    require_legacy_keras(model, tool)
    if not (isinstance(model, keras.Sequential) or getattr(model, "_is_graph_network", False)):
        raise ModelError(
            f"{tool}: {type(model).__name__} is a subclassed Keras model; tfmot only wraps Sequential or "
            "functional models: rebuild it with keras.Sequential([...]) or keras.Model(inputs, outputs)"
        )


def check_model(model: object, tool: str, layer_names: Iterable[str] | None = None) -> None:
    """Raise ModelError unless every layer that `tool` ('prune', 'cluster') would wrap is supported."""
    check_structure(model, tool)
    names = {layer.name for layer in model.layers}
    if layer_names is not None:
        missing = sorted(set(layer_names) - names)
        if missing:
            raise ModelError(f"{tool}: no layer named {', '.join(missing)}; the model has: {', '.join(sorted(names))}")
    wanted = set(layer_names) if layer_names is not None else names
    bad = [layer for layer in model.layers if layer.name in wanted and not _supports(tool, layer)]
    if bad:
        listed = ", ".join(f"'{layer.name}' ({type(layer).__name__})" for layer in bad)
        raise ModelError(f"{tool}: tfmot cannot wrap layer(s) {listed}; {_FIXES[tool]}")


def _supports(tool: str, layer: keras.layers.Layer) -> bool:
    if isinstance(layer, keras.layers.InputLayer):
        return True
    if isinstance(layer, keras.Model):
        return False  # nested models: tfmot wraps layers, not sub-models
    if tool == "prune":
        return isinstance(layer, tfmot.sparsity.keras.PrunableLayer) or PruneRegistry.supports(layer) or not layer.weights
    if tool == "cluster":
        return isinstance(layer, tfmot.clustering.keras.ClusterableLayer) or ClusteringRegistry.supports(layer)
    raise ValueError(tool)


_FIXES = {
    "prune": "leave it out with per-layer targets (`layers: {name: sparsity}`), or make it a "
    "tfmot.sparsity.keras.PrunableLayer; nested models must be flattened into one functional model",
    "cluster": "leave it out with `layers: [names]`, or make it a tfmot.clustering.keras.ClusterableLayer; "
    "nested models must be flattened into one functional model",
}
