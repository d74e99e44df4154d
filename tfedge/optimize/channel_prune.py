"""Structured channel (filter) pruning: whole filters go, the model is rebuilt with fewer channels.

Unlike magnitude pruning (zeros a compiled model still multiplies), the exported model really has
fewer channels, so MACs, flash and time drop on the device. The filters with the smallest L1 (or L2)
norm are removed from every Conv2D/Dense but the output layer, by one uniform fraction found so the
model keeps at most `macs` of its multiply-accumulates; the layers that read a pruned layer lose the
matching input channels (through BatchNormalization, pooling, activations, Dropout, DepthwiseConv2D
and Flatten); then the smaller model is fine-tuned.

Supports chains (every layer has one input), as most MCU CNNs; a branching model is refused.
"""

from __future__ import annotations

import numpy as np

from tfedge._tf import keras
from tfedge.errors import RecipeError
from tfedge.optimize.keras_convert import as_tf_keras
from tfedge.optimize.training import FineTune, fit, loss_for

CRITERIA = ("l1", "l2")
# Layers whose output channels are their input channels (sliced along with them).
_PASS = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D, keras.layers.ReLU, keras.layers.Activation,
         keras.layers.Dropout, keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D,
         keras.layers.ZeroPadding2D, keras.layers.InputLayer)


def channel_prune(model: keras.Model, training: FineTune, *, macs: float = 0.5, criterion: str = "l1",
                  multiple_of: int = 4) -> tuple[keras.Model, dict]:
    """Remove the lowest-norm filters until the model has at most `macs` (a fraction) of its MACs,
    rebuild it smaller and fine-tune it. Kept channel counts are rounded to `multiple_of` (4: what the
    SIMD kernels of the DSP and Helium paths process per step; 1: exact). Metrics: macs_before,
    macs_after, removed_fraction, channels {layer: [before, after]}."""
    model = as_tf_keras(model, "channel_prune")
    if not 0.0 < macs < 1.0:
        raise RecipeError(f"channel_prune: macs must be a fraction between 0 and 1 (exclusive), got {macs}")
    if criterion not in CRITERIA:
        raise RecipeError(f"channel_prune: unknown criterion '{criterion}'; use one of {', '.join(CRITERIA)}")
    if not isinstance(multiple_of, int) or multiple_of < 1:
        raise RecipeError(f"channel_prune: multiple_of must be a positive integer, got {multiple_of}")
    layers = _chain(model)
    before = count_macs(model)
    best = None
    for step in range(1, 50):  # uniform fraction of filters removed, in 2 % steps, smallest that reaches the target
        fraction = step / 50
        keep = _keep(layers, fraction, criterion, multiple_of)
        candidate = _rebuild(model, layers, keep)
        best = (fraction, keep, candidate)
        if count_macs(candidate) <= macs * before:
            break
    fraction, keep, pruned = best
    fit(pruned, training, "channel_prune", loss=loss_for(model, training.y))
    channels = {layer.name: [_width(layer), len(keep[layer.name])] for layer in layers if layer.name in keep}
    return pruned, {"macs_before": before, "macs_after": count_macs(pruned), "removed_fraction": fraction,
                    "channels": channels}


def _chain(model: keras.Model) -> list:
    for layer in model.layers:
        if any(len(_inputs(n)) > 1 for n in layer._inbound_nodes) or len(layer._outbound_nodes) > 1:
            raise RecipeError(f"channel_prune: layer '{layer.name}' is part of a branch (several inputs or "
                              "readers); only chains of layers (Sequential-like models) are supported: prune "
                              "this model with `prune` instead")
    return list(model.layers)


def _inputs(node) -> list:
    t = node.input_tensors
    return list(t) if isinstance(t, (list, tuple)) else [t]


def _width(layer) -> int:
    return int(layer.filters if isinstance(layer, keras.layers.Conv2D) else layer.units)


def _prunable(layers: list) -> list:
    """Conv2D/Dense layers except the last one with weights (the model's output)."""
    weighted = [l for l in layers if isinstance(l, (keras.layers.Conv2D, keras.layers.Dense, keras.layers.DepthwiseConv2D))]
    return [l for l in weighted[:-1] if isinstance(l, (keras.layers.Conv2D, keras.layers.Dense))
            and not isinstance(l, keras.layers.DepthwiseConv2D)]


