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


@dataclass(frozen=True)
class OpSpec:
    kind: str
    validate: Callable[[Op, Graph], list[str]]
    emit: Callable | None  # (op, graph, ctx) -> Layer; None for aliases (no code)
    alias: bool = False  # the output shares the input's buffer (RESHAPE & co)


REGISTRY: dict[str, OpSpec] = {}


def register(kind: str, validate: Callable[[Op, Graph], list[str]], emit: Callable | None, *, alias: bool = False) -> None:
    REGISTRY[kind] = OpSpec(kind, validate, emit, alias)


def _load() -> None:
    # Importing the modules runs their register() calls.
    from tfedge.compiler.ops import activations, conv, elementwise, fully_connected, pool, quantize, shape, softmax, tensor_ops  # noqa: F401
    from tfedge.compiler.ops import batch_matmul, binary_math, data_movement, lut, transpose_conv  # noqa: F401


_load()
