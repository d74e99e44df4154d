"""Resource variables (streaming models): VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE, initialised once by
a CALL_ONCE init subgraph, as TFLM's MicroResourceVariables run them.

The reader accepts the init subgraphs (VAR_HANDLE + ASSIGN_VARIABLE of constants only) and keeps their
values; `resolve` then turns each variable (one per container/shared name) into a variable tensor of the
main graph: READ_VARIABLE and ASSIGN_VARIABLE take it as their first input, VAR_HANDLE and CALL_ONCE
disappear. A variable tensor lives in the arena for the whole invoke and keeps its bytes between invokes
(planner); tfedge_model_init writes the initial value (codegen.EmitContext.state), which is when
TFLM's CALL_ONCE runs the init subgraph in effect (before the first invoke reads anything)."""

from __future__ import annotations

import numpy as np

from tfedge.compiler.graph import Graph, Tensor
from tfedge.errors import ModelError

REWRITTEN = ("VAR_HANDLE", "CALL_ONCE")  # ops `resolve` removes (READ/ASSIGN_VARIABLE stay, ops/resource.py)


def _key(op) -> tuple[str, str]:
    def text(v) -> str:
        return v.decode("utf-8", "replace") if isinstance(v, (bytes, bytearray)) else str(v or "")
    return text(op.options.get("Container")), text(op.options.get("SharedName"))


def is_init_subgraph(sg: Graph) -> bool:
    """Only VAR_HANDLEs and ASSIGN_VARIABLEs of constants (what the converter emits for initial values)."""
    handles = {op.outputs[0] for op in sg.ops if op.kind == "VAR_HANDLE" and len(op.outputs) == 1}
    return all(op.kind == "VAR_HANDLE" or (op.kind == "ASSIGN_VARIABLE" and len(op.inputs) == 2
                                           and op.inputs[0] in handles and sg.tensors[op.inputs[1]].is_const)
               for op in sg.ops)


def initial_values(subgraphs: list[Graph]) -> dict[tuple[str, str], Tensor]:
    inits: dict[tuple[str, str], Tensor] = {}
    for sg in subgraphs:
        handle = {op.outputs[0]: _key(op) for op in sg.ops if op.kind == "VAR_HANDLE"}
        for op in sg.ops:
            if op.kind == "ASSIGN_VARIABLE":
                inits[handle[op.inputs[0]]] = sg.tensors[op.inputs[1]]
    return inits


def resolve(g: Graph) -> None:
    handles = {op.outputs[0]: _key(op) for op in g.ops if op.kind == "VAR_HANDLE" and len(op.outputs) == 1}
    if not handles:
        return
    variables: dict[tuple[str, str], int] = {}
    for op in g.ops:
        if op.kind not in ("READ_VARIABLE", "ASSIGN_VARIABLE") or not op.inputs or op.inputs[0] not in handles:
            continue
        key = handles[op.inputs[0]]
        if key not in variables:
            like = g.tensors[op.outputs[0] if op.kind == "READ_VARIABLE" and op.outputs else op.inputs[-1]]
            variables[key] = _new_variable(g, key, like)
        op.inputs = [variables[key]] + op.inputs[1:]
    g.ops = [op for op in g.ops if op.kind not in REWRITTEN]


def _new_variable(g: Graph, key: tuple[str, str], like: Tensor) -> int:
    """A variable tensor shaped and quantized like the values read from / assigned to it."""
    init = g.variable_inits.get(key)
    if init is None:
        initial = np.zeros(like.shape, like.dtype if not like.dtype.startswith("unsupported") else np.int8)
    elif init.dtype != like.dtype or init.size != like.size:
        raise ModelError(f"resource variable '{key[1]}': its initial value is {init.dtype} {init.shape}, but the "
                         f"model reads/assigns {like.dtype} {like.shape}")
    else:
        initial = init.data.reshape(like.shape)
    t = Tensor(index=len(g.tensors), name=key[1] or f"variable{len(g.tensors)}", shape=like.shape, dtype=like.dtype,
               scale=like.scale, zero_point=like.zero_point, variable=True, initial=initial)
    g.tensors.append(t)
    return t.index
