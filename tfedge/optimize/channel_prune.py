"""Structured channel (filter) pruning: whole filters go, the model is rebuilt with fewer channels.

Unlike magnitude pruning (zeros a compiled model still multiplies), the exported model really has
fewer channels, so MACs, flash and time drop on the device. The filters with the smallest L1 (or L2)
norm are removed by one uniform fraction found so the model keeps at most `macs` of its
multiply-accumulates; the layers that read a pruned layer lose the matching input channels; then the
smaller model is fine-tuned.

Branches are handled with a dependency graph over the Keras model: every Conv2D/Dense output starts
a channel group; layers that keep channels one to one (BatchNormalization, activations, pooling,
padding, Dropout, DepthwiseConv2D) pass their input's group on; an ADD (Add, Subtract, Multiply,
Maximum, Minimum, Average) joins its inputs' groups into one, so a residual block's convolutions and
its shortcut lose the same channels; a Concatenate lays its inputs' groups side by side. A group is
pruned only when every layer touching it can be sliced: groups reaching a model output, or any layer
tfedge cannot slice (Reshape, Lambda, custom layers, grouped convs), keep all their channels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tfedge._tf import keras
from tfedge.errors import RecipeError
from tfedge.optimize.device_cost import layer_instructions
from tfedge.optimize.keras_convert import as_tf_keras
from tfedge.optimize.training import FineTune, fit, loss_for

CRITERIA = ("l1", "l2")
L = keras.layers
# Layers whose output channels are their input channels (sliced along with them; no weights but BN's).
_PASS = (L.MaxPooling2D, L.AveragePooling2D, L.ReLU, L.Activation, L.Dropout, L.GlobalAveragePooling2D,
         L.GlobalMaxPooling2D, L.ZeroPadding2D, L.BatchNormalization, L.LeakyReLU, L.SpatialDropout2D,
         L.MaxPooling1D, L.AveragePooling1D, L.GlobalAveragePooling1D, L.GlobalMaxPooling1D)
_MERGE = (L.Add, L.Subtract, L.Multiply, L.Maximum, L.Minimum, L.Average)


def _is_producer(layer) -> bool:
    """A layer whose output channels are its own filters (prunable unless its group is frozen)."""
    if isinstance(layer, (L.DepthwiseConv2D, L.SeparableConv2D)) or not isinstance(layer, (L.Conv2D, L.Dense)):
        return False
    return getattr(layer, "groups", 1) == 1


@dataclass
class ChannelPlan:
    """The dependency graph: which channel group each layer's output is, which groups may be pruned."""

    layers: list  # model.layers, topological
    inputs: dict[str, list[str]]  # layer -> the layers it reads
    out_group: dict[str, object] = field(default_factory=dict)  # layer -> group id, or ("cat", [parts]) for Concatenate
    members: dict[int, list[str]] = field(default_factory=dict)  # group id -> its producer layers
    frozen: set[int] = field(default_factory=set)
    parent: dict[int, int] = field(default_factory=dict)  # union-find over group ids

    def find(self, g: int) -> int:
        while self.parent.get(g, g) != g:
            g = self.parent[g]
        return g

    def union(self, a: int, b: int) -> None:
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[b] = a
            self.members.setdefault(a, []).extend(self.members.pop(b, []))
            if b in self.frozen:
                self.frozen.add(a)

    def groups_of(self, ref) -> list[int]:
        """The root groups a layer output (or concat of outputs) is made of."""
        if isinstance(ref, tuple):
            return [g for part in ref[1] for g in self.groups_of(part)]
        return [] if ref is None else [self.find(ref)]

    def prunable(self) -> dict[int, list[str]]:
        """root group -> its producers, for the groups that will lose channels."""
        return {g: names for g, names in self.members.items() if g == self.find(g) and g not in self.frozen and names}


