"""Activation functions: RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH (int8 -> int8)."""

from __future__ import annotations

import math

import numpy as np

from tfedge.compiler import quant
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.common import unary_int8, where

F32 = np.float32
KERNELS = {"RELU": "relu_s8", "RELU6": "relu_s8", "LEAKY_RELU": "leaky_relu_s8",
           "LOGISTIC": "logistic_s8", "TANH": "tanh_s8", "HARD_SWISH": "hard_swish_s8"}


def _params(op: Op, g: Graph) -> dict:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    p = dict(size=x.size, input_zp=x.q_zero, output_zp=y.q_zero, mult=0, shift=0, mult2=0, shift2=0,
             range_radius=0, act_min=-128, act_max=127)
    if op.kind in ("RELU", "RELU6"):  # CalculateReluOpData / LiteRT QuantizedReluX
        # TFLM's RELU6 clamps in the input's quantization and ignores the output's: identical to this when
        # the two agree (the usual case), plainly wrong when they differ; there this matches LiteRT.
        p["mult"], p["shift"] = quant.quantize_multiplier(float(x.q_scale) / float(y.q_scale))
        lo, hi = {"RELU": (0.0, None), "RELU6": (0.0, 6.0)}[op.kind]
        p["act_min"] = max(-128, y.q_zero + quant.tflite_round(float(F32(lo) / F32(y.q_scale))))
        if hi is not None:
            p["act_max"] = min(127, y.q_zero + quant.tflite_round(float(F32(hi) / F32(y.q_scale))))
    elif op.kind == "LEAKY_RELU":  # float products, as LeakyReluPrepare
        alpha = F32(op.options.get("Alpha", 0.2))
        p["mult"], p["shift"] = quant.quantize_multiplier(float(F32(x.q_scale) / F32(y.q_scale)))
        p["mult2"], p["shift2"] = quant.quantize_multiplier(float(F32(x.q_scale) * alpha / F32(y.q_scale)))
    elif op.kind in ("LOGISTIC", "TANH"):  # input to Q4.27: plain frexp, as their Prepare
        p["mult"], p["shift"] = quant.quantize_multiplier_frexp(float(x.q_scale) * float(1 << 27))
        p["range_radius"] = quant.calculate_input_radius(4, p["shift"], 31)
    elif op.kind == "HARD_SWISH":  # HardSwishPrepare: float scales, 16-bit multipliers
        hires = F32(1.0 / 128.0) * F32(x.q_scale)
        out_m, p["shift"] = quant.quantize_multiplier(float(hires / F32(y.q_scale)))
        relu_m, p["shift2"] = quant.quantize_multiplier(float(hires / F32(3.0 / 32768.0)))
        p["mult"], p["mult2"] = _to_int16_multiplier(out_m), _to_int16_multiplier(relu_m)
    return p


def _to_int16_multiplier(m: int) -> int:
    """DownScaleInt32ToInt16Multiplier."""
    if m >= (1 << 31) - 1 - (1 << 15):
        return 32767
    return (m + (1 << 15)) >> 16


def _validate(op: Op, g: Graph) -> list[str]:
    problems = unary_int8(op, g)
    if op.kind == "LEAKY_RELU" and not math.isfinite(op.options.get("Alpha", 0.2)):
        problems.append(f"{where(op)}: invalid alpha")
    if problems:
        return problems
    p = _params(op, g)
    if op.kind == "LOGISTIC" and g.tensors[op.outputs[0]].q_zero != -128:
        problems.append(f"{where(op)}: int8 LOGISTIC output must have zero point -128")
    if op.kind in ("LOGISTIC", "TANH") and not (0 < p["mult"] < (1 << 31) and -31 <= p["shift"] <= 30):
        problems.append(f"{where(op)}: input scale {g.tensors[op.inputs[0]].q_scale} is out of range")
    if op.kind == "HARD_SWISH" and p["shift"] > 0:
        problems.append(f"{where(op)}: output scale too small for the input scale (TFLM requires exponent <= 0)")
    if op.kind == "HARD_SWISH" and not -15 <= p["shift2"] <= 15:
        problems.append(f"{where(op)}: input scale {g.tensors[op.inputs[0]].q_scale} is out of range")
    return problems


def _emit(op: Op, g: Graph, ctx) -> Layer:
    kernel = KERNELS[op.kind]
    name = ctx.params("tfedge_act_params", _params(op, g))
    call = f"{kernel}(&{name}, {ctx.ptr(op.inputs[0], const=True)}, {ctx.ptr(op.outputs[0])});"
    return Layer(kernel=kernel, call=call, macs=0)


for _kind in KERNELS:
    register(_kind, _validate, _emit)
