"""Quantization-aware training (tfmot), plain or collaborative (keeping sparsity and/or clusters)."""

from __future__ import annotations

from tf_keras.src.saving.serialization_lib import SafeModeScope

from tfedge._tf import keras, tfmot
from tfedge.errors import ModelError, RecipeError
from tfedge.optimize.checks import check_structure
from tfedge.optimize.keras_convert import as_tf_keras
from tfedge.optimize.metrics import overall_sparsity, unique_weights_per_layer
from tfedge.optimize.training import FineTune, copy_model, fit, loss_for

# name -> what the scheme preserves while fake-quantizing
SCHEMES = {
    "qat": "nothing (plain QAT)",
    "pqat": "sparsity (prune-preserving QAT)",
    "cqat": "clusters (cluster-preserving QAT)",
    "pcqat": "sparsity and clusters (prune- and cluster-preserving QAT)",
}



def quantize_scheme(scheme: str) -> tfmot.quantization.keras.QuantizeScheme:
    """tfmot's QuantizeScheme for `scheme` (one of SCHEMES)."""
    if scheme not in SCHEMES:
        raise RecipeError(f"qat: unknown scheme '{scheme}'; use one of {', '.join(SCHEMES)}")
    quantize, combine = tfmot.quantization.keras, tfmot.experimental.combine
    return {
        "qat": lambda: quantize.default_8bit.Default8BitQuantizeScheme(),
        "pqat": lambda: combine.Default8BitPrunePreserveQuantizeScheme(),
        "cqat": lambda: combine.Default8BitClusterPreserveQuantizeScheme(preserve_sparsity=False),
        "pcqat": lambda: combine.Default8BitClusterPreserveQuantizeScheme(preserve_sparsity=True),
    }[scheme]()


def qat(model: keras.Model, training: FineTune, *, scheme: str = "qat") -> tuple[keras.Model, dict]:
    """Wrap the model for quantization-aware training with `scheme` and fine-tune it.

    Returns the quantization-aware Keras model (export it with export_int8) and
    {'sparsity', 'max_unique_weights', 'unique_weights_per_layer'} of the kernels it trains.
    """
    model = as_tf_keras(model, "qat")
    check_qat(model, scheme)
    model = copy_model(model)
    quantize = tfmot.quantization.keras
    # No 'quant_' prefix: the wrappers keep the layer names, which the .tflite tensor names and so the
    # compile report, per-layer tables and errors carry through to the board.
    wrapped = quantize.quantize_apply(quantize.quantize_annotate_model(model), quantize_scheme(scheme),
                                      quantized_layer_name_prefix="")
    fit(wrapped, training, scheme, loss=loss_for(model, training.y))
    unique = unique_weights_per_layer(wrapped)
    return wrapped, {
        "sparsity": overall_sparsity(wrapped),
        "max_unique_weights": max(unique.values(), default=0),
        "unique_weights_per_layer": unique,
    }


def check_qat(model: keras.Model, scheme: str = "qat") -> None:
    """Raise ModelError naming the layers tfmot's `scheme` would refuse to quantize, with the fix.

    Asks tfmot the question quantize_apply answers: its layout transforms rewrite the graph first
    (BatchNormalization after a Conv2D/DepthwiseConv2D/Dense is folded into it, Conv-BN-ReLU becomes
    one quantized unit), then every remaining layer needs a QuantizeConfig from the scheme's
    registry. Same transforms, same registry, no wrapping or weight copies (a few seconds on
    MobileNetV2 instead of quantize_model's dozen).
    """
    quantize_scheme(scheme)  # unknown scheme first
    check_structure(model, "qat")
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    if nested:
        listed = ", ".join(f"'{layer.name}' ({type(layer).__name__})" for layer in nested)
        raise ModelError(f"qat: tfmot cannot quantize nested model(s) {listed}; flatten them into one "
                         "functional model (call their layers on the outer model's tensors)")
    qscheme = quantize_scheme(scheme)
    # quantize_annotate_model annotates every layer but the inputs, with no QuantizeConfig of its own.
    layer_map = {layer.name: {} for layer in model.layers}
    # The transforms rebuild the model from its config: let them rebuild the caller's own custom
    # and Lambda layers (an in-memory model, not an untrusted file) so that those get named below.
    custom = {type(layer).__name__: type(layer) for layer in model.layers}
    try:
        with keras.utils.custom_object_scope(custom), SafeModeScope(False):
            transformed, layer_map = qscheme.get_layout_transformer().apply(model, layer_map)
    except Exception as exc:  # a layer whose config does not rebuild it
        raise ModelError(f"qat: tfmot cannot rebuild the model from its layer configs ({type(exc).__name__}: "
                         f"{str(exc)[:300]}); every layer needs a get_config() that from_config() accepts") from exc
    registry = qscheme.get_quantize_registry()
    bad = [
        layer for layer in transformed.layers
        if not isinstance(layer, keras.layers.InputLayer) and layer.name in layer_map
        and not layer_map[layer.name].get("quantize_config") and not registry.supports(layer)
    ]
    if bad:
        listed = ", ".join(f"'{layer.name}' ({type(layer).__name__})" for layer in bad)
        raise ModelError(f"qat: tfmot cannot wrap layer(s) {listed}; {_qat_fix(bad)}")


def _qat_fix(bad: list) -> str:
    fixes = []
    for layer in bad:
        if isinstance(layer, keras.layers.BatchNormalization):
            source = _input_layer(layer)
            where = f"'{source.name}' ({type(source).__name__})" if source is not None else "its input"
            fixes.append(
                f"'{layer.name}' follows {where}: tfmot quantizes BatchNormalization only by folding it into the "
                "Conv2D/DepthwiseConv2D/Dense right before it, so put it there (Conv2D without activation -> "
                "BatchNormalization -> ReLU), or drop it"
            )
    fixes.append(
        "replace other layers with built-in Keras layers (Lambda and custom layers have no quantized kernel), or "
        "annotate them yourself with tfmot.quantization.keras.quantize_annotate_layer(layer, quantize_config=...) "
        "and a QuantizeConfig"
    )
    return "; ".join(fixes)


def _input_layer(layer: keras.layers.Layer) -> keras.layers.Layer | None:
    nodes = getattr(layer, "_inbound_nodes", [])
    if not nodes:
        return None
    inbound = nodes[0].inbound_layers
    inbound = inbound if isinstance(inbound, (list, tuple)) else [inbound]
    return inbound[0] if len(inbound) == 1 else None
