"""Binary int8 ops with numpy broadcasting over up to 4 dimensions, on tfedge_binary_params like
ADD/SUB/MUL: MAXIMUM, MINIMUM (raw comparisons), PRELU, SQUARED_DIFFERENCE, DIV (TFLM's integer
kernels; each op's Prepare arithmetic mirrored below, float or double as TFLM computes it). MAXIMUM and
MINIMUM also compare int16 (maximum_s16/minimum_s16: the same raw comparison); SQUARED_DIFFERENCE also runs
int16 (TFLM's int16 path: left shift 0 instead of 7); PRELU also int16x8 (int16 input and output, int8
alpha, as TFLM's PreluPrepare requires; the converter refuses it in 16x8, tfedge's export re-quantizes it:
export/int16x8_requant.py); DIV is int8 only."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import quant
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.common import (C_TYPES, INT8, INT8_INT16, RANGES, activation, activation_ok, arity, kernel_for,
                                        prepare_ok, same_quant, same_type, shape_is, where)
from tfedge.compiler.ops.elementwise import _operand_ok, broadcast_layout

F32 = np.float32
KERNELS = {"MAXIMUM": "maximum_s8", "MINIMUM": "minimum_s8", "PRELU": "prelu_s8",
           "SQUARED_DIFFERENCE": "squared_difference_s8", "DIV": "div_s8"}


def _validate(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (2,))
    if problems:
        return problems
    problems += _operand_ok(op, g, op.inputs[0], "input 1")
    problems += _operand_ok(op, g, op.inputs[1], "alpha" if op.kind == "PRELU" else "input 2")
    types = INT8_INT16 if op.kind in ("MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE", "PRELU") else INT8
    problems += activation(op, g, op.outputs[0], "output", types)
    if op.kind == "PRELU":  # alpha is int8 for both types (TFLM's int16 PRELU reads an int8 alpha)
        problems += same_type(op, g, [op.inputs[0], op.outputs[0]])
        alpha = g.tensors[op.inputs[1]]
        if alpha.dtype != "int8":
            problems.append(f"{where(op)}: alpha '{alpha.name}' is {alpha.dtype}; TFLM's PRELU needs an int8 alpha")
    else:
        problems += same_type(op, g, op.inputs + op.outputs)
    if op.kind == "DIV":
        problems += activation_ok(op)
    if problems:
        return problems
    a, b, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if broadcast_layout(a.shape, b.shape) is None:
        return [f"{where(op)}: cannot broadcast shapes {a.shape} and {b.shape} within 4 dimensions"]
    if op.kind in ("MAXIMUM", "MINIMUM") and not (same_quant(a, y) and same_quant(b, y)):
        return [f"{where(op)}: inputs and output must share one quantization (TFLM compares raw values)"]
    if op.kind == "PRELU" and len(b.shape) > len(a.shape):
        return [f"{where(op)}: alpha {b.shape} has more dimensions than the input {a.shape}"]
    return shape_is(op, g, op.outputs[0], tuple(np.broadcast_shapes(a.shape, b.shape))) or prepare_ok(op, lambda: _params(op, g))


def _params(op: Op, g: Graph) -> dict:
    a, b, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    dims, s1, s2 = broadcast_layout(a.shape, b.shape)
    p = dict(dims=dims, in1_strides=s1, in2_strides=s2, input1_offset=-a.q_zero, input2_offset=-b.q_zero,
             output_offset=y.q_zero, input1_mult=0, input1_shift=0, input2_mult=0, input2_shift=0,
             output_mult=0, output_shift=0, left_shift=0, act_min=-128, act_max=127)
    sa, sb, sy = float(a.q_scale), float(b.q_scale), float(y.q_scale)
    if op.kind == "PRELU":  # CalculatePreluParams: double (int8 and int16)
        p["input1_mult"], p["input1_shift"] = quant.quantize_multiplier(sa / sy)
        p["input2_mult"], p["input2_shift"] = quant.quantize_multiplier(sa * sb / sy)
        p["act_min"], p["act_max"] = RANGES[y.dtype]
    elif op.kind == "SQUARED_DIFFERENCE":  # PrepareQuantized: left shift 7 (int8) or 0 (int16)
        twice_max = 2.0 * float(max(F32(sa), F32(sb)))
        p["left_shift"] = 0 if y.dtype == "int16" else 7
        p["input1_mult"], p["input1_shift"] = quant.quantize_multiplier(sa / twice_max)
        p["input2_mult"], p["input2_shift"] = quant.quantize_multiplier(sb / twice_max)
        p["output_mult"], p["output_shift"] = quant.quantize_multiplier(
            twice_max * twice_max / float(F32(1 << (2 * p["left_shift"])) * F32(sy)))
        p["act_min"], p["act_max"] = RANGES[y.dtype]
    elif op.kind == "DIV":  # CalculateOpDataDiv: the scale ratio in float
        p["output_mult"], p["output_shift"] = quant.quantize_multiplier(float(F32(sa) / (F32(sb) * F32(sy))))
        p["act_min"], p["act_max"] = quant.activation_range(op.options.get("FusedActivationFunction", 0), y.q_scale, y.q_zero)
    return p


def _emit(op: Op, g: Graph, ctx) -> Layer:
    dtype = g.tensors[op.outputs[0]].dtype
    kernel = kernel_for(KERNELS[op.kind][:-3], dtype)  # maximum_s8 / maximum_s16
    ctype = C_TYPES[dtype]
    ctype2 = "int8_t" if op.kind == "PRELU" else ctype  # PRELU's alpha: int8 for both types
    name = ctx.params("tfedge_binary_params", _params(op, g))
    call = (f"{kernel}(&{name}, {ctx.ptr(op.inputs[0], ctype, const=True)}, {ctx.ptr(op.inputs[1], ctype2, const=True)}, "
            f"{ctx.ptr(op.outputs[0], ctype)});")
    return Layer(kernel=kernel, call=call, macs=int(g.tensors[op.outputs[0]].size))


for _kind in KERNELS:
    register(_kind, _validate, _emit)
