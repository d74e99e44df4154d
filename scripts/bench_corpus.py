"""The corpus part of scripts/bench (`--corpus`): what a run row says about fast paths, the host-vs-TFLM
check, and the corpus tables and plot. scripts/bench measures (flash_model per model x board) and calls
these; the models come from scripts/corpus (built on demand, cached).
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from collections import defaultdict
from math import prod
from pathlib import Path

import numpy as np

from tfedge.compiler.arch import kernel_folder

ROOT = Path(__file__).resolve().parent.parent
CORPUS_BOARDS = ["microbit", "mps2-an386", "mps3-an547"]  # M0, M4, M55
SLOW_VARIANTS = ("portable", "const_shape", "reference")  # the portable loops, plain or specialised per layer
WEIGHTED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
NARROW = 8  # issue 11: layers of fewer channels (in or out) get a looser instr/MAC target and need no arch path


@functools.cache
def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def corpus_build():
    """scripts/corpus/build.py as a module (it imports `corpus`, so scripts/ goes on the path)."""
    if str(ROOT / "scripts") not in sys.path:
        sys.path.insert(0, str(ROOT / "scripts"))
    from corpus import build

    return build


# ---- per-run analysis (from the compile report of the run's kernel arch) ----------------------------------


def on_portable_loops(layer: dict, arch: str) -> bool:
    """The layer runs the portable C (plain or const_shape). A variant with a suffix ("portable+dilated")
    that the arch folder's file of its kernel answers is not: the compile report relabels only plain
    "portable" rows with the folder (mve, armv6m)."""
    base = layer["variant"].split("+")[0]
    if base not in SLOW_VARIANTS:
        return False
    if base != "portable" or arch == "reference":
        return True
    try:
        return kernel_folder(arch, layer["kernel"]) == "portable"
    except ValueError:  # no file named after the kernel: a shared portable file
        return True


def layer_channels(layer: dict) -> tuple[int, int]:
    """(input channels, output channels) of a compile-report conv/depthwise/FC row: an FC's accumulation depth
    (its input may be a flattened 4-D tensor), the last axis otherwise."""
    out_c = layer["output_shape"][-1]
    if layer["op"] == "FULLY_CONNECTED":
        return layer["macs"] // max(1, prod(layer["output_shape"][:-1]) * out_c), out_c
    return layer["input_shapes"][0][-1], out_c


def layer_paths(report: dict, arch: str) -> dict:
    """Nominal and effective MACs of the conv/depthwise/FC layers, the share of them on fast paths, the share
    in layers of fewer than NARROW channels (in or out), and the layers not on fast paths."""
    layers = [l for l in report["layers"] if l.get("macs") and l["op"] in WEIGHTED_OPS]  # pools/softmax: no arch kernel by design
    nominal = sum(l["macs"] for l in layers)
    narrow = sum(l["macs"] for l in layers if min(layer_channels(l)) < NARROW)
    has_eff = any("effective_macs" in l for l in report["layers"])
    effective = sum(l.get("effective_macs", l["macs"]) for l in report["layers"]) if has_eff else None  # all layers, as nominal
    slow = [{"index": l["index"], "op": l["op"], "macs": l["macs"], "variant": l["variant"],
             "reason": l.get("variant_reason", ""), "input_shapes": l.get("input_shapes"),
             "output_shape": l.get("output_shape"), "channels": layer_channels(l)}
            for l in layers if on_portable_loops(l, arch)]
    fast = nominal - sum(l["macs"] for l in slow)
    return {"weighted_macs": nominal, "effective_macs": effective, "fast_mac_share": fast / nominal if nominal else None,
            "narrow_mac_share": narrow / nominal if nominal else None, "slow_layers": slow, "reasons": {l["index"]: l.get("variant_reason", "") for l in report["layers"]}}


def reason_class(op: str, reason: str) -> str:
    """A variant reason without its channel index and shift, so that layers slow for the same cause group together."""
    text = (reason or "(no reason given)").split(": reference loops inlined")[0]  # the const_shape text is the same for all
    text = re.sub(r"channel \d+:", "channel c:", text)
    text = re.sub(r"2\^-?\d+", "2^s", text)
    return f"{op}: {text}"


def slow_summary(rows: list[dict]) -> list[dict]:
    """Layers off the fast paths, summarised by (board, reason class): count, MACs, models."""
    groups: dict[tuple, dict] = defaultdict(lambda: {"layers": 0, "macs": 0, "models": set()})
    for r in rows:
        for l in r.get("slow_layers", []):
            g = groups[(r["board"], r.get("core", ""), reason_class(l["op"], l["reason"]))]
            g["layers"] += 1
            g["macs"] += l["macs"]
            g["models"].add(r["model"])
    return [{"board": b, "core": c, "reason": why, "layers": g["layers"], "macs": g["macs"], "models": sorted(g["models"])}
            for (b, c, why), g in sorted(groups.items(), key=lambda kv: (kv[0][0], -kv[1]["macs"]))]


def op_shares(rows: list[dict]) -> list[dict]:
    """Instructions per (board, op, variant) summed over the models, as a share of the board's total: what
    to make faster next (elementwise ops such as HARD_SWISH and MUL have no MACs yet can dominate)."""
    acc: dict[tuple, list] = defaultdict(lambda: [0, 0, set()])
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        if not r.get("fits"):
            continue
        totals[r["board"]] += r["instructions"]
        for l in r["layers"]:
            a = acc[(r["board"], l["op"], l["variant"])]
            a[0] += l["instructions"]
            a[1] += l.get("macs") or 0
            a[2].add(r["model"])
    out = [{"board": b, "op": op, "variant": v, "share": i / totals[b], "instructions_per_mac": i / m if m else None,
            "models": len(ms)} for (b, op, v), (i, m, ms) in acc.items()]
    return sorted(out, key=lambda x: (x["board"], -x["share"]))


# ---- host vs TFLM (the first referee) ---------------------------------------------------------------------


def host_vs_tflm(path: Path, n: int, seed: int = 0) -> dict:
    """tfedge's host runner against the tflite-micro interpreter on n random int8 inputs."""
    from tfedge.compiler.host_run import run_model

    ref = _load("tflm_ref", ROOT / "tests" / "tflm_ref.py")
    from tfedge.compiler import load_graph

    g = load_graph(path)
    t = g.tensors[g.inputs[0]]
    x = ref.random_inputs(tuple(t.shape), np.dtype(t.dtype), n, seed=seed)
    ours, theirs = run_model(path, x), ref.tflm_run(path, x)
    return {"inputs": n, "mismatched_values": int((np.asarray(ours) != np.asarray(theirs).reshape(np.shape(ours))).sum())}


