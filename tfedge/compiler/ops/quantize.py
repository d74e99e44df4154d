"""QUANTIZE (int8/int16 -> int8/int16 requantize, uint8 <-> int8 for uint8 model inputs/outputs, float32 ->
int8/int16) and DEQUANTIZE (int8/int16 -> float32)."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import quant
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.common import C_TYPES, INT8_INT16, activation, arity, shape_is, where

# (input type, output type) -> kernel: TFLM's Requantize/AffineQuantize for every pair it accepts
REQUANTIZE = {("int8", "int8"): "requantize_s8", ("int16", "int8"): "requantize_s16_s8",
              ("int8", "int16"): "requantize_s8_s16", ("int16", "int16"): "requantize_s16",
              ("float32", "int8"): "quantize_f32_s8", ("float32", "int16"): "quantize_f32_s16",
              ("uint8", "int8"): "requantize_u8_s8", ("int8", "uint8"): "requantize_s8_u8"}
INTEGER = ("int8", "int16", "uint8")
DEQUANTIZE = {"int8": "dequantize_s8_f32", "int16": "dequantize_s16_f32"}


def _validate_quantize(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (1,))
    if problems:
        return problems
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    problems += activation(op, g, op.outputs[0], "output", INTEGER)
    if x.dtype == "float32":
        if x.is_const:
            problems.append(f"{where(op)}: quantizing a constant float tensor is not supported")
    elif x.dtype in INTEGER:
        problems += activation(op, g, op.inputs[0], "input", INTEGER)
    else:
        problems.append(f"{where(op)}: QUANTIZE from {x.dtype} is not supported (float32, int8, int16 or uint8 only)")
    if not problems and (x.dtype, y.dtype) not in REQUANTIZE:
        problems.append(f"{where(op)}: QUANTIZE {x.dtype} -> {y.dtype} is not supported (TFLM: uint8 only to and from "
                        "int8)")
    return problems + shape_is(op, g, op.outputs[0], x.shape)


def _validate_dequantize(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (1,))
    if problems:
        return problems
    problems += activation(op, g, op.inputs[0], "input", INT8_INT16)
    y = g.tensors[op.outputs[0]]
    if y.dtype != "float32":
        problems.append(f"{where(op)}: DEQUANTIZE to {y.dtype} is not supported (float32 only)")
    return problems + shape_is(op, g, op.outputs[0], g.tensors[op.inputs[0]].shape)


def _emit_quantize(op: Op, g: Graph, ctx) -> Layer:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    kernel = REQUANTIZE[(x.dtype, y.dtype)]
    p = dict(size=y.size, input_offset=0, output_offset=y.q_zero, mult=0, shift=0, scale=np.float32(y.q_scale),
             dq_scale=0.0)
    if x.dtype == "float32":
        in_ptr = ctx.ptr(op.inputs[0], "float", const=True)
    else:
        in_ptr = ctx.ptr(op.inputs[0], C_TYPES[x.dtype], const=True)
        p["input_offset"] = -x.q_zero
        p["mult"], p["shift"] = quant.quantize_multiplier(float(x.q_scale) / float(y.q_scale))
    name = ctx.params("tfedge_quant_params", p)
    return Layer(kernel=kernel, call=f"{kernel}(&{name}, {in_ptr}, {ctx.ptr(op.outputs[0], C_TYPES[y.dtype])});", macs=0)


def _emit_dequantize(op: Op, g: Graph, ctx) -> Layer:
    x = g.tensors[op.inputs[0]]
    kernel = DEQUANTIZE[x.dtype]
    name = ctx.params("tfedge_quant_params", dict(size=x.size, input_offset=-x.q_zero, output_offset=0, mult=0,
                                                  shift=0, scale=np.float32(0), dq_scale=float(x.q_scale)))
    call = f"{kernel}(&{name}, {ctx.ptr(op.inputs[0], C_TYPES[x.dtype], const=True)}, {ctx.ptr(op.outputs[0], 'float')});"
    return Layer(kernel=kernel, call=call, macs=0)


register("QUANTIZE", _validate_quantize, _emit_quantize)
register("DEQUANTIZE", _validate_dequantize, _emit_dequantize)
