"""Graph passes run before validation: constant folding of shape arithmetic, the dilated
convolution pattern, and buffer aliases. Each takes the graph and rewrites it in place."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import fold_shapes
from tfedge.compiler.graph import Graph, Op, Tensor

_SHAPE_DTYPES = ("int32", "int64")


def fold_constants(g: Graph) -> None:
    """Evaluates ops whose inputs are all known at compile time (Keras Flatten/Reshape export the
    target shape as SHAPE -> STRIDED_SLICE -> PACK); their outputs become constants, the ops go.

    Relies on nothing the reader does not check: an op is folded only when its one output is a plain
    activation (not a constant, not a model input, of a numpy dtype) and the computed value has exactly
    the element count the file declares for it; anything else is left for validation to report."""
    kept = []
    folded: set[int] = set()
    used_before = {t for t, users in g.consumers().items() if users}
    for op in g.ops:
        value = None
        if _foldable_output(op, g):
            try:
                value = _evaluate(op, g)
            except Exception:  # any odd input (ranks, axes, indices): leave the op for validation to report
                value = None
        if value is not None:
            out = g.tensors[op.outputs[0]]
            if value.size == out.size:
                out.data = value.astype(out.dtype).reshape(out.shape)
                folded.add(op.outputs[0])
                continue
        kept.append(op)
    g.ops = kept
    fold_shapes.resolve_shapes(g, folded)  # placeholder shapes behind the folded dynamic-batch arithmetic
    fold_shapes.drop_dead(g, used_before)  # e.g. a DEQUANTIZE that only fed a folded ZEROS_LIKE


def _foldable_output(op: Op, g: Graph) -> bool:
    if len(op.outputs) != 1:
        return False
    out = g.tensors[op.outputs[0]]
    return not out.is_const and op.outputs[0] not in g.inputs and not out.dtype.startswith("unsupported")


def _evaluate(op: Op, g: Graph) -> np.ndarray | None:
    ins = [g.tensors[i] for i in op.inputs if i >= 0]
    out = g.tensors[op.outputs[0]]
    folded = fold_shapes.evaluate(op, g)  # GATHER, REDUCE_PROD, n-D STRIDED_SLICE, FILL, ZEROS_LIKE, CAST
    if folded is not None:
        return folded
    if op.kind == "SHAPE" and ins and out.dtype in _SHAPE_DTYPES and len(out.shape) == 1:
        return np.array(ins[0].shape, dtype=out.dtype)
    if not ins or any(t.data is None for t in ins):
        return None
    if op.kind in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS"):
        return ins[0].data.reshape(out.shape) if ins[0].dtype == out.dtype else None
    if out.dtype not in _SHAPE_DTYPES:
        return None  # only shape arithmetic is folded; quantized math stays in the runtime
    if op.kind == "PACK":
        return np.stack([t.data for t in ins], axis=op.options.get("Axis", 0))
    if op.kind == "CONCATENATION":
        return np.concatenate([t.data for t in ins], axis=op.options.get("Axis", 0))
    if op.kind == "STRIDED_SLICE" and len(ins) == 4 and ins[0].data.ndim == 1:
        return _strided_slice_1d(ins[0].data, int(ins[1].data[0]), int(ins[2].data[0]), int(ins[3].data[0]), op.options)
    if op.kind in ("MUL", "ADD", "SUB") and len(ins) == 2:
        fn = {"MUL": np.multiply, "ADD": np.add, "SUB": np.subtract}[op.kind]
        return fn(ins[0].data, ins[1].data)
    return None


def _strided_slice_1d(x: np.ndarray, begin: int, end: int, stride: int, o: dict) -> np.ndarray | None:
    if o.get("EllipsisMask", 0) or o.get("NewAxisMask", 0) or o.get("Offset", False) or stride == 0:
        return None
    if o.get("BeginMask", 0) & 1:
        begin = 0 if stride > 0 else len(x) - 1
    if o.get("EndMask", 0) & 1:
        end = len(x) if stride > 0 else -len(x) - 1
    if o.get("ShrinkAxisMask", 0) & 1:
        return np.array(x[begin], dtype=x.dtype)
    return x[slice(begin, end, stride)]


def fuse_dilated_convolutions(g: Graph) -> None:
    """SPACE_TO_BATCH_ND -> CONV_2D/DEPTHWISE_CONV_2D -> BATCH_TO_SPACE_ND is how TensorFlow exports a
    dilated convolution (Conv1D: with EXPAND_DIMS/RESHAPE around the conv); it is one convolution with
    dilation = block shape and explicit padding. TFLM computes the pattern wrongly; fused, it is exact.
    A pattern that is not exactly this (see _match_dilated) stays as it is, for validation to report."""
    for bts in [op for op in g.ops if op.kind == "BATCH_TO_SPACE_ND"]:
        match = _match_dilated(g, bts, g.consumers(), g.producers())
        if match is None:
            continue
        removed, conv, new_ops = match
        out = []
        for op in g.ops:
            if op is conv:
                out.extend(new_ops)
            elif not any(op is r for r in removed):
                out.append(op)
        g.ops = out


def _walk_up(t: int, kinds: tuple[str, ...], users, producer) -> tuple[int, list[Op]]:
    """Follows single-use alias ops (RESHAPE & co) upward from tensor t."""
    chain = []
    while True:
        p = producer.get(t)
        if p is None or p.kind not in kinds or len(users.get(t, [])) != 1 or not p.inputs or p.inputs[0] < 0:
            return t, chain
        chain.append(p)
        t = p.inputs[0]


def _wired(op: Op | None, kinds: tuple[str, ...], n_inputs: tuple[int, ...]) -> bool:
    """op is one of kinds, with one output and n_inputs inputs, none of them omitted."""
    return (op is not None and op.kind in kinds and len(op.inputs) in n_inputs and len(op.outputs) == 1
            and all(i >= 0 for i in op.inputs))


def _int_const(t: Tensor, shape: tuple[int, ...], low: int, high: int) -> np.ndarray | None:
    """t's data when it is an integer constant of this shape with every value in [low, high]."""
    if t.data is None or t.dtype not in _SHAPE_DTYPES or t.shape != shape:
        return None
    return t.data if bool(np.all((t.data >= low) & (t.data <= high))) else None


