"""scripts/bench end to end in its reduced form (--quick: KWS on the M4 and M55 boards, core and reference
kernels): the JSON and the markdown table are written, every run is bit-exact, the core kernels beat the
reference ones in the same run, and the RAM comparison with TFLM is there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_quick(tmp_path, reference_models):
    out = tmp_path / "bench-out"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench"), "--quick", "--jobs", "2", "--inputs", "2",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "[  4/4]" in proc.stderr  # progress, one line per run
    result = json.loads((out / "bench.json").read_text())
    rows = result["results"]
    assert {(r["board"], r["kernels"]) for r in rows} == {("mps2-an386", "dsp"), ("mps2-an386", "reference"),
                                                          ("mps3-an547", "mve"), ("mps3-an547", "reference")}
    for r in rows:
        assert r["fits"] and r["mismatches"] == 0 and r["inputs"] == 2
        assert r["ram_bytes"] >= r["arena_bytes"] + r["stack_bytes"] and r["instructions_per_mac"] > 0
        assert r["variants"] and len(r["layers"]) == 12
    by = {(r["board"], r["kernels"]): r for r in rows}
    assert by[("mps2-an386", "dsp")]["instructions"] < by[("mps2-an386", "reference")]["instructions"]
    assert result["tflm"]["kws_ref_model.tflite"]["total"] > by[("mps2-an386", "dsp")]["ram_bytes"]
    md = (out / "bench.md").read_text()
    assert "| kws_ref_model.tflite | mps2-an386 | dsp |" in md and "speed-up" in md and "RAM / TFLM" in md
