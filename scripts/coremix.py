#!/usr/bin/env python3
"""The "within 10 % of silicon" end check: scripts/coremix*.c, a CoreMark work-alike written for tfedge from
CoreMark's public description (EEMBC's source is not on this machine), built with gcc -O2 for one zero-wait
board per core and run with the precise (trace) plugin; est. cycles per iteration with the fast and the
precise model, against the cores' published CoreMark/MHz (cycles per iteration = 1e6 / CoreMark/MHz).

    scripts/coremix.py [--out coremix-out] [--opt -O2]

Each build must print CoreMark's self-check CRCs for the performance-run seeds (crclist 0xe714, crcmatrix
0x1fd7, crcstate 0x8e3a): the same work as CoreMark. Two comparisons: absolute (est. CoreMark/MHz =
1e6 / est. cycles per iteration, against the published figure) and the RATIO between cores (each model's
speed ratio to the M4 against the published ratio), which cancels what all cores share (the compiler's code
against the code the published figures were measured with). Writes OUT/coremix.json and OUT/coremix.md.
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
from tfedge.emulate.cycles import estimate_cycles, estimate_cycles_precise, precise_terms  # noqa: E402
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
            "terms": {k: v / ITERATIONS for k, v in precise_terms(d, board).items()},
            "counts": {k: v / ITERATIONS for k, v in d.items() if not k.startswith(("rd", "wr"))}}


CHECK_CRCS = {"crclist": 0xE714, "crcmatrix": 0x1FD7, "crcstate": 0x8E3A}  # CoreMark's, seeds 0, 0, 0x66, 2000 B


def compare(rows: dict[str, dict]) -> dict[str, dict]:
    """Per core, for each model: est. CoreMark/MHz and its error against the published figure (absolute),
    and the speed ratio to the M4 against the published ratio (relative)."""
    ref = rows[REFERENCE]
    out = {}
    for core, r in rows.items():
        published = r["coremark_per_mhz"] / ref["coremark_per_mhz"]
        entry = {"published_ratio": published, "published_cycles": 1e6 / r["coremark_per_mhz"]}
        for model in ("fast", "precise"):
            entry[f"{model}_coremark_per_mhz"] = 1e6 / r[model]
            entry[f"{model}_over_published"] = r[model] / entry["published_cycles"]
            ratio = ref[model] / r[model]
            entry[f"{model}_ratio"] = ratio
            entry[f"{model}_error"] = ratio / published - 1
        out[core] = entry
    return out


def table(rows: dict[str, dict], ratios: dict[str, dict]) -> str:
    lines = ["| core | board | instr/iter | published cyc/iter (CoreMark/MHz) | fast cyc/iter | fast error | "
             "precise cyc/iter | precise error | speed vs M4: published | fast | precise |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for core, r in rows.items():
        q = ratios[core]
        lines.append(f"| {core} | {r['board']} | {r['instructions']:,.0f} | {q['published_cycles']:,.0f} "
                     f"({r['coremark_per_mhz']}) | {r['fast']:,.0f} | {q['fast_over_published'] - 1:+.1%} | "
                     f"{r['precise']:,.0f} | {q['precise_over_published'] - 1:+.1%} | {q['published_ratio']:.3f} | "
                     f"{q['fast_ratio']:.3f} ({q['fast_error']:+.1%}) | {q['precise_ratio']:.3f} ({q['precise_error']:+.1%}) |")
    return "\n".join(lines) + "\n"


def terms_table(rows: dict[str, dict]) -> str:
    """The precise estimate per iteration by cause (precise_terms), and its cycles per instruction."""
    names = ["issue", "branch", "stall", "dual", "mve_wait"]
    lines = ["| core | instr/iter | " + " | ".join(names) + " | precise | CPI |", "|---|" + "---:|" * (len(names) + 3)]
    for core, r in rows.items():
        t = r["terms"]
        lines.append(f"| {core} | {r['instructions']:,.0f} | " + " | ".join(f"{t.get(n, 0):,.0f}" for n in names)
                     + f" | {r['precise']:,.0f} | {r['precise'] / r['instructions']:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="coremix-out")
    ap.add_argument("--opt", default="-O2")
    a = ap.parse_args(argv)
    rows = {}
    for core, (board, cm) in CORES.items():
        rows[core] = {**measure(board, a.opt), "coremark_per_mhz": cm}
        wrong = {k: hex(rows[core]["crcs"].get(k, -1)) for k, v in CHECK_CRCS.items() if rows[core]["crcs"].get(k) != v}
        if wrong:
            print(f"{core}: self-check CRCs differ from CoreMark's: {wrong}", file=sys.stderr)
            return 1
    ratios = compare(rows)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "coremix.json").write_text(json.dumps({"rows": rows, "ratios": ratios}, indent=1))
    (out / "coremix.md").write_text(table(rows, ratios) + "\n" + terms_table(rows))
    print(table(rows, ratios) + "\n" + terms_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
