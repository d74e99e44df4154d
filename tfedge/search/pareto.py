"""Which trials meet the budget, the Pareto front among them, the winner per board, and — when none
qualifies — the closest trials with what each exceeds."""

from __future__ import annotations

from tfedge.search.space import BUDGET_KEYS, OBJECTIVES, SearchSpace, within_budget


def measured(records: list[dict]) -> list[dict]:
    """One record per measured trial (a cached repeat of the same parameters is left out)."""
    return [r for r in records if r["status"] == "done" and not r.get("cached") and "accuracy" in r["metrics"]]


def feasible(space: SearchSpace, records: list[dict]) -> list[dict]:
    return [r for r in measured(records) if not within_budget(space, r["metrics"])]


def _signed(space: SearchSpace, record: dict) -> list[float]:
    """The objectives as values to minimize."""
    out = []
    for name in space.objectives:
        key, direction = OBJECTIVES[name]
        value = float(record["metrics"][key])
        out.append(-value if direction == "max" else value)
    return out


def pareto_front(space: SearchSpace, records: list[dict]) -> list[dict]:
    """The non-dominated records over the space's objectives (ties kept), by accuracy, best first."""
    points = [(r, _signed(space, r)) for r in records]
    front = []
    for r, p in points:
        dominated = any(all(a <= b for a, b in zip(q, p)) and any(a < b for a, b in zip(q, p)) for _, q in points)
        if not dominated:
            front.append(r)
    return sorted(front, key=lambda r: (-r["metrics"]["accuracy"], r["metrics"].get("ms", 0)))


def winners(front: list[dict]) -> dict[str, dict]:
    """Per board: the most accurate front trial (the fastest among equals)."""
    best: dict[str, dict] = {}
    for r in sorted(front, key=lambda r: (-r["metrics"]["accuracy"], r["metrics"].get("ms", 0))):
        best.setdefault(r["params"]["board"], r)
    return best


def excess(space: SearchSpace, record: dict) -> float:
    """How far a trial is over the budget: the sum of relative excesses (a model that does not fit: infinite)."""
    m = record["metrics"]
    if record["status"] != "done" or not m.get("fits", False) or "accuracy" not in m:
        return float("inf")
    return sum(max(0.0, m[BUDGET_KEYS[k]] / limit - 1.0) for k, limit in (space.budget or {}).items() if limit > 0)


def closest(space: SearchSpace, records: list[dict], n: int = 3) -> list[dict]:
    """The `n` measured trials nearest to the budget (then the most accurate)."""
    ranked = sorted(measured(records) or [r for r in records if r["status"] == "done"],
                    key=lambda r: (excess(space, r), -r["metrics"].get("accuracy", 0.0)))
    return ranked[:n]


def halving_score(space: SearchSpace, step1: dict) -> float:
    """What ASHA ranks a trial on after its short training: the float accuracy, minus the relative
    excess of its early board cost over the budget (minus 10 when it does not fit the board), so the
    candidates stopped early are the inaccurate or the over-budget ones, not merely the small ones."""
    if step1.get("early_fits") is False:
        return step1["float_accuracy"] - 10.0
    over = sum(max(0.0, step1[f"early_{BUDGET_KEYS[k]}"] / limit - 1.0) for k, limit in (space.budget or {}).items()
               if limit > 0 and f"early_{BUDGET_KEYS[k]}" in step1)
    return step1["float_accuracy"] - over
