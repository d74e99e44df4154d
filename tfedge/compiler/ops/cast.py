"""CAST at run time between integer types and from them to float32 (TFLM cast.cc: a static_cast per element,
quantization ignored), e.g. the int32 token ids of an embedding model cast to float before a QUANTIZE.
A CAST of constants or of shape tensors is folded at compile time (fold_shapes.py) and never reaches this.
float32 -> integer is refused: out-of-range floats make C's conversion undefined."""

from __future__ import annotations

from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.common import arity, shape_is, where

CODES = {"int8": 0, "uint8": 1, "int16": 2, "int32": 3, "float32": 4}  # enum tfedge_type (tfedge_model.h)
FROM = ("int8", "uint8", "int16", "int32")


def _validate(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (1,))
    if problems:
        return problems
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    if x.dtype not in FROM or y.dtype not in CODES:
        return [f"{where(op)}: CAST {x.dtype} -> {y.dtype} is not supported at run time (tfedge casts "
                f"{', '.join(FROM)} to {', '.join(CODES)})"]
    return shape_is(op, g, op.outputs[0], x.shape)


def _emit(op: Op, g: Graph, ctx) -> Layer:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    name = ctx.params("tfedge_cast_params", {"size": x.size, "from": CODES[x.dtype], "to": CODES[y.dtype]})
    return Layer(kernel="cast", variant_reason=f"{x.dtype} -> {y.dtype}",
                 call=f"cast(&{name}, {ctx.ptr(op.inputs[0], 'void', const=True)}, {ctx.ptr(op.outputs[0], 'void')});")


register("CAST", _validate, _emit)
