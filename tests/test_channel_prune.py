"""Structured channel pruning: the rebuilt model has fewer channels and computes exactly what the
original computes with the removed filters zeroed; the MAC target is met; branching models and bad
options are refused. (The device effect, >= 1.7x fewer M4 instructions on the digits CNN, is measured
by scripts/bench.)"""

from __future__ import annotations

import numpy as np
import pytest

from tfedge.errors import RecipeError


@pytest.fixture(scope="module")
def chain_model():
    from tfedge._tf import keras

    keras.utils.set_random_seed(3)
    L = keras.layers
    inp = keras.Input((10, 10, 2))
    x = L.Conv2D(16, 3, padding="same", activation="relu", name="c1")(inp)
    x = L.DepthwiseConv2D(3, padding="same", depth_multiplier=2, activation="relu", name="dw")(x)
    x = L.MaxPooling2D(name="pool")(x)
    x = L.Conv2D(24, 3, padding="same", activation="relu", name="c2")(x)
    x = L.Flatten(name="flat")(x)
    x = L.Dense(20, activation="relu", name="fc1")(x)
    out = L.Dense(5, name="fc2")(x)
    return keras.Model(inp, out)


def _zeroed(model, keep: dict[str, np.ndarray]):
    """The original model with every removed filter's kernel and bias set to zero."""
    from tfedge.optimize.training import copy_model

    clone = copy_model(model)
    for name, kept in keep.items():
        layer = clone.get_layer(name)
        kernel, bias = layer.get_weights()
        drop = np.setdiff1d(np.arange(kernel.shape[-1]), kept)
        kernel[..., drop] = 0
        bias[drop] = 0
        layer.set_weights([kernel, bias])
    return clone


def test_rebuilt_model_equals_zeroed_filters(chain_model):
    from tfedge.optimize.channel_prune import _keep, _rebuild, count_macs

    layers = list(chain_model.layers)
    keep = _keep(layers, 0.5, "l1", 1)
    assert set(keep) == {"c1", "c2", "fc1"}  # not the output layer; depthwise follows its input
    small = _rebuild(chain_model, layers, keep)
    assert small.get_layer("c1").filters == 8 and small.get_layer("dw").output_shape[-1] == 16
    assert small.get_layer("c2").filters == 12 and small.get_layer("fc1").units == 10
    assert count_macs(small) < 0.4 * count_macs(chain_model)
    x = np.random.default_rng(0).uniform(-1, 1, (16, 10, 10, 2)).astype(np.float32)
    np.testing.assert_allclose(small.predict(x, verbose=0), _zeroed(chain_model, keep).predict(x, verbose=0),
                               rtol=1e-4, atol=1e-4)


def test_mac_target_and_multiple_of(chain_model):
    from tfedge.optimize import FineTune
    from tfedge.optimize.channel_prune import channel_prune, count_macs

    x = np.random.default_rng(1).uniform(-1, 1, (64, 10, 10, 2)).astype(np.float32)
    y = np.random.default_rng(2).integers(0, 5, 64)
    small, m = channel_prune(chain_model, FineTune(x, y, epochs=1, verbose=False), macs=0.5, multiple_of=4)
    assert m["macs_after"] == count_macs(small) <= 0.5 * m["macs_before"] == 0.5 * count_macs(chain_model)
    assert all(after % 4 == 0 and after < before for before, after in m["channels"].values())
    assert chain_model.get_layer("c1").filters == 16  # the input model is untouched


def test_refusals(chain_model):
    from tfedge._tf import keras
    from tfedge.optimize import FineTune
    from tfedge.optimize.channel_prune import channel_prune

    tune = FineTune(np.zeros((4, 10, 10, 2), np.float32), np.zeros(4, np.int64), epochs=0)
    with pytest.raises(RecipeError, match="macs"):
        channel_prune(chain_model, tune, macs=1.5)
    with pytest.raises(RecipeError, match="criterion"):
        channel_prune(chain_model, tune, criterion="l3")
    inp = keras.Input((6, 6, 3))
    a = keras.layers.Conv2D(4, 3, padding="same")(inp)
    b = keras.layers.Conv2D(4, 1)(a)
    branching = keras.Model(inp, keras.layers.Add()([a, b]))
    with pytest.raises(RecipeError, match="branch"):
        channel_prune(branching, tune)


def test_recipe_stage(tmp_path):
    """`channel_prune` in a recipe: validated like every stage, runs, and the int8 model has fewer channels."""
    from tfedge.compiler import compile_model
    from tfedge.optimize import Recipe, run_recipe

    with pytest.raises(RecipeError, match="criterion"):
        Recipe.from_dict({"model": "demo_cnn", "data": "digits", "stages": [{"channel_prune": {"criterion": "max"}}, "int8"]})
    with pytest.raises(RecipeError, match="macs"):
        Recipe.from_dict({"model": "demo_cnn", "data": "digits", "stages": [{"channel_prune": {"macs": 2.0}}, "int8"]})
    recipe = Recipe.from_dict({"model": "demo_cnn", "data": "digits", "stages": [
        {"train": {"epochs": 1}}, {"channel_prune": {"macs": 0.5, "epochs": 1}}, {"int8": {"representative_samples": 32}}]})
    report = run_recipe(recipe, tmp_path / "out")
    assert [s["name"] for s in report["stages"]] == ["float", "channel_prune", "int8"]
    macs = [compile_model(tmp_path / "out" / s["tflite_path"], tmp_path / s["name"]).report["total_macs"]
            for s in report["stages"][:2]]
    assert macs[1] <= 0.5 * macs[0]
