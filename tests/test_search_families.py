"""The search's model families and recipe choices: every built-in family (MobileNetV1/V2, ResNet-CIFAR, a 1-D
CNN besides digits_cnn / DS-CNN) builds, exports to int8 and compiles; int16x8 as a recipe choice; the input
resolution; a user's own builder (`builder: module:function`), its checks, and one of its trials on the board."""

from __future__ import annotations

import numpy as np
import pytest

from tfedge.search.space import FAMILIES, SearchError, SearchSpace


def my_build(input_shape, classes, *, units, activation):
    """A user's builder, as docs/search.md documents it: (input_shape, classes, **the space's model parameters)."""
    from tfedge._tf import keras

    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(units, activation=activation)(x)
    return keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(x), name=f"mlp{units}")


def not_a_model(input_shape, classes, **params):
    return "a string"


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_builds_exports_and_compiles(family):
    from tfedge.emulate.figures import compile_report
    from tfedge.export import export_int8
    from tfedge.search.builders import build

    x = np.random.default_rng(0).random((16, 8, 8, 1), dtype=np.float32)
    model = build(family, (8, 8, 1), 10, width=4, depth=2, kernel=3)
    assert model.output_shape == (None, 10)
    report = compile_report(export_int8(model, x))
    assert report["layers"] and report["outputs"][0]["shape"][-1] == 10
    ops = {layer["op"] for layer in report["layers"]}
    expected = {"mobilenet_v1": "DEPTHWISE_CONV_2D", "mobilenet_v2": "ADD", "resnet_cifar": "ADD", "ds_cnn": "DEPTHWISE_CONV_2D"}
    assert expected.get(family, "CONV_2D") in ops, ops


def test_int16x8_and_resolution_are_choices(tmp_path):
    from tfedge.search.trial import load_data, recipe_for

    space = SearchSpace.from_dict({"model": {"width": [4], "resolution": [8, 12]}, "recipe": {"quantization": ["ptq", "int16x8"]}})
    assert space.choices()["recipe.quantization"] == ["ptq", "int16x8"] and space.choices()["model.resolution"] == [8, 12]
    params = {"recipe.sparsity": 0.0, "recipe.clusters": 0, "recipe.quantization": "int16x8"}
    assert recipe_for(space, params, space.short_epochs).stages[-1].int16x8
    assert not recipe_for(space, {**params, "recipe.quantization": "ptq"}, space.short_epochs).stages[-1].int16x8
    data = load_data("digits", 12)
    assert data.x_train.shape[1:] == (12, 12, 1) and data.x_test.shape[1:] == (12, 12, 1)
    with pytest.raises(SearchError, match="recipe.quantization"):
        SearchSpace.from_dict({"recipe": {"quantization": ["int4"]}})


def test_a_users_builder_is_checked_and_called():
    from tfedge.search.builders import build

    space = SearchSpace.from_dict({"builder": "test_search_families:my_build",
                                   "model": {"units": [8, 16], "activation": ["relu"]}})
    assert space.model == {"units": [8, 16], "activation": ["relu"]}  # no built-in defaults mixed in
    model = build(space.family, (8, 8, 1), 10, builder=space.builder, units=8, activation="relu")
    assert model.name == "mlp8"
    with pytest.raises(SearchError, match="cannot be imported"):
        SearchSpace.from_dict({"builder": "no_such_module:build", "model": {"units": [8]}})
    with pytest.raises(SearchError, match="has no function 'nope'"):
        SearchSpace.from_dict({"builder": "test_search_families:nope", "model": {"units": [8]}})
    with pytest.raises(SearchError, match="must be 'module:function'"):
        SearchSpace.from_dict({"builder": "test_search_families", "model": {"units": [8]}})
    with pytest.raises(SearchError, match="not a tf_keras Model"):
        build("digits_cnn", (8, 8, 1), 10, builder="test_search_families:not_a_model")


@pytest.mark.slow
@pytest.mark.qemu
def test_a_users_builder_trial_with_int16x8_is_measured_on_the_board(tmp_path):
    from tfedge.search.trial import run_trial

    space = SearchSpace.from_dict({"builder": "test_search_families:my_build", "model": {"units": [16], "activation": ["relu"]},
                                   "recipe": {"quantization": ["int16x8"]}, "epochs": 2, "short_epochs": 1, "samples": 32})
    params = {"model.units": 16, "model.activation": "relu", "recipe.sparsity": 0.0, "recipe.clusters": 0,
              "recipe.quantization": "int16x8", "board": "stm32f405"}
    steps = []
    metrics = run_trial(space, params, tmp_path, lambda step, m: steps.append(m))
    assert steps[0]["early_fits"] and metrics["fits"] and metrics["board_samples"] == 32
    assert metrics["accuracy"] > 0.3 and metrics["instructions"] > 1000  # 2 epochs of a 16-unit MLP on digits
    from tfedge.emulate.figures import compile_report

    report = compile_report(metrics["tflite"])
    assert "int16" in str(report["layers"][0]) or "int16" in str(report["inputs"][0]), report["inputs"]  # int16 activations