def _per_tensor(t: Tensor) -> bool:
    return t.dtype == "int8" and t.quantized and len(t.scale) == 1


_MAX_DIM = 1 << 16  # block sizes, pads and crops beyond any real model: not the pattern


def _match_dilated(g: Graph, bts: Op, users, producer):
    """Relies on, and checks before using: BATCH_TO_SPACE_ND(data, block, crops) <- [RESHAPE/SQUEEZE] <-
    a CONV_2D/DEPTHWISE_CONV_2D(input, 4-D filter[, bias]) of stride 1 and dilation 1 <- [RESHAPE/
    EXPAND_DIMS] <- SPACE_TO_BATCH_ND(data, block, pads), every link used once; block an integer
    constant of shape (s,), s = 1 or 2, pads and crops (s, 2), all within [0, 2^16] (block >= 1); the
    data tensors int8 per-tensor quantized with matching quantization across each end, of ranks s + 2
    (4 inside), and sizes the pattern maps exactly onto y. Returns None for anything else."""
    if not _wired(bts, ("BATCH_TO_SPACE_ND",), (3,)):
        return None
    conv_out, out_chain = _walk_up(bts.inputs[0], ("RESHAPE", "SQUEEZE"), users, producer)
    conv = producer.get(conv_out)
    if not _wired(conv, ("CONV_2D", "DEPTHWISE_CONV_2D"), (2, 3)) or len(users.get(conv_out, [])) != 1:
        return None
    stb_out, in_chain = _walk_up(conv.inputs[0], ("RESHAPE", "EXPAND_DIMS"), users, producer)
    stb = producer.get(stb_out)
    if not _wired(stb, ("SPACE_TO_BATCH_ND",), (3,)) or len(users.get(stb_out, [])) != 1:
        return None
    block_t = g.tensors[stb.inputs[1]]
    spatial = block_t.shape[0] if len(block_t.shape) == 1 else 0
    if spatial not in (1, 2):
        return None
    block = _int_const(block_t, (spatial,), 1, _MAX_DIM)
    block2 = _int_const(g.tensors[bts.inputs[1]], (spatial,), 1, _MAX_DIM)
    pads = _int_const(g.tensors[stb.inputs[2]], (spatial, 2), 0, _MAX_DIM)
    crops = _int_const(g.tensors[bts.inputs[2]], (spatial, 2), 0, _MAX_DIM)
    if block is None or block2 is None or pads is None or crops is None or not np.array_equal(block, block2):
        return None
    o = conv.options
    if o.get("StrideH", 1) != 1 or o.get("StrideW", 1) != 1 or o.get("DilationHFactor", 1) != 1 or o.get("DilationWFactor", 1) != 1:
        return None
    x, y, x_batched = g.tensors[stb.inputs[0]], g.tensors[bts.outputs[0]], g.tensors[stb_out]
    mid, w, cout = g.tensors[conv.inputs[0]], g.tensors[conv.inputs[1]], g.tensors[conv_out]
    if not all(_per_tensor(t) for t in (x, x_batched, mid, cout, y)):
        return None
    if len(x.shape) != spatial + 2 or len(y.shape) != spatial + 2 or len(mid.shape) != 4 or len(w.shape) != 4:
        return None
    if spatial == 1:  # Conv1D: the 3-D (N, L, C) maps onto the 4-D conv as (N, 1, L, C)
        if mid.shape[1] != 1:
            return None
        blocks, pads, crops = [1, int(block[0])], [[0, 0], list(pads[0])], [[0, 0], list(crops[0])]
        x4_shape, y4_shape = (x.shape[0], 1, x.shape[1], x.shape[2]), (y.shape[0], 1, y.shape[1], y.shape[2])
    else:
        blocks = [int(block[0]), int(block[1])]
        x4_shape, y4_shape = x.shape, y.shape
    if not (x.q_scale == x_batched.q_scale and x.q_zero == x_batched.q_zero
            and cout.q_scale == y.q_scale and cout.q_zero == y.q_zero):
        return None
    if y4_shape[0] != x4_shape[0]:
        return None
    k = (int(w.shape[1]), int(w.shape[2]))
    same = o.get("Padding", 0) == 0
    lead = []
    for axis in (0, 1):  # the pattern must produce exactly y's size
        d = blocks[axis]
        padded = x4_shape[1 + axis] + int(pads[axis][0]) + int(pads[axis][1])
        if padded % d or padded // d != mid.shape[1 + axis]:
            return None
        sub_out = padded // d - (0 if same else k[axis] - 1)
        if sub_out * d - int(crops[axis][0]) - int(crops[axis][1]) != y4_shape[1 + axis]:
            return None
        inner = (k[axis] - 1) // 2 if same else 0  # SAME inside the batched images: d times larger outside
        lead.append(int(pads[axis][0]) + inner * d - int(crops[axis][0]))
    if min(lead) < 0:  # the crops cut more than the padding added: not a dilated convolution
        return None
    options = dict(o, DilationHFactor=blocks[0], DilationWFactor=blocks[1],
                   ExplicitPadding=(lead[0], lead[1], int(y4_shape[1]), int(y4_shape[2])))
    removed = [stb, bts] + in_chain + out_chain
    if spatial == 2 and not in_chain and not out_chain:
        return removed, conv, [Op(conv.index, conv.kind, [stb.inputs[0]] + conv.inputs[1:], list(bts.outputs), options)]
    x4 = _new_tensor(g, x, x4_shape, "dilated_in")
    y4 = _new_tensor(g, y, y4_shape, "dilated_out")
    return removed, conv, [Op(stb.index, "RESHAPE", [stb.inputs[0]], [x4]),
                           Op(conv.index, conv.kind, [x4] + conv.inputs[1:], [y4], options),
                           Op(bts.index, "RESHAPE", [y4], list(bts.outputs))]


