"""BATCH_MATMUL, int8 or int16x8 (both operands of one type, activations or constants), ranks 2-5 with
broadcast batch dimensions, adj_x/adj_y; the multiplier as TFLM's GetQuantizedConvolutionMultipler (scale
product in float, division in double). int16: batch_matmul_s16, int64 accumulators as TFLM's
BatchMatMul<int16_t, int64_t>."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import quant, variants_mve
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.common import C_TYPES, INT8_INT16, activation, arity, kernel_for, prepare_ok, same_type, shape_is, where
from tfedge.compiler.ops.elementwise import _operand_ok

F32 = np.float32


def _layout(op: Op, g: Graph) -> dict:
    """The kernel's loop geometry, or ValueError when the shapes do not multiply."""
    a, b = g.tensors[op.inputs[0]].shape, g.tensors[op.inputs[1]].shape
    if not (2 <= len(a) <= 5 and 2 <= len(b) <= 5):
        raise ValueError(f"operand ranks {len(a)}, {len(b)} (2 to 5 supported)")
    rank = max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + tuple(a), (1,) * (rank - len(b)) + tuple(b)
    adj_x, adj_y = bool(op.options.get("AdjX", False)), bool(op.options.get("AdjY", False))
    rows, depth = (a[-1], a[-2]) if adj_x else (a[-2], a[-1])
    depth_b, cols = (b[-1], b[-2]) if adj_y else (b[-2], b[-1])
    if depth != depth_b:
        raise ValueError(f"shapes {a} and {b} do not multiply (adj_x={adj_x}, adj_y={adj_y})")
    batch = []
    for da, db in zip(a[:-2], b[:-2]):
        if da != db and 1 not in (da, db):
            raise ValueError(f"batch dimensions of {a} and {b} do not broadcast")
        batch.append(max(da, db))
    lead = 3 - len(batch)

    def strides(shape: tuple) -> list[int]:
        step, out = shape[-1] * shape[-2], []
        for d in reversed(shape[:-2]):
            out.insert(0, step if d > 1 else 0)
            step *= d
        return [0] * lead + out
    return dict(batch_dims=[1] * lead + batch, lhs_batch_strides=strides(a), rhs_batch_strides=strides(b),
                rows=rows, cols=cols, depth=depth,
                lhs_row_stride=1 if adj_x else a[-1], lhs_k_stride=a[-1] if adj_x else 1,
                rhs_k_stride=1 if adj_y else b[-1], rhs_col_stride=b[-1] if adj_y else 1,
                out_shape=tuple(batch) + (rows, cols))


def _validate(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (2,))
    if problems:
        return problems
    problems += _operand_ok(op, g, op.inputs[0], "lhs") + _operand_ok(op, g, op.inputs[1], "rhs")
    problems += activation(op, g, op.outputs[0], "output", INT8_INT16) + same_type(op, g, op.inputs + op.outputs)
    if problems:
        return problems
    try:
        layout = _layout(op, g)
    except ValueError as exc:
        return [f"{where(op)}: {exc}"]
    return shape_is(op, g, op.outputs[0], layout["out_shape"]) or prepare_ok(op, lambda: _multiplier(op, g))


def _multiplier(op: Op, g: Graph) -> tuple[int, int]:
    """GetQuantizedConvolutionMultipler: the scale product in float, the division in double."""
    a, b, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    return quant.quantize_multiplier(float(F32(a.q_scale) * F32(b.q_scale)) / float(y.q_scale))


def _emit(op: Op, g: Graph, ctx) -> Layer:
    a, b, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    p = _layout(op, g)
    out_shape = p.pop("out_shape")
    p["mult"], p["shift"] = _multiplier(op, g)
    p.update(lhs_offset=-a.q_zero, rhs_offset=-b.q_zero, output_offset=y.q_zero)
    kernel, ctype = kernel_for("batch_matmul", y.dtype), C_TYPES[y.dtype]
    variant, reason = "portable", ""
    if ctx.arch == "mve" and y.dtype == "int8":  # Helium: packed operands and column sums in scratch
        p["scratch"] = ctx.scratch(variants_mve.batch_matmul_scratch(p))
        variant, reason = "mve", variants_mve.BATCH_MATMUL_REASON
    name = ctx.params("tfedge_batch_matmul_params", p)
    macs = int(np.prod(out_shape, dtype=np.int64)) * p["depth"]
    return Layer(kernel=kernel, macs=macs, variant=variant, variant_reason=reason,
                 call=f"{kernel}(&{name}, {ctx.ptr(op.inputs[0], ctype, const=True)}, "
                      f"{ctx.ptr(op.inputs[1], ctype, const=True)}, {ctx.ptr(op.outputs[0], ctype)});")


register("BATCH_MATMUL", _validate, _emit)
