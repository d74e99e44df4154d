"""Activation functions: RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH (int8 -> int8); LEAKY_RELU,
LOGISTIC and TANH also int16 -> int16 (TFLM's int16 kernels)."""

from __future__ import annotations

import math

import numpy as np

from tfedge.compiler import fixedpoint as fp
from tfedge.compiler import quant
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.common import (C_TYPES, INT8, INT8_INT16, act_type, activation, arity, kernel_for, same_type,
                                        shape_is, where)
from tfedge.compiler.ops.lut import lut_layer

F32 = np.float32
KERNELS = {"RELU": "relu", "RELU6": "relu", "LEAKY_RELU": "leaky_relu", "LOGISTIC": "logistic", "TANH": "tanh",
           "HARD_SWISH": "hard_swish"}
TYPES = {"LEAKY_RELU": INT8_INT16, "LOGISTIC": INT8_INT16, "TANH": INT8_INT16}  # the others: int8 only


def _log2_pot(scale: float) -> tuple[int, bool]:
    """TFLM CheckedLog2: the rounded log2 of a scale and whether the scale is a power of two."""
    log2 = math.log(float(scale)) / math.log(2.0)
    rounded = quant.tflite_round(log2)
    return rounded, abs(log2 - rounded) < 1e-3


def _int16_sigmoid_params(x_scale: float) -> tuple[int, int]:
    """Logistic/Tanh Prepare for int16: (input_multiplier, input_left_shift); multiplier 0 = power-of-two
    scale handled in the kernel, else the input rescaled to 1/(3*4096) with a <= 15-bit multiplier."""
    log2, pot = _log2_pot(x_scale)
    shift = (15 - 3) + log2
    if pot and shift in (0, 1):
        return 0, shift
    mult, shift = float(x_scale) * 4096.0 * 3.0, 0
    while mult <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        mult *= 2.0
    return int(mult), shift


def _params(op: Op, g: Graph) -> dict:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    lo, hi = (-32768, 32767) if y.dtype == "int16" else (-128, 127)
    p = dict(size=x.size, input_zp=x.q_zero, output_zp=y.q_zero, mult=0, shift=0, mult2=0, shift2=0,
             range_radius=0, act_min=lo, act_max=hi)
    if y.dtype == "int16" and op.kind in ("LOGISTIC", "TANH"):
        p["mult"], p["shift"] = _int16_sigmoid_params(x.q_scale)
    elif op.kind in ("RELU", "RELU6"):  # CalculateReluOpData / LiteRT QuantizedReluX
        # TFLM's RELU6 clamps in the input's quantization and ignores the output's: identical to this when
        # the two agree (the usual case), plainly wrong when they differ; there this matches LiteRT.
        p["mult"], p["shift"] = quant.quantize_multiplier(float(x.q_scale) / float(y.q_scale))
        lo, hi = {"RELU": (0.0, None), "RELU6": (0.0, 6.0)}[op.kind]
        p["act_min"] = max(-128, y.q_zero + quant.tflite_round(float(F32(lo) / F32(y.q_scale))))
        if hi is not None:
            p["act_max"] = min(127, y.q_zero + quant.tflite_round(float(F32(hi) / F32(y.q_scale))))
    elif op.kind == "LEAKY_RELU":  # float products, as LeakyReluPrepare (the identity ratio in double)
        alpha = F32(op.options.get("Alpha", 0.2))
        p["mult"], p["shift"] = quant.quantize_multiplier(float(x.q_scale) / float(y.q_scale))
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
    problems = arity(op, (1,))
    if problems:
        return problems
    types = TYPES.get(op.kind, INT8)
    problems += activation(op, g, op.inputs[0], "input", types) + activation(op, g, op.outputs[0], "output", types)
    problems += same_type(op, g, op.inputs + op.outputs)
    if problems:
        return problems
    problems += shape_is(op, g, op.outputs[0], g.tensors[op.inputs[0]].shape)
    if g.tensors[op.outputs[0]].dtype == "int16":
        if op.kind in ("LOGISTIC", "TANH") and _log2_pot(g.tensors[op.outputs[0]].q_scale) != (-15, True):
            problems.append(f"{where(op)}: int16 {op.kind} output scale must be 2^-15 (TFLM's int16 kernel)")
        return problems
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


