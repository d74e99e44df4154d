"""The compiler's graph IR: what the reader produces and the passes, validation, planner and codegen use.

Small on purpose: tensors (shape, dtype, quantization incl. per-channel axis, constant data) and
operators (builtin kind and options as a plain dict) of the model's single subgraph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str  # numpy dtype name ("int8", "int32", "float32", ...) or "unsupported:<tflite type>"
    scale: np.ndarray | None = None  # float32, one entry per tensor or per channel
    zero_point: np.ndarray | None = None  # int64, same length as scale
    quant_axis: int = 0
    data: np.ndarray | None = None  # constant contents (shaped), None for activations
    alias_of: int | None = None  # set by the alias pass: this tensor shares the storage of another
    variable: bool = False  # state kept across invokes (LSTM hidden/cell state): TFLM's variable tensors
    initial: np.ndarray | None = None  # a resource variable's value from its CALL_ONCE init subgraph

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def quantized(self) -> bool:
        return self.scale is not None and len(self.scale) > 0

    @property
    def q_scale(self) -> float:
        """The per-tensor scale (float32 value as a Python float)."""
        return float(self.scale[0])

    @property
    def q_zero(self) -> int:
        return int(self.zero_point[0]) if self.zero_point is not None and len(self.zero_point) else 0

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(self.dtype).itemsize


@dataclass
class Op:
    index: int  # operator index in the .tflite (kept for messages)
    kind: str  # builtin operator name, e.g. "CONV_2D"
    inputs: list[int]  # tensor indices, -1 for an omitted optional input
    outputs: list[int]
    options: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"{self.kind}#{self.index}"


@dataclass
class Graph:
    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]
    name: str = "model"
    variable_inits: dict = field(default_factory=dict)  # (container, shared name) -> Tensor of the init subgraph
    dropped_channels: dict = field(default_factory=dict)  # operator index -> passes.drop_unread_channels' note

    def producers(self) -> dict[int, Op]:
        return {t: op for op in self.ops for t in op.outputs}

    def consumers(self) -> dict[int, list[Op]]:
        users: dict[int, list[Op]] = {}
        for op in self.ops:
            for t in op.inputs:
                if t >= 0:
                    users.setdefault(t, []).append(op)
        return users

    def storage(self, index: int) -> int:
        """The tensor whose buffer `index` uses (follows alias chains)."""
        seen = 0
        while self.tensors[index].alias_of is not None and seen < len(self.tensors):
            index = self.tensors[index].alias_of
            seen += 1
        return index
