"""Data-movement and reduction ops: CONCATENATION, PAD/PADV2, MEAN, SUM, REDUCE_MAX, REDUCE_MIN,
RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR (CONCATENATION, PAD, RESIZE_NEAREST_NEIGHBOR and MEAN also on
int16: the copies work on bytes, MEAN has its int16 kernel)."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import quant
from tfedge.compiler.fixedpoint import trunc_div
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.common import (C_TYPES, INT8_INT16, act_type, activation, arity, const_input,
                                        kernel_for, prepare_ok, same_quant, same_type, shape_is, where)

F32 = np.float32


def _prod(values) -> int:
    return int(np.prod(values, dtype=np.int64)) if len(values) else 1


# ---- CONCATENATION ---------------------------------------------------------------------------------

def _concat_axis(op: Op, g: Graph) -> int:
    rank = len(g.tensors[op.outputs[0]].shape)
    axis = int(op.options.get("Axis", 0))
    return axis + rank if axis < 0 else axis


def _validate_concat(op: Op, g: Graph) -> list[str]:
    if not op.inputs or len(op.outputs) != 1:
        return [f"{where(op)}: expected inputs and one output"]
    problems = activation(op, g, op.outputs[0], "output", INT8_INT16) + same_type(op, g, op.inputs + op.outputs)
    for k, t in enumerate(op.inputs):
        problems += activation(op, g, t, f"input {k}", INT8_INT16) if not (t >= 0 and g.tensors[t].is_const) else []
    if op.options.get("FusedActivationFunction", 0) != 0:
        problems.append(f"{where(op)}: fused activation is not supported on CONCATENATION")
    if problems:
        return problems
    y = g.tensors[op.outputs[0]]
    axis = _concat_axis(op, g)
    if not 0 <= axis < len(y.shape):
        return [f"{where(op)}: axis {op.options.get('Axis')} out of range"]
    shapes = [g.tensors[t].shape for t in op.inputs]
    if any(len(s) != len(y.shape) or s[:axis] != y.shape[:axis] or s[axis + 1:] != y.shape[axis + 1:] for s in shapes):
        return [f"{where(op)}: input shapes {shapes} cannot be concatenated on axis {axis}"]
    if any(not g.tensors[t].quantized or not same_quant(g.tensors[t], y) for t in op.inputs):
        return [f"{where(op)}: inputs must share the output's quantization (TFLM copies bytes)"]
    expected = list(y.shape)
    expected[axis] = sum(s[axis] for s in shapes)
    return shape_is(op, g, op.outputs[0], tuple(expected))


def _emit_concat(op: Op, g: Graph, ctx) -> Layer:
    y = g.tensors[op.outputs[0]]
    axis = _concat_axis(op, g)
    item = np.dtype(y.dtype).itemsize  # concat_s8 copies bytes: int16 rows are twice as long
    sizes = [_prod(g.tensors[t].shape[axis:]) * item for t in op.inputs]
    ptrs = [f"(const int8_t *){p}" if g.tensors[t].is_const and item > 1 else p
            for t, p in ((t, ctx.ptr(t, const=True)) for t in op.inputs)]
    table = f"l{ctx.layer}_inputs"
    ctx.decls.append(f"static const int8_t *const {table}[{len(ptrs)}] = {{{', '.join(ptrs)}}};")
    name = ctx.params("tfedge_concat_params", dict(outer=_prod(y.shape[:axis]), num_inputs=len(ptrs),
                                                   sizes=ctx.array("int32_t", sizes, "sizes"), inputs=table))
    return Layer(kernel="concat_s8", call=f"concat_s8(&{name}, {ctx.ptr(op.outputs[0])});", macs=0,
                 variant_reason="byte copies" if item == 1 else "byte copies of int16 rows")


# ---- PAD -------------------------------------------------------------------------------------------

def _validate_pad(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (2, 3))
    if problems:
        return problems
    problems += activation(op, g, op.inputs[0], "input", INT8_INT16) + activation(op, g, op.outputs[0], "output", INT8_INT16)
    problems += same_type(op, g, [op.inputs[0], op.outputs[0]])
    problems += const_input(op, g, op.inputs[1], "paddings", g.tensors[op.inputs[1]].dtype if op.inputs[1] >= 0 else "int32")
    if len(op.inputs) == 3:
        problems += const_input(op, g, op.inputs[2], "constant value", g.tensors[op.outputs[0]].dtype)
    if problems:
        return problems
    x, pads = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]].data
    if pads.dtype not in (np.int32, np.int64) or pads.shape != (len(x.shape), 2) or len(x.shape) > 4:
        return [f"{where(op)}: paddings {pads.shape} unsupported for input rank {len(x.shape)} (up to 4-D)"]
    if np.any(pads < 0) or np.any(pads > 1 << 16):
        return [f"{where(op)}: negative or huge paddings are not supported"]
    if len(op.inputs) == 3 and g.tensors[op.inputs[2]].size != 1:
        return [f"{where(op)}: constant value must be a scalar"]
    if x.dtype == "int16" and len(op.inputs) == 3 and int(g.tensors[op.inputs[2]].data.ravel()[0]) != 0:
        return [f"{where(op)}: an int16 PADV2 constant must be 0 (the zero point; pad_s8 fills bytes)"]
    if not same_quant(x, g.tensors[op.outputs[0]]):
        return [f"{where(op)}: input and output quantization differ"]
    return shape_is(op, g, op.outputs[0], tuple(int(d + a + b) for d, (a, b) in zip(x.shape, pads)))


def _emit_pad(op: Op, g: Graph, ctx) -> Layer:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    pads = g.tensors[op.inputs[1]].data.astype(np.int64)
    lead = 4 - len(x.shape)
    in_dims = [1] * lead + list(x.shape)
    out_dims = [1] * lead + list(y.shape)
    before = [0] * lead + [int(p) for p in pads[:, 0]]
    value = int(g.tensors[op.inputs[2]].data.ravel()[0]) if len(op.inputs) == 3 else y.q_zero
    item = np.dtype(y.dtype).itemsize  # int16: the same byte copies, innermost dimension in bytes (value 0)
    in_dims[3], out_dims[3], before[3] = in_dims[3] * item, out_dims[3] * item, before[3] * item
    name = ctx.params("tfedge_pad_params", dict(in_dims=in_dims, out_dims=out_dims, before=before, value=value))
    return Layer(kernel="pad_s8", call=f"pad_s8(&{name}, {ctx.ptr(op.inputs[0], const=True)}, {ctx.ptr(op.outputs[0])});",
                 variant_reason="" if item == 1 else "byte copies of int16 rows")


# ---- MEAN / SUM / REDUCE_MAX / REDUCE_MIN -----------------------------------------------------------------------------

def _axes(op: Op, g: Graph) -> list[int] | None:
    x = g.tensors[op.inputs[0]]
    axes = sorted({int(a) + len(x.shape) if a < 0 else int(a) for a in g.tensors[op.inputs[1]].data.ravel()})
    if not axes or axes[0] < 0 or axes[-1] >= len(x.shape) or axes != list(range(axes[0], axes[-1] + 1)):
        return None
    return axes


def _validate_reduce(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (2,))
    if problems:
        return problems
    types = INT8_INT16 if op.kind == "MEAN" else ("int8",)
    problems += activation(op, g, op.inputs[0], "input", types) + activation(op, g, op.outputs[0], "output", types)
    problems += same_type(op, g, [op.inputs[0], op.outputs[0]]) + const_input(op, g, op.inputs[1], "axes", "int32")
    if problems:
        return problems
    axes = _axes(op, g)
    if axes is None:
        return [f"{where(op)}: reduction axes {g.tensors[op.inputs[1]].data.ravel().tolist()} must be one contiguous "
                "block of dimensions"]
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    if op.kind in ("REDUCE_MAX", "REDUCE_MIN") and not same_quant(x, y):
        return [f"{where(op)}: input and output quantization differ (TFLM requires them equal)"]
    keep = op.options.get("KeepDims", False)
    expected = tuple(1 if i in axes else d for i, d in enumerate(x.shape)) if keep else \
        tuple(d for i, d in enumerate(x.shape) if i not in axes)
    if op.kind == "SUM":
        return shape_is(op, g, op.outputs[0], expected) or prepare_ok(
            op, lambda: quant.quantize_multiplier(float(x.q_scale) / float(y.q_scale)))
    return shape_is(op, g, op.outputs[0], expected)


def mean_rescale(in_scale: float, in_zero: int, out_scale: float, n: int) -> tuple[int, int, int]:
    """QuantizedMeanOrSum: the input/output multiplier with 1/n folded in (same shift clamping)."""
    mult, shift = quant.quantize_multiplier(float(in_scale) / float(out_scale))
    extra = min(n.bit_length() - 1, 32, 31 + shift)
    return -in_zero * n, (mult << extra) // n, shift - extra


def _mean_hw_keepdims(op: Op, g: Graph) -> bool:
    """TFLM EvalIntegerMean's special case: keep_dims, a 4-D input, axes exactly {1, 2} (with equal
    quantization in and out it rounds; with differing quantization TFLM's result is QuantizedMeanOrSum's)."""
    return (op.kind == "MEAN" and bool(op.options.get("KeepDims", False)) and len(g.tensors[op.inputs[0]].shape) == 4
            and sorted(int(a) % 4 for a in g.tensors[op.inputs[1]].data.ravel()) == [1, 2])


def _emit_reduce(op: Op, g: Graph, ctx) -> Layer:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    axes = _axes(op, g)
    requant = op.kind == "SUM" or (op.kind == "MEAN" and not same_quant(x, y))
    p = dict(outer=_prod(x.shape[:axes[0]]), reduce=_prod(x.shape[axes[0]:axes[-1] + 1]),
             inner=_prod(x.shape[axes[-1] + 1:]), requant=int(requant), sum_offset=0, mult=0, shift=0,
             output_zp=y.q_zero)
    if op.kind == "SUM" or (_mean_hw_keepdims(op, g) and not requant):
        # SUM: QuantizedMeanOrSum with compute_sum; MEAN over H and W of a 4-D tensor with keep_dims and equal
        # quantization: TFLM divides rounding, not truncating (reference_integer_ops::Mean; measured: the
        # truncating mean differed from TFLM on 504 of 3,840 outputs). Both rescale the sum by the plain
        # input/output multiplier (identity for MEAN here); the MEAN then divides by n, rounding (requant 2).
        p["mult"], p["shift"] = quant.quantize_multiplier(float(x.q_scale) / float(y.q_scale))
        p["sum_offset"] = -x.q_zero * p["reduce"]
        p["requant"] = 1 if op.kind == "SUM" else 2
    elif requant:
        p["sum_offset"], p["mult"], p["shift"] = mean_rescale(x.q_scale, x.q_zero, y.q_scale, p["reduce"])
    dtype = act_type(g, op.inputs[0])
    base = {"MEAN": "mean", "SUM": "mean", "REDUCE_MAX": "reduce_max", "REDUCE_MIN": "reduce_min"}[op.kind]
    kernel, ctype = kernel_for(base, dtype), C_TYPES[dtype]
    name = ctx.params("tfedge_reduce_params", p)
    # arm_dsp/mean_s8.c sums 4 inner elements per word; fewer than 4 run its portable loop, linked only then
    paths = ("MEAN_REF",) if ctx.arch == "dsp" and kernel == "mean_s8" and p["inner"] < 4 else ()
    return Layer(kernel=kernel, call=f"{kernel}(&{name}, {ctx.ptr(op.inputs[0], ctype, const=True)}, "
                 f"{ctx.ptr(op.outputs[0], ctype)});", macs=x.size, paths=paths)


# ---- RESIZE_NEAREST_NEIGHBOR -----------------------------------------------------------------------

def _validate_resize(op: Op, g: Graph, types: tuple[str, ...] = INT8_INT16) -> list[str]:
    """RESIZE_NEAREST_NEIGHBOR moves int8 or int16 channel vectors (bytes); RESIZE_BILINEAR is int8 only
    (TFLM's int16 bilinear fails to run the converter's int16x8 model)."""
    problems = arity(op, (2,))
    if problems:
        return problems
    problems += activation(op, g, op.inputs[0], "input", types) + activation(op, g, op.outputs[0], "output", types)
    problems += same_type(op, g, [op.inputs[0], op.outputs[0]])
    problems += const_input(op, g, op.inputs[1], "size", "int32")
    if problems:
        return problems
    x, size = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]].data.ravel()
    if len(x.shape) != 4 or size.shape != (2,) or np.any(size < 1) or np.any(size > 1 << 14):
        return [f"{where(op)}: expects an NHWC input and a 2-element positive size"]
    if not same_quant(x, g.tensors[op.outputs[0]]):
        return [f"{where(op)}: input and output quantization differ"]
    return shape_is(op, g, op.outputs[0], (x.shape[0], int(size[0]), int(size[1]), x.shape[3]))


def nearest_sources(in_size: int, out_size: int, align_corners: bool, half_pixel: bool) -> list[int]:
    """TFLite GetNearestNeighbor, evaluated in float32 like the kernel."""
    if align_corners and out_size > 1:
        scale = F32(in_size - 1) / F32(out_size - 1)
    else:
        scale = F32(in_size) / F32(out_size)
    offset = F32(0.5) if half_pixel else F32(0.0)
    result = []
    for i in range(out_size):
        v = (F32(i) + offset) * scale  # >= 0, so TfLiteRound is floor(v + 0.5)
        src = int(np.floor(float(v) + 0.5)) if align_corners else int(np.floor(v))
        src = min(src, in_size - 1)
        if half_pixel:
            src = max(0, src)
        result.append(src)
    return result


def _emit_resize(op: Op, g: Graph, ctx) -> Layer:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    ac, hp = bool(op.options.get("AlignCorners", False)), bool(op.options.get("HalfPixelCenters", False))
    p = dict(batches=x.shape[0], in_h=x.shape[1], in_w=x.shape[2], out_h=y.shape[1], out_w=y.shape[2],
             channels=x.shape[3] * np.dtype(x.dtype).itemsize,  # bytes per pixel: int16 vectors are copied as bytes
             src_y=ctx.array("int32_t", nearest_sources(x.shape[1], y.shape[1], ac, hp), "srcy"),
             src_x=ctx.array("int32_t", nearest_sources(x.shape[2], y.shape[2], ac, hp), "srcx"))
    name = ctx.params("tfedge_resize_params", p)
    return Layer(kernel="resize_nearest_s8",
                 call=f"resize_nearest_s8(&{name}, {ctx.ptr(op.inputs[0], const=True)}, {ctx.ptr(op.outputs[0])});")


def bilinear_taps(in_size: int, out_size: int, align_corners: bool, half_pixel: bool) -> tuple[list, list, list]:
    """TFLM ResizeBilinearInteger's source positions in 1/1024: (lower, upper, weight of upper) per output
    index (C integer division truncates toward zero)."""
    scale = ((1 << 10) * in_size + out_size // 2) // out_size
    if align_corners and out_size > 1:
        scale = ((1 << 10) * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    lo, hi, w = [], [], []
    for i in range(out_size):
        v = i * scale + scale // 2 - (1 << 9) if half_pixel else i * scale
        lo.append(max(trunc_div(v, 1 << 10), 0))
        hi.append(min(trunc_div(v + (1 << 10) - 1, 1 << 10), in_size - 1))
        w.append(v - (1 << 10) * lo[-1])
    return lo, hi, w


def _emit_bilinear(op: Op, g: Graph, ctx) -> Layer:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    ac, hp = bool(op.options.get("AlignCorners", False)), bool(op.options.get("HalfPixelCenters", False))
    p = dict(batches=x.shape[0], in_h=x.shape[1], in_w=x.shape[2], channels=x.shape[3], out_h=y.shape[1], out_w=y.shape[2])
    for axis, names in ((1, ("y0", "y1", "wy")), (2, ("x0", "x1", "wx"))):
        for name, values in zip(names, bilinear_taps(x.shape[axis], y.shape[axis], ac, hp)):
            p[name] = ctx.array("int32_t", values, name)
    name = ctx.params("tfedge_resize_bilinear_params", p)
    return Layer(kernel="resize_bilinear_s8", macs=4 * y.size,
                 call=f"resize_bilinear_s8(&{name}, {ctx.ptr(op.inputs[0], const=True)}, {ctx.ptr(op.outputs[0])});")


def _validate_bilinear(op: Op, g: Graph) -> list[str]:
    problems = _validate_resize(op, g, ("int8",))
    if not problems and op.options.get("AlignCorners", False) and op.options.get("HalfPixelCenters", False):
        problems.append(f"{where(op)}: align_corners and half_pixel_centers together (TFLM requires one at most)")
    return problems


register("CONCATENATION", _validate_concat, _emit_concat)
register("PAD", _validate_pad, _emit_pad)
register("PADV2", _validate_pad, _emit_pad)
register("MEAN", _validate_reduce, _emit_reduce)
register("REDUCE_MAX", _validate_reduce, _emit_reduce)
register("SUM", _validate_reduce, _emit_reduce)
register("REDUCE_MIN", _validate_reduce, _emit_reduce)
register("RESIZE_NEAREST_NEIGHBOR", _validate_resize, _emit_resize)
register("RESIZE_BILINEAR", _validate_bilinear, _emit_bilinear)
