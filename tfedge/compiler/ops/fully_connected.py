"""FULLY_CONNECTED (with or without bias, keep_num_dims, per-tensor or per-channel weights)."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import compress, quant, variants
from tfedge.compiler.graph import Graph, Op, Tensor
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.packed import packed_fc, packs, requant_arrays
from tfedge.compiler.ops.common import INT8, activation, activation_ok, arity, const_input, shape_is, where


def _validate(op: Op, g: Graph, act: tuple[str, ...] = INT8, bias: str = "int32") -> list[str]:
    """act/bias: the activation and bias types (int16x8: ("int16",), "int64"; see conv_s16.py)."""
    problems = arity(op, (2, 3))
    if problems:
        return problems
    problems += activation(op, g, op.inputs[0], "input", act) + activation(op, g, op.outputs[0], "output", act)
    problems += const_input(op, g, op.inputs[1], "weights", "int8", rank=2) + activation_ok(op)
    has_bias = len(op.inputs) == 3 and op.inputs[2] >= 0
    if has_bias:
        problems += const_input(op, g, op.inputs[2], "bias", bias, rank=1)
    if op.options.get("WeightsFormat", 0) != 0:
        problems.append(f"{where(op)}: shuffled weights format is not supported")
    if problems:
        return problems
    x, w = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
    out_f, in_f = w.shape
    if not w.quantized or len(w.scale) not in (1, out_f) or np.any(w.zero_point != 0):
        return [f"{where(op)}: weights must be symmetric int8, per tensor or per output channel"]
    if has_bias and g.tensors[op.inputs[2]].shape != (out_f,):
        return [f"{where(op)}: bias has shape {g.tensors[op.inputs[2]].shape}; expected ({out_f},)"]
    if in_f < 1 or x.size % in_f:
        return [f"{where(op)}: input of {x.size} elements is not a multiple of the {in_f} weights per output"]
    batches = x.size // in_f
    expected = tuple(x.shape[:-1]) + (out_f,) if op.options.get("KeepNumDims") else (batches, out_f)
    return shape_is(op, g, op.outputs[0], expected)


def multipliers(x: Tensor, w: Tensor, y: Tensor) -> list[tuple[int, int]]:
    """(multiplier, shift) per output channel, or one pair for per-tensor weights."""
    if len(w.scale) > 1:  # double products, as PopulateConvolutionQuantizationParams
        return [quant.quantize_multiplier(float(x.q_scale) * float(s) / float(y.q_scale)) for s in w.scale]
    # GetQuantizedConvolutionMultipler: the input*filter product is taken in float first
    return [quant.quantize_multiplier(float(np.float32(x.q_scale) * np.float32(w.q_scale)) / float(y.q_scale))]


def _emit(op: Op, g: Graph, ctx) -> Layer:
    x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    out_f, in_f = w.shape
    per_channel = len(w.scale) > 1
    pairs = multipliers(x, w, y)
    bias = g.tensors[op.inputs[2]].data.astype(np.int64) if len(op.inputs) == 3 and op.inputs[2] >= 0 else np.zeros(out_f, np.int64)
    folded = quant.wrap_int32(bias - x.q_zero * w.data.astype(np.int64).sum(axis=1))
    act = quant.activation_range(op.options.get("FusedActivationFunction", 0), y.q_scale, y.q_zero)
    batches = x.size // in_f
    io = (ctx.ptr(op.inputs[0], const=True), ctx.ptr(op.outputs[0]))
    if packs(ctx, w.data, "fc"):
        full = pairs if per_channel else pairs * out_f
        fm, fs = [m for m, _ in full], [s for _, s in full]
        consts = variants.constant_channels(w.data, bias, x.q_zero, fm, fs, y.q_zero, *act)
        return packed_fc(ctx, x, y, w.data, folded, fm, fs, consts, act, batches, io)
    before = ctx.flash_bytes
    clustered = compress.emit(ctx, w.data, "fc")  # <= 16 values per row: 4-bit indices + codebook (compress.py)
    choice = clustered[0] if clustered else (variants.plain_fc_choice(ctx.arch) if ctx.arch in variants.FAST_ARCHS
                                             else variants.fc_choice(ctx.arch, in_f, out_f))
    params = dict(batches=batches, in_features=in_f, out_features=out_f, output_offset=y.q_zero,
                  act_min=act[0], act_max=act[1], per_channel=int(per_channel),
                  weights="NULL" if clustered else ctx.array("int8_t", w.data, "weights"))
    storage_bytes = ctx.flash_bytes - before
    ms = [m for m, _ in pairs], [s for _, s in pairs]
    if per_channel:  # the folded bias, multiplier and shift per output (compact where the arch expands them)
        params.update(requant_arrays(ctx, folded, *ms, choice.const_shape))
    else:  # one multiplier and shift: 4 bytes of bias per output
        params.update(bias=ctx.array("int32_t", folded, "bias"), mult=ctx.array("int32_t", ms[0], "mult"),
                      shift=ctx.array("int32_t", ms[1], "shift"))
    if choice.scratch_bytes:
        params["scratch"] = ctx.scratch(choice.scratch_bytes)
    if clustered:
        params.update(clustered[1])
    name = ctx.params("tfedge_fc_params", params)
    call = f"{ctx.kernel_function(choice, 'tfedge_fc_params', name)}(&{name}, {io[0]}, {io[1]});"
    return Layer(kernel=choice.kernel, call=call, macs=int(batches * in_f * out_f), variant=choice.variant,
                 variant_reason=choice.reason, storage="codebook4" if clustered else "int8", storage_bytes=storage_bytes)


register("FULLY_CONNECTED", _validate, _emit)
