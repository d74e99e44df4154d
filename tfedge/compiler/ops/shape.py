"""RESHAPE, SQUEEZE, EXPAND_DIMS: no code, the output is an alias of the input's buffer."""

from __future__ import annotations

from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import register
from tfedge.compiler.ops.common import where


def _validate(op: Op, g: Graph) -> list[str]:
    if not op.inputs or op.inputs[0] < 0 or len(op.outputs) != 1:
        return [f"{where(op)}: expected a data input and one output"]
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    problems = []
    if x.dtype != y.dtype:
        problems.append(f"{where(op)}: input is {x.dtype}, output is {y.dtype}")
    if x.size != y.size:
        problems.append(f"{where(op)}: reshapes {x.size} elements into {y.size}")
    if x.quantized and y.quantized and (x.q_scale != y.q_scale or x.q_zero != y.q_zero):
        problems.append(f"{where(op)}: input and output quantization differ")
    return problems


for _kind in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS"):
    register(_kind, _validate, None, alias=True)
