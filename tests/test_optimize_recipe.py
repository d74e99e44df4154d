"""Recipes as YAML and objects, and `tfedge optimize` / `tfedge export` end to end on a tiny model."""

import json
from pathlib import Path

import numpy as np
import pytest

from tfedge.cli import main
from tfedge.demo import DEMO_RECIPE
from tfedge.optimize.recipe import QAT, Cluster, Int8, Prune, Recipe

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "recipes"


def test_example_recipe_is_the_demo_recipe():
    recipe = Recipe.from_yaml(EXAMPLES / "digits_pcqat.yaml")
    assert recipe == DEMO_RECIPE
    assert Recipe.from_dict(recipe.to_dict()) == recipe


def test_yaml_forms_and_defaults(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(
        "model: net.keras\ndata: d.npz\nstages:\n"
        "  - prune: {layers: {conv2: 0.6}, m_by_n: '2:4', learning_rate: 1e-4}\n"
        "  - cluster\n  - qat: {scheme: cqat}\n  - int8: {int16x8: true}\n"
    )
    recipe = Recipe.from_yaml(path)
    assert recipe.stages == [
        Prune(layers={"conv2": 0.6}, m_by_n="2:4", learning_rate=1e-4),
        Cluster(),
        QAT(scheme="cqat"),
        Int8(int16x8=True),
    ]
    assert recipe.base_dir == tmp_path


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory):
    """A saved tf_keras model and an .npz dataset, as a user would bring them."""
    from tfedge._tf import keras, set_seeds
    from tfedge.optimize.data import digits

    folder = tmp_path_factory.mktemp("project")
    data = digits()
    np.savez(folder / "digits.npz", x_train=data.x_train[:600], y_train=data.y_train[:600],
             x_test=data.x_test, y_test=data.y_test)
    set_seeds(5)
    L = keras.layers
    model = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(8, 3, activation="relu"), L.Flatten(),
                              L.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(data.x_train, data.y_train, epochs=4, verbose=0)
    model.save(folder / "net.keras")
    return folder


def test_optimize_cli_writes_the_output_folder(tiny_project, capsys):
    recipe = tiny_project / "recipe.yaml"
    recipe.write_text(
        "model: net.keras\ndata: digits.npz\nstages:\n"
        "  - prune: {sparsity: 0.5, schedule: constant, epochs: 1}\n"
        "  - int8: {representative_samples: 64, int16x8: true}\n"
    )
    assert main(["optimize", str(recipe), "--check"]) == 0
    assert "ok (2 stages)" in capsys.readouterr().out
    assert not (tiny_project / "recipe-out").exists()

    assert main(["optimize", str(recipe)]) == 0
    out = tiny_project / "recipe-out"
    printed = capsys.readouterr().out
    assert "[2/3] prune" in printed and "| int16x8" in printed  # progress, then the table
    report = json.loads((out / "report.json").read_text())
    assert [s["name"] for s in report["stages"]] == ["float", "prune", "int16x8"]
    assert (out / "model_int16x8.tflite").is_file() and (out / "stages" / "01_prune.keras").is_file()
    from tfedge.export import tflite_summary

    # every stage is exported with the recipe's options
    for path in ("model_int16x8.tflite", "stages/00_float.tflite"):
        assert tflite_summary((out / path).read_bytes())["inputs"] == ["int16"], path
    assert report["stages"][1]["sparsity"] >= 0.49 and report["stages"][2]["sparsity"] >= 0.49
    assert report["recipe"]["stages"][0] == {"prune": {"schedule": "constant", "epochs": 1}}

    # `tfedge export` on the pruned checkpoint: int8, per-tensor, accuracy from the .npz
    target = tiny_project / "pruned8.tflite"
    assert main(["export", str(out / "stages" / "01_prune.keras"), "--data", str(tiny_project / "digits.npz"),
                 "-o", str(target), "--per-tensor", "--eval", str(tiny_project / "digits.npz")]) == 0
    printed = capsys.readouterr().out
    assert "LiteRT accuracy" in printed and target.is_file()
    info = tflite_summary(target.read_bytes())
    assert info["inputs"] == ["int8"] and info["float_ops"] == []


def test_export_cli_bad_data(tiny_project, capsys):
    np.save(tiny_project / "wrong.npy", np.zeros((4, 8, 8), np.float32))
    assert main(["export", str(tiny_project / "net.keras"), "--data", str(tiny_project / "wrong.npy")]) == 1
    assert "does not match the model input (N, 8, 8, 1)" in capsys.readouterr().err
