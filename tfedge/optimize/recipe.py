"""Optimization recipes: a list of stages with their fine-tuning settings, as Python objects or YAML.

YAML form (paths are relative to the recipe file):

    model: demo_cnn          # a built-in model name, or a tf_keras .keras/.h5 file
    data: digits             # 'digits', or an .npz with x_train, y_train, x_test, y_test
    batch_size: 32           # default for every stage
    seed: 0
    stages:
      - train: {epochs: 12, learning_rate: 0.003}     # optional, only first: trains the float model
      - prune: {sparsity: 0.5, epochs: 3}
      - cluster: {clusters: 16, preserve_sparsity: true, epochs: 2}
      - qat: {scheme: pcqat, epochs: 2}
      - int8                                          # always last: full-integer .tflite

Everything is validated (stage names, keys, values, order) before any model is loaded or trained.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Union

from tfedge.errors import RecipeError


@dataclass
class Train:
    """Train the float model (for a built-in model, or more epochs on a loaded one)."""

    epochs: int = 10
    learning_rate: float = 1e-3
    batch_size: int | None = None
    name: ClassVar[str] = "train"


@dataclass
class Prune:
    """Magnitude pruning: `sparsity` for every kernel, or per-layer targets `layers: {name: sparsity}`."""

    sparsity: float = 0.5
    schedule: str = "polynomial"
    layers: dict[str, float] | None = None
    m_by_n: str | None = None
    epochs: int = 2
    learning_rate: float = 5e-4
    batch_size: int | None = None
    name: ClassVar[str] = "prune"


@dataclass
class ChannelPrune:
    """Structured pruning: remove whole filters (lowest L1/L2 norm) until at most `macs` of the MACs and
    `instructions` (default: the same fraction) of the estimated M4 instructions remain."""

    macs: float = 0.5
    instructions: float | None = None
    criterion: str = "l1"
    multiple_of: int = 8
    epochs: int = 3
    learning_rate: float = 1e-3
    batch_size: int | None = None
    name: ClassVar[str] = "channel_prune"


@dataclass
class Cluster:
    """Weight clustering; preserve_sparsity defaults to true when a prune stage came before."""

    clusters: int = 16
    init: str = "kmeans++"
    preserve_sparsity: bool | None = None
    layers: list[str] | None = None
    epochs: int = 2
    learning_rate: float = 5e-4
    batch_size: int | None = None
    name: ClassVar[str] = "cluster"


@dataclass
class QAT:
    """Quantization-aware training; scheme qat, pqat (keep sparsity), cqat (keep clusters) or pcqat (both)."""

    scheme: str = "qat"
    epochs: int = 2
    learning_rate: float = 5e-4
    batch_size: int | None = None
    name: ClassVar[str] = "qat"


@dataclass
class Int8:
    """Full-integer export, calibrated on the first `representative_samples` training samples."""

    representative_samples: int = 256
    int16x8: bool = False
    allow_float_fallback: bool = False
    per_channel: bool = True
    name: ClassVar[str] = "int8"


Stage = Union[Train, Prune, ChannelPrune, Cluster, QAT, Int8]
STAGES: dict[str, type] = {cls.name: cls for cls in (Train, Prune, ChannelPrune, Cluster, QAT, Int8)}
TRAINING_STAGES = (Train, Prune, ChannelPrune, Cluster, QAT)


@dataclass
class Recipe:
    stages: list[Stage]
    model: str | None = None
    data: str | None = None
    batch_size: int = 32
    seed: int = 0
    base_dir: Path | None = field(default=None, compare=False)  # where relative paths point (the YAML's folder)

    @classmethod
    def from_dict(cls, raw: Any, base_dir: Path | None = None) -> Recipe:
        if not isinstance(raw, dict):
            raise RecipeError("a recipe is a mapping with keys model, data, stages (see docs/optimize.md)")
        allowed = {"stages", "model", "data", "batch_size", "seed"}
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise RecipeError(f"recipe: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
        if not isinstance(raw.get("stages"), list) or not raw["stages"]:
            raise RecipeError("recipe: 'stages' must be a non-empty list, e.g. [{prune: {sparsity: 0.5}}, int8]")
        stages = [_stage_from_yaml(index, item) for index, item in enumerate(raw["stages"], 1)]
        recipe = cls(stages=stages, base_dir=base_dir, **{k: v for k, v in raw.items() if k != "stages"})
        recipe.validate()
        return recipe

    @classmethod
    def from_yaml(cls, path: str | Path) -> Recipe:
        import yaml

        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text())
        except OSError as exc:
            raise RecipeError(f"cannot read recipe {path}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise RecipeError(f"recipe {path} is not valid YAML: {exc}") from exc
        return cls.from_dict(raw, base_dir=path.resolve().parent)

    def validate(self) -> None:
        """Check order, types and values of everything; raises RecipeError naming the stage and key."""
        from tfedge.optimize.cluster import INITS
        from tfedge.optimize.prune import SCHEDULES, parse_m_by_n
        from tfedge.optimize.qat import SCHEMES

        _check_type("recipe", "batch_size", self.batch_size, int, minimum=1)
        _check_type("recipe", "seed", self.seed, int, minimum=0)
        for key in ("model", "data"):
            if getattr(self, key) is not None and not isinstance(getattr(self, key), str):
                raise RecipeError(f"recipe: '{key}' must be a name or a path, got {getattr(self, key)!r}")
        for index, stage in enumerate(self.stages, 1):
            where = f"stage {index} ({getattr(stage, 'name', type(stage).__name__)})"
            if type(stage) not in STAGES.values():
                raise RecipeError(f"{where}: not a stage; use one of {', '.join(STAGES)}")
            if isinstance(stage, Train) and any(not isinstance(s, Train) for s in self.stages[: index - 1]):
                raise RecipeError(f"{where}: train stages must come first (they produce the float model)")
            if isinstance(stage, (Prune, ChannelPrune, Cluster, QAT)) and any(isinstance(s, QAT) for s in self.stages[: index - 1]):
                raise RecipeError(f"{where}: a qat stage must be the last training stage (only int8 may follow it): "
                                  "tfmot cannot prune, cluster or re-quantize a quantization-aware model")
            if isinstance(stage, Int8) and index != len(self.stages):
                raise RecipeError(f"{where}: int8 export must be the last stage")
            if isinstance(stage, TRAINING_STAGES):
                _check_type(where, "epochs", stage.epochs, int, minimum=0)
                _check_type(where, "learning_rate", stage.learning_rate, float, minimum=0, exclusive=True)
                if stage.batch_size is not None:
                    _check_type(where, "batch_size", stage.batch_size, int, minimum=1)
            if isinstance(stage, Prune):
                _check_type(where, "epochs", stage.epochs, int, minimum=1)  # masks are applied while training
                _check_type(where, "sparsity", stage.sparsity, float, minimum=0, maximum=1, exclusive=True)
                _check_choice(where, "schedule", stage.schedule, SCHEDULES)
                if stage.layers is not None:
                    if not isinstance(stage.layers, dict) or not stage.layers:
                        raise RecipeError(f"{where}: 'layers' maps layer names to sparsities, e.g. {{conv2: 0.6}}")
                    for layer, value in stage.layers.items():
                        _check_type(where, f"layers.{layer}", value, float, minimum=0, maximum=1, exclusive=True)
                try:
                    parse_m_by_n(stage.m_by_n)
                except RecipeError as exc:
                    raise RecipeError(f"{where}: {exc}") from None
            elif isinstance(stage, ChannelPrune):
                from tfedge.optimize.channel_prune import CRITERIA

                _check_type(where, "macs", stage.macs, float, minimum=0, maximum=1, exclusive=True)
                if stage.instructions is not None:
                    _check_type(where, "instructions", stage.instructions, float, minimum=0, maximum=1)
                    if stage.instructions <= 0:
                        raise RecipeError(f"{where}: 'instructions' must be > 0, got {stage.instructions!r}")
                _check_choice(where, "criterion", stage.criterion, CRITERIA)
                _check_type(where, "multiple_of", stage.multiple_of, int, minimum=1)
            elif isinstance(stage, Cluster):
                _check_type(where, "clusters", stage.clusters, int, minimum=2)
                _check_choice(where, "init", stage.init, INITS)
                if stage.preserve_sparsity is not None:
                    _check_type(where, "preserve_sparsity", stage.preserve_sparsity, bool)
                if stage.layers is not None and (
                    not isinstance(stage.layers, list) or not all(isinstance(n, str) for n in stage.layers)
                ):
                    raise RecipeError(f"{where}: 'layers' is a list of layer names")
            elif isinstance(stage, QAT):
                _check_choice(where, "scheme", stage.scheme, SCHEMES)
            elif isinstance(stage, Int8):
                _check_type(where, "representative_samples", stage.representative_samples, int, minimum=1)
                for key in ("int16x8", "allow_float_fallback", "per_channel"):
                    _check_type(where, key, getattr(stage, key), bool)

    def to_dict(self) -> dict:
        """The YAML form (for the report and round trips)."""
        stages = []
        for stage in self.stages:
            defaults = type(stage)()
            params = {
                f.name: getattr(stage, f.name)
                for f in dataclasses.fields(stage)
                if getattr(stage, f.name) != getattr(defaults, f.name)
            }
            stages.append({stage.name: params} if params else stage.name)
        raw = {"model": self.model, "data": self.data, "batch_size": self.batch_size, "seed": self.seed}
        return {**{k: v for k, v in raw.items() if v is not None}, "stages": stages}


def _stage_from_yaml(index: int, item: Any) -> Stage:
    if isinstance(item, str):
        name, params = item, {}
    elif isinstance(item, dict) and len(item) == 1:
        name, params = next(iter(item.items()))
        params = params or {}
    else:
        raise RecipeError(f"stage {index}: write a stage as a name (int8) or a one-key mapping (prune: {{sparsity: 0.5}}), got {item!r}")
    if name not in STAGES:
        raise RecipeError(f"stage {index}: unknown stage '{name}'; use one of {', '.join(STAGES)}")
    if not isinstance(params, dict):
        raise RecipeError(f"stage {index} ({name}): parameters must be a mapping, got {params!r}")
    cls = STAGES[name]
    allowed = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise RecipeError(
            f"stage {index} ({name}): unknown key(s) {', '.join(map(str, unknown))}; allowed: {', '.join(allowed)}"
        )
    for key in ("learning_rate", "sparsity"):
        # YAML 1.1 reads 1e-4 (no dot) as a string; accept it as the number it is meant to be.
        if isinstance(params.get(key), str):
            try:
                params = {**params, key: float(params[key])}
            except ValueError:
                pass
    return cls(**params)


def _check_type(where: str, key: str, value: Any, kind: type, minimum=None, maximum=None, exclusive=False) -> None:
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok:
        raise RecipeError(f"{where}: '{key}' must be {kind.__name__}, got {value!r}")
    low = minimum is not None and (value <= minimum if exclusive else value < minimum)
    high = maximum is not None and (value >= maximum if exclusive else value > maximum)
    if low or high:
        bounds = f"{'>' if exclusive else '>='} {minimum}" + (f" and {'<' if exclusive else '<='} {maximum}" if maximum is not None else "")
        raise RecipeError(f"{where}: '{key}' must be {bounds}, got {value!r}")


def _check_choice(where: str, key: str, value: Any, choices) -> None:
    if value not in choices:
        raise RecipeError(f"{where}: unknown {key} {value!r}; use one of {', '.join(choices)}")
