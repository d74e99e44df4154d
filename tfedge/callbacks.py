"""Keras callbacks for use in your own `model.fit`: tfmot's pruning callbacks and tfedge's own.

`UpdatePruningStep` must be passed to `fit` when training a `prune_low_magnitude` model;
`PruningSummaries` writes sparsity to TensorBoard. Only Keras/tfmot are imported here (no
compiler/board modules), so importing the callbacks stays as cheap as importing tfmot.
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

__all__ = ["UpdatePruningStep", "PruningSummaries", "EpochProgress"]


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
