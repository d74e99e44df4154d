"""In-place execution: which layers may write their output over an input whose last use they are.

Two kinds, both bit-exact because the kernels themselves do not change:
- element-wise (ADD/SUB/MUL without broadcasting, unary activations): element i is read before it
  is written and nothing else reads it, so output and input simply share one buffer;
- convolutions by rows (CONV_2D, DEPTHWISE_CONV_2D, batch 1): `tfedge_conv_rows_inplace_s8` runs the
  layer's own kernel once per chunk of output rows on the input rows that chunk reads (straight from
  the shared buffer), into a small ring of `lag + 1` chunks in the scratch buffer, and copies chunk
  c - lag to its final place once no later chunk reads the input bytes under it. `row_lag` proves
  that statically; `row_plan` picks the chunk size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tfedge.compiler.graph import Graph, Op

ELEMENTWISE_BINARY = ("ADD", "SUB", "MUL")
ELEMENTWISE_UNARY = ("RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "LOGISTIC", "TANH", "HARD_SWISH")
CONV = ("CONV_2D", "DEPTHWISE_CONV_2D")
MAX_LAG = 4


class CannotRunInPlace(Exception):
    """Raised by codegen when a layer planned in place has a kernel call the row loop cannot wrap."""

    def __init__(self, op_index: int):
        super().__init__(op_index)
        self.op_index = op_index


@dataclass(frozen=True)
class InPlace:
    source: int  # storage tensor whose buffer the output takes over (output starts at its offset)
    lag: int = -1  # conv by rows: chunks held in scratch before being written back; -1 = element-wise
    scratch_bytes: int = 0
    rows: int = 1  # conv by rows: output rows per kernel call
    in_offset: int = 0  # conv by rows: where the input lies in the shared buffer (> 0: an output larger than its input)

    @property
    def by_rows(self) -> bool:
        return self.lag >= 0


def conv_rows(op: Op, g: Graph) -> tuple[int, int, int, int, int, int, int]:
    """(in_h, in_row_bytes, out_h, out_row_bytes, stride_h, pad_top, effective kernel height)."""
    from tfedge.compiler.ops.conv import geometry

    geo = geometry(op, g)
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    eff = (geo["k_h"] - 1) * geo["dil_h"] + 1
    return (geo["in_h"], geo["in_w"] * x.shape[3], geo["out_h"], geo["out_w"] * y.shape[3], geo["stride_h"],
            geo["pad_top"], eff)


def row_lag(in_h: int, in_row: int, out_h: int, out_row: int, stride: int, pad_top: int, eff: int,
            rows: int = 1, in_offset: int = 0) -> int | None:
    """Smallest lag (in chunks of `rows` output rows) at which writing chunk c - lag back never overwrites
    an input row that chunk c (or any later one) still reads; None when no lag up to MAX_LAG is safe.
    Mirrors the C loop exactly: at step c the kernel reads input rows from max(0, c*rows*stride - pad_top)
    (at byte in_offset + row * in_row of the buffer) after chunks 0..c-1-lag were written back."""
    chunks = -(-out_h // rows)
    for lag in range(MAX_LAG + 1):
        ok = True
        for c in range(chunks):
            j0, n = c * rows, min(rows, out_h - c * rows)
            top = j0 * stride - pad_top
            first, end = max(top, 0), min(top + (n - 1) * stride + eff, in_h)
            if end > first and (c - lag) * rows * out_row > in_offset + first * in_row:
                ok = False
                break
        if ok:
            return lag
    return None


def row_plan(in_h: int, in_row: int, out_h: int, out_row: int, stride: int, pad_top: int, eff: int,
             in_offset: int = 0) -> tuple[int, int, int] | None:
    """(rows per kernel call, lag in chunks, scratch bytes): the most rows per call whose ring stays within
    a quarter of the output (each call has a fixed cost in the fast kernels: fewer, larger calls), at
    least one row; None when no chunking is safe. An output larger than its input (in_offset > 0: a network's
    widening first layers, where the arena peaks) takes the smallest ring instead (then the most rows)."""
    if in_offset:
        plans = [(rows, lag, (lag + 1) * rows * out_row) for rows in range(1, out_h + 1)
                 for lag in [row_lag(in_h, in_row, out_h, out_row, stride, pad_top, eff, rows, in_offset)] if lag is not None]
        return min(plans, key=lambda p: (p[2], -p[0]), default=None)
    best = None
    for rows in range(1, out_h + 1):
        lag = row_lag(in_h, in_row, out_h, out_row, stride, pad_top, eff, rows, in_offset)
        if lag is None:
            continue
        scratch = (lag + 1) * rows * out_row
        if scratch >= out_h * out_row:  # holds the whole output: nothing saved
            break
        if best is None or scratch <= out_h * out_row // 4:
            best = (rows, lag, scratch)
    return best


def _elementwise(op: Op, g: Graph, source: int) -> bool:
    x, y = g.tensors[source], g.tensors[op.outputs[0]]
    if op.kind in ELEMENTWISE_BINARY:
        a, b = (g.tensors[t] for t in op.inputs)
        return a.shape == b.shape == y.shape and x.dtype == y.dtype == "int8"
    return op.kind in ELEMENTWISE_UNARY and x.dtype == y.dtype == "int8" and x.size == y.size


def find_inplace(g: Graph, layers: list[Op], excluded: frozenset[int] = frozenset(),
                 shared: frozenset[int] = frozenset()) -> dict[int, InPlace]:
    """Layer index -> how it runs in place, for the given execution order. `excluded`: layer indices
    that must not (e.g. their kernel call cannot be wrapped); `shared`: storage tensors that already share a
    buffer (residual blocks run by rows), where an output larger than its input cannot take the input's place."""
    last: dict[int, int] = {}
    for i, op in enumerate(layers):
        for t in op.inputs:
            if t >= 0 and not g.tensors[t].is_const:
                last[g.storage(t)] = i
    pinned = {g.storage(t) for t in g.outputs}  # read after invoke: never overwritten
    result: dict[int, InPlace] = {}
    shared = set(shared)
    for i, op in enumerate(layers):
        if i in excluded or len(op.outputs) != 1 or g.tensors[op.outputs[0]].is_const:
            continue
        candidates = [op.inputs[0]] if op.kind in CONV or op.kind in ELEMENTWISE_UNARY else list(op.inputs)
        for t in candidates:
            if t < 0 or g.tensors[t].is_const:
                continue
            s = g.storage(t)
            if last.get(s) != i or s in pinned or s == g.storage(op.outputs[0]):
                continue
            if op.kind in CONV:
                y, x = g.tensors[op.outputs[0]], g.tensors[s]
                if g.tensors[t].shape[0] != 1 or g.tensors[t].dtype != "int8":
                    continue
                # An output larger than its input (more channels) starts the buffer and the input lies at its
                # end (16-byte aligned), so the rows written back trail the rows still to be read.
                grow = (y.nbytes - x.nbytes) // 16 * 16 if y.nbytes > x.nbytes else 0
                if grow and s in shared:
                    continue  # the source already shares a buffer with other tensors: its place there is taken
                chunking = row_plan(*conv_rows(op, g), in_offset=grow)
                if chunking is None or 2 * chunking[2] > min(y.nbytes, x.nbytes):
                    continue  # not provably safe, or the scratch would eat most of the saving
                rows, lag, scratch = chunking
                result[i] = InPlace(s, lag, scratch, rows, grow)
            elif _elementwise(op, g, s):
                result[i] = InPlace(s)
            else:
                continue
            shared |= {s, g.storage(op.outputs[0])}
            break
    return result


