"""export_int8 / LiteRT evaluation on small generated tf_keras models (no training needed)."""

import numpy as np
import pytest

from tfedge._tf import keras, tf
from tfedge.errors import DataError, ModelError
from tfedge.export import evaluate_tflite, export_int8, predict_tflite, tflite_summary

L = keras.layers


def _op_zoo() -> keras.Model:
    """Every layer kind the compiler tests rely on, in one small graph."""
    keras.utils.set_random_seed(1)
    inp = keras.Input((12, 12, 3))
    a = L.Conv2D(8, 3, padding="same", dilation_rate=2)(inp)
    a = L.ReLU()(L.BatchNormalization()(a))
    b = L.DepthwiseConv2D(3, padding="same", activation="relu6")(a)
    c = L.SeparableConv2D(8, 3, padding="same")(a)
    g = L.Concatenate()([L.Add()([b, c]), L.Multiply()([b, L.Subtract()([b, c])])])
    g = L.AveragePooling2D()(L.UpSampling2D()(L.MaxPooling2D()(L.ZeroPadding2D(1)(g))))
    g = L.Conv1D(4, 3, dilation_rate=2, activation="tanh")(L.Reshape((-1, 16))(g))
    out = L.Softmax()(L.Dense(10)(L.Flatten()(g)))
    return keras.Model(inp, out)


@pytest.fixture(scope="module")
def zoo():
    model = _op_zoo()
    x = np.random.default_rng(0).random((64, 12, 12, 3), dtype=np.float32)
    return model, x


def test_full_integer_export_matches_float(zoo):
    model, x = zoo
    tflite = export_int8(model, x)
    info = tflite_summary(tflite)
    assert info["inputs"] == ["int8"] and info["outputs"] == ["int8"]
    assert info["float_ops"] == []
    assert set(info["constant_dtypes"]) <= {"int8", "int32"}, info["constant_dtypes"]
    # Batch-1 tracing: reshapes are static, no SHAPE/PACK sub-graphs, dilation stays in the conv.
    assert "SHAPE" not in info["ops"] and "SPACE_TO_BATCH_ND" not in info["ops"]
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX", "CONCATENATION"} <= set(info["ops"])
    want = model.predict(x, verbose=0)
    got = predict_tflite(tflite, x)
    assert np.abs(got - want).max() < 0.05
    assert np.array_equal(predict_tflite(tflite, x[:, np.newaxis]), got)  # samples with their batch dim of 1
    with pytest.raises(DataError, match=r"do not fit the model input \(1, 12, 12, 3\)"):
        predict_tflite(tflite, x[:, :5])
    # An untrained model's scores are nearly uniform, so float/int8 top-1 agree only mostly.
    assert evaluate_tflite(tflite, x, want.argmax(1)) >= 0.75
    assert evaluate_tflite(tflite, x, got.argmax(1)) == 1.0
    assert evaluate_tflite(tflite, x, np.eye(10)[got.argmax(1)]) == 1.0  # one-hot labels


def test_int16x8_and_generator(zoo):
    model, x = zoo
    tflite = export_int8(model, lambda: ([sample[None]] for sample in x[:16]), int16x8=True)
    info = tflite_summary(tflite)
    assert info["inputs"] == ["int16"] and info["outputs"] == ["int16"]
    assert info["float_ops"] == []
    assert np.abs(predict_tflite(tflite, x) - model.predict(x, verbose=0)).max() < 0.02


def test_per_tensor_weights():
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(4, 3), L.Flatten(), L.Dense(3)])
    x = np.random.default_rng(1).random((16, 6, 6, 1), dtype=np.float32)

    def filter_scales(tflite: bytes) -> int:
        from ai_edge_litert.interpreter import Interpreter

        details = Interpreter(model_content=tflite).get_tensor_details()
        conv_filter = [d for d in details if d["dtype"] == np.int8 and len(d["shape"]) == 4 and d["shape"][0] == 4]
        return len(conv_filter[0]["quantization_parameters"]["scales"])

    assert filter_scales(export_int8(model, x)) == 4
    assert filter_scales(export_int8(model, x, per_channel=False)) == 1


def _model_with_float_only_op() -> keras.Model:
    inp = keras.Input((8,))
    out = L.Dense(4)(L.Lambda(tf.math.sin, name="sine")(L.Dense(8)(inp)))
    return keras.Model(inp, out)


def test_float_fallback_refused_unless_asked():
    model = _model_with_float_only_op()
    x = np.random.default_rng(2).random((16, 8), dtype=np.float32)
    with pytest.raises(ModelError, match=r"SIN.*allow_float_fallback=True"):
        export_int8(model, x)
    info = tflite_summary(export_int8(model, x, allow_float_fallback=True))
    assert info["float_ops"] == ["SIN#2"] and info["inputs"] == ["int8"]


@pytest.mark.parametrize(
    "data, message",
    [
        (np.zeros((4, 12, 12, 1), np.float32), r"shape \(1, 12, 12, 1\) does not match the model input \(N, 12, 12, 3\)"),
        (np.zeros((4, 12, 3), np.float32), r"does not match"),
        (np.where(np.arange(4 * 12 * 12 * 3).reshape(4, 12, 12, 3) == 1000, np.nan, 0.0), r"sample 2 .*NaN"),
        (np.full((2, 12, 12, 3), np.inf), "infinite"),
        (np.zeros((0, 12, 12, 3), np.float32), "empty"),
        (lambda: iter([np.zeros((1, 5), np.float32)]), "does not match"),
    ],
)
def test_bad_representative_data(zoo, data, message, monkeypatch):
    model, _ = zoo
    # The data must be rejected before the converter ever runs.
    monkeypatch.setattr(tf.lite.TFLiteConverter, "from_concrete_functions", _must_not_convert)
    with pytest.raises(DataError, match=message):
        export_int8(model, data)


def _must_not_convert(*args, **kwargs):
    raise AssertionError("the converter ran on invalid representative data")


def test_keras3_model_exported_directly():
    """The converter takes Keras 3 models: no tf_keras rebuild, and the same LiteRT outputs as Keras."""
    import keras as keras3

    model = keras3.Sequential([keras3.Input((4,)), keras3.layers.Dense(2, name="out")])
    x = np.random.default_rng(0).uniform(-1, 1, (32, 4)).astype(np.float32)
    tflite = export_int8(model, x)
    assert tflite_summary(tflite)["inputs"] == ["int8"]
    scale = np.abs(model.predict(x, verbose=0)).max() / 100
    assert np.abs(predict_tflite(tflite, x) - model.predict(x, verbose=0)).max() < 3 * scale
