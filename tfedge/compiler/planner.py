"""Static memory plan: one activation arena, offsets chosen greedily by size (like TFLM's
GreedyMemoryPlanner, which the plan must never exceed), with three savings TFLM does not make:

- in place: a layer may write its output over an input whose last use it is (inplace.py); the two
  tensors then form one buffer (size = the larger, life = the union);
- scratch: a layer's temporaries (the row ring of an in-place convolution, the im2col / widened-input
  buffer of a DSP kernel) are buffers of the plan, live during that layer only (a residual block run
  by rows: during the whole block), so they reuse arena space other layers need;
- order: for branching graphs (residual blocks) the layer order with the smallest arena is chosen
  (schedule.py), which also decides which inputs die where and so what can run in place.

A buffer lives from the layer that writes it to the last layer that reads it (aliases such as
RESHAPE share their source's buffer and extend its life). Graph inputs live from the start, graph
outputs to the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.inplace import FusedBlock, InPlace, find_fused_blocks, find_inplace

ALIGN = 16  # TFLM aligns every buffer to 16 bytes; keeps float inputs and any future SIMD path aligned


@dataclass
class Buffer:
    tensor: int  # storage tensor index (the group's first tensor for in-place groups; -1 - layer for scratch)
    size: int
    first: int  # first layer index that needs it (-1: before the first layer, for inputs)
    last: int  # last layer index that needs it
    offset: int = 0
    tensors: list[int] = field(default_factory=list)  # every storage tensor sharing this buffer
    label: str = ""  # what a buffer without a tensor holds (compile report)


@dataclass
class Plan:
    buffers: dict[int, Buffer]  # group tensor -> buffer
    arena_bytes: int
    group: dict[int, int] = field(default_factory=dict)  # storage tensor -> group tensor
    scratch: dict[int, Buffer] = field(default_factory=dict)  # layer index -> its scratch buffer
    kernel_scratch: dict[int, Buffer] = field(default_factory=dict)  # layer index -> its kernel's scratch buffer
    inplace: dict[int, InPlace] = field(default_factory=dict)  # layer index -> how it runs in place
    fused: dict[int, FusedBlock] = field(default_factory=dict)  # first layer index -> residual block run by rows
    fused_away: set[int] = field(default_factory=set)  # storage tensors a fused block never materialises
    stage: object = None  # patches.Stage: the first layers run in row bands (its line buffers: scratch[0])
    within: dict[int, int] = field(default_factory=dict)  # storage tensor -> its offset inside its group's buffer
    tables: dict[int, Buffer] = field(default_factory=dict)  # layer index -> its expanded requantization tables

    def all_buffers(self) -> list[Buffer]:
        """Every buffer of the plan once (a patch stage's layers share one kernel scratch buffer)."""
        return distinct([*self.buffers.values(), *self.scratch.values(), *self.kernel_scratch.values(),
                         *self.tables.values()])

    def offset(self, graph: Graph, tensor: int) -> int:
        s = graph.storage(tensor)
        if s in self.fused_away:
            return 0  # only named in the unused per-layer calls of a fused block
        key = self.group.get(s, s)
        st = self.stage
        if st is not None and st.over_input is not None and key in (st.tensors[0], st.tensors[-1]):
            # the stage output from the shared buffer's start, the stage input over_input bytes in
            return self.buffers[st.tensors[0]].offset + (st.over_input if key == st.tensors[0] else 0)
        return self.buffers[key].offset + self.within.get(s, 0)


def distinct(buffers: list[Buffer]) -> list[Buffer]:
    return list({id(b): b for b in buffers}.values())


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def plan_memory(graph: Graph, layers: list[Op], *, inplace: bool = True,
                excluded: frozenset[int] = frozenset(), kernel_scratch: Mapping[int, int] | None = None,
                stage=None, tables: Mapping[int, int] | None = None) -> Plan:
    """The arena plan for layers run in this order. inplace=False: every tensor gets its own buffer
    (TFLM's plan); `excluded` layers never run in place; `kernel_scratch`: bytes of kernel scratch
    (im2col, widened inputs) per operator index (Op.index), which codegen learns from the variants.
    `stage` (patches.Stage): layers 0..stage.last run as one patch stage: its whole buffers live through
    it, its intermediates exist only as line buffers (one scratch buffer), its kernels share one scratch.
    `tables`: bytes per operator index of the requantization tables model.c expands into the arena before the
    layer's first call (codegen.EmitContext.expanded): live from that call (the patch stage's or residual
    block's first layer) to the layer's last."""
    end = len(layers)
    span = (lambda i: (0, stage.last) if i <= stage.last else (i, i)) if stage else (lambda i: (i, i))
    if stage:
        excluded = excluded | frozenset(stage.layers)
    fused = {i: b for i, b in find_fused_blocks(graph, layers).items() if not {i, i + 1, i + 2} & excluded} if inplace else {}
    in_blocks = {k for i in fused for k in (i, i + 1, i + 2)}
    fused_away = {graph.storage(layers[i].outputs[0]) for b in fused.values() for i in (b.conv1, b.conv2)}
    fused_away |= stage.internal if stage else set()
    in_groups = frozenset(t for b in fused.values() for t in (b.x, graph.storage(layers[b.add].outputs[0])))
    if stage:
        in_groups |= frozenset(graph.storage(t) for t in stage.tensors)
    decisions = find_inplace(graph, layers, excluded | in_blocks, in_groups) if inplace else {}
    # a convolution whose output is larger than its input writes over it from the buffer's start, the input
    # lying at its end (inplace.find_inplace: such a source shares its buffer with nothing else)
    within = {d.source: d.in_offset for d in decisions.values() if d.in_offset}
    # Each output that overwrites its source joins the source's group, in layer order, so that chains
    # resolve to one buffer: an ADD after an in-place conv, or a fused block whose X is the output of an
    # earlier fused block or in-place layer (consecutive residual blocks).
    sources = {b.add: b.x for b in fused.values()} | {i: d.source for i, d in decisions.items()}
    group: dict[int, int] = {}
    for i in sorted(sources):
        src = sources[i]
        group[graph.storage(layers[i].outputs[0])] = group.get(src, src)
    buffers: dict[int, Buffer] = {}

    def touch(tensor: int, when: int) -> None:
        t = graph.tensors[tensor]
        if t.is_const:
            return
        s = graph.storage(tensor)
        if s in fused_away:
            return
        key = group.get(s, s)
        size = _align(max(within.get(s, 0) + graph.tensors[s].nbytes, 1))
        if stage and stage.over_input is not None and key == stage.tensors[-1]:  # one buffer with the stage input
            key = stage.tensors[0]  # (with the layers that then run in place over the stage output)
        elif stage and stage.over_input is not None and key == stage.tensors[0]:
            size = _align(stage.over_input + graph.tensors[s].nbytes)
        b = buffers.get(key)
        if b is None:
            buffers[key] = Buffer(key, size, when, when, tensors=[s])
        else:
            b.first, b.last, b.size = min(b.first, when), max(b.last, when), max(b.size, size)
            if s not in b.tensors:
                b.tensors.append(s)

    for t in graph.inputs:
        touch(t, -1)
    for i, op in enumerate(layers):
        for t in [*(t for t in op.inputs if t >= 0), *op.outputs]:
            for when in span(i):
                touch(t, when)
    for t in graph.outputs:
        touch(t, end)
    for t in {t for op in layers for t in op.inputs if t >= 0 and graph.tensors[t].variable}:
        touch(t, -1)  # state (variable tensors) keeps its bytes between invokes: no other buffer may share them
        touch(t, end)
    scratch = {i: Buffer(-1 - i, _align(d.scratch_bytes), i, i, label=f"row ring of layer {i}")
               for i, d in decisions.items() if d.scratch_bytes}
    for i, b in fused.items():  # ring of B rows, then one row of C
        scratch[i] = Buffer(-1 - i, _align(b.ring_bytes) + _align(b.row_bytes), i, b.add,
                            label=f"row ring of the residual block at layer {i}")
    if stage:  # the line buffers of the patch stage
        scratch[0] = Buffer(-1, _align(stage.scratch_bytes), 0, stage.last, label="patch stage line buffers")
    block_of = {k: i for i, b in fused.items() for k in range(i, b.add + 1)}
    kernel = {}
    stage_need = max([(kernel_scratch or {}).get(layers[i].index, 0) for i in stage.layers] if stage else [0])
    shared = Buffer(-1 - end, _align(stage_need), 0, stage.last, label="kernel scratch of the patch stage") if stage_need else None
    for i, op in enumerate(layers):
        need = (kernel_scratch or {}).get(op.index, 0)
        if need and stage and i <= stage.last:  # one kernel of the stage runs at a time: one buffer for all
            kernel[i] = shared
        elif need:  # inside a residual block run by rows the kernel runs throughout the block's one call
            first = block_of.get(i, i)
            last = fused[first].add if i in block_of else i
            kernel[i] = Buffer(-1 - end - i, _align(need), first, last, label=f"kernel scratch of layer {i}")

    expanded = {}
    for i, op in enumerate(layers):
        need = (tables or {}).get(op.index, 0)
        if need:
            first, last = span(i) if stage and i <= stage.last else (
                (block_of[i], fused[block_of[i]].add) if i in block_of else (i, i))
            expanded[i] = Buffer(-2 - 2 * end - i, _align(need), first, last, label=f"expanded tables of layer {i}")

    placed: list[Buffer] = []
    # Largest first; ties by earliest start keep the plan deterministic.
    for b in sorted(distinct([*buffers.values(), *scratch.values(), *kernel.values(), *expanded.values()]),
                    key=lambda b: (-b.size, b.first, b.tensor)):
        overlapping = sorted((p for p in placed if p.first <= b.last and b.first <= p.last), key=lambda p: p.offset)
        offset = 0
        for p in overlapping:
            if offset + b.size <= p.offset:
                break
            offset = max(offset, p.offset + p.size)
        b.offset = offset
        placed.append(b)
    arena = max((b.offset + b.size for b in placed), default=0)
    return Plan(buffers, max(arena, ALIGN), group, scratch, kernel, decisions, fused, fused_away, stage, within, expanded)
