"""BoardProfile: board metrics in the Keras logs every N epochs (History, CSVLogger), budgets warn or stop."""

from __future__ import annotations

import csv
import math

import pytest

from tfedge.errors import DataError, TfedgeError

pytestmark = pytest.mark.qemu

BOARD = "stm32f405"
KEYS = ["board_flash_bytes", "board_ram_bytes", "board_arena_bytes", "board_instructions", "board_ms"]


@pytest.fixture(scope="module")
def setup():
    from tfedge._tf import keras, set_seeds
    from tfedge.optimize.data import digits

    set_seeds(0)
    data = digits()
    L = keras.layers
    model = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(8, 3, activation="relu"), L.Flatten(),
                              L.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return keras, model, data


def test_every_epoch_logs_board_metrics_into_history_and_csv(setup, tmp_path):
    keras, model, data = setup
    from tfedge.callbacks import BoardProfile

    profile = BoardProfile(board=BOARD, every=1, representative_data=data.x_train[:64],
                           validation_data=(data.x_test, data.y_test), validation_samples=64, verbose=0)
    csv_path = tmp_path / "log.csv"
    history = model.fit(data.x_train, data.y_train, epochs=2, batch_size=64, verbose=0,
                        callbacks=[profile, keras.callbacks.CSVLogger(str(csv_path))])
    h = history.history
    for key in [*KEYS, "board_int8_accuracy"]:
        assert len(h[key]) == 2, key
    assert all(0 < v < 1024 * 1024 for v in h["board_flash_bytes"])  # stm32f405: 1 MB of flash
    assert all(v > 10_000 for v in h["board_instructions"])
    assert all(0 < v < 100 for v in h["board_ms"])
    # int8 on the board tracks the float model's accuracy
    assert h["board_int8_accuracy"][-1] > 0.6
    assert [m["epoch"] for m in profile.measurements] == [0, 1]
    with csv_path.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and float(rows[1]["board_flash_bytes"]) == h["board_flash_bytes"][1]


def test_every_n_epochs_and_a_budget_that_warns(setup):
    keras, model, data = setup
    from tfedge.callbacks import BoardProfile, BudgetWarning

    profile = BoardProfile(BOARD, every=2, representative_data=data.x_train[:64], budget=dict(ms=0.001), verbose=0)
    with pytest.warns(BudgetWarning, match="over budget: ms"):
        history = model.fit(data.x_train, data.y_train, epochs=2, batch_size=64, verbose=0, callbacks=[profile])
    h = history.history
    assert history.epoch == [0, 1]  # warned, not stopped
    assert math.isnan(h["board_ms"][0]) and h["board_ms"][1] > 0.001
    assert "board_int8_accuracy" not in h  # no validation data given


def test_a_budget_the_model_exceeds_stops_training_when_asked(setup):
    keras, model, data = setup
    from tfedge.callbacks import BoardProfile

    profile = BoardProfile(BOARD, every=1, representative_data=data.x_train[:64], budget=dict(flash=4096, ram=10**6),
                           stop=True, verbose=0)
    history = model.fit(data.x_train, data.y_train, epochs=4, batch_size=64, verbose=0, callbacks=[profile])
    assert history.epoch == [0]
    assert profile.measurements[0]["over_budget"] == [f"flash {history.history['board_flash_bytes'][0]:,} bytes > 4,096 bytes"]


def test_bad_arguments_fail_before_training():
    from tfedge.callbacks import BoardProfile

    with pytest.raises(TfedgeError, match="no-such-board"):
        BoardProfile("no-such-board", representative_data=[0])
    with pytest.raises(DataError, match="representative_data"):
        BoardProfile(BOARD)
    with pytest.raises(TfedgeError, match="unknown budget key.*latency"):
        BoardProfile(BOARD, representative_data=[0], budget=dict(latency=3))
    with pytest.raises(TfedgeError, match="every"):
        BoardProfile(BOARD, every=0, representative_data=[0])


def test_the_callbacks_module_imports_no_compiler_or_emulator_at_import_time():
    """Static check (a subprocess would pay TensorFlow's import again): board modules load lazily."""
    import ast
    import inspect

    import tfedge.callbacks

    tree = ast.parse(inspect.getsource(tfedge.callbacks))
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    names = [alias.name for node in top_level for alias in node.names] + [node.module or "" for node in top_level
                                                                           if isinstance(node, ast.ImportFrom)]
    assert names and not [n for n in names if n.startswith(("tfedge.compiler", "tfedge.emulate", "tfedge.build",
                                                             "tfedge.report", "tfedge.boards"))]
