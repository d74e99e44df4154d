"""Keras callbacks for use in your own `model.fit`: tfmot's pruning callbacks and tfedge's own
(EpochProgress; BoardProfile, which measures the model on an emulated board every N epochs).

`UpdatePruningStep` must be passed to `fit` when training a `prune_low_magnitude` model;
`PruningSummaries` writes sparsity to TensorBoard. Only Keras/tfmot are imported here (no
compiler/board modules at import: BoardProfile loads them when it first measures), so importing the callbacks
stays as cheap as importing tfmot.
"""

from __future__ import annotations

import sys
import time

from tfedge._tf import keras, tfmot

UpdatePruningStep = tfmot.sparsity.keras.UpdatePruningStep


class PruningSummaries(tfmot.sparsity.keras.PruningSummaries):
    """tfmot's PruningSummaries (sparsity per layer to TensorBoard logs).

    TensorFlow no longer ships TensorBoard's summary writer; without the `tensorboard` package
    tfmot fails at the first batch with TBNotInstalledError, so say so when the callback is made.
    """

    def __init__(self, log_dir: str, update_freq: str | int = "epoch", **kwargs):
        try:
            import tensorboard  # noqa: F401
        except ImportError:
            from tfedge.errors import TfedgeError

            raise TfedgeError(
                "PruningSummaries writes TensorBoard logs and needs the tensorboard package: "
                "pip install tensorboard (into .venv)"
            ) from None
        super().__init__(log_dir, update_freq=update_freq, **kwargs)

__all__ = ["UpdatePruningStep", "PruningSummaries", "EpochProgress", "BoardProfile", "BudgetWarning"]


class EpochProgress(keras.callbacks.Callback):
    """One line per epoch (`prefix epoch 2/3  loss 0.123  accuracy 0.981  4.2s`), for long stages."""

    def __init__(self, prefix: str = "", stream=None):
        super().__init__()
        self.prefix = prefix
        self.stream = stream or sys.stdout
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._start = time.monotonic()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        total = self.params.get("epochs", "?")
        values = "  ".join(f"{k} {v:.4f}" for k, v in (logs or {}).items())
        print(f"{self.prefix}epoch {epoch + 1}/{total}  {values}  {time.monotonic() - self._start:.1f}s",
              file=self.stream, flush=True)


class BudgetWarning(UserWarning):
    """A BoardProfile measurement exceeded its budget (flash, RAM or ms)."""


