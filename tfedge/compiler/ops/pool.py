"""AVERAGE_POOL_2D and MAX_POOL_2D."""

from __future__ import annotations

from tfedge.compiler import quant
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.common import (C_TYPES, INT8_INT16, act_type, activation, activation_ok, arity, kernel_for,
                                        out_size, pad_before, positive_ints, same_quant, same_type, shape_is, where)


def _geometry(op: Op, g: Graph) -> dict:
    x = g.tensors[op.inputs[0]]
    o = op.options
    _, in_h, in_w, _ = x.shape
    k_h, k_w, sh, sw = o.get("FilterHeight", 1), o.get("FilterWidth", 1), o.get("StrideH", 1), o.get("StrideW", 1)
    pad = o.get("Padding", 0)
    out_h, out_w = out_size(pad, in_h, k_h, sh, 1), out_size(pad, in_w, k_w, sw, 1)
    return dict(in_h=in_h, in_w=in_w, k_h=k_h, k_w=k_w, stride_h=sh, stride_w=sw, out_h=out_h, out_w=out_w,
                pad_top=pad_before(in_h, k_h, sh, 1, out_h) if pad == 0 else 0,
                pad_left=pad_before(in_w, k_w, sw, 1, out_w) if pad == 0 else 0)


def _validate(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (1,))
    if problems:
        return problems
    problems += activation(op, g, op.inputs[0], "input", INT8_INT16) + activation(op, g, op.outputs[0], "output", INT8_INT16)
    problems += activation_ok(op) + same_type(op, g, op.inputs + op.outputs)
    o = op.options
    problems += positive_ints(op, filter_h=o.get("FilterHeight", 0), filter_w=o.get("FilterWidth", 0),
                              stride_h=o.get("StrideH", 0), stride_w=o.get("StrideW", 0))
    if o.get("Padding", 0) not in (0, 1):
        problems.append(f"{where(op)}: unknown padding {o.get('Padding')}")
    if problems:
        return problems
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    if len(x.shape) != 4:
        return [f"{where(op)}: input has shape {x.shape}; expected NHWC"]
    if not same_quant(x, y):
        return [f"{where(op)}: input and output quantization differ (TFLM requires them equal)"]
    geo = _geometry(op, g)
    if geo["out_h"] < 1 or geo["out_w"] < 1:
        return [f"{where(op)}: output would be empty"]
    return shape_is(op, g, op.outputs[0], (x.shape[0], geo["out_h"], geo["out_w"], x.shape[3]))


def _emitter(base: str):
    def emit(op: Op, g: Graph, ctx) -> Layer:
        x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
        dtype = act_type(g, op.inputs[0])
        kernel, ctype = kernel_for(base, dtype), C_TYPES[dtype]
        geo = _geometry(op, g)
        act_min, act_max = quant.activation_range(op.options.get("FusedActivationFunction", 0), y.q_scale, y.q_zero, dtype)
        name = ctx.params("tfedge_pool_params", dict(batches=x.shape[0], channels=x.shape[3], act_min=act_min,
                                                     act_max=act_max, **geo))
        call = f"{kernel}(&{name}, {ctx.ptr(op.inputs[0], ctype, const=True)}, {ctx.ptr(op.outputs[0], ctype)});"
        # arm_dsp/avg_pool_s8.c sums 4 channels per word for windows of <= 256 taps; others its portable loop
        slow = kernel == "avg_pool_s8" and (x.shape[3] % 4 or geo["k_h"] * geo["k_w"] > 256)
        paths = ("AVG_POOL_REF",) if ctx.arch == "dsp" and slow else ()
        return Layer(kernel=kernel, call=call, macs=int(y.size * geo["k_h"] * geo["k_w"]), paths=paths)
    return emit


register("AVERAGE_POOL_2D", _validate, _emitter("avg_pool"))
register("MAX_POOL_2D", _validate, _emitter("max_pool"))
