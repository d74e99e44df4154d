"""Patch-based execution of the first layers (MCUNetV2's idea, in row bands without recomputation).

For image models the peak RAM sits in the first layers: large activations that layer-by-layer execution
must hold whole. A *stage* is a chain at the start of the graph (CONV_2D / DEPTHWISE_CONV_2D, batch 1,
int8) that runs band by band: the stage's last layer produces `rows` output rows at a time, pulling from
its producer exactly the input rows that band reads, and so on back to the stage input. Every
intermediate activation lives only as a *line buffer*: a window of the rows still to be read, kept
contiguous (rows no consumer reads any more are dropped by moving the rest to the window's start when
the window would overflow). Each row is computed once, so there are no extra MACs (MCUNetV2's spatial
patches recompute a halo; bands along the rows need not); the costs are more, smaller kernel calls
and the window moves, both counted here and shown in the compile report.

Bit-exact by construction: every call is the layer's own kernel (portable, DSP or Helium) on a
sub-window with the geometry the in-place row loop already uses (in_h, out_h, pad_top): the real
padding only at the true image border (top: pad_top of the first band; bottom: the window clipped at
in_h), the real input rows everywhere else.

The whole schedule (calls, moves, reads of a streamed input) is simulated here at compile time and
emitted as a table of steps that `tfedge_patch_stage_s8` (firmware/runtime/portable/patch_stage_s8.c)
executes. With input streaming the stage input is a line buffer too, filled in row order by a callback
the application registers (tfedge_model_set_input_rows), so the input never needs to be resident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.inplace import conv_rows

STAGE_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D")
ROWS = (1, 2, 4)  # stage output rows per band tried by the planner
PER_CALL = (0, 1, 2)  # most output rows per kernel call inside the stage (0: what the band needs)
ALIGN = 16
CALL, MOVE, READ = "call", "move", "read"


@dataclass(frozen=True)
class Geo:
    """One stage layer's rows: input height and bytes per row, output height and bytes per row, stride,
    top padding, effective kernel height (dilation included)."""
    in_h: int
    in_row: int
    out_h: int
    out_row: int
    stride: int
    pad_top: int
    eff: int

    def window(self, j0: int, n: int) -> tuple[int, int, int]:
        """(first input row, end input row, top padding) read by output rows [j0, j0 + n)."""
        top = j0 * self.stride - self.pad_top
        first = max(top, 0)
        end = max(min(top + (n - 1) * self.stride + self.eff, self.in_h), first)
        return first, end, first - top


@dataclass(frozen=True)
class Step:
    """One entry of the stage's step table. CALL: stage layer `layer` on input rows at src (in_h rows,
    pad_top) into out_h output rows at dst. MOVE: `nbytes` from src to dst (same window). READ: input
    rows [first, first + n) from the application's callback to dst. src/dst: (buffer k, byte offset)."""
    kind: str
    layer: int = -1
    src: tuple[int, int] = (0, 0)
    dst: tuple[int, int] = (0, 0)
    in_h: int = 0
    pad_top: int = 0
    out_h: int = 0
    nbytes: int = 0
    first: int = 0


@dataclass(frozen=True)
class Stage:
    """The chosen stage: layer positions 0..last of the execution order; buffer k (0..last+1) is the
    input of stage layer k (k = last + 1: the stage output). Buffers 1..last (and 0 when streamed) are
    line buffers at `windows[k]` = (offset in the stage scratch, bytes)."""
    last: int
    tensors: tuple[int, ...]  # storage tensor of each buffer
    windows: dict[int, tuple[int, int]]
    scratch_bytes: int
    steps: tuple[Step, ...]
    rows: int  # stage output rows per band
    stream: bool
    calls: int
    moved_bytes: int
    over_input: int | None = None  # the output is written over the input buffer, this many bytes in
    notes: dict = field(default_factory=dict)

    @property
    def layers(self) -> range:
        return range(self.last + 1)

    @property
    def internal(self) -> set[int]:
        """Storage tensors that never exist whole (the intermediates, and the input when streamed)."""
        inner = set(self.tensors[1:-1])
        return inner | {self.tensors[0]} if self.stream else inner


