"""UNIDIRECTIONAL_SEQUENCE_LSTM: TFLM's integer LSTM (lstm_eval.h) for the standard Keras LSTM (no peephole,
projection, layer norm or CIFG), int8 (EvalLstm<int8, int8, int16, int32>) and, on the type axis, int16x8
(EvalLstm<int16, int8, int16, int64>: int16 input/hidden state, int64 biases and accumulators; such files
come from tfedge.export.lstm16x8, the converter does not write them). One C body serves both
(include/tfedge_lstm_body.h). Prepare-time data
as TFLM's PrepareGateParametersInteger: each gate's two FCs requantize into Q3.12 (scale 2^-12), the gate
activations give Q0.15, the cell state is int16 with a power-of-two scale. The hidden and cell state
tensors are variable tensors: planned in the arena for the whole invoke (nothing else shares their bytes),
reset by tfedge_model_init, kept across invokes as TFLM keeps them."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from tfedge.compiler import quant
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register, register_type
from tfedge.compiler.ops.common import activation, const_input, shape_is, where
from tfedge.compiler.ops.fully_connected import multipliers

INPUT, HIDDEN, CELL = 0, 18, 19
IN_W = (1, 2, 3, 4)  # input-to-{input, forget, cell, output} weights; the kernel's gate order
REC_W = (5, 6, 7, 8)
BIAS = (12, 13, 14, 15)
VARIANTS = {"peephole": (9, 10, 11), "projection": (16, 17), "layer norm": (20, 21, 22, 23)}
GATE_IN_SCALE = 2.0 ** -12  # Q3.12: the FC outputs (inputs to the gate non-linearities)
GATE_OUT_SCALE = 2.0 ** -15  # Q0.15: the gate outputs
TANH = 4  # ActivationFunctionType of the cell gate


def _get(op: Op, k: int) -> int:
    return op.inputs[k] if k < len(op.inputs) else -1


def _dims(op: Op, g: Graph) -> tuple[int, int, int, int, bool]:
    """(batches, time steps, input dim, state dim, time major)."""
    x = g.tensors[op.inputs[INPUT]]
    tm = bool(op.options.get("TimeMajor", False))
    t_, b_, i_ = (x.shape[0], x.shape[1], x.shape[2]) if tm else (x.shape[1], x.shape[0], x.shape[2])
    return b_, t_, i_, g.tensors[op.inputs[IN_W[0]]].shape[0], tm


def _log2(scale: float) -> tuple[int, bool]:
    """TFLM CheckedLog2."""
    v = math.log(float(scale)) / math.log(2.0)
    return quant.tflite_round(v), abs(v - quant.tflite_round(v)) < 1e-3


# per activation type: (bias type, kernel, C type)
TYPES = {"int8": ("int32", "lstm_s8", "int8_t"), "int16": ("int64", "lstm_s16", "int16_t")}


def _validate(op: Op, g: Graph, dtype: str = "int8") -> list[str]:
    if not 20 <= len(op.inputs) <= 24 or len(op.outputs) != 1:
        return [f"{where(op)}: expected 20-24 inputs and 1 output, got {len(op.inputs)} and {len(op.outputs)}"]
    problems = []
    x = g.tensors[op.inputs[INPUT]] if op.inputs[INPUT] >= 0 else None
    types = (dtype,)
    problems += activation(op, g, op.inputs[INPUT], "input", types) + activation(op, g, op.outputs[0], "output", types)
    for name, idx in VARIANTS.items():
        if any(_get(op, k) >= 0 for k in idx):
            problems.append(f"{where(op)}: LSTM with {name} is not supported (TFLM's integer LSTM runs the "
                            "standard Keras LSTM only)")
    if any(_get(op, k) < 0 for k in IN_W + REC_W + BIAS):
        problems.append(f"{where(op)}: LSTM without an input gate (CIFG) or without gate biases is not supported")
    if op.options.get("FusedActivationFunction", TANH) != TANH:
        problems.append(f"{where(op)}: cell gate activation {op.options.get('FusedActivationFunction')} is not "
                        "supported (tanh only)")
    if problems:
        return problems
    for k in IN_W + REC_W:
        problems += const_input(op, g, op.inputs[k], f"weights {k}", "int8", rank=2)
    for k in BIAS:
        problems += const_input(op, g, op.inputs[k], f"bias {k}", TYPES[dtype][0], rank=1)
    if problems:
        return problems
    if len(x.shape) != 3:
        return [f"{where(op)}: input has shape {x.shape}; expected (batch, time, features)"]
    b_, t_, i_, s_, tm = _dims(op, g)
    for k in IN_W + REC_W:
        w = g.tensors[op.inputs[k]]
        want = (s_, i_) if k in IN_W else (s_, s_)
        if w.shape != want:
            problems.append(f"{where(op)}: weights {k} have shape {w.shape}; expected {want}")
        elif not w.quantized or len(w.scale) != 1 or np.any(w.zero_point != 0):
            problems.append(f"{where(op)}: weights {k} must be symmetric int8 with one scale")
    problems += [f"{where(op)}: bias {k} has shape {g.tensors[op.inputs[k]].shape}; expected ({s_},)"
                 for k in BIAS if g.tensors[op.inputs[k]].shape != (s_,)]
    h, c = (g.tensors[op.inputs[k]] if op.inputs[k] >= 0 else None for k in (HIDDEN, CELL))
    if h is None or c is None or not h.variable or not c.variable:
        return problems + [f"{where(op)}: the hidden and cell state must be variable tensors"]
    problems += activation(op, g, op.inputs[HIDDEN], "hidden state", types)
    if c.dtype != "int16" or not c.quantized or c.q_zero != 0 or not _log2(c.q_scale)[1]:
        problems.append(f"{where(op)}: the cell state must be int16, zero point 0, with a power-of-two scale")
    if h.size != b_ * s_ or c.size != b_ * s_:
        problems.append(f"{where(op)}: state tensors hold {h.size}/{c.size} values; expected {b_ * s_}")
    if problems:
        return problems
    return shape_is(op, g, op.outputs[0], (t_, b_, s_) if tm else (b_, t_, s_))


def _fc(x, w_tensors: list, out) -> tuple[np.ndarray, list[int], list[int]]:
    """Stacked weights and the (multiplier, shift) of each gate's FC into Q3.12 (GetQuantizedConvolutionMultipler)."""
    pairs = [multipliers(x, w, out)[0] for w in w_tensors]
    return np.stack([w.data for w in w_tensors]), [m for m, _ in pairs], [s for _, s in pairs]


