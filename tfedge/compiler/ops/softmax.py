"""SOFTMAX: TFLite's int8 integer algorithm over the last dimension."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import quant
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.common import arity, int8_activation, shape_is, where

SCALED_DIFF_INTEGER_BITS = 5


def _validate(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (1,))
    if problems:
        return problems
    problems += int8_activation(op, g, op.inputs[0], "input") + int8_activation(op, g, op.outputs[0], "output")
    if problems:
        return problems
    y = g.tensors[op.outputs[0]]
    if y.q_zero != -128 or y.q_scale != np.float32(1 / 256):
        problems.append(f"{where(op)}: int8 softmax output must have scale 1/256 and zero point -128 "
                        f"(got {y.q_scale}, {y.q_zero})")
    beta = op.options.get("Beta", 1.0)
    if not (np.isfinite(beta) and beta > 0):
        problems.append(f"{where(op)}: invalid beta {beta}")
    if not g.tensors[op.inputs[0]].shape:
        problems.append(f"{where(op)}: scalar input")
    elif np.isfinite(beta) and beta > 0 and softmax_params(float(np.float32(beta)), g.tensors[op.inputs[0]].q_scale)[1] < 0:
        problems.append(f"{where(op)}: input scale {g.tensors[op.inputs[0]].q_scale} too small for TFLite's int8 softmax")
    return problems + shape_is(op, g, op.outputs[0], g.tensors[op.inputs[0]].shape)


def softmax_params(beta: float, input_scale: float) -> tuple[int, int, int]:
    """PreprocessSoftmaxScaling + CalculateInputRadius (TFLM softmax_common.cc)."""
    real = min(float(beta) * float(input_scale) * (1 << (31 - SCALED_DIFF_INTEGER_BITS)), (1 << 31) - 1.0)
    mult, left_shift = quant.quantize_multiplier(real)  # QuantizeMultiplierGreaterThanOne
    diff_min = -quant.calculate_input_radius(SCALED_DIFF_INTEGER_BITS, left_shift)
    return mult, left_shift, diff_min


def _emit(op: Op, g: Graph, ctx) -> Layer:
    x = g.tensors[op.inputs[0]]
    depth = x.shape[-1]
    mult, left_shift, diff_min = softmax_params(float(np.float32(op.options.get("Beta", 1.0))), x.q_scale)
    name = ctx.params("tfedge_softmax_params", dict(outer=x.size // depth, depth=depth, input_mult=mult,
                                                    input_left_shift=left_shift, diff_min=diff_min))
    call = f"softmax_s8(&{name}, {ctx.ptr(op.inputs[0], const=True)}, {ctx.ptr(op.outputs[0])});"
    return Layer(kernel="softmax_s8", call=call, macs=int(x.size))


register("SOFTMAX", _validate, _emit)