class _Sim:
    """Runs the band schedule on row indices only and records the steps (mirrors the C driver)."""

    def __init__(self, geos: list[Geo], caps: list[int] | None, stream: bool, per_call: int = 0):
        self.geos, self.caps, self.per_call = geos, caps, per_call
        n = len(geos)
        self.row = [geos[0].in_row] + [g.out_row for g in geos]
        self.windowed = [stream] + [True] * (n - 1) + [False]
        self.base = [0] * (n + 1)
        self.hi = [0] * (n + 1)
        self.need = [0] * (n + 1)
        self.steps: list[Step] = []

    def addr(self, k: int, r: int) -> tuple[int, int]:
        return k, (r - self.base[k]) * self.row[k]

    def room(self, k: int, first: int, end: int) -> None:
        """Make buffer k able to hold rows [first, end): drop rows below `first` when it would overflow
        (always, while measuring the smallest windows)."""
        if not self.windowed[k]:
            return
        low = min(first, self.hi[k])
        if low > self.base[k] and (self.caps is None or end - self.base[k] > self.caps[k]):
            if self.hi[k] > low:
                self.steps.append(Step(MOVE, src=self.addr(k, low), dst=(k, 0), nbytes=(self.hi[k] - low) * self.row[k]))
            self.base[k] = low
        self.need[k] = max(self.need[k], end - self.base[k])
        if self.caps is not None and end - self.base[k] > self.caps[k]:
            raise AssertionError(f"window {k} overflows")

    def fill(self, k: int, end: int) -> None:
        if self.hi[k] >= end:
            return
        if k == 0:  # streamed input: the application's callback, rows in order
            self.steps.append(Step(READ, dst=self.addr(0, self.hi[0]), out_h=end - self.hi[0], first=self.hi[0]))
            self.hi[0] = end
        else:
            self.produce(k - 1, end)

    def produce(self, l: int, upto: int) -> None:
        """Layer l computes its output rows up to `upto` into buffer l + 1 (room made by the caller)."""
        g = self.geos[l]
        while self.hi[l + 1] < upto:
            j0, n = self.hi[l + 1], upto - self.hi[l + 1]
            if self.per_call and l < len(self.geos) - 1:  # smaller calls inside the stage: smaller windows
                n = min(n, self.per_call)
            if self.windowed[l] and self.caps is not None:  # as many rows as the input window holds
                while n > 1:
                    first, end, _ = g.window(j0, n)
                    if end - min(first, self.hi[l]) <= self.caps[l]:
                        break
                    n -= 1
            first, end, pad = g.window(j0, n)
            self.room(l, first, end)
            self.fill(l, end)
            self.steps.append(Step(CALL, layer=l, src=self.addr(l, first), dst=self.addr(l + 1, j0), in_h=end - first,
                                   pad_top=pad, out_h=n))
            self.hi[l + 1] = j0 + n

    def run(self, rows: int) -> None:
        out_h = self.geos[-1].out_h
        for j0 in range(0, out_h, rows):
            self.produce(len(self.geos) - 1, min(j0 + rows, out_h))


def schedule_stage(geos: list[Geo], rows: int, stream: bool, per_call: int = 0, slack: float = 0.0
                   ) -> tuple[list[int], list[Step]]:
    """(window capacity in rows per buffer, steps): capacities measured as the smallest windows this band
    height needs with at most `per_call` output rows per call inside the stage (0: as many as the band
    needs), plus `slack` of them (fewer moves)."""
    probe = _Sim(geos, None, stream, per_call)
    probe.run(rows)
    caps = [need + int(need * slack) if w else 0 for need, w in zip(probe.need, probe.windowed)]
    sim = _Sim(geos, caps, stream, per_call)
    sim.run(rows)
    return caps, sim.steps


