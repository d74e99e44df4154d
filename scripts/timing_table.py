#!/usr/bin/env python3
"""Fast vs precise timing model on the shared models: est. cycles per MAC with each, and what makes them
differ, from the precise model's own breakdown (tfedge.emulate.cycles.precise_terms / fast_terms).

    scripts/timing_table.py [--out timing-out] [--boards B,..] [--models M,..]

One `tfedge flash` run per model x board (precise mode; the fast estimate comes from the same counts).
Writes OUT/timing.json (every term per model x board) and OUT/timing.md (the table). The shared models
are looked for in ../shared/models or $TFEDGE_REFERENCE_MODELS (docs/cycle_model.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tfedge.boards import load_board  # noqa: E402
from tfedge.emulate.cycles import explain_difference, fast_terms, precise_terms  # noqa: E402
from tfedge.emulate.flash import flash_model  # noqa: E402

MODELS = ["kws_ref_model", "pretrainedResnet_quant", "ad01_int8", "vww_96_int8"]
BOARDS = ["stm32f405", "stm32l4r5", "stm32h743", "stm32u585", "mps3-an547"]


def models_dir() -> Path:
    env = os.environ.get("TFEDGE_REFERENCE_MODELS")
    return Path(env) if env else ROOT.parent / "shared" / "models"


def compare(model: Path, board_name: str) -> dict:
    board = load_board(board_name)
    with tempfile.TemporaryDirectory(prefix="tfedge-timing-") as tmp:
        m = flash_model(model, board, None, progress=False, compare=False, out_dir=Path(tmp), timing="precise")
    counts = m["instruction_classes"]
    precise, fast = precise_terms(counts, board), fast_terms(counts, board)
    macs = m["total_macs"]
    return {
        "model": model.stem, "board": board_name, "core": board.core, "macs": macs,
        "instructions": m["instructions_per_inference"],
        "fast_cycles": sum(fast.values()), "precise_cycles": sum(precise.values()),
        "fast_cycles_per_mac": sum(fast.values()) / macs, "precise_cycles_per_mac": sum(precise.values()) / macs,
        "precise_terms": precise, "fast_terms": fast,
        "why": explain_difference(counts, board),
        "counts": {k: counts.get(k, 0) for k in ("dflash_miss", "icache_miss", "fetch_nonseq", "stall", "dual",
                                                 "mve_wait", "btaken", "bmiss", "bindirect", "bxlr")},
    }


def table(rows: list[dict]) -> str:
    lines = ["| model | board | core | fast cyc/MAC | precise cyc/MAC | change | why (largest terms, share of fast) |",
             "|---|---|---|---:|---:|---:|---|"]
    for r in rows:
        change = r["precise_cycles"] / r["fast_cycles"] - 1
        why = "; ".join(f"{cause} {share:+.1%}" for cause, share in r["why"]) or "-"
        lines.append(f"| {r['model']} | {r['board']} | {r['core']} | {r['fast_cycles_per_mac']:.3f} | "
                     f"{r['precise_cycles_per_mac']:.3f} | {change:+.1%} | {why} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="timing-out")
    ap.add_argument("--boards", default=",".join(BOARDS))
    ap.add_argument("--models", default=",".join(MODELS))
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in a.models.split(","):
        model = models_dir() / f"{name}.tflite"
        if not model.is_file():
            print(f"skipping {name}: {model} not found (set TFEDGE_REFERENCE_MODELS)", file=sys.stderr)
            continue
        for board in a.boards.split(","):
            rows.append(compare(model, board))
            print(f"{name} {board}: {rows[-1]['fast_cycles_per_mac']:.3f} -> {rows[-1]['precise_cycles_per_mac']:.3f} "
                  f"cycles/MAC", file=sys.stderr)
    (out / "timing.json").write_text(json.dumps(rows, indent=1))
    (out / "timing.md").write_text(table(rows))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
