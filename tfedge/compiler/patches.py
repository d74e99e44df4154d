"""Patch-based execution of the first layers (MCUNetV2's idea, in row bands without recomputation).

For image models the peak RAM sits in the first layers: large activations that layer-by-layer execution
must hold whole. A *stage* is the start of the graph (CONV_2D / DEPTHWISE_CONV_2D, element-wise
activations, same-shape residual ADDs; batch 1, int8) run band by band: the stage's last layer produces
`rows` output rows at a time, pulling from its producers exactly the input rows that band reads, and so
on back to the stage input. Every intermediate activation lives only as a *line buffer*: a window of the
rows some reader still needs, kept contiguous (rows no reader needs any more are dropped by moving the
rest to the window's start when the window would overflow). Each row is computed once, so there are no extra MACs (MCUNetV2's spatial
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

import functools
import re
from dataclasses import dataclass, field

from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.inplace import conv_rows, readers_of

CONV_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D")
ACT_OPS = ("RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "LOGISTIC", "TANH", "HARD_SWISH")  # tfedge_act_params
ROWS = (1, 2, 4)  # stage output rows per band tried by the planner
PER_CALL = (0, 1, 2)  # most output rows per kernel call inside the stage (0: what the band needs)
ALIGN = 16
CALL, MOVE, READ = "call", "move", "read"
KINDS = {"conv": 0, "act": 1, "add": 2, "lut": 3}  # tfedge_patch_layer.kind (lut: an activation run as lut_s8)


@dataclass(frozen=True)
class Geo:
    """One stage layer's rows: input height and bytes per row, output height and bytes per row, stride,
    top padding, effective kernel height (dilation included). Element-wise layers: stride 1, kernel 1."""
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
class Node:
    """A stage layer: its kind (KINDS), the buffers it reads (0: the stage input, k: layer k-1's output) and
    its rows. It writes buffer index + 1."""
    kind: str
    inputs: tuple[int, ...]
    geo: Geo


def chain(geos: list[Geo]) -> list[Node]:
    """Convolutions each on the previous one's output."""
    return [Node("conv", (i,), g) for i, g in enumerate(geos)]


@dataclass(frozen=True)
class Step:
    """One entry of the stage's step table. CALL: stage layer `layer` on input rows at srcs (in_h rows,
    pad_top) into out_h output rows at dst. MOVE: `nbytes` from srcs[0] to dst (same window). READ: input
    rows [first, first + out_h) from the application's callback to dst. Places: (buffer k, byte offset)."""
    kind: str
    layer: int = -1
    srcs: tuple[tuple[int, int], ...] = ()
    dst: tuple[int, int] = (0, 0)
    in_h: int = 0
    pad_top: int = 0
    out_h: int = 0
    nbytes: int = 0
    first: int = 0


@dataclass(frozen=True)
class Stage:
    """The chosen stage: layer positions 0..last of the execution order; buffer k (0..last+1) is the
    stage input (k = 0) or layer k-1's output (k = last + 1: the stage output). Buffers 1..last (and 0
    when streamed) are line buffers at `windows[k]` = (offset in the stage scratch, bytes)."""
    last: int
    tensors: tuple[int, ...]  # storage tensor of each buffer
    windows: dict[int, tuple[int, int]]
    scratch_bytes: int
    steps: tuple[Step, ...]
    rows: int  # stage output rows per band
    stream: bool
    calls: int
    moved_bytes: int
    over_input: int | None = None  # output and input share one buffer: the output at its start, the input this far in
    kinds: tuple[str, ...] = ()  # each layer's Node.kind
    row_bytes: tuple[int, ...] = ()  # each buffer's bytes per row
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
    """Runs the band schedule on row indices only and records the steps (what the C driver then executes).
    Rows of a line buffer are dropped (the rest moved to its start) only when it would overflow, and only
    below the next row any of its readers reads; while measuring (caps None) always, giving the smallest
    windows."""

    def __init__(self, nodes: list[Node], caps: list[int] | None, stream: bool, per_call: int = 0):
        self.nodes, self.caps, self.per_call = nodes, caps, per_call
        n = len(nodes)
        self.row = [nodes[0].geo.in_row] + [nd.geo.out_row for nd in nodes]
        self.windowed = [stream] + [True] * (n - 1) + [False]
        self.readers = [[i for i, nd in enumerate(nodes) if k in nd.inputs] for k in range(n + 1)]
        self.base = [0] * (n + 1)
        self.hi = [0] * (n + 1)
        if not stream:
            self.hi[0] = nodes[0].geo.in_h  # the whole input is there
        self.need = [0] * (n + 1)
        self.steps: list[Step] = []

    def addr(self, k: int, r: int) -> tuple[int, int]:
        return k, (r - self.base[k]) * self.row[k]

    def _next_first(self, i: int) -> int | None:
        nd = self.nodes[i]
        if self.hi[i + 1] >= nd.geo.out_h:
            return None
        return nd.geo.window(self.hi[i + 1], 1)[0]

    def room(self, k: int, first: int, end: int, reader: int) -> None:
        """Make buffer k able to hold rows [first, end) for `reader`."""
        if not self.windowed[k]:
            return
        others = [f for i in self.readers[k] if i != reader for f in [self._next_first(i)] if f is not None]
        low = min([first, self.hi[k], *others])
        if low > self.base[k] and (self.caps is None or end - self.base[k] > self.caps[k]):
            if self.hi[k] > low:
                self.steps.append(Step(MOVE, srcs=(self.addr(k, low),), dst=(k, 0), nbytes=(self.hi[k] - low) * self.row[k]))
            self.base[k] = low
        self.need[k] = max(self.need[k], end - self.base[k])
        if self.caps is not None and end - self.base[k] > self.caps[k]:
            raise AssertionError(f"line buffer {k} overflows")

    def fill(self, k: int, end: int) -> None:
        if self.hi[k] >= end:
            return
        if k == 0:  # streamed input: the application's callback, rows in order
            self.steps.append(Step(READ, dst=self.addr(0, self.hi[0]), out_h=end - self.hi[0], first=self.hi[0]))
            self.hi[0] = end
        else:
            self.produce(k - 1, end)

    def produce(self, i: int, upto: int) -> None:
        """Layer i computes its output rows up to `upto` into buffer i + 1 (room made by the caller)."""
        nd = self.nodes[i]
        while self.hi[i + 1] < upto:
            j0, n = self.hi[i + 1], upto - self.hi[i + 1]
            if self.per_call and i < len(self.nodes) - 1:  # smaller calls inside the stage: smaller windows
                n = min(n, self.per_call)
            first, end, pad = nd.geo.window(j0, n)
            for k in nd.inputs:
                self.room(k, first, end, i)
                self.fill(k, end)
            for k in nd.inputs:  # filling one input may have moved another: its rows must still be there
                assert (not self.windowed[k] or self.base[k] <= first) and self.hi[k] >= end, (i, k)
            self.steps.append(Step(CALL, layer=i, srcs=tuple(self.addr(k, first) for k in nd.inputs),
                                   dst=self.addr(i + 1, j0), in_h=end - first, pad_top=pad, out_h=n))
            self.hi[i + 1] = j0 + n

    def run(self, rows: int) -> None:
        out_h = self.nodes[-1].geo.out_h
        for j0 in range(0, out_h, rows):
            self.produce(len(self.nodes) - 1, min(j0 + rows, out_h))


def schedule_stage(nodes: list[Node] | list[Geo], rows: int, stream: bool, per_call: int = 0
                   ) -> tuple[list[int], list[Step]]:
    """(window capacity in rows per buffer, steps): capacities measured as the smallest windows this band
    height needs with at most `per_call` output rows per call inside the stage (0: as many as the band
    needs). A list of Geo is a chain of convolutions."""
    nodes = chain(nodes) if nodes and isinstance(nodes[0], Geo) else nodes
    caps, steps = _simulate(tuple(nodes), rows, stream, per_call)
    return list(caps), list(steps)


@functools.lru_cache(maxsize=128)  # one planner run's candidates: a model compiled again (host, board) reuses them
def _simulate(nodes: tuple[Node, ...], rows: int, stream: bool, per_call: int) -> tuple[tuple[int, ...], tuple[Step, ...]]:
    probe = _Sim(list(nodes), None, stream, per_call)
    probe.run(rows)
    caps = [need if w else 0 for need, w in zip(probe.need, probe.windowed)]
    sim = _Sim(list(nodes), caps, stream, per_call)
    sim.run(rows)
    return tuple(caps), tuple(sim.steps)


def over_input_offset(steps: list[Step], last: int, in_row: int, in_h: int, out_row: int) -> int | None:
    """Where the stage input can sit in one buffer with the stage output (written from the buffer's start):
    the smallest offset D (16-byte aligned) such that no output row is written over an input row that a
    call at or after that step still reads. None when sharing would not be smaller than two buffers."""
    later = None  # first input row read from this step on (None: no more reads)
    need = 0
    for s in reversed(steps):
        if s.kind == CALL:
            reads = [byte // in_row for k, byte in s.srcs if k == 0]
            later = min(reads + ([later] if later is not None else [])) if reads else later
        if s.kind == CALL and s.layer == last and later is not None:
            need = max(need, s.dst[1] + s.out_h * out_row - later * in_row)
    offset = _align(max(need, 0))
    return offset if offset < out_row * steps_rows(steps, last) else None


def steps_rows(steps: list[Step], layer: int) -> int:
    """Output rows a stage layer writes over all its calls."""
    return sum(s.out_h for s in steps if s.kind == CALL and s.layer == layer)


def _node(op: Op, g: Graph, buffer_of: dict[int, int]) -> Node | None:
    """The stage layer of op, or None when a stage cannot run it."""
    y = g.tensors[op.outputs[0]] if len(op.outputs) == 1 else None
    acts = [t for t in op.inputs if t >= 0 and not g.tensors[t].is_const]
    if y is None or y.dtype != "int8" or len(y.shape) != 4 or y.shape[0] != 1:
        return None
    if any(g.storage(t) not in buffer_of or g.tensors[t].dtype != "int8" for t in acts):
        return None
    rows = (y.shape[1], y.shape[2] * y.shape[3])
    if op.kind in CONV_OPS and len(acts) == 1 and acts[0] == op.inputs[0]:
        return Node("conv", (buffer_of[g.storage(acts[0])],), Geo(*conv_rows(op, g)))
    same = all(g.tensors[t].shape == y.shape for t in acts)
    if op.kind in ACT_OPS and len(acts) == 1 and same:
        return Node("act", (buffer_of[g.storage(acts[0])],), Geo(rows[0], rows[1], rows[0], rows[1], 1, 0, 1))
    if op.kind == "ADD" and len(acts) == 2 and len(op.inputs) == 2 and same and g.storage(acts[0]) != g.storage(acts[1]):
        return Node("add", tuple(buffer_of[g.storage(t)] for t in acts), Geo(rows[0], rows[1], rows[0], rows[1], 1, 0, 1))
    return None


def stage_nodes(g: Graph, layers: list[Op], excluded: frozenset[int] = frozenset()) -> tuple[list[Node], list[int]]:
    """(the longest run of layers from the start a stage can run, the stage ends among them): every layer a
    convolution, element-wise activation or same-shape ADD on the stage input or earlier stage outputs,
    batch 1, int8; a stage may end at layer `last` when everything it wrote before is read only inside it
    (so never needed whole) and the graph input is read only inside it."""
    if len(g.inputs) != 1:
        return [], []
    buffer_of = {g.storage(g.inputs[0]): 0}
    nodes: list[Node] = []
    for op in layers:
        nd = None if op.index in excluded else _node(op, g, buffer_of)
        if nd is None:
            break
        nodes.append(nd)
        buffer_of[g.storage(op.outputs[0])] = len(nodes)
    readers = readers_of(g, layers)
    pinned = {g.storage(t) for t in g.outputs}
    tensors = [g.storage(g.inputs[0])] + [g.storage(op.outputs[0]) for op in layers[:len(nodes)]]
    ends = []
    for last in range(len(nodes)):
        inner = tensors[:last + 1]  # the input and every output before the last layer's
        if tensors[last + 1] in pinned or any(t in pinned for t in inner[1:]):
            break
        if all(max(readers.get(t, [0])) <= last for t in inner):
            ends.append(last)
    return nodes, ends


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def make_stage(g: Graph, layers: list[Op], last: int, rows: int, stream: bool, per_call: int = 0,
               nodes: list[Node] | None = None) -> Stage:
    """The stage of layers 0..last with `rows` output rows per band, at most `per_call` rows per call of its
    other layers (0: no limit)."""
    nodes = (nodes if nodes is not None else stage_nodes(g, layers)[0])[:last + 1]
    caps, steps = schedule_stage(nodes, rows, stream, per_call)
    tensors = tuple([g.storage(g.inputs[0])] + [g.storage(op.outputs[0]) for op in layers[:last + 1]])
    row = [nodes[0].geo.in_row] + [nd.geo.out_row for nd in nodes]
    windows, offset = {}, 0
    for k, cap in enumerate(caps):
        if cap:
            windows[k] = (offset, cap * row[k])
            offset += _align(cap * row[k])
    calls = sum(1 for s in steps if s.kind == CALL)
    moved = sum(s.nbytes for s in steps if s.kind == MOVE)
    in_h = nodes[0].geo.in_h
    over = None if stream else over_input_offset(steps, last, row[0], in_h, row[-1])
    return Stage(last, tensors, windows, offset, tuple(steps), rows, stream, calls, moved, over,
                 tuple(nd.kind for nd in nodes), tuple(row), notes={"window_rows": {k: caps[k] for k in windows}, "rows_per_call": per_call})


# ---- C emission ---------------------------------------------------------------------------------------------

_CALL_RE = re.compile(r"^(\w+)\(&(l\d+_params), \(const int8_t \*\)\(tfedge_arena \+ \d+\), "
                      r"(?:\(const int8_t \*\)\(tfedge_arena \+ \d+\), )?\(int8_t \*\)\(tfedge_arena \+ \d+\)\);$")
_FIELD = {"conv": "conv", "act": "act", "add": "bin", "lut": "lut"}


def emit(stage: Stage, calls: list[str], buffer_offset: dict[int, int], scratch_offset: int) -> tuple[list[str], str] | int:
    """(declarations, the stage's one call) for model.c; the stage layer whose call has another form than
    kernel(&params, in[, in2], out) when one has. buffer_offset: arena offset of the whole buffers (stage
    input unless streamed, stage output); the line buffers are at scratch_offset + their window offset."""
    table = []
    for i, kind in zip(stage.layers, stage.kinds):
        m = _CALL_RE.match(calls[i])
        if not m or (kind == "add") != (calls[i].count("tfedge_arena") == 3) or (
                kind == "conv" and m.group(1).startswith("fully_connected")):  # a CONV_2D run as FC (ops/conv.py)
            return i
        if kind == "act" and m.group(1) == "lut_s8":  # a tabulated activation takes tfedge_lut_params
            kind = "lut"
        table.append(f"  {{.kind = {KINDS[kind]}, .{_FIELD[kind]} = {m.group(1)}, .p = &{m.group(2)}}},")

    def where(ref: tuple[int, int]) -> int:
        k, byte = ref
        base = scratch_offset + stage.windows[k][0] if k in stage.windows else buffer_offset[k]
        return base + byte

    rows = []
    for s in stage.steps:
        if s.kind == CALL:
            kind = stage.kinds[s.layer]
            a = s.in_h if kind == "conv" else s.out_h * stage.row_bytes[s.layer + 1]  # element-wise: elements
            rows.append((s.layer, a, s.pad_top, s.out_h, where(s.srcs[0]), where(s.dst),
                         where(s.srcs[1]) if len(s.srcs) > 1 else 0))
        elif s.kind == MOVE:
            rows.append((-1, s.nbytes, 0, 0, where(s.srcs[0]), where(s.dst), 0))
        else:
            rows.append((-2, s.first, 0, s.out_h, 0, where(s.dst), 0))
    text = ",\n  ".join("{" + ", ".join(str(int(v)) for v in r) + "}" for r in rows)
    decls = ["static const tfedge_patch_layer patch_layers[" + str(len(table)) + "] = {\n" + "\n".join(table) + "\n};",
             f"static const tfedge_patch_step patch_steps[{len(rows)}] = {{\n  {text}\n}};"]
    call = (f"tfedge_patch_stage_s8(patch_layers, patch_steps, {len(rows)}, tfedge_arena, "
            f"{'tfedge_input_rows, tfedge_input_user' if stage.stream else 'NULL, NULL'});")
    return decls, call
