"""Bad input to the optimization stages and recipes: a clear error, before any training starts."""

import numpy as np
import pytest

from tfedge._tf import keras
from tfedge.cli import main
from tfedge.errors import DataError, ModelError, RecipeError
from tfedge.optimize import FineTune, Recipe, cluster, prune, qat, run_recipe
from tfedge.optimize.data import Dataset
from tfedge.optimize.models import demo_cnn

L = keras.layers


@pytest.fixture(autouse=True)
def no_training(monkeypatch):
    """Any call to fit means an error came too late."""

    def refuse(*args, **kwargs):
        raise AssertionError("training started before the bad input was reported")

    monkeypatch.setattr(keras.Model, "fit", refuse)


def _tune():
    return FineTune(np.zeros((8, 8, 8, 1), np.float32), np.zeros(8, np.int64), epochs=1)


class Scale(L.Layer):
    """A custom layer with a kernel: no tfmot registry knows it."""

    def build(self, shape):
        self.kernel = self.add_weight(name="kernel", shape=(shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.kernel


def _with_custom_layer() -> keras.Model:
    inputs = keras.Input((8, 8, 1))
    x = L.Conv2D(4, 3, name="conv")(inputs)
    x = Scale(name="my_scale")(x)
    x = L.Lambda(lambda t: t * 2.0, name="my_lambda")(x)
    return keras.Model(inputs, L.Dense(10, name="head")(L.Flatten()(x)))


@pytest.mark.parametrize("stage", [prune, cluster, qat])
def test_keras3_model_with_a_custom_layer_in_a_tfmot_stage(stage):
    """Keras 3 models are converted to tf_keras; a layer without a tf_keras twin is named."""
    import keras as keras3

    @keras3.saving.register_keras_serializable(package="tests")
    class Twice(keras3.layers.Layer):
        def call(self, x):
            return 2.0 * x

    inputs = keras3.Input((8, 8, 1))
    model = keras3.Model(inputs, keras3.layers.Dense(10)(keras3.layers.Flatten()(Twice(name="twice")(inputs))))
    with pytest.raises(ModelError, match=r"layer 'twice' \(tests>Twice\) of the Keras 3 model has no tf_keras equivalent"):
        stage(model, _tune())


def test_layer_tfmot_cannot_prune_or_cluster_is_named():
    model = _with_custom_layer()
    with pytest.raises(ModelError, match=r"prune: tfmot cannot wrap layer\(s\) 'my_scale' \(Scale\)"):
        prune(model, _tune())
    with pytest.raises(ModelError, match=r"cluster: tfmot cannot wrap layer\(s\) 'my_scale' \(Scale\)"):
        cluster(model, _tune())
    # Per-layer targets that leave it out are fine up to training (which this test forbids).
    with pytest.raises(AssertionError, match="training started"):
        prune(model, _tune(), layers={"conv": 0.5})


def test_layer_tfmot_cannot_quantize_is_named():
    with pytest.raises(ModelError, match=r"qat: tfmot cannot wrap layer\(s\) 'my_scale' \(Scale\), 'my_lambda' \(Lambda\)"):
        qat(_with_custom_layer(), _tune())


def test_subclassed_model_and_unknown_layer_names():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(10)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net(np.zeros((1, 4), np.float32))
    with pytest.raises(ModelError, match="subclassed"):
        prune(net, _tune())
    with pytest.raises(ModelError, match="no layer named nope"):
        prune(demo_cnn(), _tune(), layers={"nope": 0.5})


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"stages": [{"distill": {}}]}, r"stage 1: unknown stage 'distill'; use one of train, prune"),
        ({"stages": [{"prune": {"sparsity": 0.5, "sparsty": 0.5}}]}, r"stage 1 \(prune\): unknown key\(s\) sparsty; allowed: sparsity"),
        ({"stages": ["int8"], "optimizer": "sgd"}, r"recipe: unknown key\(s\) optimizer"),
        ({"stages": [{"prune": {"sparsity": 1.5}}]}, r"'sparsity' must be > 0 and < 1"),
        ({"stages": [{"prune": {"m_by_n": "4:2"}}]}, r"0 < M < N"),
        ({"stages": [{"cluster": {"init": "kmeans"}}]}, r"unknown init 'kmeans'"),
        ({"stages": [{"qat": {"scheme": "pcqat2"}}]}, r"unknown scheme 'pcqat2'"),
        ({"stages": ["int8", "prune"]}, r"int8 export must be the last stage"),
        ({"stages": ["prune", "train"]}, r"train stages must come first"),
        ({"stages": ["qat", "cluster", "int8"]}, r"stage 2 \(cluster\): a qat stage must be the last training stage"),
        ({"stages": [{"prune": {"epochs": "two"}}]}, r"'epochs' must be int"),
        ({"stages": [{"prune": {"epochs": 0}}]}, r"'epochs' must be >= 1"),
        ({"stages": []}, r"'stages' must be a non-empty list"),
        ({"stages": [["prune"]]}, r"write a stage as a name"),
    ],
)
def test_bad_recipes(raw, message):
    with pytest.raises(RecipeError, match=message):
        Recipe.from_dict({"model": "demo_cnn", "data": "digits", **raw})


