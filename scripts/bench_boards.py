#!/usr/bin/env python3
"""Benchmark the shared reference models on every board (every core): flash, RAM, instructions per
inference, instructions per MAC, estimated cycles and ms at the board clock. Prints a table and saves JSON.

    .venv/bin/python scripts/bench_boards.py [--boards mps2-an386,microbit] [--inputs 3] [--out bench_boards.json]

Instructions are exact (QEMU plugin); cycles and ms are estimates (docs/cycle_model.md). Models that do
not fit a board are listed with the region that overflows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tfedge.boards import all_boards, load_board  # noqa: E402
from tfedge.compiler import load_graph  # noqa: E402
from tfedge.emulate.flash import flash_model  # noqa: E402
from tfedge.errors import DoesNotFitError  # noqa: E402
from tfedge.paths import reference_models_dir  # noqa: E402

MODELS = ["hello_world_int8.tflite", "ad01_int8.tflite", "kws_ref_model.tflite", "pretrainedResnet_quant.tflite"]


def _inputs(tflite: Path, n: int) -> np.ndarray:
    g = load_graph(tflite)
    t = g.tensors[g.inputs[0]]
    info = np.iinfo(np.dtype(t.dtype))
    return np.random.default_rng(0).integers(info.min, info.max + 1, (n, *t.shape)).astype(t.dtype)


def _kb(n: int) -> str:
    return f"{n / 1024:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", help="comma-separated board names (default: every board)")
    parser.add_argument("--models", help="comma-separated model file names (default: the four shared models)")
    parser.add_argument("--inputs", type=int, default=3, help="random inputs per run (outputs checked vs host)")
    parser.add_argument("--opt", default="-O2", choices=["-O2", "-Os", "-O3"])
    parser.add_argument("--out", default="bench_boards.json", help="JSON file to write")
    args = parser.parse_args()

    boards = [load_board(b) for b in args.boards.split(",")] if args.boards else all_boards()
    models = args.models.split(",") if args.models else MODELS
    root = reference_models_dir()
    rows = []
    for model in models:
        tflite = root / model
        if not tflite.is_file():
            print(f"missing model {tflite} (set TFEDGE_REFERENCE_MODELS)", file=sys.stderr)
            return 2
        x = _inputs(tflite, args.inputs)
        for board in boards:
            t0 = time.time()
            try:
                m = flash_model(tflite, board, x, opt=args.opt, progress=False)
            except DoesNotFitError as exc:
                rows.append({"model": model, "board": board.name, "core": board.core, "fits": False,
                             "error": str(exc).splitlines()[1].strip(" -")})
                print(f"{model:32s} {board.name:14s} does not fit", file=sys.stderr)
                continue
            row = {k: v for k, v in m.items() if k not in ("outputs", "layers")}
            row.update(fits=True, layers=m["layers"], wall_seconds=round(time.time() - t0, 2))
            rows.append(row)
            print(f"{model:32s} {board.name:14s} {m['instructions_per_inference']:>12,} instr  "
                  f"{time.time() - t0:5.1f} s", file=sys.stderr)

    header = ("model", "board", "core", "MHz", "flash KB", "RAM KB", "instr/inf", "instr/MAC", "est cycles", "ms", "bit-exact")
    table = [header]
    for r in rows:
        if not r["fits"]:
            table.append((r["model"], r["board"], r["core"], "", "", "", "does not fit:", r["error"], "", "", ""))
            continue
        ipm = f"{r['instructions_per_mac']:.2f}" if r.get("instructions_per_mac") else "-"
        table.append((r["model"], r["board"], r["core"], f"{r['clock_hz'] / 1e6:g}", _kb(r["flash_bytes"]), _kb(r["ram_bytes"]),
                      f"{r['instructions_per_inference']:,}", ipm, f"{r['est_cycles_per_inference']:,}",
                      f"{r['ms_per_inference']:.2f}", "yes" if r.get("mismatches") == 0 else f"NO ({r.get('mismatches')})"))
    widths = [max(len(str(row[i])) for row in table if not (row[6] == "does not fit:" and i == 7)) for i in range(len(header))]
    for k, row in enumerate(table):
        if row[6] == "does not fit:":
            print("  ".join(str(c).ljust(w) for c, w in zip(row[:6], widths[:6])) + "  does not fit: " + row[7])
        else:
            print("  ".join(str(c).rjust(w) if i >= 3 else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if k == 0:
            print("  ".join("-" * w for w in widths))
    out = Path(args.out)
    tmp = out.with_name(out.name + ".partial")
    tmp.write_text(json.dumps({"opt": args.opt, "inputs": args.inputs, "results": rows}, indent=1) + "\n")
    os.replace(tmp, out)
    print(f"\nJSON -> {out}  (cycles and ms are estimates: docs/cycle_model.md)")
    return 0 if all(r.get("mismatches", 0) == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