def channel_plan(model: keras.Model) -> ChannelPlan:
    """Build the channel dependency graph; raise RecipeError for models the run could not rebuild.

    The same function decides for `tfedge optimize --check` and for the run: what it refuses here the
    run refuses, and nothing else."""
    if not (isinstance(model, keras.Sequential) or getattr(model, "_is_graph_network", False)):
        raise RecipeError(f"channel_prune: {type(model).__name__} is a subclassed model; channel pruning rebuilds "
                          "Sequential or functional models from their config")
    inputs: dict[str, list[str]] = {}
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            raise RecipeError(f"channel_prune: layer '{layer.name}' is a nested model; flatten it into one functional model")
        nodes = [n for n in layer._inbound_nodes if not isinstance(layer, L.InputLayer)]
        if len(nodes) > 1:
            raise RecipeError(f"channel_prune: layer '{layer.name}' is called {len(nodes)} times (a shared layer); "
                              "its channels cannot be pruned for one call only: give each call its own layer")
        inbound = nodes[0].inbound_layers if nodes else []
        inputs[layer.name] = [l.name for l in (inbound if isinstance(inbound, (list, tuple)) else [inbound])]
    plan = ChannelPlan(layers=list(model.layers), inputs=inputs)
    next_id = 0

    def new_group(producer: str | None = None, frozen: bool = False) -> int:
        nonlocal next_id
        next_id += 1
        plan.members[next_id] = [producer] if producer else []
        if frozen:
            plan.frozen.add(next_id)
        return next_id

    for layer in plan.layers:
        name, sources = layer.name, [plan.out_group.get(s) for s in inputs[layer.name]]
        if isinstance(layer, L.InputLayer):
            plan.out_group[name] = new_group(frozen=True)  # the model input's channels are the data's
        elif _is_producer(layer):
            plan.out_group[name] = new_group(name)
        elif isinstance(layer, L.DepthwiseConv2D) and len(sources) == 1 and not isinstance(sources[0], tuple):
            # channel c * mult + m reads input channel c: pruned with its input; with mult > 1 its output
            # is derived from that group (it cannot join an ADD as the same group)
            plan.out_group[name] = sources[0] if layer.depth_multiplier == 1 else ("dw", sources)
        elif isinstance(layer, (*_PASS, L.Flatten)) and len(sources) == 1:
            plan.out_group[name] = sources[0]
        elif isinstance(layer, _MERGE) and all(not isinstance(s, tuple) for s in sources):
            first = sources[0]
            for other in sources[1:]:
                plan.union(first, other)
            plan.out_group[name] = first
        elif isinstance(layer, L.Concatenate) and layer.axis in (-1, len(layer.output_shape) - 1):
            plan.out_group[name] = ("cat", sources)
        else:  # cannot slice through it: its inputs keep every channel
            for g in (g for s in sources for g in plan.groups_of(s)):
                plan.frozen.add(plan.find(g))
            plan.out_group[name] = new_group(frozen=True)
    for tensor in model.outputs:
        for g in plan.groups_of(plan.out_group[tensor._keras_history.layer.name]):
            plan.frozen.add(g)
    for g in list(plan.frozen):
        plan.frozen.add(plan.find(g))
    if not plan.prunable():
        raise RecipeError("channel_prune: no layer can lose channels: every Conv2D/Dense output reaches the model "
                          "output or a layer channel pruning cannot slice (Reshape, Lambda, custom layers)")
    return plan


