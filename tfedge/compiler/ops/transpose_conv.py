"""TRANSPOSE_CONV (Keras Conv2DTranspose), int8 or int16x8 activations with per-tensor or per-channel int8
weights: inputs (output_shape, weights [out_c, k_h, k_w, in_c], input, [bias: int32, int64 for int16x8]).
Prepare as TFLM's: the padding that a forward convolution of the output's size would use, per-channel
multipliers in double. One module for both types (the type is the input's, operand 2, so not the
registry's operand-0 type axis): transpose_conv_s8 or transpose_conv_s16 (int64 accumulators)."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import quant, variants_mve
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.common import (INT8_INT16, activation, activation_ok, const_input, out_size, pad_before,
                                        positive_ints, prepare_ok, same_type, shape_is, where)

BIAS = {"int8": "int32", "int16": "int64"}


def _validate(op: Op, g: Graph) -> list[str]:
    if len(op.inputs) not in (3, 4) or len(op.outputs) != 1:
        return [f"{where(op)}: expected 3 or 4 inputs (output shape, weights, input, bias) and one output"]
    problems = const_input(op, g, op.inputs[0], "output shape", "int32", rank=1)
    problems += const_input(op, g, op.inputs[1], "filter", "int8", rank=4)
    problems += activation(op, g, op.inputs[2], "input", INT8_INT16) + activation(op, g, op.outputs[0], "output", INT8_INT16)
    problems += same_type(op, g, [op.inputs[2], op.outputs[0]])
    if len(op.inputs) == 4 and op.inputs[3] >= 0 and not problems:
        problems += const_input(op, g, op.inputs[3], "bias", BIAS[g.tensors[op.inputs[2]].dtype], rank=1)
    problems += activation_ok(op)
    o = op.options
    problems += positive_ints(op, stride_h=o.get("StrideH", 1), stride_w=o.get("StrideW", 1))
    if problems:
        return problems
    shape, w, x = g.tensors[op.inputs[0]].data.ravel(), g.tensors[op.inputs[1]], g.tensors[op.inputs[2]]
    y = g.tensors[op.outputs[0]]
    if len(x.shape) != 4 or len(shape) != 4:
        return [f"{where(op)}: expects an NHWC input and a 4-element output shape"]
    problems += shape_is(op, g, op.outputs[0], tuple(int(d) for d in shape))
    out_c = w.shape[0]
    if w.shape[3] != x.shape[3] or y.shape[3] != out_c or y.shape[0] != x.shape[0]:
        problems.append(f"{where(op)}: filter {w.shape} does not fit input {x.shape} and output {y.shape}")
    if not w.quantized or len(w.scale) not in (1, out_c) or np.any(w.zero_point != 0):
        problems.append(f"{where(op)}: filter must be symmetric int8, per tensor or per output channel")
    if len(op.inputs) == 4 and op.inputs[3] >= 0 and g.tensors[op.inputs[3]].shape != (out_c,):
        problems.append(f"{where(op)}: bias has shape {g.tensors[op.inputs[3]].shape}; expected ({out_c},)")
    if o.get("Padding", 0) not in (0, 1):
        problems.append(f"{where(op)}: unknown padding {o.get('Padding')}")
    return problems or prepare_ok(op, lambda: _multipliers(op, g))


def _multipliers(op: Op, g: Graph) -> list[tuple[int, int]]:
    """PopulateConvolutionQuantizationParams: input_scale * filter_scale[c] / output_scale in double."""
    w, x, y = (g.tensors[i] for i in (op.inputs[1], op.inputs[2], op.outputs[0]))
    scales = np.broadcast_to(w.scale, (w.shape[0],)) if len(w.scale) == 1 else w.scale
    return [quant.quantize_multiplier(float(x.q_scale) * float(s) / float(y.q_scale)) for s in scales]


def _emit(op: Op, g: Graph, ctx) -> Layer:
    w, x, y = (g.tensors[i] for i in (op.inputs[1], op.inputs[2], op.outputs[0]))
    o = op.options
    sh, sw, padding = o.get("StrideH", 1), o.get("StrideW", 1), o.get("Padding", 0)
    k_h, k_w, out_c = w.shape[1], w.shape[2], w.shape[0]
    # TFLM: ComputePaddingHeightWidth(stride, dilation 1, the OUTPUT's height/width, filter, padding)
    pad_top = pad_before(y.shape[1], k_h, sh, 1, out_size(padding, y.shape[1], k_h, sh, 1))
    pad_left = pad_before(y.shape[2], k_w, sw, 1, out_size(padding, y.shape[2], k_w, sw, 1))
    rq = _multipliers(op, g)
    dtype = x.dtype
    act_min, act_max = quant.activation_range(o.get("FusedActivationFunction", 0), y.q_scale, y.q_zero, dtype)
    has_bias = len(op.inputs) == 4 and op.inputs[3] >= 0
    p = dict(batches=x.shape[0], in_h=x.shape[1], in_w=x.shape[2], in_c=x.shape[3], out_h=y.shape[1],
             out_w=y.shape[2], out_c=out_c, k_h=k_h, k_w=k_w, stride_h=sh, stride_w=sw, dil_h=1, dil_w=1,
             pad_top=pad_top, pad_left=pad_left, act_min=act_min, act_max=act_max,
             weights=ctx.ptr(op.inputs[1], const=True),
             bias=ctx.array(f"{BIAS[dtype]}_t", g.tensors[op.inputs[3]].data, "bias") if has_bias else "NULL",
             mult=ctx.array("int32_t", [m for m, _ in rq], "mult"), shift=ctx.array("int32_t", [s for _, s in rq], "shift"))
    macs = x.size * out_c * k_h * k_w
    if dtype == "int16":  # zero points 0: no offsets
        name = ctx.params("tfedge_conv_s16_params", dict(p, depth_multiplier=1, scratch="NULL"))
        return Layer(kernel="transpose_conv_s16", macs=macs, variant_reason="int16x8: int64 accumulators",
                     call=f"transpose_conv_s16(&{name}, {ctx.ptr(op.inputs[2], 'int16_t', const=True)}, "
                          f"{ctx.ptr(op.outputs[0], 'int16_t')});")
    fields, variant, reason = {}, "portable", ""
    if ctx.arch == "mve":  # Helium: prepared phase weights, effective biases and a column scratch
        fields, reason = variants_mve.transpose_conv_fields(ctx, w.data, g.tensors[op.inputs[3]].data if has_bias else None,
                                                            -x.q_zero, sh, sw)
        variant = "mve"
    name = ctx.params("tfedge_conv_params", dict(p, input_offset=-x.q_zero, output_offset=y.q_zero, **fields))
    return Layer(kernel="transpose_conv_s8", macs=macs, variant=variant, variant_reason=reason,
                 call=f"transpose_conv_s8(&{name}, {ctx.ptr(op.inputs[2], const=True)}, {ctx.ptr(op.outputs[0])});")


register("TRANSPOSE_CONV", _validate, _emit)
