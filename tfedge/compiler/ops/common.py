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


# The type axis of the registry: the activation types an op accepts. int16 activations are TFLM's
# int16x8 scheme: symmetric (zero point 0), int8 weights, int64 bias for conv/FC.
INT8 = ("int8",)
INT8_INT16 = ("int8", "int16")
C_TYPES = {"int8": "int8_t", "int16": "int16_t", "uint8": "uint8_t", "int32": "int32_t", "float32": "float"}
SUFFIX = {"int8": "s8", "int16": "s16", "uint8": "u8"}
RANGES = {"int8": (-128, 127), "int16": (-32768, 32767), "uint8": (0, 255)}  # uint8: model I/O around QUANTIZE


def activation(op: Op, g: Graph, index: int, what: str, types: tuple[str, ...] = INT8) -> list[str]:
    """A per-tensor quantized, non-constant tensor of one of `types` (int16: zero point 0)."""
    if index < 0:
        return [f"{where(op)}: {what} is missing"]
    t = g.tensors[index]
    if t.dtype not in types:
        hint = {"float32": " (a float model: export it fully int8, e.g. `tfedge export` with a representative dataset)",
                "int16": " (an int16x8 model: tfedge compiles this op in int8 only; export without --int16x8)"}.get(t.dtype, "")
        return [f"{where(op)}: {what} '{t.name}' is {t.dtype}; tfedge supports {' or '.join(types)} activations here{hint}"]
    if not t.quantized:
        return [f"{where(op)}: {what} '{t.name}' has no quantization parameters"]
    if len(t.scale) != 1:
        return [f"{where(op)}: {what} '{t.name}' is quantized per channel; activations must be per tensor"]
    lo, hi = (0, 0) if t.dtype == "int16" else RANGES[t.dtype]
    if not (t.q_scale > 0 and np.isfinite(t.q_scale)) or not lo <= t.q_zero <= hi:
        return [f"{where(op)}: {what} '{t.name}' has invalid quantization (scale {t.q_scale}, zero point {t.q_zero}"
                f"{'; int16 activations must be symmetric' if t.dtype == 'int16' else ''})"]
    return []


def int8_activation(op: Op, g: Graph, index: int, what: str) -> list[str]:
    """An int8, per-tensor quantized, non-constant tensor."""
    return activation(op, g, index, what, INT8)


def same_type(op: Op, g: Graph, indices, what: str = "inputs and output") -> list[str]:
    """Every tensor of `indices` (non-constant ones) has one type: no mixed int8/int16 op."""
    types = {g.tensors[i].dtype for i in indices if i >= 0}
    return [f"{where(op)}: {what} mix types {sorted(types)}; expected one"] if len(types) > 1 else []


def act_type(g: Graph, index: int) -> str:
    """The activation type of tensor `index` ('int8' or 'int16'): picks an op's `<kernel>_s8`/`_s16`."""
    return g.tensors[index].dtype


def kernel_for(base: str, dtype: str) -> str:
    return f"{base}_{SUFFIX[dtype]}"


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
