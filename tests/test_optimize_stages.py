"""The stage functions on a small digits model: schedules, per-layer targets, M-by-N, inits, QAT schemes."""

import numpy as np
import pytest

from tfedge._tf import keras, set_seeds
from tfedge.callbacks import PruningSummaries, UpdatePruningStep
from tfedge.errors import RecipeError, TfedgeError
from tfedge.export import evaluate_tflite, export_int8, tflite_summary
from tfedge.optimize import FineTune, cluster, digits, prune, qat
from tfedge.optimize.metrics import keras_accuracy, kernels
from tfedge.optimize.training import fit

L = keras.layers


@pytest.fixture(scope="module")
def data():
    return digits()


@pytest.fixture(scope="module")
def small(data):
    """conv1 (1 input channel), conv2 (8 -> 8), fc (32 -> 10): quick to train, 2:4-compatible after conv1."""
    set_seeds(3)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        L.Conv2D(8, 3, activation="relu", name="conv1"),
        L.Conv2D(8, 3, strides=2, activation="relu", name="conv2"),
        L.GlobalAveragePooling2D(name="gap"),
        L.Dense(32, activation="relu", name="fc1"),
        L.Dense(10, name="fc2"),  # logits: the stages must pick from_logits themselves
    ])
    fit(model, FineTune(data.x_train, data.y_train, epochs=6, learning_rate=1e-2, verbose=False), "train")
    return model


def _tune(data, epochs=1):
    # 15 steps: enough for the schedules and clusters to settle on an already trained model, and quick.
    return FineTune(data.x_train[:480], data.y_train[:480], epochs=epochs, learning_rate=5e-4, verbose=False)


def test_prune_whole_model_polynomial_leaves_input_untouched(small, data):
    before = [w.copy() for w in small.get_weights()]
    pruned, metrics = prune(small, _tune(data), sparsity=0.6)
    assert all(np.array_equal(a, b) for a, b in zip(before, small.get_weights()))
    assert set(metrics["sparsity_per_layer"]) == {"conv1", "conv2", "fc1", "fc2"}
    for layer, values in kernels(pruned).items():
        assert np.mean(values == 0) == pytest.approx(0.6, abs=0.02), layer
    assert metrics["sparsity"] == pytest.approx(0.6, abs=0.01)
    assert not any("prune" in layer.name for layer in pruned.layers)  # stripped
    assert keras_accuracy(pruned, data.x_test, data.y_test) > 0.5


def test_prune_per_layer_constant(small, data):
    pruned, metrics = prune(small, _tune(data), schedule="constant", layers={"conv2": 0.7, "fc1": 0.3})
    assert set(metrics["sparsity_per_layer"]) == {"conv2", "fc1"}
    found = kernels(pruned)
    assert np.mean(found["conv2"] == 0) == pytest.approx(0.7, abs=0.02)
    assert np.mean(found["fc1"] == 0) == pytest.approx(0.3, abs=0.02)
    assert np.mean(found["conv1"] == 0) < 0.05


def test_prune_two_of_four(small, data):
    pruned, _ = prune(small, _tune(data), m_by_n="2:4", layers={"conv2": 0.5, "fc1": 0.5})
    for layer in ("conv2", "fc1"):
        values = kernels(pruned)[layer]
        # groups of 4 consecutive input channels, for every spatial position and output channel
        groups = np.moveaxis(values, -2, -1).reshape(-1, 4)
        assert np.all(np.sum(groups == 0, axis=1) >= 2), layer
    with pytest.raises(RecipeError, match=r"'conv1' \(1 input channels, not a multiple of 4\)"):
        prune(small, _tune(data), m_by_n=(2, 4))


@pytest.mark.parametrize("init", ["linear", "density"])
def test_cluster_inits(small, data, init):
    clustered, metrics = cluster(small, _tune(data), clusters=8, init=init)
    assert metrics["max_unique_weights"] <= 8
    assert all(np.unique(values).size <= 8 for values in kernels(clustered).values())
    assert keras_accuracy(clustered, data.x_test, data.y_test) > 0.5


def test_sparsity_preserving_cluster_and_qat_schemes(small, data):
    pruned, _ = prune(small, _tune(data), sparsity=0.5, schedule="constant")
    clustered, metrics = cluster(pruned, _tune(data), clusters=8, preserve_sparsity=True)
    assert metrics["sparsity"] >= 0.49 and metrics["max_unique_weights"] <= 8

    pqat_model, pqat_metrics = qat(pruned, _tune(data), scheme="pqat")
    assert pqat_metrics["sparsity"] >= 0.49
    cqat_model, cqat_metrics = qat(clustered, _tune(data), scheme="cqat")
    assert cqat_metrics["max_unique_weights"] <= 8
    tflite = export_int8(cqat_model, data.x_train[:64])
    assert tflite_summary(tflite)["inputs"] == ["int8"]
    assert evaluate_tflite(tflite, data.x_test, data.y_test) > 0.5


