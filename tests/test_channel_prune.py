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
    from tfedge.optimize.channel_prune import _keep, _rebuild, channel_plan, count_macs

    plan = channel_plan(chain_model)
    keep = _keep(plan, 0.5, "l1", 1)
    assert set(keep) == {"c1", "c2", "fc1"}  # not the output layer; depthwise follows its input
    small = _rebuild(chain_model, plan, keep)
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
    # multiples of 4; the refill may give a group all its filters back
    assert all(after % 4 == 0 and after <= before for before, after in m["channels"].values())
    assert any(after < before for before, after in m["channels"].values())
    assert chain_model.get_layer("c1").filters == 16  # the input model is untouched


def _estimated_instructions(model) -> float:
    """device_cost summed over a model at its own widths (what the search estimates without rebuilding)."""
    from tfedge.optimize.device_cost import layer_instructions

    return sum(layer_instructions(layer, float(layer.input_shape[-1]), float(layer.output_shape[-1]))
               for layer in model.layers[1:])  # a chain: one input each


def test_both_budgets_hold_with_kernel_friendly_widths(chain_model):
    """Default search: at most half the MACs and half the estimated M4 instructions, every pruned width a
    multiple of 8, and no group could keep 8 more filters within the budgets (the refill is maximal).
    The estimate made without rebuilding equals the rebuilt model's own."""
    from tfedge.optimize import FineTune
    from tfedge.optimize.channel_prune import _estimate, _layer_macs, channel_plan, channel_prune

    x = np.random.default_rng(1).uniform(-1, 1, (32, 10, 10, 2)).astype(np.float32)
    small, m = channel_prune(chain_model, FineTune(x, np.zeros(32, np.int64), epochs=0))
    assert m["macs_after"] <= 0.5 * m["macs_before"]
    assert m["est_instructions_after"] <= 0.5 * m["est_instructions_before"]
    assert m["est_instructions_before"] == pytest.approx(_estimated_instructions(chain_model), abs=1)
    assert m["est_instructions_after"] == pytest.approx(_estimated_instructions(small), abs=1)
    assert all(after % 8 == 0 or after == before for before, after in m["channels"].values())
    assert sum(after < before for before, after in m["channels"].values()) >= 2
    plan, per_layer = channel_plan(chain_model), _layer_macs(chain_model)
    for name, (before, after) in m["channels"].items():
        if after + 8 > before:
            continue
        keep = {n: np.arange(a if n != name else a + 8) for n, (_, a) in m["channels"].items()}
        macs, instructions = _estimate(plan, per_layer, keep)
        assert macs > 0.5 * m["macs_before"] or instructions > 0.5 * m["est_instructions_before"], name


def test_refusals(chain_model):
    from tfedge._tf import keras
    from tfedge.optimize import FineTune
    from tfedge.optimize.channel_prune import channel_prune

    tune = FineTune(np.zeros((4, 10, 10, 2), np.float32), np.zeros(4, np.int64), epochs=0)
    with pytest.raises(RecipeError, match="macs"):
        channel_prune(chain_model, tune, macs=1.5)
    with pytest.raises(RecipeError, match="criterion"):
        channel_prune(chain_model, tune, criterion="l3")
    with pytest.raises(RecipeError, match=r"instructions must be a fraction in \(0, 1\]"):
        channel_prune(chain_model, tune, instructions=0.0)
    inp = keras.Input((6, 6, 3))
    a = keras.layers.Conv2D(4, 3, padding="same")(inp)
    b = keras.layers.Conv2D(4, 1)(a)
    # a residual ADD couples a and b, and it is the model output: nothing may lose channels
    branching = keras.Model(inp, keras.layers.Add()([a, b]))
    with pytest.raises(RecipeError, match="no layer can lose channels"):
        channel_prune(branching, tune)
    shared = keras.layers.Conv2D(3, 1, name="shared")
    twice = keras.Model(inp, keras.layers.Add()([shared(inp), shared(inp)]))
    with pytest.raises(RecipeError, match="'shared' is called 2 times"):
        channel_prune(twice, tune)