def _keep(layers: list, fraction: float, criterion: str, multiple_of: int) -> dict[str, np.ndarray]:
    """{layer: sorted indices of the filters kept}."""
    keep = {}
    for layer in _prunable(layers):
        kernel = layer.get_weights()[0]
        flat = np.abs(kernel.reshape(-1, kernel.shape[-1]))
        norms = flat.sum(axis=0) if criterion == "l1" else np.sqrt((flat ** 2).sum(axis=0))
        width = kernel.shape[-1]
        n = int(round(width * (1.0 - fraction) / multiple_of)) * multiple_of
        n = min(width, max(n, multiple_of, 1))
        keep[layer.name] = np.sort(np.argsort(-norms, kind="stable")[:n])
    return keep


def _rebuild(model: keras.Model, layers: list, keep: dict[str, np.ndarray]) -> keras.Model:
    """The model with the kept filters only, weights sliced to match."""
    config = model.get_config()
    for entry in config["layers"]:
        name = entry["config"]["name"]
        if name in keep:
            key = "filters" if "filters" in entry["config"] else "units"
            entry["config"][key] = int(len(keep[name]))
    new = model.__class__.from_config(config)
    channels = None  # kept input channels of the current layer (None: all)
    spatial = None  # (h, w) of the last feature map before Flatten
    for old in layers:
        layer = new.get_layer(old.name)
        weights = old.get_weights()
        if isinstance(old, keras.layers.DepthwiseConv2D):
            if channels is not None:  # output channel c * mult + m reads input channel c
                mult = weights[0].shape[3]
                weights[0] = weights[0][:, :, channels, :]
                if len(weights) > 1:
                    weights[1] = weights[1].reshape(-1, mult)[channels].ravel()
                channels = (channels[:, None] * mult + np.arange(mult)).ravel()
        elif isinstance(old, (keras.layers.Conv2D, keras.layers.Dense)):
            kernel = weights[0]
            if channels is not None:
                if isinstance(old, keras.layers.Dense) and spatial is not None:  # after Flatten: (h, w, c) rows
                    c_old = kernel.shape[0] // (spatial[0] * spatial[1])
                    kernel = kernel.reshape(spatial[0], spatial[1], c_old, -1)[:, :, channels, :].reshape(-1, kernel.shape[-1])
                else:
                    kernel = kernel[..., channels, :]
            if old.name in keep:
                kernel = kernel[..., keep[old.name]]
                if len(weights) > 1:
                    weights[1] = weights[1][keep[old.name]]
            weights[0] = kernel
            channels = keep.get(old.name)
            spatial = None
        elif isinstance(old, keras.layers.BatchNormalization):
            if channels is not None:
                weights = [w[channels] for w in weights]
        elif isinstance(old, keras.layers.Flatten):
            shape = old.input_shape
            spatial = (int(shape[1]), int(shape[2])) if len(shape) == 4 else (1, 1)
        elif not isinstance(old, _PASS) and weights:
            raise RecipeError(f"channel_prune: cannot slice layer '{old.name}' ({type(old).__name__}); supported: "
                              "Conv2D, DepthwiseConv2D, Dense, BatchNormalization, pooling, activations, Flatten")
        if weights:
            layer.set_weights(weights)
    return new


def count_macs(model: keras.Model) -> int:
    """Multiply-accumulates of one inference (Conv2D, DepthwiseConv2D, Dense)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            k = layer.get_weights()[0]
            _, h, w, c = layer.output_shape
            total += h * w * c * k.shape[0] * k.shape[1]
        elif isinstance(layer, keras.layers.Conv2D):
            k = layer.get_weights()[0]
            _, h, w, c = layer.output_shape
            total += h * w * c * k.shape[0] * k.shape[1] * k.shape[2]
        elif isinstance(layer, keras.layers.Dense):
            k = layer.get_weights()[0]
            total += int(np.prod(layer.output_shape[1:-1] or [1])) * k.shape[0] * k.shape[1]
    return int(total)
