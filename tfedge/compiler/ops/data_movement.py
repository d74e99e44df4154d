"""Data-movement ops, int8, outputs in the input's quantization (TFLM copies bytes): TRANSPOSE,
STRIDED_SLICE, SLICE, BROADCAST_TO, DEPTH_TO_SPACE, SPACE_TO_DEPTH (strided_slice_s8: an affine index
map derived with numpy, see slicing.py; broadcast dimensions have stride 0),
SPLIT, SPLIT_V, UNPACK (split_s8), PACK (concat_s8) and GATHER with constant indices (gather_s8) or
run-time int32 indices (gather_indices_s8: an embedding lookup of token ids).

int16x8: every op here but GATHER (TFLM has no int16 GATHER) also moves int16 tensors, with the same
byte-copy kernels: an int16 element is two bytes (slicing.affine(..., itemsize=2), sizes in bytes)."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import slicing
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.common import INT8, INT8_INT16, activation, const_input, same_quant, same_type, shape_is, where

MAX_DIMS = 6  # strided_slice_s8's loop depth (TFLM: up to 5-D slices, 6-D transposes)


def _prod(values) -> int:
    return int(np.prod(values, dtype=np.int64)) if len(values) else 1


def _copy_ok(op: Op, g: Graph, data: int, outputs: list[int], types: tuple[str, ...] = INT8_INT16) -> list[str]:
    """A data input and outputs of one type (int8, or int16 where TFLM moves int16) and one quantization."""
    problems = activation(op, g, data, "input", types)
    for k, t in enumerate(outputs):
        problems += activation(op, g, t, "output" if len(outputs) == 1 else f"output {k}", types)
    problems += [] if problems else same_type(op, g, [data, *outputs])
    if not problems and any(not same_quant(g.tensors[data], g.tensors[t]) for t in outputs):
        problems.append(f"{where(op)}: input and output quantization differ (TFLM copies bytes; re-export the model)")
    return problems


def _item(g: Graph, t: int) -> int:
    """Bytes per element of tensor t (the byte-copy kernels count bytes)."""
    return np.dtype(g.tensors[t].dtype).itemsize


def _axis(op: Op, value: int, rank: int) -> int | None:
    axis = int(value) + rank if int(value) < 0 else int(value)
    return axis if 0 <= axis < rank else None


# ---- TRANSPOSE / STRIDED_SLICE / SLICE: the index map ----------------------------------------------

def _index_map(op: Op, g: Graph) -> tuple[np.ndarray, int]:
    """The op's index view of the input and its start offset (raises on a malformed op)."""
    x = g.tensors[op.inputs[0]]
    consts = [g.tensors[i].data.ravel() for i in op.inputs[1:]]
    if op.kind == "TRANSPOSE":
        perm = [int(p) for p in consts[0]]
        if sorted(perm) != list(range(len(x.shape))):
            raise ValueError(f"permutation {perm} of a rank-{len(x.shape)} tensor")
        return slicing.index_view(x.shape, lambda a: a.transpose(perm))
    if op.kind in ("DEPTH_TO_SPACE", "SPACE_TO_DEPTH"):
        return _space_depth_map(op, x.shape)
    if op.kind == "BROADCAST_TO":
        target = tuple(int(d) for d in consts[0])
        return slicing.index_view(x.shape, lambda a: np.broadcast_to(a, target))
    if op.kind == "SLICE":
        begin, size = consts
        if len(begin) != len(x.shape) or len(size) != len(x.shape):
            raise ValueError(f"begin {begin.tolist()} / size {size.tolist()} for shape {x.shape}")
        key = []
        for b, s, d in zip(begin, size, x.shape):
            b, s = int(b), int(s)
            s = d - b if s == -1 else s
            if not (0 <= b and s >= 0 and b + s <= d):
                raise ValueError(f"slice begin {begin.tolist()} size {size.tolist()} outside shape {x.shape}")
            key.append(slice(b, b + s))
        return slicing.index_view(x.shape, lambda a: a[tuple(key)])
    begin, end, strides = consts
    if not len(begin) == len(end) == len(strides):
        raise ValueError("begin, end and strides differ in length")
    key = slicing.strided_slice_key(len(x.shape), begin, end, strides, op.options)
    if Ellipsis not in key:  # a trailing ellipsis changes nothing but keeps an all-integer index a 0-d view
        key = key + (Ellipsis,)
    return slicing.index_view(x.shape, lambda a: a[key])


