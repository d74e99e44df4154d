"""Quantization-aware training (tfmot), plain or collaborative (keeping sparsity and/or clusters)."""

from __future__ import annotations

from tfedge._tf import keras, tfmot
from tfedge.errors import RecipeError
from tfedge.optimize.checks import check_model
from tfedge.optimize.metrics import overall_sparsity, unique_weights_per_layer
from tfedge.optimize.training import FineTune, copy_model, fit, loss_for

# name -> what the scheme preserves while fake-quantizing
SCHEMES = {
    "qat": "nothing (plain QAT)",
    "pqat": "sparsity (prune-preserving QAT)",
    "cqat": "clusters (cluster-preserving QAT)",
    "pcqat": "sparsity and clusters (prune- and cluster-preserving QAT)",
}


def qat(model: keras.Model, training: FineTune, *, scheme: str = "qat") -> tuple[keras.Model, dict]:
    """Wrap the model for quantization-aware training with `scheme` and fine-tune it.

    Returns the quantization-aware Keras model (export it with export_int8) and
    {'sparsity', 'max_unique_weights', 'unique_weights_per_layer'} of the kernels it trains.
    """
    if scheme not in SCHEMES:
        raise RecipeError(f"qat: unknown scheme '{scheme}'; use one of {', '.join(SCHEMES)}")
    check_model(model, "qat")
    model = copy_model(model)
    quantize = tfmot.quantization.keras
    if scheme == "qat":
        wrapped = quantize.quantize_model(model)
    else:
        combine = tfmot.experimental.combine
        quantize_scheme = {
            "pqat": lambda: combine.Default8BitPrunePreserveQuantizeScheme(),
            "cqat": lambda: combine.Default8BitClusterPreserveQuantizeScheme(preserve_sparsity=False),
            "pcqat": lambda: combine.Default8BitClusterPreserveQuantizeScheme(preserve_sparsity=True),
        }[scheme]()
        wrapped = quantize.quantize_apply(quantize.quantize_annotate_model(model), quantize_scheme)
    fit(wrapped, training, scheme, loss=loss_for(model, training.y))
    unique = unique_weights_per_layer(wrapped)
    return wrapped, {
        "sparsity": overall_sparsity(wrapped),
        "max_unique_weights": max(unique.values(), default=0),
        "unique_weights_per_layer": unique,
    }
