"""The int16x8 path of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: int16 activations (zero point 0),
int8 weights, int64 bias, int64 accumulators (TFLM's int16 ConvPerChannel / DepthwiseConvPerChannel /
FullyConnected). Registered on the type axis (ops.register_type); validation is the int8 rule of conv.py /
fully_connected.py called with the int16x8 types, so every geometry and weight check is shared."""

from __future__ import annotations

from tfedge.compiler import quant
from tfedge.compiler.arch import kernel_folder
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register_type
from tfedge.compiler.ops import conv, fully_connected

INT16 = ("int16",)


def _has_bias(op: Op) -> bool:
    return len(op.inputs) == 3 and op.inputs[2] >= 0


def _bias(op: Op, g: Graph, ctx) -> str:
    return ctx.array("int64_t", g.tensors[op.inputs[2]].data, "bias") if _has_bias(op) else "NULL"


def _emit_conv(op: Op, g: Graph, ctx, depthwise: bool) -> Layer:
    x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    geo = conv.geometry(op, g)
    in_c, out_c = x.shape[3], y.shape[3]
    mults, shifts = conv.quant_arrays(op, g, out_c)
    act_min, act_max = quant.activation_range(op.options.get("FusedActivationFunction", 0), y.q_scale, 0, "int16")
    kernel = "depthwise_conv_s16_nhwc" if depthwise else "conv_s16_nhwc"
    fields = dict(
        batches=x.shape[0], in_c=in_c, out_c=out_c, depth_multiplier=out_c // in_c if depthwise else 1,
        act_min=act_min, act_max=act_max, weights=ctx.array("int8_t", w.data, "weights"), bias=_bias(op, g, ctx),
        mult=ctx.array("int32_t", mults, "mult"), shift=ctx.array("int32_t", shifts, "shift"), **geo)
    per_out = geo["k_h"] * geo["k_w"] * (1 if depthwise else in_c)
    folder = kernel_folder(ctx.arch, kernel)
    dsp = not depthwise and folder != "portable"
    if dsp:  # the DSP / Helium kernel's im2col window
        fields["scratch"] = ctx.scratch(2 * per_out)
    name = ctx.params("tfedge_conv_s16_params", fields)
    call = (f"{kernel}(&{name}, {ctx.ptr(op.inputs[0], 'int16_t', const=True)}, "
            f"{ctx.ptr(op.outputs[0], 'int16_t')});")
    return Layer(kernel=kernel, call=call, macs=int(x.shape[0] * geo["out_h"] * geo["out_w"] * out_c * per_out),
                 variant=folder,  # (set here: the arch-path label would replace the reason)
                 variant_reason=_reason(folder, depthwise, per_out, fields["depth_multiplier"]))


def _reason(folder: str, depthwise: bool, per_out: int, multiplier: int) -> str:
    if folder == "portable" or (depthwise and (multiplier != 1 or per_out > 511)):
        return "int16x8: int64 accumulators (reference loop)"
    if depthwise:  # mve/depthwise_conv_s16_nhwc.c
        return "int16x8: 4 channels as lanes, VMUL + VADD per tap (int32 sums, exact up to 511 taps), int64 requantization"
    return (f"int16x8: im2col window of {per_out} values ({2 * per_out} B scratch), "
            + ("4 channels per pass, VMLALDAVA.S16 (int64)" if folder == "mve" else "2 channels per pass, SMLALD (int64)"))


def _emit_fc(op: Op, g: Graph, ctx) -> Layer:
    x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    out_f, in_f = w.shape
    pairs = fully_connected.multipliers(x, w, y)
    act_min, act_max = quant.activation_range(op.options.get("FusedActivationFunction", 0), y.q_scale, 0, "int16")
    name = ctx.params("tfedge_fc_s16_params", dict(
        batches=x.size // in_f, in_features=in_f, out_features=out_f, act_min=act_min, act_max=act_max,
        per_channel=int(len(pairs) > 1), weights=ctx.array("int8_t", w.data, "weights"), bias=_bias(op, g, ctx),
        mult=ctx.array("int32_t", [m for m, _ in pairs], "mult"), shift=ctx.array("int32_t", [s for _, s in pairs], "shift")))
    call = (f"fully_connected_s16(&{name}, {ctx.ptr(op.inputs[0], 'int16_t', const=True)}, "
            f"{ctx.ptr(op.outputs[0], 'int16_t')});")
    dsp = kernel_folder(ctx.arch, "fully_connected_s16") != "portable"
    return Layer(kernel="fully_connected_s16", call=call, macs=int(x.size // in_f * in_f * out_f),
                 variant_reason="int16x8: 2 rows per pass, SMLALD (int64)" if dsp else
                 "int16x8: int64 accumulators (reference loop)")


# The int8 rules with the int16x8 types: every shape, option and weight check is shared.
register_type("CONV_2D", "int16", lambda op, g: conv._validate(op, g, False, INT16, "int64"),
              lambda op, g, ctx: _emit_conv(op, g, ctx, False))
register_type("DEPTHWISE_CONV_2D", "int16", lambda op, g: conv._validate(op, g, True, INT16, "int64"),
              lambda op, g, ctx: _emit_conv(op, g, ctx, True))
register_type("FULLY_CONNECTED", "int16", lambda op, g: fully_connected._validate(op, g, INT16, "int64"), _emit_fc)
