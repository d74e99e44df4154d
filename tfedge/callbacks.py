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
PruningSummaries = tfmot.sparsity.keras.PruningSummaries

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
