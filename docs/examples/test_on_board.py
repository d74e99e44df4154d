"""Testing a model on emulated boards from your own pytest suite, with tfedge's pytest plugin.

The plugin is active wherever tfedge is installed. Run this file as it is:

    pytest docs/examples/test_on_board.py                          # every board in the markers
    pytest docs/examples/test_on_board.py --tfedge-board stm32f405 # only this one

Without arm-none-eabi-gcc or qemu-system-arm the board tests are skipped with the install command.
"""

import numpy as np
import pytest

from tfedge.export import export_int8, predict_tflite
from tfedge.optimize.data import digits


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    """A small digits classifier exported to int8. In your suite: the .tflite your pipeline produces."""
    from tfedge._tf import keras, set_seeds

    set_seeds(0)
    data = digits()
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        layers.Conv2D(8, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.fit(data.x_train, data.y_train, epochs=2, batch_size=64, verbose=0)
    path = tmp_path_factory.mktemp("model") / "digits_int8.tflite"
    path.write_bytes(export_int8(model, data.x_train[:100]))
    return path, data


@pytest.mark.board("stm32f405", "mps2-an386")  # the test runs once per board
def test_top1_on_device_equals_host(board, digits_model):
    path, data = digits_model
    x = data.x_test[:32]  # float samples: the fixture quantizes them with the model's input scale
    run = board.run(path, x)
    host = predict_tflite(path.read_bytes(), x)  # TensorFlow Lite on this machine
    device_top1 = run.outputs.reshape(len(x), -1).argmax(axis=1)
    np.testing.assert_array_equal(device_top1, host.reshape(len(x), -1).argmax(axis=1))


def test_fast_and_small_enough_for_stm32f405(board, digits_model):
    path, _ = digits_model
    run = board("stm32f405").run(path)  # no inputs: one inference on zeros, measured
    assert run.metrics["clock_hz"] == 168_000_000
    assert run.ms < 50  # estimated from exact instruction counts (docs/cycle_model.md)
    assert run.flash_bytes < 64 * 1024
    assert run.ram_bytes < 16 * 1024
