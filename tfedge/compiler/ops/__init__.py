"""The op registry: what the compiler supports, one entry per TFLite builtin.

Adding an op = one kernel file in firmware/runtime/portable/ (+ its prototype in tfedge_kernels.h)
+ one `register(...)` call here-under with a `validate` rule and an `emit` function
(see docs/compiler.md). Validation returns problems as strings (all are reported at once);
emit returns the C call of one layer and writes the layer's constant data through the EmitContext.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from tfedge.compiler.graph import Graph, Op


@dataclass
class Layer:
    """One call in the generated invoke()."""
    kernel: str  # C function called
    call: str  # the C statement (without trailing newline)
    macs: int = 0
    variant: str = "portable"
    variant_reason: str = ""  # why this kernel variant (compile report)
    effective_macs: int | None = None  # MACs the kernel executes (constant channels skipped); None: = macs
    storage: str = ""  # conv/depthwise/FC weight storage: int8, int16 (widened at compile time) or codebook4
    storage_bytes: int = 0  # the bytes of that weight array (or codebook and indices)
    paths: tuple[str, ...] = ()  # optional code paths of the kernel this layer calls (model.h TFEDGE_MODEL_USES_*)
    tables_note: str = ""  # its requantization tables: compact in flash and expanded, or whole and why (codegen)
    mve_conv: tuple[dict, int, int | None] | None = None  # (geo, in_c, out_c; None: clustered) of a Helium CONV_2D: codegen sets its paths once it knows
    # the layer's calls (variants_mve.conv2d_call_paths: per call's pixel count)


@dataclass(frozen=True)
class OpSpec:
    kind: str
    validate: Callable[[Op, Graph], list[str]]
    emit: Callable | None  # (op, graph, ctx) -> Layer; None for aliases (no code)
    alias: bool = False  # the output shares the input's buffer (RESHAPE & co)


REGISTRY: dict[str, OpSpec] = {}


def register(kind: str, validate: Callable[[Op, Graph], list[str]], emit: Callable | None, *, alias: bool = False) -> None:
    REGISTRY[kind] = OpSpec(kind, validate, emit, alias)


def op_type(op: Op, g: Graph) -> str:
    """The type an op is dispatched on: its first (activation) input's, else its output's."""
    t = op.inputs[0] if op.inputs and op.inputs[0] >= 0 else (op.outputs[0] if op.outputs else -1)
    return g.tensors[t].dtype if 0 <= t < len(g.tensors) else ""


def register_type(kind: str, dtype: str, validate: Callable[[Op, Graph], list[str]], emit: Callable) -> None:
    """The type axis for ops whose int16 path is a module of its own (conv/FC: int64 accumulators, other
    kernels and parameter structs): ops of `kind` whose op_type is `dtype` use these rules, the others
    keep the kind's existing entry. Ops whose types differ only in kernel suffix and clamp range handle
    every type in their one module instead (ops/common.py: activation(types=...), kernel_for)."""
    base = REGISTRY[kind]

    def pick(op: Op, g: Graph) -> tuple[Callable, Callable | None]:
        return (validate, emit) if op_type(op, g) == dtype else (base.validate, base.emit)

    REGISTRY[kind] = OpSpec(kind, lambda op, g: pick(op, g)[0](op, g), lambda op, g, ctx: pick(op, g)[1](op, g, ctx),
                            base.alias)


def _load() -> None:
    # Importing the modules runs their register() calls.
    from tfedge.compiler.ops import activations, conv, elementwise, fully_connected, pool, quantize, shape, softmax, tensor_ops  # noqa: F401
    from tfedge.compiler.ops import batch_matmul, binary_math, data_movement, lut, transpose_conv  # noqa: F401
    from tfedge.compiler.ops import conv_s16  # noqa: F401  (after conv, fully_connected: their int16 paths)
    from tfedge.compiler.ops import relu_s16  # noqa: F401  (after activations: RELU/RELU6 int16)
    from tfedge.compiler.ops import arg_minmax, cast, lstm, resource  # noqa: F401


_load()
