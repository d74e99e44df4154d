"""Keras 3 model -> the same tf_keras (Keras 2) model, for the tfmot stages.

tensorflow-model-optimization wraps only tf_keras layers, while TensorFlow >= 2.16 gives users
Keras 3 by default. Built-in layers exist in both with the same names and weight order, so the
architecture is rebuilt from the Keras 3 config (layer by layer, graph from the inbound nodes) and
the weights copied by layer. Initializers are not carried over: every weight is copied, so they
would never run. Anything without a tf_keras twin (custom layers, nested models, an option tf_keras
lacks) is named instead of guessed.

Keras 3 itself is never imported here: the model handed in already brought it.
"""

from __future__ import annotations

import inspect

from tfedge._tf import is_keras3_model, keras
from tfedge.errors import ModelError

# Base-layer keyword arguments tf_keras layers accept besides their own __init__ parameters.
_BASE_KWARGS = {"name", "trainable", "dtype", "dynamic", "input_shape", "batch_input_shape", "batch_size",
                "weights", "activity_regularizer", "autocast", "input_dim"}
# Keras 3 serializes objects as {"module", "class_name", "config", "registered_name"}; these keys
# hold initializers, which the copied weights make irrelevant.
_DROPPED_KEYS = ("initializer",)


def as_tf_keras(model: object, stage: str) -> object:
    """`model` itself unless it is a Keras 3 model; then the equivalent tf_keras model with its weights."""
    if not is_keras3_model(model):
        return model
    return convert_keras3(model, stage)


def convert_keras3(model: object, stage: str = "convert") -> keras.Model:
    """Rebuild a Keras 3 Sequential/functional model in tf_keras and copy its weights layer by layer."""
    kind = type(model).__name__
    if kind not in ("Sequential", "Functional") and not hasattr(model, "get_config"):
        raise ModelError(f"{stage}: cannot convert a Keras 3 {kind}: only Sequential and functional models map to tf_keras")
    try:
        config = model.get_config()
    except NotImplementedError:
        config = None
    if not isinstance(config, dict) or "layers" not in config:
        raise ModelError(f"{stage}: {kind} is a subclassed Keras 3 model, which has no layer graph to convert; "
                         "build it with keras.Sequential([...]) or keras.Model(inputs, outputs)")
    entries = config["layers"]
    if "input_layers" in config:
        new = _functional(config, stage)
    else:
        new = _sequential(entries, config.get("name"), stage)
    old_layers = {layer.name: layer for layer in model.layers}
    for layer in new.layers:
        if isinstance(layer, keras.layers.InputLayer) or layer.name not in old_layers:
            continue
        weights = old_layers[layer.name].get_weights()
        try:
            layer.set_weights(weights)
        except ValueError as exc:
            raise ModelError(f"{stage}: layer '{layer.name}' ({type(layer).__name__}) of the Keras 3 model has weights "
                             f"tf_keras cannot take ({exc}); rebuild that layer with tf_keras") from exc
    return new


def _functional(config: dict, stage: str) -> keras.Model:
    tensors: dict[tuple, object] = {}
    for entry in config["layers"]:
        name = entry["config"]["name"] if "name" not in entry else entry["name"]
        if entry["class_name"] == "InputLayer":
            tensors[(name, 0, 0)] = _input(entry["config"])
            continue
        layer = _layer(entry, stage)
        for node_index, node in enumerate(entry.get("inbound_nodes", [])):
            args = _resolve(node.get("args", []), tensors)
            kwargs = {k: _resolve(v, tensors) for k, v in node.get("kwargs", {}).items() if v is not None}
            outputs = layer(*args, **kwargs)
            for tensor_index, tensor in enumerate(outputs if isinstance(outputs, (list, tuple)) else [outputs]):
                tensors[(name, node_index, tensor_index)] = tensor
    inputs = [tensors[tuple(ref)] for ref in _refs(config["input_layers"])]
    outputs = [tensors[tuple(ref)] for ref in _refs(config["output_layers"])]
    return keras.Model(inputs if len(inputs) > 1 else inputs[0], outputs if len(outputs) > 1 else outputs[0],
                       name=config.get("name"))