# a conv kernel's call (a CONV_2D run as the FC kernel, ops/conv.py _emit_as_fc, takes other params: not wrapped)
_CALL = re.compile(r"^(?!fully_connected)(\w+)\(&(l\d+_params), \(const int8_t \*\)\(tfedge_arena \+ (\d+)\), "
                   r"\(int8_t \*\)\(tfedge_arena \+ (\d+)\)\);$")


def row_call(call: str, scratch_offset: int, lag: int, rows: int = 1, in_offset: int = 0) -> str | None:
    """The layer's `kernel(&params, in, out);` wrapped into the by-rows in-place loop (its input in_offset
    bytes past its output's start); None when the call has another form (then the layer must not run in place)."""
    m = _CALL.match(call)
    if not m or int(m.group(3)) != int(m.group(4)) + in_offset:
        return None
    kernel, params, offset = m.group(1), m.group(2), m.group(4)
    return (f"tfedge_conv_rows_inplace_s8(&{params}, {kernel}, (int8_t *)(tfedge_arena + {offset}), "
            f"(int8_t *)(tfedge_arena + {int(scratch_offset)}), {int(lag)}, {int(rows)}, {int(in_offset)});")


@dataclass(frozen=True)
class FusedBlock:
    """A residual block run row by row (MCUNetV2-style): conv1 (X -> B), conv2 (B -> C), ADD(X, C) -> X.
    B lives only as a ring of the rows conv2 reads, C as one row; the sum overwrites X row by row."""
    conv1: int  # layer indices (consecutive in the order)
    conv2: int
    add: int
    x: int  # storage of X (the sum takes its buffer)
    x_first: bool  # X is ADD's first input
    ring_bytes: int
    row_bytes: int