def _new_tensor(g: Graph, like: Tensor, shape: tuple, suffix: str) -> int:
    g.tensors.append(Tensor(index=len(g.tensors), name=f"{like.name}/{suffix}", shape=tuple(int(d) for d in shape),
                            dtype=like.dtype, scale=like.scale, zero_point=like.zero_point))
    return len(g.tensors) - 1


def alias_reshapes(g: Graph, alias_kinds: set[str]) -> None:
    """RESHAPE & co change only the shape: the output shares the input's buffer (no copy). Runs after
    validation: relies on each alias op's data input and output being sound (ops/shape.py checks them)."""
    for op in g.ops:
        if op.kind in alias_kinds and op.inputs and op.inputs[0] >= 0 and op.outputs:
            src, dst = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
            if not src.is_const and not dst.is_const and dst.alias_of is None:
                dst.alias_of = op.inputs[0]


_CHANNEL_PRODUCERS = ("CONV_2D", "FULLY_CONNECTED")  # output channel c computed by filter c alone
_CHANNEL_READERS = ("CONV_2D", "FULLY_CONNECTED")  # input channel c read only through weight column c


def drop_unread_channels(g: Graph) -> None:
    """Output channels no reader uses are not computed (issue 11: "input channels that no consumer reads are
    skipped"). A CONV_2D / FULLY_CONNECTED's output channel c is dropped, with the filter, bias and per-channel
    quantization that make it and the readers' weight columns that read it, when every reader of the tensor is a
    CONV_2D (not grouped) or FULLY_CONNECTED (2-D input) taking it as its data input and all of their int8 weights for
    input channel c are zero. Bit-exact: each kept output channel is computed as before, and a reader's accumulator
    gets w * (x - zero point) = 0 from channel c (padding too). Only where the tensor is internal: not a model input or
    output, not a variable, not read through an alias or by any other op (ADD, CONCATENATION, MEAN, pooling... need
    every channel), every constant involved used by this op alone; at least one channel kept. Relies on nothing
    validation checks: any shape or dtype that is not exactly this leaves the graph as it is. What it did is
    g.dropped_channels (operator index -> channels dropped from its output or input, and the MACs saved)."""
    users = g.consumers()
    for op in g.ops:
        dead = _unread(g, op, users)
        if dead is None:
            continue
        keep = ~dead
        readers = users[op.outputs[0]]
        before = {o.index: _weight_macs(g, o) for o in (op, *readers)}
        w, b = g.tensors[op.inputs[1]], g.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        for t in (w, b):
            if t is not None:
                t.data = np.ascontiguousarray(t.data[keep])
                t.shape = t.data.shape
                if t.scale is not None and len(t.scale) == len(keep):  # per-channel quantization along axis 0
                    t.scale = t.scale[keep]
                if t.zero_point is not None and len(t.zero_point) == len(keep):
                    t.zero_point = t.zero_point[keep]
        y = g.tensors[op.outputs[0]]
        y.shape = (*y.shape[:-1], int(keep.sum()))
        for r in readers:
            rw = g.tensors[r.inputs[1]]
            rw.data = np.ascontiguousarray(rw.data[..., keep])
            rw.shape = rw.data.shape
        n = int(dead.sum())
        for o in (op, *readers):
            note = g.dropped_channels.setdefault(o.index, {"output_channels": 0, "input_channels": 0, "macs_saved": 0})
            note["output_channels" if o is op else "input_channels"] += n
            note["macs_saved"] += before[o.index] - _weight_macs(g, o)