def _sequential(entries: list, name: str | None, stage: str) -> keras.Model:
    if not entries or entries[0]["class_name"] != "InputLayer":
        raise ModelError(f"{stage}: the Keras 3 Sequential model has no input shape; start it with keras.Input(shape)")
    x = inputs = _input(entries[0]["config"])
    for entry in entries[1:]:
        x = _layer(entry, stage)(x)
    return keras.Model(inputs, x, name=name)


def _refs(value: list) -> list:
    """[name, node, tensor] or a list of them -> a list of them."""
    return [value] if value and isinstance(value[0], str) else list(value)


def _resolve(value, tensors: dict):
    """Replace Keras 3's serialized tensor references with the tf_keras tensors built so far."""
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return tensors[tuple(value["config"]["keras_history"])]
    if isinstance(value, (list, tuple)):
        return [_resolve(v, tensors) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, tensors) for k, v in value.items()}
    return value


def _input(config: dict):
    return keras.Input(batch_shape=tuple(config["batch_shape"]), dtype=_plain(config.get("dtype")), name=config["name"])


def _layer(entry: dict, stage: str) -> keras.layers.Layer:
    """The tf_keras layer of the same class built from the Keras 3 layer's config."""
    config, class_name = entry["config"], entry["class_name"]
    name = config.get("name", "?")
    cls = getattr(keras.layers, class_name, None) if entry.get("module", "keras.layers") == "keras.layers" else None
    if class_name in ("Functional", "Sequential", "Model"):
        raise ModelError(f"{stage}: layer '{name}' is a nested Keras 3 model; flatten it into one functional model "
                         "(call its layers on the outer model's tensors) so every layer can be converted")
    if cls is None or entry.get("registered_name") not in (None, class_name):
        raise ModelError(f"{stage}: layer '{name}' ({entry.get('registered_name') or class_name}) of the Keras 3 model has "
                         "no tf_keras equivalent (custom layer); rebuild the model with tf_keras "
                         "(`import tf_keras as keras`) or replace that layer with built-in ones")
    accepted = _parameters(cls)
    kwargs = {}
    for key, value in config.items():
        if any(key.endswith(suffix) for suffix in _DROPPED_KEYS):
            continue
        value = _plain(value)
        if key not in accepted:
            if value in (None, False, 0, 0.0, [], {}):
                continue  # a Keras 3 option left at its default: nothing to carry over
            raise ModelError(f"{stage}: layer '{name}' ({class_name}) uses the Keras 3 option {key}={value!r}, which "
                             "tf_keras does not have; rebuild that layer with tf_keras")
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{stage}: layer '{name}' ({class_name}) cannot be rebuilt in tf_keras from its Keras 3 config "
                         f"({exc}); rebuild that layer with tf_keras") from exc


def _parameters(cls: type) -> set[str]:
    """Keyword arguments `cls` takes, following **kwargs up the class hierarchy (BatchNormalization
    passes renorm options on to its base class)."""
    names = set(_BASE_KWARGS)
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        parameters = inspect.signature(klass.__init__).parameters.values()
        names.update(p.name for p in parameters if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return names


def _plain(value):
    """Keras 3 serialized objects -> what tf_keras accepts: a dtype policy becomes its name, other
    objects (activations, regularizers, constraints) {'class_name', 'config'}."""
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        if value["class_name"] in ("DTypePolicy", "FloatDTypePolicy"):
            return value["config"]["name"]
        return {"class_name": value["class_name"], "config": {k: _plain(v) for k, v in (value["config"] or {}).items()}}
    if isinstance(value, list):
        return tuple(_plain(v) for v in value) if all(not isinstance(v, (dict, list)) for v in value) else [_plain(v) for v in value]
    return value
