"""Operator scheduling: the execution order with the smallest planned arena.

In a branching graph (a residual block: conv -> conv on one path, a 1x1 projection on the other)
the order decides which tensors are live together and which input dies where (so what can run in
place). Topological orders are enumerated depth-first, the file's order first, each one planned
exactly; the search stops after MAX_ORDERS plans (plain chains have a single order).
"""

from __future__ import annotations

from collections.abc import Mapping

from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.planner import Plan, plan_memory

MAX_ORDERS = 200


def _dependencies(g: Graph, layers: list[Op]) -> list[set[int]]:
    writer = {g.storage(t): i for i, op in enumerate(layers) for t in op.outputs}
    deps = [{writer[g.storage(t)] for t in op.inputs if t >= 0 and g.storage(t) in writer and writer[g.storage(t)] != i}
            for i, op in enumerate(layers)]
    previous: dict[int, int] = {}  # ops on one variable tensor (READ/ASSIGN_VARIABLE, state) keep the file's order
    for i, op in enumerate(layers):
        for t in op.inputs:
            if t >= 0 and g.tensors[t].variable:
                if t in previous:
                    deps[i].add(previous[t])
                previous[t] = i
    return deps


def topological_orders(g: Graph, layers: list[Op], limit: int = MAX_ORDERS) -> list[list[int]]:
    """Up to `limit` orders of range(len(layers)) that respect data dependencies, the given order first."""
    deps = _dependencies(g, layers)
    orders: list[list[int]] = []
    order: list[int] = []
    done = [False] * len(layers)

    def visit() -> None:
        if len(orders) >= limit:
            return
        if len(order) == len(layers):
            orders.append(list(order))
            return
        for i in range(len(layers)):
            if not done[i] and all(done[d] for d in deps[i]):
                done[i] = True
                order.append(i)
                visit()
                order.pop()
                done[i] = False
                if len(orders) >= limit:
                    return

    visit()
    return orders


def schedule(g: Graph, layers: list[Op], *, excluded_ops: frozenset[int] = frozenset(),
             kernel_scratch: Mapping[int, int] | None = None, stage=None,
             tables: Mapping[int, int] | None = None) -> tuple[list[Op], Plan]:
    """(layers in the chosen order, its plan). `excluded_ops`: operator indices that must not run in place;
    `kernel_scratch`: kernel scratch bytes per operator index (planner.plan_memory); `stage`: a patch
    stage over the first layers of `layers` (patches.py), kept first in every order; `tables`: expanded
    requantization table bytes per operator index (planner.plan_memory)."""
    best: tuple[int, list[Op], Plan] | None = None
    for order in topological_orders(g, layers):
        if stage and order[:stage.last + 1] != list(stage.layers):
            continue
        ordered = [layers[i] for i in order]
        excluded = frozenset(k for k, op in enumerate(ordered) if op.index in excluded_ops)
        plan = plan_memory(g, ordered, excluded=excluded, kernel_scratch=kernel_scratch, stage=stage, tables=tables)
        if best is None or plan.arena_bytes < best[0]:
            best = (plan.arena_bytes, ordered, plan)
    if best is None:  # no layers
        return layers, plan_memory(g, layers, kernel_scratch=kernel_scratch, stage=stage, tables=tables)
    return best[1], best[2]