def test_plain_qat_tracks_float_accuracy(small, data):
    model, metrics = qat(small, _tune(data), scheme="qat")
    assert any("quant" in layer.name for layer in model.layers)
    float_acc = keras_accuracy(small, data.x_test, data.y_test)
    # Keras' fake-quantized forward pass; the export of QAT models is checked with CQAT above and PCQAT in the demo.
    assert keras_accuracy(model, data.x_test, data.y_test) >= float_acc - 0.05
    assert metrics["max_unique_weights"] > 16  # plain QAT does not cluster


def test_callbacks_work_in_a_users_own_fit(small, data, tmp_path):
    from tfedge._tf import tfmot

    schedule = tfmot.sparsity.keras.ConstantSparsity(0.5, begin_step=0, frequency=5)
    model = tfmot.sparsity.keras.prune_low_magnitude(keras.models.clone_model(small), pruning_schedule=schedule)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    callbacks = [UpdatePruningStep()]
    try:
        import tensorboard  # noqa: F401

        callbacks.append(PruningSummaries(log_dir=str(tmp_path)))
    except ImportError:  # optional dependency: then the callback must say what to install
        with pytest.raises(TfedgeError, match="pip install tensorboard"):
            PruningSummaries(log_dir=str(tmp_path))
    model.fit(data.x_train[:320], data.y_train[:320], epochs=1, batch_size=32, verbose=0, callbacks=callbacks)
    stripped = tfmot.sparsity.keras.strip_pruning(model)
    assert np.mean(kernels(stripped)["conv2"] == 0) == pytest.approx(0.5, abs=0.02)
    assert len(callbacks) == 1 or any(tmp_path.rglob("events.out.tfevents*"))


def _sparse_conv_model(kernel: np.ndarray):
    """One 3x3 conv on a 1-channel 8x8 image with the given kernel, a depthwise conv, a dense head."""
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        L.Conv2D(kernel.shape[-1], 3, name="narrow"),
        L.DepthwiseConv2D(3, name="dw"),
        L.GlobalAveragePooling2D(name="gap"),
        L.Dense(10, name="head"),
    ])
    layer = model.get_layer("narrow")
    layer.set_weights([kernel, np.zeros(kernel.shape[-1], np.float32)])
    return model


def test_cluster_gives_layers_with_few_nonzero_weights_fewer_clusters(data):
    """A 4-wide conv pruned to 75 % keeps 9 of its 36 weights, 2 of them negative: with 16 sparsity-preserving
    clusters tfmot's k-means++ wants 3 negative centroids from 2 weights and aborts ('num_to_sample <=
    points.rows()', on main). Now that layer gets the 10 clusters its weights allow; depthwise kernels,
    which tfmot never clusters, are reported as such."""
    kernel = np.zeros((3, 3, 1, 4), np.float32)
    flat = kernel.reshape(-1)
    flat[[0, 5]] = [-0.4, -0.3]
    flat[[9, 13, 17, 21, 25, 29, 33]] = np.linspace(0.1, 0.7, 7)
    model = _sparse_conv_model(kernel)
    clustered, metrics = cluster(model, _tune(data), clusters=16, preserve_sparsity=True)
    assert metrics["clusters_per_layer"] == {"narrow": 10}
    assert set(metrics["not_clustered"]) == {"dw"} and "DepthwiseConv2D" in metrics["not_clustered"]["dw"]
    values = kernels(clustered)["narrow"]
    assert np.mean(values == 0) >= 0.75 and np.unique(values).size <= 10
    assert np.unique(kernels(clustered)["head"]).size <= 16


def test_cluster_names_a_layer_too_sparse_for_any_clustering(data):
    from tfedge.optimize.cluster import clusters_for

    kernel = np.zeros((3, 3, 1, 4), np.float32)
    kernel.reshape(-1)[[3, 7]] = 0.5  # one distinct non-zero value: not even 3 sparsity-preserving clusters
    with pytest.raises(RecipeError, match=r"cluster: layer 'narrow' has 0 distinct negative and 1 distinct positive"
                                          r".*leave it out with `layers: \[names\]`, or prune it less"):
        cluster(_sparse_conv_model(kernel), _tune(data), clusters=16, preserve_sparsity=True)
    assert clusters_for(np.array([0.0, 0.5, 0.5]), 16, preserve_sparsity=False) == 2
    assert clusters_for(np.array([0.5, 0.5]), 16, preserve_sparsity=False) is None
    assert clusters_for(np.linspace(-1, 1, 101), 16, preserve_sparsity=True) == 16