def channel_prune(model: keras.Model, training: FineTune, *, macs: float = 0.5, instructions: float | None = None,
                  criterion: str = "l1", multiple_of: int = 8) -> tuple[keras.Model, dict]:
    """Remove the lowest-norm filters until the model has at most `macs` (a fraction) of its MACs and at
    most `instructions` (default: the same fraction) of its estimated Cortex-M4 instructions
    (optimize/device_cost.py: depthwise layers, residual ADDs and im2col gathers cost more than their
    MACs say), rebuild it smaller and fine-tune it. `instructions=1.0` bounds the MACs only.

    Kept channel counts are multiples of `multiple_of` (8: the packed conv rows of the DSP kernels are
    padded to 8 input values and the depthwise/FC paths take 4 channels per word, so other widths
    waste lanes; 1: exact). Every group first loses the same fraction of its filters (the smallest
    fraction meeting both budgets), then groups get `multiple_of` filters back, the highest-norm
    missing filter first, while the budgets still hold. Coupled layers (a residual ADD, a depthwise
    conv) lose the same channels. Metrics: macs_before, macs_after, est_instructions_before/after,
    removed_fraction, channels {layer: [before, after]}."""
    model = as_tf_keras(model, "channel_prune")
    instructions = macs if instructions is None else instructions
    check_options(macs, criterion, multiple_of, instructions)
    plan = channel_plan(model)
    before = count_macs(model)
    per_layer = _layer_macs(model)
    scores = _group_scores(plan, criterion)
    full = {g: len(score) for g, (_, score) in scores.items()}
    cost_before = _estimate(plan, per_layer, _keep_counts(scores, full))[1]

    def fits(counts: dict[int, int]) -> bool:
        m, i = _estimate(plan, per_layer, _keep_counts(scores, counts))
        return m <= macs * before and i <= instructions * cost_before

    counts, fraction = full, 0.0
    for step in range(1, 100):  # uniform fraction of filters removed, in 1 % steps, smallest that fits
        fraction = step / 100
        counts = {g: _rounded(width * (1.0 - fraction), width, multiple_of) for g, width in full.items()}
        if fits(counts):
            break
    counts = _refill(scores, counts, full, multiple_of, fits)
    keep = _keep_counts(scores, counts)
    pruned = _rebuild(model, plan, keep)
    fit(pruned, training, "channel_prune", loss=loss_for(model, training.y))
    channels = {name: [int(model.get_layer(name).get_weights()[0].shape[-1]), len(kept)] for name, kept in keep.items()}
    return pruned, {"macs_before": before, "macs_after": count_macs(pruned), "removed_fraction": fraction,
                    "est_instructions_before": int(cost_before),
                    "est_instructions_after": int(_estimate(plan, per_layer, keep)[1]), "channels": channels}


def check_options(macs: float, criterion: str, multiple_of: int, instructions: float | None = None) -> None:
    if not 0.0 < macs < 1.0:
        raise RecipeError(f"channel_prune: macs must be a fraction between 0 and 1 (exclusive), got {macs}")
    if instructions is not None and not 0.0 < instructions <= 1.0:
        raise RecipeError(f"channel_prune: instructions must be a fraction in (0, 1] (1: bound the MACs only), "
                          f"got {instructions}")
    if criterion not in CRITERIA:
        raise RecipeError(f"channel_prune: unknown criterion '{criterion}'; use one of {', '.join(CRITERIA)}")
    if not isinstance(multiple_of, int) or multiple_of < 1:
        raise RecipeError(f"channel_prune: multiple_of must be a positive integer, got {multiple_of}")


def _rounded(n: float, width: int, multiple_of: int) -> int:
    """n filters rounded to a multiple of `multiple_of`, at least one multiple, at most the width."""
    return min(width, max(int(round(n / multiple_of)) * multiple_of, multiple_of, 1))


def _group_scores(plan: ChannelPlan, criterion: str) -> dict[int, tuple[list[str], np.ndarray]]:
    """{group: (its producers, a score per filter)}: the producers' filter norms summed, each producer's
    norms scaled to mean 1 so that no layer dominates (and groups compare with each other)."""
    by_name = {layer.name: layer for layer in plan.layers}
    scores = {}
    for group, names in plan.prunable().items():
        score = 0.0
        for name in names:
            kernel = by_name[name].get_weights()[0]
            flat = np.abs(kernel.reshape(-1, kernel.shape[-1]))
            norms = flat.sum(axis=0) if criterion == "l1" else np.sqrt((flat ** 2).sum(axis=0))
            score = score + norms / max(float(norms.mean()), 1e-12)
        scores[group] = (names, score / len(names))
    return scores


