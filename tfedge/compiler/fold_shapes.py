"""More compile-time evaluation for passes.fold_constants: the shape arithmetic TensorFlow exports with
a dynamic batch (Dense on a 3-D input: SHAPE -> GATHER -> REDUCE_PROD -> PACK -> CONCATENATION ->
RESHAPE), evaluated for the model's static batch of 1, and ops whose result never depends on the
input's values (ZEROS_LIKE, FILL of constants, QUANTIZE of a constant). Each returns the output's value or None (not foldable)."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import slicing
from tfedge.compiler.graph import Graph, Op

_INT_DTYPES = ("int32", "int64")
_MAX_FOLDED = 1 << 16  # elements: a folded FILL becomes flash data, keep it small


def evaluate(op: Op, g: Graph) -> np.ndarray | None:
    if not op.outputs or not op.inputs or any(i < 0 for i in op.inputs):
        return None
    out = g.tensors[op.outputs[0]]
    ins = [g.tensors[i] for i in op.inputs]
    if op.kind == "ZEROS_LIKE" and out.size <= _MAX_FOLDED:  # raw zeros (TFLM writes 0, not the zero point)
        return np.zeros(ins[0].shape, dtype=out.dtype)
    if any(t.data is None for t in ins):
        return None
    if op.kind == "FILL" and out.size <= _MAX_FOLDED:
        dims = [int(d) for d in ins[0].data.ravel()]
        return np.full(dims, ins[1].data.ravel()[0], dtype=out.dtype)
    if op.kind == "QUANTIZE" and ins[0].dtype == "float32" and out.dtype == "int8" and out.quantized:
        # AffineQuantize: round(x / scale) in float32, halves away from zero, + zero point, clamped
        v = np.asarray(ins[0].data, np.float32) / np.float32(out.q_scale)
        q = np.sign(v) * np.floor(np.abs(v) + np.float32(0.5))
        return np.clip(q + out.q_zero, -128, 127).astype(np.int8)
    if out.dtype not in _INT_DTYPES or any(t.dtype not in _INT_DTYPES for t in ins):
        return None  # beyond this point: integer shape arithmetic only
    data = [t.data for t in ins]
    if op.kind == "GATHER" and len(data) == 2 and int(op.options.get("BatchDims", 0)) == 0:
        return np.take(data[0], data[1], axis=int(op.options.get("Axis", 0)))
    if op.kind in ("REDUCE_PROD", "SUM", "REDUCE_MAX", "REDUCE_MIN") and len(data) == 2:
        fn = {"REDUCE_PROD": np.prod, "SUM": np.sum, "REDUCE_MAX": np.max, "REDUCE_MIN": np.min}[op.kind]
        axes = tuple(int(a) for a in data[1].ravel())
        return fn(data[0], axis=axes, keepdims=bool(op.options.get("KeepDims", False))).astype(out.dtype)
    if op.kind == "STRIDED_SLICE" and len(data) == 4:
        key = slicing.strided_slice_key(data[0].ndim, data[1].ravel(), data[2].ravel(), data[3].ravel(), op.options)
        return np.asarray(data[0][key])
    if op.kind == "CAST" and len(data) == 1:
        return data[0].astype(out.dtype)
    return None


def resolve_shapes(g: Graph, folded: set[int]) -> None:
    """A dynamic-batch export stores 1 for every unknown dimension (shape_signature -1): the tensors after a
    RESHAPE whose target shape was computed from the batch (`folded`: the tensors fold_constants evaluated)
    carry placeholder shapes. There, and downstream through RESHAPE/FULLY_CONNECTED, the shape the op
    computes replaces a contradicting file shape, in execution order (as TFLM's Prepare resizes them). Any
    other shape is left to validation, which refuses a file whose shapes lie."""
    resized: set[int] = set()
    for op in g.ops:
        if not op.outputs or len(op.inputs) < 2 or op.inputs[0] < 0 or op.inputs[1] < 0:
            continue
        x, out = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
        shape = None
        if op.kind == "RESHAPE" and (op.inputs[1] in folded or op.inputs[0] in resized) and g.tensors[op.inputs[1]].data is not None:
            target = [int(d) for d in g.tensors[op.inputs[1]].data.ravel()]
            known = int(np.prod([d for d in target if d != -1], dtype=np.int64))
            if target.count(-1) == 1 and known > 0 and x.size % known == 0:
                target[target.index(-1)] = x.size // known
            if all(d >= 0 for d in target) and int(np.prod(target, dtype=np.int64)) == x.size:
                shape = tuple(target)
        elif op.kind == "FULLY_CONNECTED" and op.inputs[0] in resized and not op.options.get("KeepNumDims", False):
            w = g.tensors[op.inputs[1]]
            if len(w.shape) == 2 and w.shape[1] > 0 and x.size % w.shape[1] == 0:
                shape = (x.size // w.shape[1], w.shape[0])
        if shape is not None and out.data is None and tuple(out.shape) != shape \
                and out.size != int(np.prod(shape, dtype=np.int64)):
            out.shape = shape
            resized.add(op.outputs[0])


def drop_dead(g: Graph, used_before: set[int]) -> None:
    """Ops left without readers by folding (their outputs fed only folded ops) go too, repeatedly. Ops
    whose outputs were never read, or that have no outputs (ASSIGN_VARIABLE), are kept."""
    while True:
        used = {t for op in g.ops for t in op.inputs if t >= 0} | set(g.outputs)
        dead = [op for op in g.ops if op.outputs and not any(t in used for t in op.outputs)
                and any(t in used_before for t in op.outputs)]
        if not dead:
            return
        g.ops = [op for op in g.ops if not any(op is d for d in dead)]
