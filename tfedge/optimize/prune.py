"""Magnitude pruning (tfmot) with fine-tuning; returns the stripped model and its achieved sparsity."""

from __future__ import annotations

from tfedge._tf import keras, tfmot
from tfedge.errors import RecipeError
from tfedge.optimize.checks import check_model
from tfedge.optimize.keras_convert import as_tf_keras
from tfedge.optimize.metrics import kernels, overall_sparsity, sparsity_per_layer
from tfedge.optimize.training import FineTune, copy_model, fit, loss_for

SCHEDULES = ("polynomial", "constant")


def prune(
    model: keras.Model,
    training: FineTune,
    *,
    sparsity: float = 0.5,
    schedule: str = "polynomial",
    layers: dict[str, float] | None = None,
    m_by_n: tuple[int, int] | str | None = None,
) -> tuple[keras.Model, dict]:
    """Prune the kernels to `sparsity` (or per-layer targets in `layers`), fine-tune, strip the wrappers.

    schedule: 'polynomial' ramps sparsity from 0 over the first 80% of the fine-tuning steps;
    'constant' prunes to the target at once and keeps the mask. m_by_n (e.g. (2, 4) or "2:4")
    zeroes M of every N consecutive input-channel weights instead (Conv2D and Dense only).
    Metrics: {'sparsity': over the pruned kernels, 'sparsity_per_layer': {layer: fraction}}.
    """
    model = as_tf_keras(model, "prune")
    if schedule not in SCHEDULES:
        raise RecipeError(f"prune: unknown schedule '{schedule}'; use one of {', '.join(SCHEDULES)}")
    if training.steps() < 1:
        raise RecipeError("prune: needs at least one epoch of fine-tuning (the masks are applied while training)")
    targets, pair = prune_targets(model, sparsity=sparsity, layers=layers, m_by_n=m_by_n)
    model = copy_model(model)
    steps = training.steps()

    def wrap(layer: keras.layers.Layer) -> keras.layers.Layer:
        if layer.name not in targets:
            return layer
        return tfmot.sparsity.keras.prune_low_magnitude(
            layer, pruning_schedule=_schedule(schedule, float(targets[layer.name]), steps), sparsity_m_by_n=pair
        )

    wrapped = keras.models.clone_model(model, clone_function=wrap)
    fit(wrapped, training, "prune", [tfmot.sparsity.keras.UpdatePruningStep()], loss=loss_for(model, training.y))
    stripped = tfmot.sparsity.keras.strip_pruning(wrapped)
    per_layer = {name: value for name, value in sparsity_per_layer(stripped).items() if name.split(":")[0] in targets}
    return stripped, {
        "sparsity": overall_sparsity(stripped, list(per_layer)),
        "sparsity_per_layer": per_layer,
    }


def prune_targets(
    model: keras.Model,
    *,
    sparsity: float = 0.5,
    layers: dict[str, float] | None = None,
    m_by_n: tuple[int, int] | str | None = None,
) -> tuple[dict[str, float], tuple[int, int] | None]:
    """{layer: target sparsity} and the M-by-N pair, after checking tfmot can prune those layers."""
    pair = parse_m_by_n(m_by_n)
    targets = dict(layers) if layers is not None else {name: sparsity for name in _kernel_layers(model)}
    for name, target in targets.items():
        if not 0.0 < float(target) < 1.0:
            raise RecipeError(f"prune: sparsity for '{name}' must be between 0 and 1 (exclusive), got {target}")
    check_model(model, "prune", targets)
    if pair:
        _check_m_by_n(model, targets, pair)
    return targets, pair


def parse_m_by_n(value: tuple[int, int] | list | str | None) -> tuple[int, int] | None:
    """'2:4' / (2, 4) -> (2, 4); None stays None."""
    if value is None:
        return None
    try:
        m, n = (int(v) for v in (value.split(":") if isinstance(value, str) else value))
    except (ValueError, TypeError):
        raise RecipeError(f"prune: m_by_n must look like '2:4' (M zeros in every N weights), got {value!r}") from None
    if not 0 < m < n:
        raise RecipeError(f"prune: m_by_n needs 0 < M < N, got {m}:{n}")
    return m, n


def _kernel_layers(model: keras.Model) -> list[str]:
    """Layers with a kernel: what 'prune the whole model' means (biases and BN stay dense)."""
    with_kernels = {name.split(":")[0] for name in kernels(model)}
    return [layer.name for layer in model.layers if layer.name in with_kernels]


def _check_m_by_n(model: keras.Model, targets: dict, pair: tuple[int, int]) -> None:
    """tfmot's M-by-N pruning groups N consecutive input channels of Conv2D/Dense kernels."""
    bad = []
    for layer in model.layers:
        if layer.name not in targets:
            continue
        if type(layer) not in (keras.layers.Conv2D, keras.layers.Dense):
            bad.append(f"'{layer.name}' ({type(layer).__name__}: only Conv2D and Dense support M-by-N)")
        elif layer.kernel.shape[-2] % pair[1]:
            bad.append(f"'{layer.name}' ({layer.kernel.shape[-2]} input channels, not a multiple of {pair[1]})")
    if bad:
        raise RecipeError(
            f"prune: {pair[0]}:{pair[1]} sparsity cannot apply to {', '.join(bad)}; "
            "name the layers to prune with per-layer targets (`layers: {name: 0.5}`)"
        )


def _schedule(kind: str, target: float, steps: int) -> tfmot.sparsity.keras.PruningSchedule:
    # Reach the target at 80% of fine-tuning so the last steps recover accuracy at full sparsity,
    # and make the end step a multiple of the update frequency so the last update hits the target.
    ramp = max(1, int(steps * 0.8))
    frequency = max(1, ramp // 10)
    end = max(frequency, frequency * (ramp // frequency))
    if kind == "constant":
        return tfmot.sparsity.keras.ConstantSparsity(target, begin_step=0, frequency=frequency)
    return tfmot.sparsity.keras.PolynomialDecay(
        initial_sparsity=0.0, final_sparsity=target, begin_step=0, end_step=end, frequency=frequency
    )
