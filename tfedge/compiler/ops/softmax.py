"""SOFTMAX over the last dimension: TFLite's int8 integer algorithm, or int16 -> int16 (SoftmaxInt16, its
two lookup tables generated here exactly as TFLM's Prepare generates them)."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import quant
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler import lut
from tfedge.compiler.ops.common import INT8_INT16, activation, arity, same_type, shape_is, where

SCALED_DIFF_INTEGER_BITS = 5


def _validate(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (1,))
    if problems:
        return problems
    problems += activation(op, g, op.inputs[0], "input", INT8_INT16) + activation(op, g, op.outputs[0], "output", INT8_INT16)
    problems += same_type(op, g, op.inputs + op.outputs)
    if problems:
        return problems
    y = g.tensors[op.outputs[0]]
    if y.dtype == "int16":
        if abs(float(y.q_scale) - 1 / 32768) > 0.001 / 32768:  # TF_LITE_ENSURE_NEAR in TFLM's Prepare
            problems.append(f"{where(op)}: int16 softmax output must have scale 1/32768 (got {y.q_scale})")
    elif y.q_zero != -128 or y.q_scale != np.float32(1 / 256):
        problems.append(f"{where(op)}: int8 softmax output must have scale 1/256 and zero point -128 "
                        f"(got {y.q_scale}, {y.q_zero})")
    beta = op.options.get("Beta", 1.0)
    if not (np.isfinite(beta) and beta > 0):
        problems.append(f"{where(op)}: invalid beta {beta}")
    if not g.tensors[op.inputs[0]].shape:
        problems.append(f"{where(op)}: scalar input")
    elif y.dtype == "int8" and np.isfinite(beta) and beta > 0 and softmax_params(float(np.float32(beta)), g.tensors[op.inputs[0]].q_scale)[1] < 0:
        problems.append(f"{where(op)}: input scale {g.tensors[op.inputs[0]].q_scale} too small for TFLite's int8 softmax")
    return problems + shape_is(op, g, op.outputs[0], g.tensors[op.inputs[0]].shape)


def softmax_params(beta: float, input_scale: float) -> tuple[int, int, int]:
    """PreprocessSoftmaxScaling + CalculateInputRadius (TFLM softmax_common.cc)."""
    real = min(float(beta) * float(input_scale) * (1 << (31 - SCALED_DIFF_INTEGER_BITS)), (1 << 31) - 1.0)
    mult, left_shift = quant.quantize_multiplier(real)  # QuantizeMultiplierGreaterThanOne
    diff_min = -quant.calculate_input_radius(SCALED_DIFF_INTEGER_BITS, left_shift)
    return mult, left_shift, diff_min


def _emit_s16(op: Op, g: Graph, ctx) -> Layer:
    x = g.tensors[op.inputs[0]]
    depth = x.shape[-1]
    # CalculateSoftmaxParams: input_diff scaled so that [-65535, 0] covers [-10, 0] (double products)
    mult, shift = quant.quantize_multiplier(float(x.q_scale) * float(np.float32(op.options.get("Beta", 1.0))) / (10.0 / 65535.0))
    name = ctx.params("tfedge_softmax_s16_params", dict(
        outer=x.size // depth, depth=depth, input_mult=mult, input_left_shift=shift,
        exp_lut=ctx.array("int16_t", lut.int16_lut(lut.expf, -10.0, 0.0, -1.0, 1.0), "explut"),
        one_over_one_plus_x_lut=ctx.array("int16_t", lut.int16_lut(lut.one_over_one_plus_x, 0.0, 1.0, -1.0, 1.0), "reclut")))
    call = f"softmax_s16(&{name}, {ctx.ptr(op.inputs[0], 'int16_t', const=True)}, {ctx.ptr(op.outputs[0], 'int16_t')});"
    return Layer(kernel="softmax_s16", call=call, macs=int(x.size))


def _emit(op: Op, g: Graph, ctx) -> Layer:
    x = g.tensors[op.inputs[0]]
    if x.dtype == "int16":
        return _emit_s16(op, g, ctx)
    depth = x.shape[-1]
    mult, left_shift, diff_min = softmax_params(float(np.float32(op.options.get("Beta", 1.0))), x.q_scale)
    name = ctx.params("tfedge_softmax_params", dict(outer=x.size // depth, depth=depth, input_mult=mult,
                                                    input_left_shift=left_shift, diff_min=diff_min))
    call = f"softmax_s8(&{name}, {ctx.ptr(op.inputs[0], const=True)}, {ctx.ptr(op.outputs[0])});"
    return Layer(kernel="softmax_s8", call=call, macs=int(x.size))


register("SOFTMAX", _validate, _emit)