class BoardProfile(keras.callbacks.Callback):
    """Every `every` epochs: export the model to int8, compile it, run it on an emulated board and log
    what it costs there into the epoch's logs, so History, CSVLogger and TensorBoard record it:

        board_flash_bytes, board_ram_bytes, board_arena_bytes, board_instructions (per inference, exact),
        board_ms (estimated, at the board's clock), board_int8_accuracy (with validation_data: top-1 of
        the on-device outputs over the first `validation_samples` samples)

    Epochs in between log NaN for these keys, so every History list has one entry per epoch.
    `budget=dict(flash=bytes, ram=bytes, ms=ms)`: a measurement above any limit warns (BudgetWarning)
    or, with stop=True, stops training. List BoardProfile before CSVLogger/TensorBoard in `callbacks`
    so they see its keys. Firmware builds are cached by content and an unchanged model is not measured
    twice, so the cost per profiled epoch is one int8 export plus one build and run.
    """

    KEYS = ("flash_bytes", "ram_bytes", "arena_bytes", "instructions", "ms")
    BUDGET_KEYS = {"flash": "flash_bytes", "ram": "ram_bytes", "ms": "ms"}

    def __init__(self, board: str, every: int = 1, representative_data=None, validation_data=None,
                 budget: dict | None = None, stop: bool = False, *, validation_samples: int = 128,
                 opt: str = "-O2", prefix: str = "board_", verbose: int = 1):
        super().__init__()
        from tfedge.boards import load_board
        from tfedge.errors import DataError, TfedgeError

        self.board = load_board(board).name  # an unknown board fails now, not after the first epoch
        if not isinstance(every, int) or every < 1:
            raise TfedgeError(f"BoardProfile: every must be an integer >= 1, got {every!r}")
        if representative_data is None:
            raise DataError("BoardProfile needs representative_data (a few hundred training samples) to calibrate "
                            "the int8 export")
        unknown = sorted(set(budget or {}) - set(self.BUDGET_KEYS))
        if unknown:
            raise TfedgeError(f"BoardProfile: unknown budget key(s) {', '.join(unknown)}; use flash (bytes), "
                              f"ram (bytes), ms")
        if validation_data is not None and (not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2):
            raise DataError("BoardProfile: validation_data is (x, y)")
        self.every, self.stop, self.opt, self.prefix, self.verbose = every, stop, opt, prefix, verbose
        self.representative_data = representative_data
        self.validation_data = validation_data
        self.validation_samples = validation_samples
        self.budget = dict(budget or {})
        self.measurements: list[dict] = []  # per profiled epoch: {"epoch", "seconds", "over_budget", metrics...}
        self._last: tuple[bytes, dict] | None = None
        self._workdir = None

    def _log_keys(self) -> list[str]:
        keys = list(self.KEYS) + (["int8_accuracy"] if self.validation_data is not None else [])
        return [self.prefix + k for k in keys]

    def on_train_begin(self, logs=None) -> None:
        import tempfile

        self._workdir = tempfile.TemporaryDirectory(prefix="tfedge-boardprofile-")

    def on_train_end(self, logs=None) -> None:
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = logs if logs is not None else {}
        if (epoch + 1) % self.every:
            logs.update({key: float("nan") for key in self._log_keys()})
            return
        start = time.monotonic()
        values = self.profile()
        logs.update({self.prefix + k: v for k, v in values.items()})
        over = self._over_budget(values)
        self.measurements.append({"epoch": epoch, **values, "seconds": round(time.monotonic() - start, 2), "over_budget": over})
        if self.verbose:
            acc = f", int8 accuracy {values['int8_accuracy']:.2%}" if "int8_accuracy" in values else ""
            print(f"BoardProfile {self.board} epoch {epoch + 1}: flash {values['flash_bytes']:,} B, RAM {values['ram_bytes']:,} B, "
                  f"{values['instructions']:,} instructions, est. {values['ms']:.2f} ms{acc} "
                  f"({time.monotonic() - start:.1f}s)", flush=True)
        if over:
            message = f"BoardProfile: epoch {epoch + 1} on {self.board} is over budget: " + "; ".join(over)
            if self.stop:
                print(message + " -> stopping training", flush=True)
                self.model.stop_training = True
            else:
                import warnings

                warnings.warn(message, BudgetWarning, stacklevel=2)

    def profile(self) -> dict:
        """Export, compile, build, run and measure the current model; returns the logged values (no prefix)."""
        from pathlib import Path

        from tfedge.export import export_int8
        from tfedge.emulate.figures import measure_on_board

        tflite = export_int8(_strip_wrappers(self.model), self.representative_data)
        if self._last is not None and self._last[0] == tflite:
            return dict(self._last[1])  # weights unchanged: the same firmware, the same figures
        if self._workdir is None:
            self.on_train_begin()
        path = Path(self._workdir.name) / "model_int8.tflite"
        path.write_bytes(tflite)
        x = y = None
        if self.validation_data is not None:
            x, y = self.validation_data
        figures = measure_on_board(path, self.board, x, y, samples=self.validation_samples, opt=self.opt)
        m = figures.metrics
        values = {"flash_bytes": m["flash_bytes"], "ram_bytes": m["ram_bytes"], "arena_bytes": m["arena_bytes"],
                  "instructions": m["instructions_per_inference"], "ms": float(m["ms_per_inference"])}
        if "accuracy" in m:
            values["int8_accuracy"] = m["accuracy"]
        self._last = (tflite, values)
        return dict(values)

    def _over_budget(self, values: dict) -> list[str]:
        over = []
        for key, limit in self.budget.items():
            value = values[self.BUDGET_KEYS[key]]
            if value > limit:
                unit = " ms" if key == "ms" else " bytes"
                over.append(f"{key} {value:,.2f}{unit} > {limit:,}{unit}" if key == "ms" else f"{key} {value:,}{unit} > {limit:,}{unit}")
        return over


def _strip_wrappers(model: keras.Model) -> keras.Model:
    """The model as it will be exported: pruning and clustering wrappers removed (QAT wrappers stay;
    the converter reads them)."""
    names = {type(layer).__name__ for layer in model.layers}
    if "PruneLowMagnitude" in names:
        model = tfmot.sparsity.keras.strip_pruning(model)
    if "ClusterWeights" in names or "ClusterWeightsMHA" in names:
        model = tfmot.clustering.keras.strip_clustering(model)
    return model
