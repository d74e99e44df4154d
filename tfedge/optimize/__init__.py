"""Keras optimization stages (prune, cluster, QAT) and recipes that chain them into an int8 export.

Each stage is a function `stage(model, FineTune(x, y, ...), **options) -> (model, metrics)` that
leaves its input model untouched.

Names are imported on first use: `tfedge.optimize.recipe` (recipe checks, `tfedge deploy` of a
.tflite) must not pay for importing TensorFlow, which every other module here needs.
"""

from __future__ import annotations

import importlib
import sys
import types

_EXPORTS = {
    "prune": "prune",
    "channel_prune": "channel_prune",
    "cluster": "cluster",
    "qat": "qat",
    "FineTune": "training",
    "run_recipe": "pipeline",
    "Dataset": "data",
    "digits": "data",
    "load_dataset": "data",
    **{name: "recipe" for name in ("Recipe", "Train", "Prune", "ChannelPrune", "Cluster", "QAT", "Int8")},
}

__all__ = list(_EXPORTS)


class _LazyPackage(types.ModuleType):
    """`tfedge.optimize.prune` is the function, not the submodule of the same name: importing a
    submodule sets that attribute on the package, so a plain module __getattr__ would lose to it."""

    def __getattribute__(self, name: str):
        if name in _EXPORTS:
            return getattr(importlib.import_module(f"tfedge.optimize.{_EXPORTS[name]}"), name)
        return super().__getattribute__(name)


sys.modules[__name__].__class__ = _LazyPackage