def _keep_counts(scores: dict, counts: dict[int, int]) -> dict[str, np.ndarray]:
    """{producer layer: sorted indices of its kept filters}, each group keeping its `counts` best."""
    keep = {}
    for group, (names, score) in scores.items():
        kept = np.sort(np.argsort(-score, kind="stable")[:counts[group]])
        keep.update({name: kept for name in names})
    return keep


def _refill(scores: dict, counts: dict[int, int], full: dict[int, int], multiple_of: int, fits) -> dict[int, int]:
    """Give groups `multiple_of` filters back, the group whose best missing filter scores highest first,
    while `fits`: the uniform fraction's rounding to multiples otherwise removes more than asked."""
    counts = dict(counts)
    ranked = {g: np.sort(score)[::-1] for g, (_, score) in scores.items()}
    while True:
        growable = [g for g in counts if counts[g] < full[g]]
        for g in sorted(growable, key=lambda g: -ranked[g][counts[g]]):
            trial = {**counts, g: min(full[g], counts[g] + multiple_of)}
            if fits(trial):
                counts = trial
                break
        else:
            return counts


def _keep(plan: ChannelPlan, fraction: float, criterion: str, multiple_of: int) -> dict[str, np.ndarray]:
    """{producer layer: sorted indices of the filters kept} when every group loses `fraction` of its filters."""
    scores = _group_scores(plan, criterion)
    return _keep_counts(scores, {g: _rounded(len(s) * (1.0 - fraction), len(s), multiple_of) for g, (_, s) in scores.items()})


def _kept_outputs(plan: ChannelPlan, keep: dict[str, np.ndarray]) -> dict[str, np.ndarray | None]:
    """layer -> indices of its output channels that remain (None: all), following the graph."""
    widths = {layer.name: int(layer.output_shape[-1]) for layer in plan.layers if not isinstance(layer.output_shape, list)}
    kept: dict[str, np.ndarray | None] = {}
    for layer in plan.layers:
        name, sources = layer.name, plan.inputs[layer.name]
        if name in keep:
            kept[name] = keep[name]
        elif _is_producer(layer) or isinstance(layer, L.InputLayer) or not sources:
            kept[name] = None
        elif isinstance(layer, L.DepthwiseConv2D):
            inner = kept[sources[0]]
            mult = layer.depth_multiplier
            kept[name] = None if inner is None else (inner[:, None] * mult + np.arange(mult)).ravel()
        elif isinstance(layer, L.Concatenate):
            parts, offset = [], 0
            for s in sources:
                part = kept[s]
                parts.append(np.arange(widths[s]) + offset if part is None else part + offset)
                offset += widths[s]
            whole = np.concatenate(parts)
            kept[name] = None if len(whole) == offset else whole
        else:
            kept[name] = kept[sources[0]]
    return kept


