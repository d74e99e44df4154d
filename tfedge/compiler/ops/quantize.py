"""QUANTIZE (int8 -> int8 requantize, float32 -> int8) and DEQUANTIZE (int8 -> float32)."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import quant
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.common import arity, int8_activation, shape_is, where


def _validate_quantize(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (1,))
    if problems:
        return problems
    x = g.tensors[op.inputs[0]]
    problems += int8_activation(op, g, op.outputs[0], "output")
    if x.dtype == "float32":
        if x.is_const:
            problems.append(f"{where(op)}: quantizing a constant float tensor is not supported")
    else:
        problems += int8_activation(op, g, op.inputs[0], "input")
        if x.dtype != "int8":
            problems.append(f"{where(op)}: QUANTIZE from {x.dtype} is not supported (float32 or int8 only)")
    return problems + shape_is(op, g, op.outputs[0], x.shape)


def _validate_dequantize(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (1,))
    if problems:
        return problems
    problems += int8_activation(op, g, op.inputs[0], "input")
    y = g.tensors[op.outputs[0]]
    if y.dtype != "float32":
        problems.append(f"{where(op)}: DEQUANTIZE to {y.dtype} is not supported (float32 only)")
    return problems + shape_is(op, g, op.outputs[0], g.tensors[op.inputs[0]].shape)


def _emit_quantize(op: Op, g: Graph, ctx) -> Layer:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    p = dict(size=y.size, input_offset=0, output_offset=y.q_zero, mult=0, shift=0, scale=np.float32(y.q_scale),
             dq_scale=0.0)
    if x.dtype == "float32":
        kernel, in_ptr = "quantize_f32_s8", ctx.ptr(op.inputs[0], "float", const=True)
    else:
        kernel, in_ptr = "requantize_s8", ctx.ptr(op.inputs[0], const=True)
        p["input_offset"] = -x.q_zero
        p["mult"], p["shift"] = quant.quantize_multiplier(float(x.q_scale) / float(y.q_scale))
    name = ctx.params("tfedge_quant_params", p)
    return Layer(kernel=kernel, call=f"{kernel}(&{name}, {in_ptr}, {ctx.ptr(op.outputs[0])});", macs=0)


def _emit_dequantize(op: Op, g: Graph, ctx) -> Layer:
    x = g.tensors[op.inputs[0]]
    name = ctx.params("tfedge_quant_params", dict(size=x.size, input_offset=-x.q_zero, output_offset=0, mult=0,
                                                  shift=0, scale=np.float32(0), dq_scale=float(x.q_scale)))
    call = f"dequantize_s8_f32(&{name}, {ctx.ptr(op.inputs[0], const=True)}, {ctx.ptr(op.outputs[0], 'float')});"
    return Layer(kernel="dequantize_s8_f32", call=call, macs=0)


register("QUANTIZE", _validate_quantize, _emit_quantize)
register("DEQUANTIZE", _validate_dequantize, _emit_dequantize)
