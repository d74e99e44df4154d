"""ADD, SUB, MUL: int8 or int16 with numpy broadcasting over up to 4 dimensions."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import quant, variants_mve
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.common import (C_TYPES, INT8_INT16, act_type, activation, activation_ok, arity, kernel_for,
                                        same_type, shape_is, where)


def _operand_ok(op: Op, g: Graph, index: int, what: str) -> list[str]:
    t = g.tensors[index] if index >= 0 else None
    if t is not None and t.is_const and t.dtype in INT8_INT16 and t.quantized and len(t.scale) == 1:
        return []  # a constant operand (e.g. a folded scale) is emitted to flash
    return activation(op, g, index, what, INT8_INT16)


def broadcast_layout(shape1: tuple, shape2: tuple) -> tuple[list[int], list[int], list[int]] | None:
    """4-D loop dims and element strides of each input (0 = broadcast), or None when > 4-D."""
    try:
        out = np.broadcast_shapes(shape1, shape2)
    except ValueError:
        return None
    if shape1 == shape2:  # no broadcast: one flat loop
        return [1, 1, 1, int(np.prod(out, dtype=np.int64))], [0, 0, 0, 1], [0, 0, 0, 1]
    if len(out) > 4:
        return None
    out = (1,) * (4 - len(out)) + tuple(out)

    def strides(shape: tuple) -> list[int]:
        shape = (1,) * (4 - len(shape)) + tuple(shape)
        result, step = [0] * 4, 1
        for d in range(3, -1, -1):
            result[d] = step if shape[d] > 1 else 0
            step *= shape[d]
        return result
    return [int(d) for d in out], strides(shape1), strides(shape2)


def _validate(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (2,))
    if problems:
        return problems
    problems += _operand_ok(op, g, op.inputs[0], "input 1") + _operand_ok(op, g, op.inputs[1], "input 2")
    problems += activation(op, g, op.outputs[0], "output", INT8_INT16) + activation_ok(op)
    problems += same_type(op, g, op.inputs + op.outputs)
    if problems:
        return problems
    a, b = g.tensors[op.inputs[0]].shape, g.tensors[op.inputs[1]].shape
    layout = broadcast_layout(a, b)
    if layout is None:
        return [f"{where(op)}: cannot broadcast shapes {a} and {b} within 4 dimensions"]
    return shape_is(op, g, op.outputs[0], tuple(np.broadcast_shapes(a, b)))


def _params(op: Op, g: Graph) -> dict:
    a, b, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    dims, s1, s2 = broadcast_layout(a.shape, b.shape)
    act_min, act_max = quant.activation_range(op.options.get("FusedActivationFunction", 0), y.q_scale, y.q_zero, y.dtype)
    p = dict(dims=dims, in1_strides=s1, in2_strides=s2, input1_offset=-a.q_zero, input2_offset=-b.q_zero,
             output_offset=y.q_zero, act_min=act_min, act_max=act_max, left_shift=0,
             input1_mult=0, input1_shift=0, input2_mult=0, input2_shift=0)
    if op.kind in ("ADD", "SUB"):
        # TFLM add/sub Prepare: both inputs to twice the larger scale, 20 bits of headroom (int16: 15).
        left_shift = 15 if y.dtype == "int16" else 20
        twice_max = 2 * max(float(a.q_scale), float(b.q_scale))
        p["input1_mult"], p["input1_shift"] = quant.quantize_multiplier(float(a.q_scale) / twice_max)
        p["input2_mult"], p["input2_shift"] = quant.quantize_multiplier(float(b.q_scale) / twice_max)
        p["output_mult"], p["output_shift"] = quant.quantize_multiplier(twice_max / ((1 << left_shift) * float(y.q_scale)))
        p["left_shift"] = left_shift
    else:
        p["output_mult"], p["output_shift"] = quant.quantize_multiplier(float(a.q_scale) * float(b.q_scale) / float(y.q_scale))
    return p


def _emit(op: Op, g: Graph, ctx) -> Layer:
    dtype = act_type(g, op.outputs[0])
    kernel, ctype = kernel_for(op.kind.lower(), dtype), C_TYPES[dtype]
    params = _params(op, g)
    name = ctx.params("tfedge_binary_params", params)
    paths = variants_mve.binary_paths(kernel, params) if ctx.arch == "mve" else ()  # Helium's general walker
    call = (f"{kernel}(&{name}, {ctx.ptr(op.inputs[0], ctype, const=True)}, {ctx.ptr(op.inputs[1], ctype, const=True)}, "
            f"{ctx.ptr(op.outputs[0], ctype)});")
    return Layer(kernel=kernel, call=call, macs=int(g.tensors[op.outputs[0]].size), paths=paths)


for _kind in ("ADD", "SUB", "MUL"):
    register(_kind, _validate, _emit)
