"""Static memory plan: one activation arena, offsets chosen greedily by size (like TFLM's
GreedyMemoryPlanner, which the plan must never exceed).

A buffer lives from the layer that writes it to the last layer that reads it (aliases such as
RESHAPE share their source's buffer and extend its life). Graph inputs live from the start, graph
outputs to the end.
"""

from __future__ import annotations

from dataclasses import dataclass

from tfedge.compiler.graph import Graph, Op

ALIGN = 16  # TFLM aligns every buffer to 16 bytes; keeps float inputs and any future SIMD path aligned


@dataclass
class Buffer:
    tensor: int  # storage tensor index
    size: int
    first: int  # first layer index that needs it (-1: before the first layer, for inputs)
    last: int  # last layer index that needs it
    offset: int = 0


@dataclass
class Plan:
    buffers: dict[int, Buffer]
    arena_bytes: int

    def offset(self, graph: Graph, tensor: int) -> int:
        return self.buffers[graph.storage(tensor)].offset


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def plan_memory(graph: Graph, layers: list[Op]) -> Plan:
    end = len(layers)
    buffers: dict[int, Buffer] = {}

    def touch(tensor: int, when: int) -> None:
        t = graph.tensors[tensor]
        if t.is_const:
            return
        s = graph.storage(tensor)
        b = buffers.get(s)
        if b is None:
            buffers[s] = Buffer(s, _align(max(graph.tensors[s].nbytes, 1)), when, when)
        else:
            b.first, b.last = min(b.first, when), max(b.last, when)

    for t in graph.inputs:
        touch(t, -1)
    for i, op in enumerate(layers):
        for t in op.inputs:
            if t >= 0:
                touch(t, i)
        for t in op.outputs:
            touch(t, i)
    for t in graph.outputs:
        touch(t, end)

    placed: list[Buffer] = []
    # Largest first; ties by earliest start keep the plan deterministic.
    for b in sorted(buffers.values(), key=lambda b: (-b.size, b.first, b.tensor)):
        overlapping = sorted((p for p in placed if p.first <= b.last and b.first <= p.last), key=lambda p: p.offset)
        offset = 0
        for p in overlapping:
            if offset + b.size <= p.offset:
                break
            offset = max(offset, p.offset + p.size)
        b.offset = offset
        placed.append(b)
    arena = max((b.offset + b.size for b in placed), default=0)
    return Plan(buffers, max(arena, ALIGN))