def test_bad_recipe_through_the_cli(tmp_path, capsys):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("model: demo_cnn\ndata: digits\nstages:\n  - prune: {sparsity: 0.5}\n  - quantise\n")
    assert main(["optimize", str(recipe)]) == 1
    err = capsys.readouterr().err
    assert "tfedge optimize: error: stage 2: unknown stage 'quantise'" in err and "Traceback" not in err
    assert not (tmp_path / "bad-out").exists()


def _data(x_train: np.ndarray) -> Dataset:
    y = np.zeros(len(x_train), np.int64)
    return Dataset(x_train, y, x_train[:4], y[:4])


def test_recipe_data_errors_before_training(tmp_path):
    recipe = Recipe(stages=[Recipe.from_dict({"stages": ["prune"]}).stages[0]])
    with pytest.raises(DataError, match=r"x_train samples have shape \(8, 8\), the model input is \(N, 8, 8, 1\)"):
        run_recipe(recipe, tmp_path / "out", model=demo_cnn(), data=_data(np.zeros((16, 8, 8), np.float32)))
    bad = np.zeros((16, 8, 8, 1), np.float32)
    bad[3, 1, 1, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        run_recipe(recipe, tmp_path / "out", model=demo_cnn(), data=_data(bad))
    assert not (tmp_path / "out").exists()


def test_recipe_model_errors_before_training(tmp_path):
    import keras as keras3

    recipe = Recipe.from_dict({"stages": [{"prune": {}}, {"qat": {"scheme": "pqat"}}, "int8"]})
    # A Keras 3 model is converted, then checked like any other: its BN after the ReLU is refused.
    inputs = keras3.Input((8, 8, 1))
    x = keras3.layers.BatchNormalization(name="late_bn")(keras3.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs))
    model3 = keras3.Model(inputs, keras3.layers.Dense(10)(keras3.layers.Flatten()(x)))
    data = _data(np.zeros((16, 8, 8, 1), np.float32))
    with pytest.raises(ModelError, match=r"qat: tfmot cannot wrap layer\(s\) 'late_bn'.*follows 'conv' \(Conv2D\)"):
        run_recipe(recipe, tmp_path / "out", model=model3, data=data)
    # The QAT stage's unsupported layer is found before the prune stage would train.
    custom = _with_custom_layer()
    recipe = Recipe.from_dict({"stages": [{"prune": {"layers": {"conv": 0.5}}}, "qat", "int8"]})
    with pytest.raises(ModelError, match="qat: tfmot cannot wrap layer.*'my_lambda'"):
        run_recipe(recipe, tmp_path / "out", model=custom, data=data)
    with pytest.raises(ModelError, match="no such file"):
        run_recipe(Recipe(stages=recipe.stages, model="missing.keras", data="digits"), tmp_path / "out")
