"""Elementwise int8 -> int8 ops run through a 256-entry table (lut_s8): ABS and RSQRT (TFLM's integer
arithmetic evaluated on every input value here), ELU (TFLM's own float table); GELU, EXP, LOG (LiteRT's
LUTPopulate of the float function), SQRT (LiteRT's int8 path, which truncates): TFLM has no int8 kernel for
these (its SQRT is float only). SQUARE: neither TFLM nor LiteRT has an integer SQUARE kernel (both refuse int8
and int16 SQUARE at prepare), so tfedge gives it MUL(x, x)'s exact arithmetic (TFLM reference_integer_ops::Mul with
both inputs the one tensor), the table for int8 and the mul_s16 call for int16.
Each table is the reference kernel's output for the 256 possible input bytes, so it is exact by
construction; the tests check it against the referees on every value.
ABS, RSQRT and SQUARE also run int16 (no table: abs_s16 / rsqrt_s16 compute TFLM's AbsEvalQuantized /
RsqrtEvalQuantized<int16_t> per element, SQUARE is mul_s16)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from tfedge.compiler import fixedpoint as fp
from tfedge.compiler import quant
from tfedge.compiler.graph import Graph, Op, Tensor
from tfedge.compiler.ops import Layer, register, register_type
from tfedge.compiler.ops.common import activation, arity, kernel_for, prepare_ok, shape_is, unary_int8, where
from tfedge.compiler.ops.elementwise import _emit as emit_binary

F32 = np.float32
VALUES = range(-128, 128)


def _clamp8(v: int) -> int:
    return max(-128, min(127, v))


def _abs_table(x: Tensor, y: Tensor) -> list[int]:
    """TFLM AbsEvalQuantized: |q - zp_in|, rescaled unless the scales are equal, + zp_out."""
    rescale = F32(x.q_scale) != F32(y.q_scale)
    m, s = quant.quantize_multiplier(float(x.q_scale) / float(y.q_scale))
    out = []
    for q in VALUES:
        v = abs(q - x.q_zero)
        out.append(_clamp8((fp.mbqm(v, m, s) if rescale else v) + y.q_zero))
    return out


def _rsqrt_multiplier(x: Tensor, y: Tensor) -> tuple[int, int]:
    """RsqrtPrepare's multiplier of 1 / (sqrt(s_in) * s_out) (int8 table and rsqrt_s16)."""
    return quant.quantize_multiplier(1.0 / (math.sqrt(float(x.q_scale)) * float(y.q_scale)))


def _rsqrt_table(x: Tensor, y: Tensor) -> list[int]:
    """TFLM RsqrtEvalQuantized. Inputs below the zero point are an error in TFLM (it stops the
    invoke); the table holds the largest output there, as for zero."""
    m, s = _rsqrt_multiplier(x, y)
    k = 20  # TFLM's kShift
    out = []
    for q in VALUES:
        v = q - x.q_zero
        if v <= 0:
            out.append(127)
            continue
        inv, inv_shift = fp.inv_sqrt_multiplier_exp(v)
        data = fp.mbqm(1, inv, inv_shift + k)
        out.append(_clamp8(fp.mbqm(data, m, s - k) + y.q_zero))
    return out


def _square_table(x: Tensor, y: Tensor) -> list[int]:
    """TFLM Mul of x by itself: (q - zp)^2 * MulPrepare's multiplier s_in * s_in / s_out (double), + zp_out."""
    m, s = _square_multiplier(x, y)
    return [_clamp8(fp.mbqm((q - x.q_zero) ** 2, m, s) + y.q_zero) for q in VALUES]


def _square_multiplier(x: Tensor, y: Tensor) -> tuple[int, int]:
    return quant.quantize_multiplier(float(x.q_scale) * float(x.q_scale) / float(y.q_scale))


def _gelu(v: F32, approximate: bool) -> F32:
    """LiteRT reference_ops::GeluTransform(Approximate), float32 throughout (erfc/tanh as float)."""
    if approximate:
        k = F32(math.sqrt(2.0 / math.pi))
        inner = k * (v + F32(0.044715) * v * v * v)
        return F32(0.5) * v * (F32(1.0) + F32(math.tanh(float(inner))))
    return F32(0.5) * v * F32(math.erfc(float(v * F32(-math.sqrt(0.5)))))


def lut_populate(x: Tensor, y: Tensor, fn) -> list[int]:
    """LiteRT LUTPopulateInt8: dequantize in float32, transform, round (half away from zero), + zp_out."""
    inverse = F32(1.0) / F32(y.q_scale)
    out = []
    for q in VALUES:
        v = F32(x.q_scale) * F32(q - x.q_zero)
        with np.errstate(all="ignore"):
            t = F32(fn(v) * inverse)
        if not np.isfinite(t) or abs(float(t)) >= 2.0 ** 31:  # log(0), log(-1): the x86 float->int32
            out.append(-128)                                     # conversion gives INT32_MIN, clamped
            continue
        r = quant.tflite_round(float(t))
        out.append(_clamp8(int(F32(r) + F32(y.q_zero))))
    return out


