"""scripts/bench end to end in its reduced form (--quick: KWS on the M4 and M55 boards, core and reference
kernels): the JSON and the markdown table are written, every run is bit-exact, the core kernels beat the
reference ones in the same run, and the RAM comparison with TFLM is there."""

from __future__ import annotations

import json
import re
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


def test_bench_corpus_quick(tmp_path):
    """`scripts/bench --corpus --quick`: two small corpus models (built from their seeds, cached) on the
    M0, M4 and M55 boards: JSON, markdown and plot written, every run that fits bit-exact on the board,
    the host bit-exact with TFLM, the fast-path share and TFLM's arena reported."""
    out = tmp_path / "corpus-out"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench"), "--corpus", "--quick", "--jobs", "2",
                           "--inputs", "2", "--tflm-inputs", "10", "--out", str(out)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "[  6/6]" in proc.stderr and "host vs TFLM [ 2/2]" in proc.stderr  # progress lines
    result = json.loads((out / "corpus.json").read_text())
    rows = result["results"]
    assert {(r["model"], r["board"]) for r in rows} == {(m, b) for m in ("narrow_c5", "ae_128_pt")
                                                        for b in ("microbit", "mps2-an386", "mps3-an547")}
    fitted = [r for r in rows if r["fits"]]
    assert len(fitted) >= 5  # narrow_c5's arena is larger than the micro:bit's 16 KB RAM
    for r in rows:
        assert 0 < r["fast_mac_share"] <= 1 and r["macs"] > 0
        assert r["fits"] or "needed" in r["error"]  # the region, what was needed and what is there
    for r in fitted:
        assert r["mismatches"] == 0 and r["inputs"] == 2 and r["instructions_per_mac"] > 0
        assert r["ram_bytes"] >= r["arena_bytes"] and all("variant_reason" in l for l in r["layers"])
        slow = sum(l["macs"] for l in r["slow_layers"])
        assert abs(r["fast_mac_share"] - (1 - slow / r["weighted_macs"])) < 1e-9 and r["weighted_macs"] <= r["macs"]
    assert all(h == {"inputs": 10, "mismatched_values": 0} for h in result["host_vs_tflm"].values())
    assert set(result["tflm"]) == {"narrow_c5", "ae_128_pt"} and all(t["total"] > 0 for t in result["tflm"].values())
    md = (out / "corpus.md").read_text()
    assert re.search(r"^\| narrow_c5 \| [\d,]+ \| ", md, re.M) and "M4 instr/MAC" in md and "RAM/TFLM" in md
    assert (out / "corpus_instr_per_mac.png").read_bytes()[:4] == b"\x89PNG"
