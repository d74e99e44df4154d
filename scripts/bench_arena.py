#!/usr/bin/env python3
"""Memory benchmark of the compiler on the shared reference models.

For each model: tfedge's planned activation arena next to TFLite Micro's arena usage (from the
tflite-micro interpreter's allocation recording: "head" = activation buffers + scratch, "tail" =
persistent interpreter data), and the model's flash footprint (constant data model.c emits: weights,
folded biases, requantization multipliers, lookup tables, layer parameters). With arm-none-eabi-gcc
on PATH, also the measured .rodata of model.o and .text of the kernel library (Cortex-M4, -Os).

Fails (exit 1) if any plan is larger than TFLM's head. Prints a table and writes JSON.

    .venv/bin/python scripts/bench_arena.py [--json bench_arena.json] [--models DIR]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tfedge.compiler import compile_model, runtime_include_dirs, runtime_sources  # noqa: E402
from tfedge.paths import reference_models_dir  # noqa: E402

MODELS = ["hello_world_int8.tflite", "ad01_int8.tflite", "kws_ref_model.tflite", "pretrainedResnet_quant.tflite"]


def tflm_allocations(path: Path) -> dict:
    """Runs TFLM's interpreter once and parses its allocation recording (printed from C++ to stderr)."""
    from tflite_micro.python.tflite_micro import runtime

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            ip = runtime.Interpreter.from_file(str(path))
            ip.print_allocations()
        finally:
            ctypes.CDLL(None).fflush(None)  # TFLM prints through C stdio: flush it into the capture
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        text = capture.read().decode(errors="replace")
    found = {k: int(v) for k, v in re.findall(r"Arena allocation (head|tail|total) (\d+) bytes", text)}
    if set(found) != {"head", "tail", "total"}:
        raise RuntimeError(f"cannot parse TFLM's allocation report for {path.name}:\n{text[-1000:]}")
    return found


def arm_sizes(out_dir: Path) -> dict | None:
    """Measured section sizes for Cortex-M4: model.o .rodata and the kernels' .text."""
    gcc, size = shutil.which("arm-none-eabi-gcc"), shutil.which("arm-none-eabi-size")
    if not gcc or not size:
        return None
    flags = ["-mcpu=cortex-m4", "-mthumb", "-Os", "-std=c99", "-ffunction-sections", "-fdata-sections",
             *(f"-I{d}" for d in runtime_include_dirs()), f"-I{out_dir}"]
    objects = []
    for src in [out_dir / "model.c"] + runtime_sources():
        obj = out_dir / (src.stem + ".o")
        subprocess.run([gcc, *flags, "-c", str(src), "-o", str(obj)], check=True)
        objects.append(obj)
    text = subprocess.run([size, "-A", str(objects[0])], capture_output=True, text=True, check=True).stdout
    rodata = sum(int(n) for name, n in re.findall(r"^(\.rodata\S*)\s+(\d+)", text, re.M))
    model_text = sum(int(n) for name, n in re.findall(r"^(\.text\S*)\s+(\d+)", text, re.M))
    kernels = 0
    for obj in objects[1:]:
        out = subprocess.run([size, "-A", str(obj)], capture_output=True, text=True, check=True).stdout
        kernels += sum(int(n) for _, n in re.findall(r"^(\.text\S*)\s+(\d+)", out, re.M))
    return {"model_rodata": rodata, "model_text": model_text, "kernels_text_all": kernels}


def bench(models_dir: Path) -> list[dict]:
    rows = []
    for name in MODELS:
        path = models_dir / name
        print(f"  {name} ...", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            report = compile_model(path, tmp).report
            sizes = arm_sizes(Path(tmp))
        tflm = tflm_allocations(path)
        rows.append({"model": name, "tfedge_arena": report["arena_bytes"], "tflm_head": tflm["head"],
                     "tflm_tail": tflm["tail"], "tflm_total": tflm["total"],
                     "arena_vs_head": round(report["arena_bytes"] / tflm["head"], 4),
                     "weights_bytes": report["weights_bytes"], "flash_const_bytes": report["flash_bytes"],
                     "layers": len(report["layers"]), "macs": report["total_macs"], "arm_cortex_m4_os": sizes})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default="bench_arena.json", help="where to write the results")
    parser.add_argument("--models", type=Path, default=reference_models_dir())
    args = parser.parse_args(argv)
    rows = bench(args.models)
    header = f"{'model':<32}{'tfedge arena':>13}{'TFLM head':>11}{'TFLM total':>12}{'ratio':>7}{'weights':>10}{'flash const':>13}{'M4 .rodata':>12}"
    print(header)
    print("-" * len(header))
    for r in rows:
        rodata = r["arm_cortex_m4_os"]["model_rodata"] if r["arm_cortex_m4_os"] else "-"
        print(f"{r['model']:<32}{r['tfedge_arena']:>13,}{r['tflm_head']:>11,}{r['tflm_total']:>12,}"
              f"{r['arena_vs_head']:>7.2f}{r['weights_bytes']:>10,}{r['flash_const_bytes']:>13,}{rodata:>12,}"
              if rodata != "-" else
              f"{r['model']:<32}{r['tfedge_arena']:>13,}{r['tflm_head']:>11,}{r['tflm_total']:>12,}"
              f"{r['arena_vs_head']:>7.2f}{r['weights_bytes']:>10,}{r['flash_const_bytes']:>13,}{rodata:>12}")
    kernels = next((r["arm_cortex_m4_os"]["kernels_text_all"] for r in rows if r["arm_cortex_m4_os"]), None)
    if kernels:
        print(f"kernel library .text (all kernels, Cortex-M4 -Os, before --gc-sections): {kernels:,} B")
    worse = [r["model"] for r in rows if r["tfedge_arena"] > r["tflm_head"]]
    Path(args.json).write_text(json.dumps({"models": rows, "plan_within_tflm_head": not worse}, indent=1) + "\n")
    print(f"wrote {args.json}")
    if worse:
        print(f"FAIL: plan larger than TFLM's head on {', '.join(worse)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
