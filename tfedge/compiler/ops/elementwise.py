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


def _k_hi_fits(e: int, zp: int) -> bool:
    """The one-SMLAL form's preset accumulator 2^(e-2) + zp 2^(e-1) inside +-2^30 (arm_dsp add_s8 / mul_s8)."""
    k_hi = (1 << (e - 2)) + zp * (1 << (e - 1))
    return -(1 << 30) < k_hi < (1 << 30)


def add_dsp_fast(p: dict) -> bool:
    """arm_dsp/add_s8.c's add_fast: one input at exactly half the common scale (its x a shift), the other by a
    table, left shift in [1, 23], output right shift in [2, 31] with a multiplier >= 2^30."""
    exact = any(p[f"input{i}_mult"] == 1 << 30 and p[f"input{i}_shift"] == 0 for i in (1, 2))
    e = -p["output_shift"]
    return (exact and 1 <= p["left_shift"] <= 23 and 2 <= e <= 31 and p["output_mult"] >= 1 << 30
            and _k_hi_fits(e, p["output_offset"]))


def mul_dsp_fast(p: dict) -> bool:
    """arm_dsp/mul_s8.c's mul_fast: output right shift in [2, 31], multiplier >= 2^30."""
    e = -p["output_shift"]
    return 2 <= e <= 31 and p["output_mult"] >= 1 << 30 and _k_hi_fits(e, p["output_offset"])


def dsp_paths(kernel: str, p: dict) -> tuple[str, ...]:
    """What of the arm_dsp ADD / MUL a layer calls (tfedge_uses.h): its portable fallback (ADD_REF / MUL_REF) for a
    quantization the fast path does not take, else the loop copy for its activation range (ADD_FULL / MUL_FULL:
    the whole int8 range; ADD_CLAMP / MUL_CLAMP: narrower)."""
    if kernel not in ("add_s8", "mul_s8"):
        return ()
    op = kernel[:3].upper()
    if not (add_dsp_fast(p) if op == "ADD" else mul_dsp_fast(p)):
        return (f"{op}_REF",)
    return (f"{op}_FULL",) if (p["act_min"], p["act_max"]) == (-128, 127) else (f"{op}_CLAMP",)


def _emit(op: Op, g: Graph, ctx) -> Layer:
    dtype = act_type(g, op.outputs[0])
    kernel, ctype = kernel_for(op.kind.lower(), dtype), C_TYPES[dtype]
    params = _params(op, g)
    name = ctx.params("tfedge_binary_params", params)
    paths = variants_mve.binary_paths(kernel, params) if ctx.arch == "mve" else ()  # Helium's general walker
    if ctx.arch == "dsp":
        paths = dsp_paths(kernel, params)
    call = (f"{kernel}(&{name}, {ctx.ptr(op.inputs[0], ctype, const=True)}, {ctx.ptr(op.inputs[1], ctype, const=True)}, "
            f"{ctx.ptr(op.outputs[0], ctype)});")
    return Layer(kernel=kernel, call=call, macs=int(g.tensors[op.outputs[0]].size), paths=paths)


for _kind in ("ADD", "SUB", "MUL"):
    register(_kind, _validate, _emit)