# ---- tables and plot --------------------------------------------------------------------------------------


def _f(v, p=2):
    return "-" if v is None else f"{v:.{p}f}"


def _table(header: list[str], rows: list[list[str]], left: int = 1) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i < left else "---:" for i in range(len(header))) + "|"]
    return out + ["| " + " | ".join(r) + " |" for r in rows]


def _short_board(r: dict) -> str:
    core = r.get("core", "")
    return core.replace("cortex-", "").upper() if core.startswith("cortex-") else r["board"]


def markdown(result: dict) -> str:
    rows = [r for r in result["results"] if r["group"] == "corpus"]
    boards = result["boards"]
    tflm = result.get("tflm", {})
    host = result.get("host_vs_tflm", {})
    by = {(r["model"], r["board"]): r for r in rows}
    cores = {b: next((_short_board(r) for r in rows if r["board"] == b and r.get("core")), b) for b in boards}
    models = list(dict.fromkeys(r["model"] for r in rows))
    lines = ["# tfedge benchmark corpus", "",
             f"{result['date']}, gcc -O2, {result['inputs']} random inputs per run on the board checked against the "
             f"host int8 runner, and the host runner against TFLM on {result.get('tflm_inputs', 0)} inputs. "
             "instr/MAC: instructions per inference / nominal MACs (per effective MAC in brackets when the "
             "compiler reports dead channels). fast: share of the conv/depthwise/FC MACs in layers on an arch "
             "path (not the portable loops, plain or const_shape). RAM: data + bss + stack high-water, arena included; TFLM: the tflite-micro "
             "package's arena (head + tail, 64-bit host: its tail is larger than on a 32-bit board).", ""]
    header = ["model", "MACs"] + [f"{cores[b]} instr/MAC" for b in boards] + [f"{cores[b]} fast" for b in boards]
    header += ["RAM B (M4)", "TFLM arena B", "RAM/TFLM", "bit-exact"]
    t = []
    ref_board = "mps2-an386" if "mps2-an386" in boards else boards[0]
    for m in models:
        cells = [m]
        any_row = next((r for r in rows if r["model"] == m and r.get("fits")), next(r for r in rows if r["model"] == m))
        cells.append(f"{any_row.get('macs', 0):,}")
        for b in boards:
            r = by.get((m, b))
            if not r or not r.get("fits"):
                cells.append("n/f" if r and not r.get("failed") else "FAILED")
                continue
            eff = r.get("instructions_per_effective_mac")
            cells.append(_f(r["instructions_per_mac"]) + (f" ({_f(eff)})" if eff and r.get("effective_macs") != r["macs"] else ""))
        for b in boards:
            r = by.get((m, b))
            cells.append("-" if not r or r.get("fast_mac_share") is None else f"{100 * r['fast_mac_share']:.0f} %")
        r = by.get((m, ref_board))
        arena = tflm.get(m, {}).get("total")
        ram = r["ram_bytes"] if r and r.get("fits") else None
        cells += [f"{ram:,}" if ram else "-", f"{arena:,}" if arena else "-", _f(ram / arena) if ram and arena else "-"]
        exact = [by[(m, b)].get("mismatches") for b in boards if by.get((m, b), {}).get("fits")]
        h = host.get(m)
        ok = all(e == 0 for e in exact) and (h is None or h["mismatched_values"] == 0)
        cells.append(("yes" if ok else "NO") + f" ({len(exact)} boards" + (", TFLM" if h else "") + ")")
        t.append(cells)
    lines += ["## Per model", ""] + _table(header, t) + ["", "n/f: does not fit the board (its reason is in the JSON).", ""]
    d = []
    for r in rows:
        if not r.get("fits"):
            d.append([r["model"], r["board"], ("FAILED: " if r.get("failed") else "does not fit: ") + r.get("error", "")[:90]]
                     + [""] * 7)
            continue
        d.append([r["model"], r["board"], f"{r['instructions']:,}", _f(r["instructions_per_mac"]),
                  _f(r.get("instructions_per_effective_mac")), f"{r['est_cycles']:,}", f"{r['flash_bytes']:,}",
                  f"{r['ram_bytes']:,}", "yes" if r["mismatches"] == 0 else f"NO ({r['mismatches']})"])
    lines += ["## Every run", ""] + _table(["model", "board", "instructions", "instr/MAC", "instr/eff. MAC", "est. cycles",
                                           "flash B", "RAM B", "bit-exact"], d, left=2) + [""]
    lines += ["## Where the instructions go (all corpus models, per board: op and kernel variant)", ""]
    lines += _table(["board", "op", "variant", "share of instructions", "instr/MAC", "models"],
                    [[x["board"], x["op"], x["variant"], f"{100 * x['share']:.1f} %", _f(x["instructions_per_mac"]),
                      str(x["models"])] for x in op_shares(rows) if x["share"] >= 0.005], left=3) + [""]
    s = slow_summary(rows)
    if s:
        lines += ["## Layers not on a fast path, by reason", ""]
        lines += _table(["board", "reason", "layers", "MACs", "models"],
                        [[x["board"], x["reason"], str(x["layers"]), f"{x['macs']:,}", ", ".join(x["models"])] for x in s],
                        left=2) + [""]
    return "\n".join(lines) + "\n"


def plot(result: dict, path: Path) -> Path:
    """Grouped bars: instructions per nominal MAC, per model (x) and core (one bar each)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in result["results"] if r["group"] == "corpus"]
    models = list(dict.fromkeys(r["model"] for r in rows))
    boards = result["boards"]
    by = {(r["model"], r["board"]): r for r in rows}
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(models) + 2), 4.8))
    width = 0.8 / max(1, len(boards))
    for k, b in enumerate(boards):
        vals = [by[(m, b)]["instructions_per_mac"] if by.get((m, b), {}).get("fits") else np.nan for m in models]
        core = next((_short_board(r) for r in rows if r["board"] == b and r.get("core")), b)
        ax.bar(np.arange(len(models)) + (k - (len(boards) - 1) / 2) * width, vals, width, label=f"{core} ({b})")
    ax.set_xticks(np.arange(len(models)), models, rotation=60, ha="right", fontsize=8)
    ax.set_yscale("log")  # the M0's 8-20 next to the M55's 0.3-2
    ax.set_ylabel("instructions / nominal MAC (log)")
    ax.set_title("tfedge benchmark corpus: instructions per MAC (missing bar: does not fit)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