def _sat16(v: int) -> int:
    return max(-32768, min(32767, v))


def hard_swish_table(p: dict) -> list[int]:
    """HARD_SWISH int8 on every input byte -128..127: portable/hard_swish_s8.c's (TFLite reference_ops::HardSwish)
    16-bit fixed point step by step, so the table is that kernel's output (tests check it on all 256 values)."""
    out = []
    for q in range(-128, 128):
        x = q - p["input_zp"]
        x_hires = x * 128  # |x| <= 255: fits int16
        x_out = fp.srdhm16(x_hires, p["mult"])
        reluish = x_hires
        if p["shift2"] > 0:
            reluish = _sat16(reluish << (p["shift2"] - 1))
        reluish = fp.srdhm16(reluish, p["mult2"])
        if p["shift2"] > 0:
            reluish = _sat16(reluish << 1)
        if p["shift2"] < 0:
            reluish = fp.rdivpot(reluish, -p["shift2"])
        reluish = (reluish + (1 << 15)) >> 1
        prod = 32767 if reluish == x_out == -32768 else fp.trunc_div(reluish * x_out, 1 << 15)  # no rounding
        out.append(max(-128, min(127, fp.rdivpot(prod, -p["shift"]) + p["output_zp"])))
    return out


def _sigmoid_q4(kind: str, a: int) -> int:
    """portable/logistic_s8.c's logistic_q4 / tanh_s8.c's tanh_q4: gemmlowp's fixed point on a Q4.27 input."""
    if kind == "LOGISTIC":
        if a == 0:
            return 1 << 30
        if a > 0:
            return fp.one_over_one_plus_x(fp.exp_on_negative_values(-a, 4))
        return fp.wrap(fp.INT32_MAX - fp.one_over_one_plus_x(fp.exp_on_negative_values(a, 4)))
    t = fp.one_minus_x_over_one_plus_x(fp.exp_on_negative_values(min(a, -a), 5))  # exp(-2|a|): Q4 read as Q5
    return 0 if a == 0 else (-t if a < 0 else t)


def sigmoid_table(kind: str, p: dict) -> list[int]:
    """int8 LOGISTIC / TANH on every input byte -128..127: the portable kernels' (TFLM reference_integer_ops)
    integer arithmetic step by step, so the table is their output (tests compare with TFLM on all 256 bytes)."""
    shift, bias = (23, -128) if kind == "LOGISTIC" else (24, 0)
    out = []
    for q in range(-128, 128):
        x = q - p["input_zp"]
        if x <= -p["range_radius"]:
            out.append(-128)
        elif x >= p["range_radius"]:
            out.append(127)
        else:
            v = fp.rdivpot(_sigmoid_q4(kind, fp.mbqm(x, p["mult"], p["shift"])), shift) + bias
            out.append(max(-128, min(127, v)))
    return out


def _emit(op: Op, g: Graph, ctx) -> Layer:
    dtype = act_type(g, op.outputs[0])
    if op.kind == "HARD_SWISH" and ctx.arch != "reference":  # int8 only: a function of the input byte
        return lut_layer(op, g, ctx, hard_swish_table(_params(op, g)), "lut256",
                         "the reference kernel's 16-bit arithmetic evaluated on all 256 input bytes at compile time: "
                         "one table load per element")
    if op.kind in ("LOGISTIC", "TANH") and dtype == "int8" and ctx.arch != "reference":
        return lut_layer(op, g, ctx, sigmoid_table(op.kind, _params(op, g)), "lut256",
                         "the reference kernel's fixed-point (gemmlowp) arithmetic evaluated on all 256 input bytes at "
                         "compile time: one table load per element")
    kernel, ctype = kernel_for(KERNELS[op.kind], dtype), C_TYPES[dtype]
    name = ctx.params("tfedge_act_params", _params(op, g))
    call = f"{kernel}(&{name}, {ctx.ptr(op.inputs[0], ctype, const=True)}, {ctx.ptr(op.outputs[0], ctype)});"
    return Layer(kernel=kernel, call=call, macs=0)


for _kind in KERNELS:
    register(_kind, _validate, _emit)