def _unread(g: Graph, op: Op, users: dict[int, list[Op]]) -> np.ndarray | None:
    """The mask of op's output channels no reader uses, when they can be dropped (see drop_unread_channels)."""
    if op.kind not in _CHANNEL_PRODUCERS or len(op.outputs) != 1 or len(op.inputs) < 2 or op.inputs[1] < 0:
        return None
    t = op.outputs[0]
    y = g.tensors[t]
    readers = users.get(t, [])
    if (not readers or t in g.outputs or t in g.inputs or y.variable or y.dtype != "int8" or y.is_const
            or not y.quantized or len(y.scale) != 1 or len(y.shape) not in (2, 4) or any(x.alias_of == t for x in g.tensors)):
        return None
    once = {k for k, v in users.items() if len(v) == 1}
    c = y.shape[-1]
    consts = [i for i in op.inputs[1:] if i >= 0]
    if any(i not in once or not g.tensors[i].is_const for i in consts):
        return None
    w = g.tensors[op.inputs[1]]
    b = g.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    if (w.dtype != "int8" or not w.shape or w.shape[0] != c or w.data.shape != w.shape or (w.quantized and len(w.scale) not in (1, c))
            or (w.quantized and len(w.scale) == c and w.quant_axis != 0)
            or (b is not None and (b.shape != (c,) or b.data.shape != (c,) or (b.quantized and len(b.scale) not in (1, c))))):
        return None
    dead = np.ones(c, dtype=bool)
    for r in readers:
        if r.kind not in _CHANNEL_READERS or len(r.outputs) != 1 or len(r.inputs) < 2 or r.inputs[0] != t or t in r.inputs[1:]:
            return None
        rw = g.tensors[r.inputs[1]] if r.inputs[1] >= 0 else None
        rank = 4 if r.kind == "CONV_2D" else 2
        if (rw is None or not rw.is_const or r.inputs[1] not in once or rw.dtype != "int8" or len(rw.shape) != rank
                or rw.shape[-1] != c or rw.data.shape != rw.shape or len(y.shape) != rank):
            return None
        dead &= ~np.any(rw.data.reshape(-1, c) != 0, axis=0)
    return dead if dead.any() and not dead.all() else None


def _weight_macs(g: Graph, op: Op) -> int:
    """MACs of a CONV_2D / FULLY_CONNECTED: weights x output positions."""
    w, y = g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
    return int(w.size) * (y.size // max(int(w.shape[0]), 1))
