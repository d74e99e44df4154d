"""The search space: what `tfedge search` may vary, what it measures, and the budgets a winner must meet.

YAML form (the same fields as `SearchSpace`):

    family: digits_cnn            # built-in builder: digits_cnn or ds_cnn (tfedge/search/builders.py)
    data: digits
    boards: [stm32f405, stm32f746]
    model:                        # builder parameters, each a list of choices
      width: [8, 16, 32]          # channels of the first conv (later ones scale from it)
      depth: [1, 2, 3]            # conv blocks
      kernel: [3, 5]
    recipe:                       # compression choices
      sparsity: [0.0, 0.5, 0.75]  # magnitude pruning target (0 = no prune stage)
      channel_prune: [0.0, 0.5]   # fraction of the MACs removed as whole filters (0 = none; absent: not searched)
      clusters: [0, 16]           # weight clusters per layer (0 = no cluster stage)
      quantization: [ptq, qat]    # post-training int8, or quantization-aware training first
    epochs: 6                     # float training of a trial that survives halving
    short_epochs: 2               # every trial first trains this much; ASHA stops the poor ones here
    finetune_epochs: 1            # each prune / cluster / qat stage
    trials: 24
    sampler: nsga2                # tpe (one objective: accuracy) or nsga2 (several objectives)
    objectives: [accuracy, ms, ram]   # the Pareto front is over these (accuracy up, the others down)
    budget: {ms: 2.0, ram: 65536, flash: 262144}   # hard limits; a trial over any is not on the front
    samples: 128                  # test samples run on the board for the int8 accuracy
    seed: 0
    mode: search                  # search (sampled trials), dnas (channel-width masks, tfedge/search/dnas.py), both
    dnas_cost_weight: 1.0         # DNAS: weight of the predicted-ms cost term

Everything is checked before Ray starts or a model is built (SearchError naming the key).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfedge.errors import TfedgeError

FAMILIES = ("digits_cnn", "ds_cnn", "mobilenet_v1", "mobilenet_v2", "resnet_cifar", "cnn_1d")
MODEL_KEYS = {"width": int, "depth": int, "kernel": int, "resolution": int}
RECIPE_KEYS = {"sparsity": float, "clusters": int, "quantization": str, "channel_prune": float}
QUANTIZATIONS = ("ptq", "qat", "int16x8")  # int16x8: post-training, int16 activations and int8 weights
SAMPLERS = ("tpe", "nsga2")
MODES = ("search", "dnas", "both")
# objective -> (trial metric key, optimization direction)
OBJECTIVES = {"accuracy": ("accuracy", "max"), "ms": ("ms", "min"), "ram": ("ram_bytes", "min"),
              "flash": ("flash_bytes", "min"), "instructions": ("instructions", "min")}
BUDGET_KEYS = {"ms": "ms", "ram": "ram_bytes", "flash": "flash_bytes"}


class SearchError(TfedgeError):
    """A search space that cannot run (unknown key, bad choice); the message names the key and the fix."""


def _default_model() -> dict[str, list]:
    return {"width": [8, 16], "depth": [1, 2], "kernel": [3]}


def _default_recipe() -> dict[str, list]:
    return {"sparsity": [0.0, 0.5], "clusters": [0, 16], "quantization": ["ptq"]}


@dataclass
class SearchSpace:
    family: str = "digits_cnn"
    builder: str | None = None  # "module:function", a user's own builder (the model section is its parameters)
    data: str = "digits"
    boards: list[str] = field(default_factory=lambda: ["stm32f405"])
    model: dict[str, list] = field(default_factory=_default_model)
    recipe: dict[str, list] = field(default_factory=_default_recipe)
    epochs: int = 6
    short_epochs: int = 2
    finetune_epochs: int = 1
    trials: int = 8
    sampler: str = "nsga2"
    objectives: list[str] = field(default_factory=lambda: ["accuracy", "ms", "ram"])
    budget: dict[str, float] = field(default_factory=dict)
    samples: int = 128
    seed: int = 0
    batch_size: int = 32
    mode: str = "search"  # search (sampled trials), dnas (one mask model per board), both
    dnas_cost_weight: float = 1.0

    @classmethod
    def from_dict(cls, raw: Any) -> SearchSpace:
        if not isinstance(raw, dict):
            raise SearchError("a search space is a mapping (family, boards, model, recipe, trials, ...; see docs/search.md)")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - names)
        if unknown:
            raise SearchError(f"search space: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(names))}")
        space = cls(**{k: v for k, v in raw.items()})
        if isinstance(space.boards, str):
            space.boards = [space.boards]
        # A section given replaces the defaults of the keys it names; the others keep their defaults.
        for section, default in (("model", _default_model), ("recipe", _default_recipe)):
            given = raw.get(section) or {}
            if not isinstance(given, dict):
                raise SearchError(f"search space: '{section}' maps parameters to lists of choices")
            # a user's builder takes exactly the model parameters the space names
            setattr(space, section, dict(given) if section == "model" and space.builder else {**default(), **given})
        space.validate()
        return space

    @classmethod
    def from_yaml(cls, path: str | Path) -> SearchSpace:
        import yaml

        try:
            raw = yaml.safe_load(Path(path).read_text())
        except OSError as exc:
            raise SearchError(f"cannot read search space {path}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise SearchError(f"search space {path} is not valid YAML: {exc}") from exc
        return cls.from_dict(raw)

    def validate(self) -> None:
        from tfedge.boards import load_board

        if self.builder is not None:
            resolve_builder(self.builder)
        elif self.family not in FAMILIES:
            raise SearchError(f"search space: unknown family {self.family!r}; use one of {', '.join(FAMILIES)} "
                              "or your own builder (builder: my_module:build)")
        if not self.boards or not isinstance(self.boards, list):
            raise SearchError("search space: 'boards' lists one or more board names (tfedge boards)")
        for board in self.boards:
            load_board(board)  # an unknown board fails here, naming the known ones
        for section, keys in (("model", MODEL_KEYS), ("recipe", RECIPE_KEYS)):
            choices = getattr(self, section)
            if not isinstance(choices, dict):
                raise SearchError(f"search space: '{section}' maps parameters to lists of choices")
            if section == "model" and self.builder is not None:  # the user's parameters: any name, plain values
                keys = {k: (int, float, str, bool) for k in choices}
            unknown = sorted(set(choices) - set(keys))
            if unknown:
                raise SearchError(f"search space: unknown {section} parameter(s) {', '.join(unknown)}; use {', '.join(keys)}")
            for key, values in choices.items():
                values = values if isinstance(values, list) else [values]
                choices[key] = values
                kind = keys[key]
                if not values or not all(isinstance(v, kind) or (kind is float and isinstance(v, int)) for v in values):
                    name = kind.__name__ if isinstance(kind, type) else "int, float, str or bool"
                    raise SearchError(f"search space: {section}.{key} must be a non-empty list of {name}, got {values!r}")
        for key in ("width", "depth", "kernel", "resolution"):
            if self.builder is None and any(v < 1 for v in self.model.get(key, [])):
                raise SearchError(f"search space: model.{key} choices must be >= 1, got {self.model[key]}")
        if any(not 0.0 <= s < 1.0 for s in self.recipe["sparsity"]):
            raise SearchError(f"search space: recipe.sparsity choices must be in [0, 1), got {self.recipe['sparsity']}")
        if any(not 0.0 <= r < 1.0 for r in self.recipe.get("channel_prune", [])):
            raise SearchError("search space: recipe.channel_prune choices are the fraction of the MACs removed, in [0, 1) "
                              f"(0: no channel pruning), got {self.recipe['channel_prune']}")
        if any(c != 0 and c < 2 for c in self.recipe["clusters"]):
            raise SearchError(f"search space: recipe.clusters choices are 0 (no clustering) or >= 2, got {self.recipe['clusters']}")
        bad = [q for q in self.recipe["quantization"] if q not in QUANTIZATIONS]
        if bad:
            raise SearchError(f"search space: recipe.quantization {bad}; use {', '.join(QUANTIZATIONS)}")
        if self.sampler not in SAMPLERS:
            raise SearchError(f"search space: unknown sampler {self.sampler!r}; use {', '.join(SAMPLERS)}")
        bad = [o for o in self.objectives if o not in OBJECTIVES]
        if bad or not self.objectives or "accuracy" not in self.objectives:
            raise SearchError(f"search space: objectives must include accuracy and come from {', '.join(OBJECTIVES)}; got {self.objectives}")
        bad = sorted(set(self.budget or {}) - set(BUDGET_KEYS))
        if bad:
            raise SearchError(f"search space: unknown budget key(s) {', '.join(bad)}; use ms, ram (bytes), flash (bytes)")
        for name in ("epochs", "trials", "samples", "batch_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise SearchError(f"search space: '{name}' must be an integer >= 1, got {getattr(self, name)!r}")
        if not isinstance(self.short_epochs, int) or not 1 <= self.short_epochs <= self.epochs:
            raise SearchError(f"search space: 'short_epochs' must be between 1 and epochs ({self.epochs}), got {self.short_epochs!r}")
        if self.mode not in MODES:
            raise SearchError(f"search space: unknown mode {self.mode!r}; use {', '.join(MODES)}")
        if self.mode != "search" and (self.family != "digits_cnn" or self.builder):
            raise SearchError(f"search space: mode {self.mode} searches digits_cnn widths only (its cost table); "
                              f"family {self.family!r} needs mode: search")
        if not isinstance(self.dnas_cost_weight, (int, float)) or self.dnas_cost_weight < 0:
            raise SearchError(f"search space: 'dnas_cost_weight' must be a number >= 0, got {self.dnas_cost_weight!r}")
        if not isinstance(self.finetune_epochs, int) or self.finetune_epochs < 1:
            raise SearchError(f"search space: 'finetune_epochs' must be an integer >= 1, got {self.finetune_epochs!r}")

    def choices(self) -> dict[str, list]:
        """Every searched parameter -> its choices (the board is one of them)."""
        return {**{f"model.{k}": v for k, v in self.model.items()},
                **{f"recipe.{k}": v for k, v in self.recipe.items()}, "board": list(self.boards)}

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def resolve_builder(spec: str):
    """The user's builder function for "module:function" (importable here and on every Ray worker)."""
    import importlib

    module, _, name = str(spec).partition(":")
    if not module or not name:
        raise SearchError(f"search space: builder {spec!r} must be 'module:function' (e.g. my_models:build)")
    try:
        function = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise SearchError(f"search space: builder module {module!r} cannot be imported ({exc}); put it on PYTHONPATH") from exc
    except AttributeError:
        raise SearchError(f"search space: module {module!r} has no function {name!r} (builder {spec})") from None
    if not callable(function):
        raise SearchError(f"search space: builder {spec} is not a function")
    return function


def trial_key(space: SearchSpace, params: dict) -> str:
    """A trial's identity: its parameters and every setting of the space that changes its result."""
    settings = {k: getattr(space, k) for k in ("family", "data", "epochs", "short_epochs", "finetune_epochs", "samples", "seed", "batch_size")}
    if space.builder:  # only when set: the keys of earlier stores stay the same
        settings["builder"] = space.builder
    blob = json.dumps({"params": params, "settings": settings}, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def within_budget(space: SearchSpace, metrics: dict) -> list[str]:
    """The budgets `metrics` exceeds, as readable phrases (empty: it fits)."""
    over = []
    if metrics.get("fits") is False:
        over.append("does not fit the board")
    for key, limit in (space.budget or {}).items():
        value = metrics.get(BUDGET_KEYS[key])
        if value is not None and value > limit:
            over.append(f"{key} {value:,.3f} > {limit:,}" if key == "ms" else f"{key} {value:,} B > {limit:,} B")
    return over