def _space_depth_map(op: Op, shape: tuple) -> np.ndarray:
    """DEPTH_TO_SPACE / SPACE_TO_DEPTH (NHWC, TFLite's channel order) as a 6-D view whose memory order is
    the output's: affine there, unlike the final 4-D shape."""
    bs = int(op.options.get("BlockSize", 0))
    if len(shape) != 4 or bs < 1:
        raise ValueError(f"block size {bs} for shape {shape} (NHWC and a positive block size)")
    n, h, w, c = shape
    if op.kind == "DEPTH_TO_SPACE":
        if c % (bs * bs):
            raise ValueError(f"{c} channels are not a multiple of block size {bs} squared")
        return slicing.index_view(shape, lambda a: a.reshape(n, h, w, bs, bs, c // (bs * bs)).transpose(0, 1, 3, 2, 4, 5))
    if h % bs or w % bs:
        raise ValueError(f"height {h} / width {w} are not multiples of block size {bs}")
    return slicing.index_view(shape, lambda a: a.reshape(n, h // bs, bs, w // bs, bs, c).transpose(0, 1, 3, 2, 4, 5))


def _out_shape(op: Op, index: np.ndarray) -> tuple:
    """The op's output shape (the 6-D view of DEPTH_TO_SPACE/SPACE_TO_DEPTH folded back to NHWC)."""
    if op.kind == "DEPTH_TO_SPACE":
        n, h, bs, w, _, c = index.shape
        return (n, h * bs, w * bs, c)
    if op.kind == "SPACE_TO_DEPTH":
        n, h, w, bs, _, c = index.shape
        return (n, h, w, bs * bs * c)
    return tuple(index.shape)


def _validate_slice(op: Op, g: Graph) -> list[str]:
    n_in = {"TRANSPOSE": 2, "BROADCAST_TO": 2, "SLICE": 3, "STRIDED_SLICE": 4, "DEPTH_TO_SPACE": 1,
            "SPACE_TO_DEPTH": 1}[op.kind]
    if len(op.inputs) != n_in or len(op.outputs) != 1:
        return [f"{where(op)}: expected {n_in} inputs and one output"]
    problems = _copy_ok(op, g, op.inputs[0], op.outputs)
    names = {"TRANSPOSE": ["permutation"], "BROADCAST_TO": ["shape"], "SLICE": ["begin", "size"],
             "STRIDED_SLICE": ["begin", "end", "strides"]}.get(op.kind, [])
    for name, t in zip(names, op.inputs[1:]):
        dtype = g.tensors[t].dtype if t >= 0 and g.tensors[t].dtype in ("int32", "int64") else "int32"
        problems += const_input(op, g, t, name, dtype, rank=1)
    if problems:
        return problems
    try:
        index, _ = _index_map(op, g)
    except (ValueError, IndexError, TypeError) as exc:
        return [f"{where(op)}: {exc}"]
    problems = shape_is(op, g, op.outputs[0], _out_shape(op, index))
    if not problems and index.size and len(slicing.affine(index, _item(g, op.inputs[0]))[0]) > MAX_DIMS:
        problems.append(f"{where(op)}: more than {MAX_DIMS} dimensions after merging")
    return problems


def _emit_slice(op: Op, g: Graph, ctx) -> Layer:
    index, start = _index_map(op, g)
    item = _item(g, op.inputs[0])
    dims, strides = slicing.affine(index, item) if index.size else ([0], [1])
    lead = MAX_DIMS - len(dims)
    name = ctx.params("tfedge_slice_params", dict(dims=[1] * lead + dims, strides=[0] * lead + strides,
                                                  start=start * item))
    return Layer(kernel="strided_slice_s8",
                 call=f"strided_slice_s8(&{name}, {ctx.ptr(op.inputs[0], const=True)}, {ctx.ptr(op.outputs[0])});")


# ---- SPLIT / SPLIT_V / UNPACK ----------------------------------------------------------------------

def _split_layout(op: Op, g: Graph) -> tuple[int, list[tuple[int, ...]], int, list[int]]:
    """(axis, the output shapes the op computes, outer rows, bytes per row of each output)."""
    if op.kind == "SPLIT":
        axis_t, data = op.inputs[0], op.inputs[1]
    else:
        data, axis_t = op.inputs[0], (op.inputs[2] if op.kind == "SPLIT_V" else None)
    x = g.tensors[data]
    rank = len(x.shape)
    raw = op.options.get("Axis", 0) if axis_t is None else int(g.tensors[axis_t].data.ravel()[0])
    axis = _axis(op, raw, rank)
    if axis is None:
        raise ValueError(f"axis {raw} out of range for shape {x.shape}")
    n = x.shape[axis]
    if op.kind == "SPLIT":
        parts = int(op.options.get("NumSplits", len(op.outputs)))
        if parts < 1 or n % parts or parts != len(op.outputs):
            raise ValueError(f"{n} cannot be split into {parts} equal parts for {len(op.outputs)} outputs")
        sizes = [n // parts] * parts
    elif op.kind == "SPLIT_V":
        sizes = [int(s) for s in g.tensors[op.inputs[1]].data.ravel()]
        if sizes.count(-1) == 1:
            sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
        if len(sizes) != len(op.outputs) or any(s < 0 for s in sizes) or sum(sizes) != n:
            raise ValueError(f"size_splits {sizes} do not split {n} into {len(op.outputs)} outputs")
    else:  # UNPACK
        if int(op.options.get("Num", n)) != n or len(op.outputs) != n:
            raise ValueError(f"unpacking {n} slices into {len(op.outputs)} outputs")
        sizes = [1] * n
    inner = _prod(x.shape[axis + 1:])
    shapes = [tuple(x.shape[:axis]) + (() if op.kind == "UNPACK" else (s,)) + tuple(x.shape[axis + 1:]) for s in sizes]
    return axis, shapes, _prod(x.shape[:axis]), [s * inner for s in sizes]


def _split_data(op: Op) -> int:
    return op.inputs[1] if op.kind == "SPLIT" else op.inputs[0]


def _validate_split(op: Op, g: Graph) -> list[str]:
    n_in = {"SPLIT": 2, "SPLIT_V": 3, "UNPACK": 1}[op.kind]
    if len(op.inputs) != n_in or not op.outputs:
        return [f"{where(op)}: expected {n_in} inputs and outputs"]
    problems = _copy_ok(op, g, _split_data(op), op.outputs)
    if op.kind == "SPLIT":
        problems += const_input(op, g, op.inputs[0], "axis", "int32")
    elif op.kind == "SPLIT_V":
        problems += const_input(op, g, op.inputs[1], "size_splits", "int32", rank=1)
        problems += const_input(op, g, op.inputs[2], "axis", "int32")
    if problems:
        return problems
    try:
        _, shapes, _, _ = _split_layout(op, g)
    except ValueError as exc:
        return [f"{where(op)}: {exc}"]
    for k, (t, shape) in enumerate(zip(op.outputs, shapes)):
        problems += shape_is(op, g, t, shape, f"output {k}")
    return problems


def _emit_split(op: Op, g: Graph, ctx) -> Layer:
    _, _, outer, sizes = _split_layout(op, g)
    sizes = [s * _item(g, _split_data(op)) for s in sizes]
    table = f"l{ctx.layer}_outputs"
    ptrs = [ctx.ptr(t) for t in op.outputs]
    ctx.decls.append(f"static int8_t *const {table}[{len(ptrs)}] = {{{', '.join(ptrs)}}};")
    name = ctx.params("tfedge_split_params", dict(outer=outer, num_outputs=len(ptrs),
                                                  sizes=ctx.array("int32_t", sizes, "sizes"), outputs=table))
    return Layer(kernel="split_s8", call=f"split_s8(&{name}, {ctx.ptr(_split_data(op), const=True)});")


# ---- PACK: a concatenation of the inputs seen with a new unit axis -----------------------------------

def _validate_pack(op: Op, g: Graph) -> list[str]:
    if not op.inputs or len(op.outputs) != 1:
        return [f"{where(op)}: expected inputs and one output"]
    problems = [p for t in op.inputs for p in _copy_ok(op, g, t, op.outputs)]
    if problems:
        return problems
    shape = g.tensors[op.inputs[0]].shape
    if any(g.tensors[t].shape != shape for t in op.inputs):
        return [f"{where(op)}: inputs of different shapes {[g.tensors[t].shape for t in op.inputs]}"]
    axis = _axis(op, op.options.get("Axis", 0), len(shape) + 1)
    if axis is None or int(op.options.get("ValuesCount", len(op.inputs))) != len(op.inputs):
        return [f"{where(op)}: axis {op.options.get('Axis')} / values count do not fit {len(op.inputs)} inputs {shape}"]
    return shape_is(op, g, op.outputs[0], tuple(shape[:axis]) + (len(op.inputs),) + tuple(shape[axis:]))


def _emit_pack(op: Op, g: Graph, ctx) -> Layer:
    shape = g.tensors[op.inputs[0]].shape
    axis = _axis(op, op.options.get("Axis", 0), len(shape) + 1)
    ptrs = [f"(const int8_t *){p}" if g.tensors[t].is_const and _item(g, t) > 1 else p
            for t, p in ((t, ctx.ptr(t, const=True)) for t in op.inputs)]
    table = f"l{ctx.layer}_inputs"
    ctx.decls.append(f"static const int8_t *const {table}[{len(ptrs)}] = {{{', '.join(ptrs)}}};")
    size = _prod(shape[axis:]) * _item(g, op.inputs[0])
    name = ctx.params("tfedge_concat_params", dict(outer=_prod(shape[:axis]), num_inputs=len(ptrs),
                                                   sizes=ctx.array("int32_t", [size] * len(ptrs), "sizes"), inputs=table))
    return Layer(kernel="concat_s8", call=f"concat_s8(&{name}, {ctx.ptr(op.outputs[0])});")


# ---- GATHER (constant or run-time indices) ----------------------------------------------------------

def _gather_layout(op: Op, g: Graph) -> tuple[int, np.ndarray | None, tuple]:
    """(axis, the constant indices or None for run-time ones, the indices' shape)."""
    x, idx = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
    axis = _axis(op, op.options.get("Axis", 0), len(x.shape))
    if axis is None:
        raise ValueError(f"axis {op.options.get('Axis')} out of range for shape {x.shape}")
    if int(op.options.get("BatchDims", 0)) != 0:
        raise ValueError("batch_dims != 0 is not supported")
    if idx.data is not None and idx.data.size and (idx.data.min() < 0 or idx.data.max() >= x.shape[axis]):
        raise ValueError(f"indices {idx.data.ravel().tolist()[:8]} outside 0..{x.shape[axis] - 1}")
    return axis, idx.data, tuple(idx.shape)


def _validate_gather(op: Op, g: Graph) -> list[str]:
    if len(op.inputs) != 2 or len(op.outputs) != 1:
        return [f"{where(op)}: expected 2 inputs and one output"]
    t = op.inputs[1]
    if 0 <= t < len(g.tensors) and op.inputs[0] >= 0 and g.tensors[op.inputs[0]].is_const and g.tensors[op.inputs[0]].dtype == "int8" \
            and not g.tensors[t].is_const:  # an embedding table: the int8 rows of a constant, in its quantization
        problems = [] if same_quant(g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]) else \
            [f"{where(op)}: table and output quantization differ (TFLM copies bytes; re-export the model)"]
        problems += activation(op, g, op.outputs[0], "output", INT8)
        if g.tensors[t].dtype != "int32":
            problems.append(f"{where(op)}: run-time indices '{g.tensors[t].name}' are {g.tensors[t].dtype}; "
                            "tfedge reads int32 indices")
    else:
        problems = _copy_ok(op, g, op.inputs[0], op.outputs, INT8)  # TFLM has no int16 GATHER
        problems += const_input(op, g, t, "indices", g.tensors[t].dtype if t >= 0 and g.tensors[t].dtype in ("int32", "int64") else "int32")
    if problems:
        return problems
    try:
        axis, _, idx_shape = _gather_layout(op, g)
    except ValueError as exc:
        return [f"{where(op)}: {exc}"]
    x = g.tensors[op.inputs[0]]
    return shape_is(op, g, op.outputs[0], tuple(x.shape[:axis]) + idx_shape + tuple(x.shape[axis + 1:]))


def _emit_gather(op: Op, g: Graph, ctx) -> Layer:
    axis, idx, idx_shape = _gather_layout(op, g)
    x = g.tensors[op.inputs[0]]
    p = dict(outer=_prod(x.shape[:axis]), num_indices=_prod(idx_shape), axis_size=x.shape[axis],
             inner=_prod(x.shape[axis + 1:]))
    if idx is None:  # run-time indices, read from their tensor
        name = ctx.params("tfedge_gather_params", dict(p, indices="NULL"))
        return Layer(kernel="gather_indices_s8", variant_reason="run-time indices",
                     call=f"gather_indices_s8(&{name}, {ctx.ptr(op.inputs[0], const=True)}, "
                          f"{ctx.ptr(op.inputs[1], 'int32_t', const=True)}, {ctx.ptr(op.outputs[0])});")
    name = ctx.params("tfedge_gather_params", dict(p, indices=ctx.array("int32_t", idx.astype(np.int64).ravel(), "indices")))
    return Layer(kernel="gather_s8", call=f"gather_s8(&{name}, {ctx.ptr(op.inputs[0], const=True)}, {ctx.ptr(op.outputs[0])});")


for _kind in ("TRANSPOSE", "STRIDED_SLICE", "SLICE", "BROADCAST_TO", "DEPTH_TO_SPACE", "SPACE_TO_DEPTH"):
    register(_kind, _validate_slice, _emit_slice)
for _kind in ("SPLIT", "SPLIT_V", "UNPACK"):
    register(_kind, _validate_split, _emit_split)
register("PACK", _validate_pack, _emit_pack)
register("GATHER", _validate_gather, _emit_gather)
