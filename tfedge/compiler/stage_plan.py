"""The patch planner: whether the first layers run as a patch stage (patches.py), which, and at what cost.

Every candidate (each chain prefix x band height) is planned exactly (schedule.py with the stage), so
the arena each would give is known, not estimated. The trade-off is explicit in the compile report:
per candidate, the arena, the kernel calls (one per layer layer by layer, one per band and layer in a
stage), the bytes the line buffers move and the extra MACs (none: no row is computed twice).
Default: the least arena; with a RAM budget (arena bytes): the cheapest stage that fits it, none when
layer by layer already fits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tfedge.compiler import patches as bands
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.planner import Plan
from tfedge.compiler.schedule import schedule
from tfedge.errors import ModelError

MODES = ("auto", "off")
GIVE_UP = 5  # stage ends tried past the best one so far (the arena dips again where a stride halves the rows)


@dataclass(frozen=True)
class StageChoice:
    stage: bands.Stage | None
    arena_before: int  # layer by layer
    reason: str
    options: list[dict]  # the best candidate per stage end: last layer, rows, arena, calls, moved bytes


def choose_stage(g: Graph, layers: list[Op], plan: Plan, kernel_scratch: Mapping[int, int], excluded: frozenset[int], *,
                 patches: str = "auto", ram_budget: int | None = None, stream: bool = False) -> StageChoice:
    """The stage for `layers` (the layer-by-layer order, whose plan is `plan`)."""
    mode = patches
    if mode not in MODES:
        raise ModelError(f"unknown patches mode {mode!r}: one of {', '.join(MODES)}")
    if ram_budget is not None and ram_budget <= 0:
        raise ModelError(f"RAM budget must be a positive number of bytes, not {ram_budget}")
    if mode == "off" and not stream:
        return StageChoice(None, plan.arena_bytes, "patches off", [])
    ops = frozenset(excluded)
    x = g.tensors[g.inputs[0]] if len(g.inputs) == 1 else None
    if stream and (x is None or len(x.shape) != 4 or not layers or g.tensors[layers[0].inputs[0]].shape != x.shape):
        raise ModelError(f"{g.name}: input streaming needs one NHWC (4-D) input read as it is by the first layer "
                         f"(this model's input has shape {list(x.shape) if x is not None else 'several'}); compile "
                         "without stream_input")
    options: list[tuple[bands.Stage, int]] = []
    since_best, best_arena = 0, None
    nodes, ends = bands.stage_nodes(g, layers, ops)
    floor = 0 if stream else g.tensors[g.inputs[0]].nbytes  # live beside the line buffers during the stage
    for last in ends:
        if last == 0 and not stream:
            continue  # one layer alone: the in-place row loop does as well
        if since_best > GIVE_UP:
            break  # longer stages only grow their line buffers from here
        since_best += 1
        for rows in bands.ROWS:
            for per_call in bands.PER_CALL:
                stage = bands.make_stage(g, layers, last, rows, stream, per_call, nodes=nodes)
                if best_arena is not None and stage.scratch_bytes + floor >= best_arena:
                    continue  # its line buffers and the input alone exceed the best plan: not planned
                _, p = schedule(g, layers, excluded_ops=ops, kernel_scratch=kernel_scratch, stage=stage)
                options.append((stage, p.arena_bytes))
                if best_arena is None or p.arena_bytes < best_arena:
                    since_best, best_arena = 0, p.arena_bytes
    if stream and not options:
        raise ModelError(f"{g.name}: input streaming needs the graph to start with a CONV_2D or DEPTHWISE_CONV_2D "
                         "on its only input (batch 1, int8); compile without stream_input")
    if stream:  # the stage is required; pick among them as usual, never "none"
        stage, reason = _pick(options, ram_budget)
    else:
        stage, reason = _choose(options, plan.arena_bytes, ram_budget)
    best: dict[int, tuple] = {}
    for s, arena in options:
        key = (arena, s.calls, s.moved_bytes)
        if s.last not in best or key < best[s.last][0]:
            best[s.last] = (key, s)
    table = [{"last_layer": s.last, "rows_per_band": s.rows, "arena_bytes": k[0], "kernel_calls": s.calls,
              "moved_bytes": s.moved_bytes, "line_buffer_bytes": s.scratch_bytes, "extra_macs": 0}
             for k, s in (best[last] for last in sorted(best))]
    return StageChoice(stage, plan.arena_bytes, reason, table)


def _cost(option: tuple) -> tuple:
    stage, arena = option
    return stage.calls, stage.moved_bytes, stage.last, arena


def _pick(options: list[tuple], budget: int | None) -> tuple[bands.Stage, str]:
    fitting = [o for o in options if budget is None or o[1] <= budget]
    if budget is not None and fitting:
        return min(fitting, key=_cost)[0], f"the cheapest stage within the RAM budget {budget:,} B"
    least = min(o[1] for o in options)
    pick = min((o for o in options if o[1] == least), key=_cost)[0]
    return pick, "least arena" + (f" (no stage fits the RAM budget {budget:,} B)" if budget is not None else "")


def _choose(options: list[tuple], before: int, budget: int | None) -> tuple[bands.Stage | None, str]:
    if budget is not None and before <= budget:
        return None, f"layer by layer fits the RAM budget ({before:,} <= {budget:,} B)"
    if not options:
        return None, "no stage possible (the graph does not start with a chain of convolutions)"
    if min(o[1] for o in options) >= before:
        return None, "no stage lowers the arena"
    return _pick([o for o in options if o[1] < before], budget)


def report(choice: StageChoice, plan: Plan, layers: list[Op], rows: list[dict], g: Graph) -> dict:
    """The compile report's `patches` section."""
    s = choice.stage
    out = {"chosen": s is not None, "reason": choice.reason, "arena_before": choice.arena_before,
           "arena_after": plan.arena_bytes, "candidates": choice.options}
    if s is not None:
        macs = sum(rows[i]["macs"] for i in s.layers)
        out.update(layers=[0, s.last], operators=[layers[i].index for i in s.layers], rows_per_band=s.rows,
                   stream_input=s.stream, line_buffer_bytes=s.scratch_bytes, window_rows=s.notes.get("window_rows", {}),
                   kernel_calls=s.calls, kernel_calls_layer_by_layer=s.last + 1, moved_bytes=s.moved_bytes,
                   steps=len(s.steps), step_table_bytes=24 * len(s.steps), macs=macs, extra_macs=0,
                   output_over_input=s.over_input is not None,
                   line_buffers=[{"tensor": g.tensors[s.tensors[k]].name, "buffer": k, "offset": plan.scratch[0].offset + off,
                                  "bytes": size, "rows": s.notes["window_rows"][k]} for k, (off, size) in sorted(s.windows.items())])
    return out