def over_input_offset(steps: list[Step], last: int, in_row: int, in_h: int, out_row: int) -> int | None:
    """The smallest offset (16-byte aligned) at which the stage output can share the input's buffer: no
    output row is written over an input row that a call at or after that step still reads. None when it
    would start past the input's end (then the two buffers are simply separate)."""
    later = in_h  # first input row read from this step on
    need = 0
    for s in reversed(steps):
        if s.kind == CALL and s.layer == 0:
            later = min(later, s.src[1] // in_row)
        if s.kind == CALL and s.layer == last:
            end = s.dst[1] + s.out_h * out_row
            need = max(need, end - later * in_row)
    delta = _align(max(need, 0))
    return delta if delta < in_row * in_h else None


def chain_length(g: Graph, layers: list[Op], excluded: frozenset[int] = frozenset()) -> int:
    """How many layers from the start form a chain a stage can run: each a convolution on the previous
    one's output (the first on the graph input), read only by the next, batch 1, int8."""
    readers: dict[int, int] = {}
    for op in layers:
        for t in op.inputs:
            if t >= 0 and not g.tensors[t].is_const:
                readers[g.storage(t)] = readers.get(g.storage(t), 0) + 1
    pinned = {g.storage(t) for t in g.outputs}
    if len(g.inputs) != 1:
        return 0
    prev = g.storage(g.inputs[0])
    n = 0
    for op in layers:
        x = g.tensors[op.inputs[0]] if op.inputs else None
        if (op.kind not in STAGE_OPS or op.index in excluded or x is None or g.storage(op.inputs[0]) != prev
                or readers.get(prev) != 1 or x.shape[0] != 1 or x.dtype != "int8"
                or g.tensors[op.outputs[0]].dtype != "int8"):
            break
        n += 1
        prev = g.storage(op.outputs[0])
        if prev in pinned:
            break
    return n


def _geo(op: Op, g: Graph) -> Geo:
    return Geo(*conv_rows(op, g))


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def make_stage(g: Graph, layers: list[Op], last: int, rows: int, stream: bool, per_call: int = 0,
               slack: float = 0.0) -> Stage:
    """The stage of layers 0..last with `rows` output rows per band, at most `per_call` rows per call of its
    other layers (0: no limit)."""
    geos = [_geo(op, g) for op in layers[:last + 1]]
    caps, steps = schedule_stage(geos, rows, stream, per_call, slack)
    tensors = tuple([g.storage(layers[0].inputs[0])] + [g.storage(op.outputs[0]) for op in layers[:last + 1]])
    row = [geos[0].in_row] + [geo.out_row for geo in geos]
    windows, offset = {}, 0
    for k, cap in enumerate(caps):
        if cap:
            windows[k] = (offset, cap * row[k])
            offset += _align(cap * row[k])
    calls = sum(1 for s in steps if s.kind == CALL)
    moved = sum(s.nbytes for s in steps if s.kind == MOVE)
    over = None if stream else over_input_offset(steps, last, geos[0].in_row, geos[0].in_h, geos[-1].out_row)
    return Stage(last, tensors, windows, offset, tuple(steps), rows, stream, calls, moved, over,
                 notes={"window_rows": {k: caps[k] for k in windows}, "rows_per_call": per_call})


# ---- C emission ---------------------------------------------------------------------------------------------

_CALL_RE = re.compile(r"^(\w+)\(&(l\d+_params), \(const int8_t \*\)\(tfedge_arena \+ \d+\), "
                      r"\(int8_t \*\)\(tfedge_arena \+ \d+\)\);$")


def emit(stage: Stage, calls: list[str], buffer_offset: dict[int, int], scratch_offset: int) -> tuple[list[str], str] | int:
    """(declarations, the stage's one call) for model.c; the stage layer whose call has another form than
    kernel(&params, in, out) when one has. buffer_offset: arena offset of the whole buffers (stage input unless
    streamed, stage output); the line buffers are at scratch_offset + their window offset."""
    table = []
    for i in stage.layers:
        m = _CALL_RE.match(calls[i])
        if not m:
            return i
        table.append(f"  {{{m.group(1)}, &{m.group(2)}}},")

    def where(ref: tuple[int, int]) -> int:
        k, byte = ref
        base = scratch_offset + stage.windows[k][0] if k in stage.windows else buffer_offset[k]
        return base + byte

    rows = []
    for s in stage.steps:
        if s.kind == CALL:
            rows.append(f"{{{s.layer}, {s.in_h}, {s.pad_top}, {s.out_h}, {where(s.src)}, {where(s.dst)}}}")
        elif s.kind == MOVE:
            rows.append(f"{{-1, {s.nbytes}, 0, 0, {where(s.src)}, {where(s.dst)}}}")
        else:
            rows.append(f"{{-2, {s.first}, 0, {s.out_h}, 0, {where(s.dst)}}}")
    decls = ["static const tfedge_patch_layer patch_layers[" + str(len(table)) + "] = {\n" + "\n".join(table) + "\n};",
             "static const tfedge_patch_step patch_steps[" + str(len(rows)) + "] = {\n  "
             + ",\n  ".join(rows) + "\n};"]
    call = (f"tfedge_patch_stage_s8(patch_layers, patch_steps, {len(rows)}, tfedge_arena, "
            f"{'tfedge_input_rows, tfedge_input_user' if stage.stream else 'NULL, NULL'});")
    return decls, call