@pytest.fixture(scope="module")
def branchy_model():
    """A residual ADD, a concatenation, a depthwise conv on the sum and a Flatten -> Dense head."""
    from tfedge._tf import keras

    keras.utils.set_random_seed(5)
    L = keras.layers
    inp = keras.Input((8, 8, 3))
    a = L.ReLU(name="a_relu")(L.BatchNormalization(name="a_bn")(L.Conv2D(12, 3, padding="same", name="a")(inp)))
    b = L.Conv2D(12, 3, padding="same", name="b")(a)
    s = L.ReLU(name="s_relu")(L.Add(name="add")([a, b]))
    d = L.DepthwiseConv2D(3, padding="same", name="dw")(s)
    c = L.Conv2D(8, 1, name="c")(inp)
    x = L.Concatenate(name="cat")([d, c])
    x = L.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="e")(x)
    x = L.Dense(6, activation="relu", name="f")(L.Flatten(name="flat")(x))
    return keras.Model(inp, L.Dense(4, name="out")(x))


def test_branches_are_pruned_as_groups(branchy_model):
    from tfedge.optimize.channel_prune import _keep, _rebuild, channel_plan, count_macs

    plan = channel_plan(branchy_model)
    keep = _keep(plan, 0.5, "l1", 1)
    assert set(keep) == {"a", "b", "c", "e", "f"}
    np.testing.assert_array_equal(keep["a"], keep["b"])  # coupled by the residual ADD
    small = _rebuild(branchy_model, plan, keep)
    assert small.get_layer("dw").output_shape[-1] == 6 and small.get_layer("cat").output_shape[-1] == 10
    assert count_macs(small) < 0.45 * count_macs(branchy_model)
    x = np.random.default_rng(0).uniform(-1, 1, (8, 8, 8, 3)).astype(np.float32)
    # fresh BatchNormalization maps 0 to 0, so zeroed filters stay zero through it
    np.testing.assert_allclose(small.predict(x, verbose=0), _zeroed(branchy_model, keep).predict(x, verbose=0),
                               rtol=1e-4, atol=1e-4)


def test_check_refuses_exactly_what_the_run_refuses(tmp_path, branchy_model):
    """--check runs the same dependency analysis: a branchy model passes both, a model whose every group
    reaches the output is refused by both with the same message."""
    from tfedge._tf import keras
    from tfedge.optimize import Recipe
    from tfedge.optimize.data import Dataset
    from tfedge.optimize.pipeline import precheck

    recipe = Recipe.from_dict({"stages": [{"channel_prune": {"macs": 0.5}}, "int8"]})
    data = Dataset(np.zeros((4, 8, 8, 3), np.float32), np.zeros(4, np.int64), np.zeros((4, 8, 8, 3), np.float32),
                   np.zeros(4, np.int64))
    precheck(recipe, branchy_model, data)
    inp = keras.Input((8, 8, 3))
    stuck = keras.Model(inp, keras.layers.Add()([keras.layers.Conv2D(3, 1)(inp), inp]))
    with pytest.raises(RecipeError, match="no layer can lose channels"):
        precheck(recipe, stuck, data)


def test_recipe_stage(tmp_path):
    """`channel_prune` in a recipe: validated like every stage, runs, and the int8 model has fewer channels."""
    from tfedge.compiler import compile_model
    from tfedge.optimize import Recipe, run_recipe

    with pytest.raises(RecipeError, match="criterion"):
        Recipe.from_dict({"model": "demo_cnn", "data": "digits", "stages": [{"channel_prune": {"criterion": "max"}}, "int8"]})
    with pytest.raises(RecipeError, match="macs"):
        Recipe.from_dict({"model": "demo_cnn", "data": "digits", "stages": [{"channel_prune": {"macs": 2.0}}, "int8"]})
    with pytest.raises(RecipeError, match="'instructions' must be"):
        Recipe.from_dict({"model": "demo_cnn", "data": "digits", "stages": [{"channel_prune": {"instructions": 1.5}}, "int8"]})
    recipe = Recipe.from_dict({"model": "demo_cnn", "data": "digits", "stages": [
        {"train": {"epochs": 1}}, {"channel_prune": {"macs": 0.5, "epochs": 1}}, {"int8": {"representative_samples": 32}}]})
    report = run_recipe(recipe, tmp_path / "out")
    assert [s["name"] for s in report["stages"]] == ["float", "channel_prune", "int8"]
    macs = [compile_model(tmp_path / "out" / s["tflite_path"], tmp_path / s["name"]).report["total_macs"]
            for s in report["stages"][:2]]
    assert macs[1] <= 0.5 * macs[0]
