"""The one place tfedge imports TensorFlow, tf_keras and tfmot.

tensorflow-model-optimization only works with Keras 2 (the `tf_keras` package). TensorFlow picks
its Keras when it is first imported, so the switch must be set before that happens; every
TF-using tfedge module imports TensorFlow through here and never directly.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator

os.environ["TF_USE_LEGACY_KERAS"] = "1"
# TensorFlow's C++ start-up chatter (CUDA probing, tf.data attribute notices) would bury the
# progress lines and tables; Python-level errors are unaffected.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


class CapturedStderr:
    """What C++ code wrote to file descriptor 2 inside quiet_stderr(); `text` is set on exit."""

    text = ""


@contextlib.contextmanager
def quiet_stderr() -> Iterator[CapturedStderr]:
    """Capture file descriptor 2 (C++ logging that bypasses Python and TF_CPP_MIN_LOG_LEVEL, such
    as absl's 'Could not find cuda drivers' at import or the converter's summary line), so that
    callers can show it only when something fails."""
    captured = CapturedStderr()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.text = sink.read().decode(errors="replace")


from tfedge.errors import ModelError  # noqa: E402
from tfedge.extras import as_missing_extra  # noqa: E402

with quiet_stderr() as _import_log:
    try:
        import tensorflow as tf
        import tf_keras as keras
        import tensorflow_model_optimization as tfmot
    except ImportError as exc:
        # A core install (no tfedge[keras]) lands here: one line naming the pip command, no traceback
        # in the CLI (MissingExtraError is a TfedgeError and still an ImportError).
        missing = as_missing_extra(exc, "tfedge's optimize/export/deploy/demo and tfedge.callbacks")
        if missing:
            raise missing from None
        raise ImportError(f"{exc}\n{_import_log.text}") from exc

__all__ = ["tf", "keras", "tfmot", "require_legacy_keras", "is_keras3_model", "quiet_stderr"]

KERAS3_FIX = (
    "tfedge (and tensorflow-model-optimization) need a Keras 2 model: build it with "
    "`import tf_keras as keras` (or `from tfedge._tf import keras`) instead of `import keras`; "
    "to convert an existing Keras 3 model, save its weights (model.save_weights('w.weights.h5')), "
    "rebuild the same architecture with tf_keras and load them layer by layer "
    "(new_layer.set_weights(old_layer.get_weights()))"
)


def is_keras3_model(model: object) -> bool:
    """True for a Keras 3 (`keras` package) model, without importing Keras 3 ourselves."""
    return any(cls.__module__.split(".")[0] == "keras" for cls in type(model).__mro__)


def require_legacy_keras(model: object, stage: str) -> None:
    """Raise ModelError unless `model` is a tf_keras (Keras 2) model usable by tfmot/the converter."""
    if isinstance(model, keras.Model):
        return
    if is_keras3_model(model):
        raise ModelError(f"{stage}: got a Keras 3 model ({type(model).__name__} from the `keras` package). {KERAS3_FIX}")
    raise ModelError(f"{stage}: expected a tf_keras Model, got {type(model).__module__}.{type(model).__name__}")


def set_seeds(seed: int) -> None:
    """Deterministic weights and shuffling for the demo and tests (one call, no hidden state elsewhere)."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