def _inter(scale1: float, scale2: float, out_scale: float) -> tuple[int, int]:
    """CreateInterGateMulParams: a double product of the float scales."""
    return quant.quantize_multiplier(float(scale1) * float(scale2) / float(out_scale))


def _emit(op: Op, g: Graph, ctx, dtype: str = "int8") -> Layer:
    x, h, c = (g.tensors[op.inputs[k]] for k in (INPUT, HIDDEN, CELL))
    b_, t_, i_, s_, tm = _dims(op, g)
    q312 = SimpleNamespace(q_scale=float(np.float32(GATE_IN_SCALE)))
    in_w, in_m, in_s = _fc(x, [g.tensors[op.inputs[k]] for k in IN_W], q312)
    rec_w, rec_m, rec_s = _fc(h, [g.tensors[op.inputs[k]] for k in REC_W], q312)
    bias = np.stack([g.tensors[op.inputs[k]].data for k in BIAS]).astype(np.int64)
    _, kernel, ctype = TYPES[dtype]
    if dtype == "int16":  # zero points 0 (TFLM's int16 FC has no input offset) and no recurrent bias
        biases = dict(in_bias64=ctx.array("int64_t", bias, "inb"))
    else:  # the FCs' input offsets folded into the biases (Keras' LSTM has no recurrent bias)
        biases = dict(in_bias=ctx.array("int32_t", quant.wrap_int32(bias - x.q_zero * in_w.astype(np.int64).sum(axis=2)),
                                        "inb"),
                      rec_bias=ctx.array("int32_t", quant.wrap_int32(-h.q_zero * rec_w.astype(np.int64).sum(axis=2)),
                                         "recb"))
    power = _log2(c.q_scale)[0]
    tanh_shift = 15 + power - 3  # lstm_internal::Tanh: a negative shift becomes multiplier 3, right shift
    tanh_mult, tanh_shift = (3, -tanh_shift) if tanh_shift < 0 else (0, tanh_shift)
    clip = float(np.float32(op.options.get("CellClip", 0.0)))
    cell_clip = int(min(max(clip / float(c.q_scale), -32768.0), 32767.0)) if clip > 0 else 0
    fm, fs = _inter(GATE_OUT_SCALE, c.q_scale, c.q_scale)
    im, is_ = _inter(GATE_OUT_SCALE, GATE_OUT_SCALE, c.q_scale)
    hm, hs = _inter(GATE_OUT_SCALE, GATE_OUT_SCALE, h.q_scale)
    rows = b_ if tm else 1
    name = ctx.params("tfedge_lstm_params", dict(
        batches=b_, time_steps=t_, input_dim=i_, state_dim=s_, time_major=int(tm),
        in_weights=ctx.array("int8_t", in_w, "inw"), **biases,
        in_mult=ctx.array("int32_t", in_m, "inm"), in_shift=ctx.array("int32_t", in_s, "ins"),
        rec_weights=ctx.array("int8_t", rec_w, "recw"),
        rec_mult=ctx.array("int32_t", rec_m, "recm"), rec_shift=ctx.array("int32_t", rec_s, "recs"),
        cell_tanh_mult=tanh_mult, cell_tanh_shift=tanh_shift, forget_mult=fm, forget_shift=fs,
        input_mult=im, input_shift=is_, hidden_mult=hm, hidden_shift=hs, hidden_zp=h.q_zero, cell_clip=cell_clip,
        scratch=ctx.scratch(4 * s_ * rows * 2)))
    call = (f"{kernel}(&{name}, {ctx.ptr(op.inputs[INPUT], ctype, const=True)}, {ctx.state(op.inputs[HIDDEN], ctype)}, "
            f"{ctx.state(op.inputs[CELL], 'int16_t')}, {ctx.ptr(op.outputs[0], ctype)});")
    return Layer(kernel=kernel, call=call, macs=int(b_ * t_ * 4 * s_ * (i_ + s_)),
                 variant_reason=f"TFLM integer LSTM: int16 gates and cell state, {dtype} hidden state"
                                + (", int64 gate FCs" if dtype == "int16" else ""))


register("UNIDIRECTIONAL_SEQUENCE_LSTM", _validate, _emit)
register_type("UNIDIRECTIONAL_SEQUENCE_LSTM", "int16", lambda op, g: _validate(op, g, "int16"),
              lambda op, g, ctx: _emit(op, g, ctx, "int16"))
