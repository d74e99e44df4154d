"""The optional dependencies: which modules each pip extra brings, and the error when one is missing.

The core install (compile, run, flash, emulate, boards, compare, doctor, the pytest plugin) needs none of
them. `tfedge[keras]` brings TensorFlow and friends for optimize, export, deploy, demo and
tfedge.callbacks; `tfedge[search]` Optuna and Ray Tune for tfedge search; `tfedge[test]` the test suite's tools (TFLite Micro's interpreter is its referee).
Checks use importlib.util.find_spec / importlib.metadata, so they never import TensorFlow.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util

from tfedge.errors import MissingExtraError

# (import name, distribution name) of the core dependencies and of each extra, as pyproject.toml lists
# them (tests/test_package.py checks the two agree).
CORE: tuple[tuple[str, str], ...] = (
    ("numpy", "numpy"),
    ("flatbuffers", "flatbuffers"),
    ("tflite", "tflite"),
    ("yaml", "pyyaml"),
    ("elftools", "pyelftools"),
    ("matplotlib", "matplotlib"),
)
EXTRAS: dict[str, tuple[tuple[str, str], ...]] = {
    "keras": (
        ("tensorflow", "tensorflow"),
        ("tf_keras", "tf-keras"),
        ("tensorflow_model_optimization", "tensorflow-model-optimization"),
        ("ai_edge_litert", "ai-edge-litert"),
        ("sklearn", "scikit-learn"),
    ),
    "search": (
        ("optuna", "optuna"),
        ("ray", "ray"),
    ),
    "test": (
        ("pytest", "pytest"),
        ("hypothesis", "hypothesis"),
        ("tflite_micro", "tflite-micro"),
    ),
}


def install_command(extra: str) -> str:
    return f"pip install 'tfedge[{extra}]'"


def extra_of(module: str) -> tuple[str, str] | None:
    """(extra, distribution) that provides top-level module `module` ('tensorflow' -> ('keras',
    'tensorflow')), or None when no extra does."""
    top = module.split(".")[0]
    for extra, mods in EXTRAS.items():
        for name, dist in mods:
            if name == top:
                return extra, dist
    return None


def distribution_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def missing_modules(extra: str) -> list[str]:
    """The distributions of `extra` whose module cannot be found (not imported: find_spec only)."""
    return [dist for module, dist in EXTRAS[extra] if importlib.util.find_spec(module) is None]


def missing_extra_error(extra: str, what: str, missing: list[str]) -> MissingExtraError:
    return MissingExtraError(f"{what} needs the '{extra}' extra ({', '.join(missing)} not installed): "
                             f"{install_command(extra)}")


def as_missing_extra(exc: BaseException, what: str) -> MissingExtraError | None:
    """The MissingExtraError for an ImportError of a module some extra provides, else None."""
    provided = extra_of(exc.name) if isinstance(exc, ModuleNotFoundError) and exc.name else None
    return missing_extra_error(provided[0], what, [provided[1]]) if provided else None


def require(extra: str, what: str) -> None:
    """Raise MissingExtraError (one line naming the pip command) when a module of `extra` is missing."""
    missing = missing_modules(extra)
    if missing:
        raise missing_extra_error(extra, what, missing)
