"""User-facing errors. Each message names the problem and, where there is one, the fix."""

from __future__ import annotations


class TfedgeError(Exception):
    """Base of every error tfedge reports to a user (the CLI prints it without a traceback)."""


class ModelError(TfedgeError):
    """The input model (Keras or .tflite) cannot be used as it is."""


class RecipeError(TfedgeError):
    """An optimization recipe is malformed."""


class DataError(TfedgeError):
    """Input data (representative dataset, x.npy) has the wrong shape, dtype or values."""


class UnsupportedModelError(ModelError):
    """The .tflite uses ops, options or types the compiler does not support (all listed at once)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(
            "the model cannot be compiled:\n  - " + "\n  - ".join(self.problems)
        )


class MissingExtraError(TfedgeError, ImportError):
    """An optional dependency (a pip extra such as tfedge[keras]) is not installed; the message names
    the pip command. Also an ImportError, so `except ImportError` around an import still catches it."""


class ToolchainError(TfedgeError):
    """A required external tool (arm-none-eabi-gcc, qemu-system-arm, cc) is missing or failed."""


class DoesNotFitError(TfedgeError):
    """The firmware does not fit a memory region of the board."""


class FirmwareError(TfedgeError):
    """The firmware hung, faulted or overflowed its stack while running."""
