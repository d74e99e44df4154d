"""Graph passes run before validation: constant folding of shape arithmetic, the dilated
convolution pattern, and buffer aliases. Each takes the graph and rewrites it in place."""

from __future__ import annotations

import numpy as np

from tfedge.compiler.graph import Graph, Op

_SHAPE_DTYPES = ("int32", "int64")


def fold_constants(g: Graph) -> None:
    """Evaluates ops whose inputs are all known at compile time (Keras Flatten/Reshape export the
    target shape as SHAPE -> STRIDED_SLICE -> PACK); their outputs become constants, the ops go."""
    kept = []
    for op in g.ops:
        value = None
        try:
            value = _evaluate(op, g)
        except Exception:  # anything odd: leave the op for validation to report
            value = None
        if value is not None and len(op.outputs) == 1:
            out = g.tensors[op.outputs[0]]
            if value.size == out.size or op.kind == "SHAPE":
                out.data = value.astype(out.dtype).reshape(out.shape) if out.shape or value.size == 1 else value.astype(out.dtype)
                continue
        kept.append(op)
    g.ops = kept


def _evaluate(op: Op, g: Graph) -> np.ndarray | None:
    ins = [g.tensors[i] for i in op.inputs if i >= 0]
    if not op.outputs:
        return None
    out = g.tensors[op.outputs[0]]
    if op.kind == "SHAPE" and ins and out.dtype in _SHAPE_DTYPES and len(out.shape) == 1:
        return np.array(ins[0].shape, dtype=out.dtype)
    if not ins or any(t.data is None for t in ins):
        return None
    if op.kind in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS"):
        return ins[0].data.reshape(out.shape)
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
    dilated convolution; it is one convolution with dilation = block shape and explicit padding."""
    users = g.consumers()
    producer = g.producers()
    for bts in [op for op in g.ops if op.kind == "BATCH_TO_SPACE_ND"]:
        fused = _match_dilated(g, bts, users, producer)
        if fused is None:
            continue
        stb, conv, new_op = fused
        g.ops = [new_op if op is conv else op for op in g.ops if op is not stb and op is not bts]
        users = g.consumers()
        producer = g.producers()


def _match_dilated(g: Graph, bts: Op, users, producer):
    if len(bts.inputs) != 3 or len(bts.outputs) != 1:
        return None
    conv = producer.get(bts.inputs[0])
    if conv is None or conv.kind not in ("CONV_2D", "DEPTHWISE_CONV_2D") or len(users.get(bts.inputs[0], [])) != 1:
        return None
    stb = producer.get(conv.inputs[0])
    if stb is None or stb.kind != "SPACE_TO_BATCH_ND" or len(stb.inputs) != 3 or len(users.get(conv.inputs[0], [])) != 1:
        return None
    block, pads = g.tensors[stb.inputs[1]].data, g.tensors[stb.inputs[2]].data
    block2, crops = g.tensors[bts.inputs[1]].data, g.tensors[bts.inputs[2]].data
    if block is None or pads is None or block2 is None or crops is None:
        return None
    if block.shape != (2,) or pads.shape != (2, 2) or crops.shape != (2, 2) or not np.array_equal(block, block2):
        return None
    o = conv.options
    if o.get("StrideH", 1) != 1 or o.get("StrideW", 1) != 1 or o.get("DilationHFactor", 1) != 1 or o.get("DilationWFactor", 1) != 1:
        return None
    x, y, w = g.tensors[stb.inputs[0]], g.tensors[bts.outputs[0]], g.tensors[conv.inputs[1]]
    mid = g.tensors[stb.outputs[0]]
    if len(x.shape) != 4 or len(y.shape) != 4 or len(w.shape) != 4 or not x.quantized or not mid.quantized:
        return None
    if x.q_scale != mid.q_scale or x.q_zero != mid.q_zero:
        return None
    conv_out = g.tensors[conv.outputs[0]]
    if not conv_out.quantized or not y.quantized or conv_out.q_scale != y.q_scale or conv_out.q_zero != y.q_zero:
        return None
    d_h, d_w = int(block[0]), int(block[1])
    if d_h < 1 or d_w < 1:
        return None
    k_h, k_w = int(w.shape[1]), int(w.shape[2])
    pad_top, pad_left = int(pads[0][0]), int(pads[1][0])
    for axis, d, k in ((0, d_h, k_h), (1, d_w, k_w)):  # the pattern must produce exactly y's size
        padded = x.shape[1 + axis] + int(pads[axis][0]) + int(pads[axis][1])
        if padded % d or padded // d != mid.shape[1 + axis]:
            return None
        sub_out = padded // d - (k - 1 if o.get("Padding", 0) == 1 else 0)
        if sub_out * d - int(crops[axis][0]) - int(crops[axis][1]) != y.shape[1 + axis]:
            return None
    if y.shape[0] != x.shape[0]:
        return None
    if o.get("Padding", 0) == 0:  # SAME inside the batched images: its padding is d times larger outside
        sub_h, sub_w = mid.shape[1], mid.shape[2]
        pad_top += ((max((sub_h - 1) + k_h - sub_h, 0)) // 2) * d_h
        pad_left += ((max((sub_w - 1) + k_w - sub_w, 0)) // 2) * d_w
    pad_top -= int(crops[0][0])
    pad_left -= int(crops[1][0])
    options = dict(o, DilationHFactor=d_h, DilationWFactor=d_w,
                   ExplicitPadding=(pad_top, pad_left, int(y.shape[1]), int(y.shape[2])))
    new_op = Op(index=conv.index, kind=conv.kind, inputs=[stb.inputs[0]] + conv.inputs[1:], outputs=list(bts.outputs),
                options=options)
    return stb, conv, new_op


def alias_reshapes(g: Graph, alias_kinds: set[str]) -> None:
    """RESHAPE & co change only the shape: the output shares the input's buffer (no copy)."""
    for op in g.ops:
        if op.kind in alias_kinds and op.inputs and op.inputs[0] >= 0 and op.outputs:
            src, dst = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
            if not src.is_const and not dst.is_const and dst.alias_of is None:
                dst.alias_of = op.inputs[0]
