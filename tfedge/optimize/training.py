"""Fine-tuning shared by the stages: copy the model, compile, fit with a progress line per epoch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tfedge._tf import keras, tf
from tfedge.callbacks import EpochProgress


@dataclass
class FineTune:
    """How a stage trains: its data and optimizer settings (the recipe fills one per stage)."""

    x: np.ndarray
    y: np.ndarray
    epochs: int = 2
    batch_size: int = 32
    learning_rate: float = 1e-3
    validation: tuple[np.ndarray, np.ndarray] | None = None
    callbacks: Sequence[keras.callbacks.Callback] = field(default_factory=tuple)
    verbose: bool = True

    def steps(self) -> int:
        """Optimizer steps in the whole fine-tuning run (pruning schedules are set in steps)."""
        return self.epochs * int(np.ceil(len(self.x) / self.batch_size))


def copy_model(model: keras.Model) -> keras.Model:
    """A model with new layers and the same weights, so that a stage never alters its input model."""
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def loss_for(model: keras.Model, y: np.ndarray) -> keras.losses.Loss:
    """Cross-entropy matching the labels (integers or one-hot) and the head (softmax or logits)."""
    last = model.layers[-1]
    probabilities = isinstance(last, keras.layers.Softmax) or getattr(last, "activation", None) is keras.activations.softmax
    if np.asarray(y).ndim >= 2 and np.asarray(y).shape[-1] > 1:
        return keras.losses.CategoricalCrossentropy(from_logits=not probabilities)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=not probabilities)


def fit(
    model: keras.Model,
    training: FineTune,
    label: str,
    extra_callbacks: Sequence = (),
    loss: keras.losses.Loss | None = None,
) -> keras.callbacks.History | None:
    """Compile `model` for classification and train it in place; epochs=0 only compiles.

    Stages pass `loss` chosen on the model before tfmot wrapped it: wrappers hide the softmax head.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(training.learning_rate),
        loss=loss or loss_for(model, training.y),
        metrics=["accuracy"],
    )
    if training.epochs <= 0:
        return None
    callbacks = list(extra_callbacks) + list(training.callbacks)
    if training.verbose:
        callbacks.append(EpochProgress(prefix=f"    {label} "))
    logger = tf.get_logger()
    level = logger.level
    # Cluster-preserving QAT trains centroids, not the kernels, and TF warns about the kernels'
    # missing gradients on every step; that is by design, so keep it out of the progress lines.
    logger.setLevel("ERROR")
    try:
        return model.fit(
            training.x,
            training.y,
            epochs=training.epochs,
            batch_size=training.batch_size,
            validation_data=training.validation,
            callbacks=callbacks,
            shuffle=True,
            verbose=0,
        )
    finally:
        logger.setLevel(level)
