#!/usr/bin/env python3
"""The "10 % of silicon" end check without CoreMark: scripts/coremix.c (a CoreMark-like mix of list
processing, int16 matrix multiply-accumulate, a state machine over a byte string and CRC-16, written for
tfedge) on one zero-wait board per core, est. cycles per iteration with the fast and the precise model,
set against the cores' published CoreMark/MHz.

    scripts/coremix.py [--out coremix-out] [--opt -O2]

CoreMark/MHz cannot be compared with these cycles directly (a different program); what can be compared
is the RATIO between cores: if the model prices each core right, cycles(M4) / cycles(core) should be
close to CoreMark/MHz(core) / CoreMark/MHz(M4). Writes OUT/coremix.json and OUT/coremix.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tfedge.boards import load_board  # noqa: E402
from tfedge.build.firmware import build_firmware  # noqa: E402
from tfedge.emulate.cycles import estimate_cycles, estimate_cycles_precise  # noqa: E402
from tfedge.emulate.measure import marker_addresses, split_snapshots  # noqa: E402
from tfedge.emulate.qemu import run_firmware  # noqa: E402

HERE = Path(__file__).parent
SOURCES = [HERE / n for n in ("coremix.c", "coremix_util.c", "coremix_matrix.c", "coremix_state.c")]
ITERATIONS = 2  # iterate(3) - iterate(1), see coremix.c (COREMIX_ITERATIONS)
# (board, published CoreMark/MHz of its core: the figures issue 14 quotes)
CORES = {"cortex-m0": ("microbit", 2.33), "cortex-m3": ("mps2-an385", 3.32), "cortex-m4": ("mps2-an386", 3.40),
         "cortex-m7": ("mps2-an500", 5.01), "cortex-m33": ("mps2-an505", 4.02), "cortex-m55": ("mps3-an547", 4.2)}
REFERENCE = "cortex-m4"


def measure(board_name: str, opt: str) -> dict:
    board = load_board(board_name)
    with tempfile.TemporaryDirectory(prefix="tfedge-coremix-") as tmp:
        fw = build_firmware(board, SOURCES, include_dirs=[HERE], with_harness=False, opt=opt)
        run = run_firmware(board, fw.elf, workdir=Path(tmp) / "run", marks=marker_addresses(fw.elf), timeout=120,
                           trace=True)
    crcs = {k: int(v, 16) for line in run.console if line.startswith("coremix crc") for k, v in [line.split()[1:3]]}
    m = split_snapshots(run.snapshots)
    d = {k: m.inferences[1][k] - m.inferences[0][k] for k in m.inferences[0]}
    return {"board": board_name, "crcs": crcs, "instructions": d["insns"] / ITERATIONS,
            "fast": estimate_cycles(d, board) / ITERATIONS, "precise": estimate_cycles_precise(d, board) / ITERATIONS,
            "counts": {k: v / ITERATIONS for k, v in d.items() if not k.startswith(("rd", "wr"))}}


def compare(rows: dict[str, dict]) -> dict[str, dict]:
    """Per core: the published speed ratio to the M4 and each model's, and how far each model is from it."""
    ref = rows[REFERENCE]
    out = {}
    for core, r in rows.items():
        published = r["coremark_per_mhz"] / ref["coremark_per_mhz"]
        entry = {"published_ratio": published}
        for model in ("fast", "precise"):
            ratio = ref[model] / r[model]
            entry[f"{model}_ratio"] = ratio
            entry[f"{model}_error"] = ratio / published - 1
        out[core] = entry
    return out


def table(rows: dict[str, dict], ratios: dict[str, dict]) -> str:
    lines = ["| core | board | instr/iter | fast cyc/iter | precise cyc/iter | CoreMark/MHz | published speed vs M4 | "
             "fast model | precise model |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for core, r in rows.items():
        q = ratios[core]
        lines.append(f"| {core} | {r['board']} | {r['instructions']:,.0f} | {r['fast']:,.0f} | {r['precise']:,.0f} | "
                     f"{r['coremark_per_mhz']} | {q['published_ratio']:.3f} | {q['fast_ratio']:.3f} "
                     f"({q['fast_error']:+.1%}) | {q['precise_ratio']:.3f} ({q['precise_error']:+.1%}) |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="coremix-out")
    ap.add_argument("--opt", default="-O2")
    a = ap.parse_args(argv)
    rows = {}
    for core, (board, cm) in CORES.items():
        rows[core] = {**measure(board, a.opt), "coremark_per_mhz": cm}
    ratios = compare(rows)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "coremix.json").write_text(json.dumps({"rows": rows, "ratios": ratios}, indent=1))
    (out / "coremix.md").write_text(table(rows, ratios))
    print(table(rows, ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