def _sqrt_table(x: Tensor, y: Tensor) -> list[int]:
    """LiteRT's int8 SQRT: dequantize, sqrt and divide by the output scale in float32, then truncate toward
    zero (a static_cast, not a rounding: matched on every input byte of the test model), + zp_out. A negative
    input (NaN) gives INT32_MIN on x86, clamped to -128."""
    out = []
    for q in VALUES:
        v = F32(x.q_scale) * F32(q - x.q_zero)
        with np.errstate(all="ignore"):
            t = F32(np.sqrt(v)) / F32(y.q_scale)
        out.append(-128 if not np.isfinite(t) or float(t) >= 2.0 ** 31 else _clamp8(int(float(t)) + y.q_zero))
    return out


def _table(op: Op, g: Graph) -> list[int]:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    if op.kind == "ABS":
        return _abs_table(x, y)
    if op.kind == "RSQRT":
        return _rsqrt_table(x, y)
    if op.kind == "GELU":
        approximate = bool(op.options.get("Approximate", False))
        return lut_populate(x, y, lambda v: _gelu(v, approximate))
    if op.kind == "ELU":  # TFLM EluPrepare: PopulateLookupTable (the same float recipe) of exp(x) - 1 below 0
        return lut_populate(x, y, lambda v: F32(np.exp(v)) - F32(1.0) if v < 0 else v)
    if op.kind == "SQRT":
        return _sqrt_table(x, y)
    if op.kind == "SQUARE":
        return _square_table(x, y)
    return lut_populate(x, y, {"EXP": np.exp, "LOG": np.log}[op.kind])


def _validate(op: Op, g: Graph) -> list[str]:
    problems = unary_int8(op, g)
    if not problems and not all(np.isfinite(F32(g.tensors[i].q_scale)) for i in (op.inputs[0], op.outputs[0])):
        problems.append(f"{where(op)}: invalid scale")
    return problems or prepare_ok(op, lambda: _table(op, g))


def lut_layer(op: Op, g: Graph, ctx, values: list[int], variant: str = "portable", reason: str = "") -> Layer:
    """The lut_s8 call of a table of the 256 outputs for inputs -128..127 (in that order)."""
    table = np.array(values, dtype=np.int64)
    table = np.concatenate([table[128:], table[:128]])  # index = the input byte as unsigned: 0..127, then -128..-1
    name = ctx.params("tfedge_lut_params", dict(size=g.tensors[op.inputs[0]].size,
                                                table=ctx.array("int8_t", table, "table")))
    return Layer(kernel="lut_s8", call=f"lut_s8(&{name}, {ctx.ptr(op.inputs[0], const=True)}, {ctx.ptr(op.outputs[0])});",
                 variant=variant, variant_reason=reason)


def _emit(op: Op, g: Graph, ctx) -> Layer:
    return lut_layer(op, g, ctx, _table(op, g))


def _s16_params(op: Op, x: Tensor, y: Tensor) -> tuple[int, int]:
    """The multiplier of abs_s16 / rsqrt_s16. ABS: AbsPrepare's, or where TFLM skips the rescale (equal
    scales) the identity 2^30, shift 1; RSQRT: the int8 table's."""
    if op.kind == "RSQRT":
        return _rsqrt_multiplier(x, y)
    if op.kind == "SQUARE":
        return _square_multiplier(x, y)
    if F32(x.q_scale) == F32(y.q_scale):
        return 1 << 30, 1
    return quant.quantize_multiplier(float(x.q_scale) / float(y.q_scale))


def _validate_s16(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (1,))
    if problems:
        return problems
    problems += activation(op, g, op.inputs[0], "input", ("int16",)) + activation(op, g, op.outputs[0], "output", ("int16",))
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    return problems or shape_is(op, g, op.outputs[0], x.shape) or prepare_ok(op, lambda: _s16_params(op, x, y))


def _emit_s16(op: Op, g: Graph, ctx) -> Layer:
    """ABS / RSQRT int16: per element in C (abs_s16, rsqrt_s16), no table (65,536 inputs). SQUARE int16: MUL's
    emission (mul_s16) with the input as both operands."""
    if op.kind == "SQUARE":
        return emit_binary(dataclasses.replace(op, kind="MUL", inputs=[op.inputs[0]] * 2), g, ctx)
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    mult, shift = _s16_params(op, x, y)
    kernel = kernel_for(op.kind.lower(), "int16")
    name = ctx.params("tfedge_quant_params", dict(size=x.size, input_offset=-x.q_zero, output_offset=y.q_zero, mult=mult,
                                                  shift=shift, scale=F32(0), dq_scale=0.0))
    return Layer(kernel=kernel, call=f"{kernel}(&{name}, {ctx.ptr(op.inputs[0], 'int16_t', const=True)}, "
                                     f"{ctx.ptr(op.outputs[0], 'int16_t')});", macs=0)


for _kind in ("ABS", "RSQRT", "ELU", "GELU", "EXP", "LOG", "SQRT", "SQUARE"):
    register(_kind, _validate, _emit)
for _kind in ("ABS", "RSQRT", "SQUARE"):
    register_type(_kind, "int16", _validate_s16, _emit_s16)
