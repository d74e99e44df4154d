"""Checks and arithmetic shared by the op modules."""

from __future__ import annotations

import numpy as np

from tfedge.compiler.graph import Graph, Op, Tensor

ACTIVATIONS = {0: "none", 1: "relu", 2: "relu_n1_to_1", 3: "relu6"}


def where(op: Op) -> str:
    return f"operator {op.index} ({op.kind})"


def arity(op: Op, n_in: tuple[int, ...], n_out: int = 1) -> list[str]:
    if len(op.inputs) not in n_in or len(op.outputs) != n_out:
        return [f"{where(op)}: expected {'/'.join(map(str, n_in))} inputs and {n_out} output, got "
                f"{len(op.inputs)} and {len(op.outputs)}"]
    return []


def int8_activation(op: Op, g: Graph, index: int, what: str) -> list[str]:
    """An int8, per-tensor quantized, non-constant tensor."""
    if index < 0:
        return [f"{where(op)}: {what} is missing"]
    t = g.tensors[index]
    if t.dtype != "int8":
        hint = {"float32": " (a float model: export it fully int8, e.g. `tfedge export` with a representative dataset)",
                "int16": " (an int16x8 model: export with int16x8=False)"}.get(t.dtype, "")
        return [f"{where(op)}: {what} '{t.name}' is {t.dtype}; tfedge supports int8 activations{hint}"]
    if not t.quantized:
        return [f"{where(op)}: {what} '{t.name}' has no quantization parameters"]
    if len(t.scale) != 1:
        return [f"{where(op)}: {what} '{t.name}' is quantized per channel; activations must be per tensor"]
    if not (t.q_scale > 0 and np.isfinite(t.q_scale)) or not -128 <= t.q_zero <= 127:
        return [f"{where(op)}: {what} '{t.name}' has invalid quantization (scale {t.q_scale}, zero point {t.q_zero})"]
    return []


def const_input(op: Op, g: Graph, index: int, what: str, dtype: str, rank: int | None = None) -> list[str]:
    if index < 0:
        return [f"{where(op)}: {what} is missing"]
    t = g.tensors[index]
    if t.data is None:
        return [f"{where(op)}: {what} '{t.name}' must be a constant (non-constant {what} is not supported)"]
    if t.dtype != dtype:
        return [f"{where(op)}: {what} '{t.name}' is {t.dtype}; expected {dtype}"]
    if rank is not None and len(t.shape) != rank:
        return [f"{where(op)}: {what} '{t.name}' has shape {t.shape}; expected rank {rank}"]
    return []


def shape_is(op: Op, g: Graph, index: int, expected: tuple[int, ...], what: str = "output") -> list[str]:
    """The file's shape must equal the computed one: a kernel must never write outside its buffer."""
    got = g.tensors[index].shape
    if tuple(got) != tuple(expected):
        return [f"{where(op)}: {what} '{g.tensors[index].name}' has shape {tuple(got)}, but the op computes {tuple(expected)}"]
    return []


def activation_ok(op: Op) -> list[str]:
    act = op.options.get("FusedActivationFunction", 0)
    if act not in ACTIVATIONS:
        return [f"{where(op)}: fused activation {act} is not supported (only none, RELU, RELU_N1_TO_1, RELU6)"]
    return []


def same_quant(a: Tensor, b: Tensor) -> bool:
    return a.q_scale == b.q_scale and a.q_zero == b.q_zero


def out_size(padding: int, size: int, k: int, stride: int, dil: int) -> int:
    """TFLite ComputeOutSize (padding 0 = SAME, 1 = VALID)."""
    eff = (k - 1) * dil + 1
    if padding == 0:
        return (size + stride - 1) // stride
    return (size + stride - eff) // stride


def pad_before(size: int, k: int, stride: int, dil: int, out: int) -> int:
    """TFLite ComputePaddingWithOffset: the leading padding (the odd pixel goes after)."""
    eff = (k - 1) * dil + 1
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2


def positive_ints(op: Op, **values: int) -> list[str]:
    bad = [f"{k}={v}" for k, v in values.items() if not isinstance(v, int) or not 1 <= v <= 1 << 16]
    return [f"{where(op)}: invalid {', '.join(bad)}"] if bad else []


def unary_int8(op: Op, g: Graph) -> list[str]:
    """An elementwise int8 -> int8 op: one input, one output of the same shape."""
    problems = arity(op, (1,))
    if problems:
        return problems
    problems += int8_activation(op, g, op.inputs[0], "input") + int8_activation(op, g, op.outputs[0], "output")
    return problems or shape_is(op, g, op.outputs[0], g.tensors[op.inputs[0]].shape)


def prepare_ok(op: Op, prepare) -> list[str]:
    """Runs an op's prepare-time arithmetic once during validation: quantization scales far outside any
    real model (a corrupt file) overflow or divide by zero there, and become a problem, not a crash."""
    try:
        prepare()
    except (ArithmeticError, ValueError) as exc:
        return [f"{where(op)}: quantization parameters out of range ({type(exc).__name__}: {exc})"]
    return []
