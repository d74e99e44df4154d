"""ARG_MAX / ARG_MIN of an int8 tensor over one constant axis, int32 indices out (a classifier returning its
class index: an int32 model output). TFLM reference_ops::ArgMinMax compares the raw int8 values (the
quantization is monotonic) with a strict comparison, so the first of equal values wins."""

from __future__ import annotations

import numpy as np

from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.common import arity, const_input, int8_activation, shape_is, where


def _prod(values) -> int:
    return int(np.prod(values, dtype=np.int64)) if len(values) else 1


def _axis(op: Op, g: Graph) -> int | None:
    rank = len(g.tensors[op.inputs[0]].shape)
    axis = g.tensors[op.inputs[1]].data.ravel()
    if axis.size != 1:
        return None
    a = int(axis[0]) + rank if int(axis[0]) < 0 else int(axis[0])
    return a if 0 <= a < rank else None


def _validate(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (2,))
    if problems:
        return problems
    t = op.inputs[1]
    axis_type = g.tensors[t].dtype if t >= 0 and g.tensors[t].dtype in ("int32", "int64") else "int32"
    problems += int8_activation(op, g, op.inputs[0], "input") + const_input(op, g, t, "axis", axis_type)
    y = g.tensors[op.outputs[0]]
    if y.dtype != "int32":
        problems.append(f"{where(op)}: output '{y.name}' is {y.dtype}; tfedge writes int32 indices (export with "
                        "tf.argmax(..., output_type=tf.int32))")
    if problems:
        return problems
    axis = _axis(op, g)
    if axis is None:
        return [f"{where(op)}: axis {g.tensors[t].data.ravel().tolist()} is not one axis of the input"]
    x = g.tensors[op.inputs[0]]
    return shape_is(op, g, op.outputs[0], tuple(d for i, d in enumerate(x.shape) if i != axis))


def _emit(op: Op, g: Graph, ctx) -> Layer:
    x, axis = g.tensors[op.inputs[0]], _axis(op, g)
    name = ctx.params("tfedge_arg_params", dict(outer=_prod(x.shape[:axis]), axis_size=x.shape[axis],
                                                inner=_prod(x.shape[axis + 1:]), is_min=int(op.kind == "ARG_MIN")))
    return Layer(kernel="arg_max_s8", macs=0, variant_reason="" if op.kind == "ARG_MAX" else "minimum",
                 call=f"arg_max_s8(&{name}, {ctx.ptr(op.inputs[0], const=True)}, {ctx.ptr(op.outputs[0], 'int32_t')});")


register("ARG_MAX", _validate, _emit)
register("ARG_MIN", _validate, _emit)