def _rows_of(op: Op, g: Graph) -> list[tuple[int, int]]:
    """Input row window [first, end) read by each output row of a convolution."""
    in_h, _, out_h, _, stride, pad_top, eff = conv_rows(op, g)
    return [(max(j * stride - pad_top, 0), min(j * stride - pad_top + eff, in_h)) for j in range(out_h)]


def residual_rows_safe(win1: list[tuple[int, int]], win2: list[tuple[int, int]]) -> int | None:
    """Simulates the C loop of tfedge_residual_rows_s8: ring rows needed (None when X row c, written
    after C row c, could still be read by a B row computed later)."""
    computed, ring = 0, 0
    for c, (first2, end2) in enumerate(win2):
        computed = max(computed, end2)
        ring = max(ring, end2 - first2)
        later = [win1[r][0] for r in range(computed, len(win1)) if win1[r][1] > win1[r][0]]
        if later and min(later) <= c:
            return None
    return ring


def readers_of(g: Graph, layers: list[Op]) -> dict[int, list[int]]:
    """Storage tensor -> the layer indices that read it, in order."""
    readers: dict[int, list[int]] = {}
    for i, op in enumerate(layers):
        for t in op.inputs:
            if t >= 0 and not g.tensors[t].is_const:
                readers.setdefault(g.storage(t), []).append(i)
    return readers


def find_fused_blocks(g: Graph, layers: list[Op]) -> dict[int, FusedBlock]:
    """conv -> conv -> ADD(block input, ·) triples, consecutive in `layers`, that can run by rows."""
    readers = readers_of(g, layers)
    pinned = {g.storage(t) for t in g.outputs}
    found: dict[int, FusedBlock] = {}
    i = 0
    while i + 2 < len(layers):
        c1, c2, add = layers[i], layers[i + 1], layers[i + 2]
        block = None
        if c1.kind in CONV and c2.kind in CONV and add.kind == "ADD" and len(add.inputs) == 2:
            x, b, c = g.storage(c1.inputs[0]), g.storage(c1.outputs[0]), g.storage(c2.outputs[0])
            ins = [g.storage(t) if t >= 0 else -1 for t in add.inputs]
            if (g.storage(c2.inputs[0]) == b and sorted(ins) == sorted([x, c]) and x != c
                    and readers.get(x) == [i, i + 2] and readers.get(b) == [i + 1] and readers.get(c) == [i + 2]
                    and not {x, b, c} & pinned and g.tensors[c1.inputs[0]].shape[0] == 1
                    and g.tensors[add.inputs[0]].shape == g.tensors[add.inputs[1]].shape
                    == g.tensors[add.outputs[0]].shape == g.tensors[c1.inputs[0]].shape):
                ring_rows = residual_rows_safe(_rows_of(c1, g), _rows_of(c2, g))
                if ring_rows is not None:
                    b_row = g.tensors[c1.outputs[0]].shape[2] * g.tensors[c1.outputs[0]].shape[3]
                    c_row = g.tensors[c2.outputs[0]].shape[2] * g.tensors[c2.outputs[0]].shape[3]
                    block = FusedBlock(i, i + 1, i + 2, x, ins[0] == x, ring_rows * b_row, c_row)
        if block:
            found[i] = block
            i += 3
        else:
            i += 1
    return found


_ADD_CALL = re.compile(r"^(\w+)\(&(l\d+_params), \(const int8_t \*\)\(tfedge_arena \+ (\d+)\), "
                       r"\(const int8_t \*\)\(tfedge_arena \+ (\d+)\), \(int8_t \*\)\(tfedge_arena \+ (\d+)\)\);$")


def fused_call(calls: tuple[str, str, str], block: FusedBlock, x_offset: int, scratch_offset: int, ring_aligned: int) -> str | None:
    """The three layers' calls as one tfedge_residual_rows_s8 call; None when a call has another form."""
    m1, m2, ma = _CALL.match(calls[0]), _CALL.match(calls[1]), _ADD_CALL.match(calls[2])
    if not (m1 and m2 and ma):
        return None
    return (f"tfedge_residual_rows_s8(&{m1.group(2)}, {m1.group(1)}, &{m2.group(2)}, {m2.group(1)}, &{ma.group(2)}, "
            f"{ma.group(1)}, {int(block.x_first)}, (int8_t *)(tfedge_arena + {int(x_offset)}), "
            f"(int8_t *)(tfedge_arena + {int(scratch_offset)}), (int8_t *)(tfedge_arena + {int(scratch_offset + ring_aligned)}));")