def _rebuild(model: keras.Model, plan: ChannelPlan, keep: dict[str, np.ndarray]) -> keras.Model:
    """The model with the kept filters only, weights sliced to match."""
    config = model.get_config()
    for entry in config["layers"]:
        name = entry["config"]["name"]
        if name in keep:
            key = "filters" if "filters" in entry["config"] else "units"
            entry["config"][key] = int(len(keep[name]))
    new = model.__class__.from_config(config)
    kept = _kept_outputs(plan, keep)
    for old in plan.layers:
        weights = old.get_weights()
        if not weights:
            continue
        sources = plan.inputs[old.name]
        channels = kept[sources[0]] if sources else None
        if isinstance(old, L.DepthwiseConv2D):
            if channels is not None:  # output channel c * mult + m reads input channel c
                mult = weights[0].shape[3]
                weights[0] = weights[0][:, :, channels, :]
                if len(weights) > 1:
                    weights[1] = weights[1].reshape(-1, mult)[channels].ravel()
        elif isinstance(old, (L.Conv2D, L.Dense)):
            kernel = weights[0]
            if channels is not None:
                flat = _flatten_positions(plan, old)
                if flat:  # after Flatten: rows are (positions, channels)
                    kernel = kernel.reshape(flat, -1, kernel.shape[-1])[:, channels, :].reshape(-1, kernel.shape[-1])
                else:
                    kernel = kernel[..., channels, :]
            if old.name in keep:
                kernel = kernel[..., keep[old.name]]
                if len(weights) > 1:
                    weights[1] = weights[1][keep[old.name]]
            weights[0] = kernel
        elif isinstance(old, L.BatchNormalization):
            if channels is not None:
                weights = [w[channels] for w in weights]
        elif channels is not None:
            raise RecipeError(f"channel_prune: cannot slice layer '{old.name}' ({type(old).__name__})")  # plan froze it
        new.get_layer(old.name).set_weights(weights)
    return new


def _flatten_positions(plan: ChannelPlan, layer) -> int:
    """For a Dense reading a Flatten of a feature map: the number of spatial positions (else 0)."""
    sources = plan.inputs[layer.name]
    if not isinstance(layer, L.Dense) or not sources:
        return 0
    before = next(l for l in plan.layers if l.name == sources[0])
    if not isinstance(before, L.Flatten) or len(before.input_shape) < 3:
        return 0
    return int(np.prod(before.input_shape[1:-1]))


def _layer_macs(model: keras.Model) -> dict[str, int]:
    return {layer.name: _macs(layer) for layer in model.layers}


def _estimate(plan: ChannelPlan, per_layer: dict[str, int], keep: dict[str, np.ndarray]) -> tuple[float, float]:
    """(MACs, estimated M4 instructions) after pruning, without rebuilding: each layer's MACs scale with
    its kept input and output fractions; its instructions follow device_cost at the kept widths."""
    kept = _kept_outputs(plan, keep)
    macs_total = instructions = 0.0
    for layer in plan.layers:
        if isinstance(layer.output_shape, list):
            continue
        sources = plan.inputs[layer.name]
        inner = kept[sources[0]] if sources else None
        width_in = int(layer.input_shape[-1]) if sources and not isinstance(layer.input_shape, list) else 0
        width_out = int(layer.output_shape[-1])
        channels_in = float(width_in)
        if inner is not None and width_in:
            flat = _flatten_positions(plan, layer)
            channels_in = float(len(inner) * (flat or 1))
        channels_out = float(len(kept[layer.name])) if kept.get(layer.name) is not None else float(width_out)
        instructions += layer_instructions(layer, channels_in, channels_out)
        macs = per_layer[layer.name]
        if macs:
            fraction_in = channels_in / width_in if width_in else 1.0
            # depthwise: one MAC set per (kept) channel, counted by fraction_in
            fraction_out = 1.0 if isinstance(layer, L.DepthwiseConv2D) else channels_out / width_out
            macs_total += macs * fraction_in * fraction_out
    return macs_total, instructions


def count_macs(model: keras.Model) -> int:
    """Multiply-accumulates of one inference (Conv2D, DepthwiseConv2D, Dense)."""
    return int(sum(_macs(layer) for layer in model.layers))


def _macs(layer) -> int:
    if isinstance(layer, L.DepthwiseConv2D):
        k = layer.get_weights()[0]
        _, h, w, c = layer.output_shape
        return h * w * c * k.shape[0] * k.shape[1]
    if isinstance(layer, L.Conv2D):
        k = layer.get_weights()[0]
        _, h, w, c = layer.output_shape
        return h * w * c * k.shape[0] * k.shape[1] * k.shape[2]
    if isinstance(layer, L.Dense):
        k = layer.get_weights()[0]
        return int(np.prod(layer.output_shape[1:-1] or [1])) * k.shape[0] * k.shape[1]
    return 0
