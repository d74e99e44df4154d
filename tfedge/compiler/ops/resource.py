"""READ_VARIABLE and ASSIGN_VARIABLE on the variable tensors variables.resolve makes: byte copies, as TFLM's
kernels copy the resource buffer (the value and the variable must share type, size and quantization)."""

from __future__ import annotations

from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.common import where


def _validate(op: Op, g: Graph) -> list[str]:
    reading = op.kind == "READ_VARIABLE"
    if len(op.inputs) != (1 if reading else 2) or len(op.outputs) != (1 if reading else 0):
        return [f"{where(op)}: unexpected inputs/outputs"]
    v = g.tensors[op.inputs[0]]
    if not v.variable:
        return [f"{where(op)}: its resource is not a VAR_HANDLE of this graph"]
    other = g.tensors[op.outputs[0] if reading else op.inputs[1]]
    if other.dtype != v.dtype or other.size != v.size or (other.quantized and (other.q_scale, other.q_zero) != (v.q_scale, v.q_zero)):
        return [f"{where(op)}: value '{other.name}' ({other.dtype} {other.shape}) does not match the variable "
                f"'{v.name}' ({v.dtype} {v.shape}, same quantization)"]
    if v.dtype not in ("int8", "int16", "int32"):
        return [f"{where(op)}: variables of type {v.dtype} are not supported (a float variable: quantize it, "
                "e.g. TFLiteConverter._experimental_variable_quantization = True)"]
    return []


def _emit(op: Op, g: Graph, ctx) -> Layer:
    v = g.tensors[op.inputs[0]]
    var = ctx.state(op.inputs[0], "int8_t")
    if op.kind == "READ_VARIABLE":
        call = f"memcpy({ctx.ptr(op.outputs[0])}, {var}, {v.nbytes}u);"
    else:
        call = f"memcpy({var}, {ctx.ptr(op.inputs[1], const=True)}, {v.nbytes}u);"
    return Layer(kernel="memcpy", call=call, variant_reason="resource variable: byte copy")


register("READ_VARIABLE", _validate, _emit)
register("ASSIGN_VARIABLE", _validate, _emit)
