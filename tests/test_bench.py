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
                           "--tflm-inputs", "2", "--out", str(out)], capture_output=True, text=True, timeout=300)
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
    # issue 11's acceptance: one row per board (core kernels only), KWS judged against TFLM on both cores
    acc = result["acceptance"]
    assert [(x["model"], x["board"]) for x in acc["rows"]] == [("kws_ref_model.tflite", "mps2-an386"),
                                                                ("kws_ref_model.tflite", "mps3-an547")]
    assert all({"tflm_ratio", "board_exact", "host_exact", "ram_ratio", "code_kb"} <= set(x["checks"]) for x in acc["rows"])
    assert result["host_vs_tflm"] == {"kws_ref_model.tflite": {"inputs": 2, "mismatched_values": 0}}
    assert "## Acceptance (issue 11)" in md and "- **board = host**: met by 2 of 2" in md


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
    assert len(fitted) == 6  # both fit the micro:bit too (narrow_c5: 9,548 B of its 16 KB RAM on b87fb27)
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
    acc = result["acceptance"]
    assert len(acc["rows"]) == 6 and acc["summary"]["host_exact"] == {"met": 2, "of": 2, "missed": []}
    m4 = next(x["checks"] for x in acc["rows"] if x["model"] == "narrow_c5" and x["board"] == "mps2-an386")
    assert {"instr_per_mac", "wide_slow_layers", "flash_ratio", "code_kb", "board_exact"} <= set(m4)
    assert "## Acceptance (issue 11)" in md and "| narrow_c5 | mps2-an386 |" in md


def _bench_accept():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import bench_accept
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    return bench_accept


def _row(model, board, core, **kw):
    row = {"model": model, "group": kw.pop("group", "corpus"), "board": board, "core": core, "kernels": "dsp",
           "fits": True, "instructions": 1_000_000, "instructions_per_mac": 1.0, "macs": 1_000_000, "mismatches": 0,
           "flash_ratio": 1.0, "runtime_code_bytes": 8192, "ram_bytes": 3000, "slow_layers": [], "narrow_mac_share": 0.0}
    row.update(kw)
    return row


def test_acceptance_table_from_fake_rows():
    """The acceptance table judges each check against issue 11's thresholds and only where it applies: instr/MAC
    on corpus models of >= 100 k MACs (the M4 limit raised by the share of MACs in narrow layers), flash and
    code on every run, RAM where TFLM's arena is >= 4 KB, host = TFLM once per model, and the summary names
    what missed."""
    acc_mod = _bench_accept()
    wide_slow = {"op": "CONV_2D", "macs": 5000, "channels": (16, 8), "reason": "r"}
    narrow_slow = {"op": "CONV_2D", "macs": 5000, "channels": (3, 8), "reason": "r"}
    result = {"results": [
        _row("a", "mps2-an386", "cortex-m4", instructions_per_mac=2.4, narrow_mac_share=0.5, slow_layers=[narrow_slow]),
        _row("b", "mps2-an386", "cortex-m4", instructions_per_mac=2.4, flash_ratio=1.2, slow_layers=[wide_slow]),
        _row("b", "mps3-an547", "cortex-m55", instructions_per_mac=0.5, runtime_code_bytes=17000, mismatches=1,
             slow_layers=[wide_slow]),
        _row("c", "mps2-an386", "cortex-m4", instructions_per_mac=9.0, macs=50_000, ram_bytes=5000),
        {"model": "d", "group": "corpus", "board": "microbit", "core": "cortex-m0", "kernels": "armv6m", "fits": False,
         "error": "sram"},
        _row("d", "mps2-an386", "cortex-m4", kernels="reference"),  # not judged
    ], "tflm": {"a": {"total": 8000}, "b": {"total": 3000}, "c": {"total": 6000}},
        "host_vs_tflm": {"a": {"mismatched_values": 0}, "b": {"mismatched_values": 0}, "c": {"mismatched_values": 0},
                         "d": {"mismatched_values": 4}}}
    acc = acc_mod.acceptance(result, "corpus")
    rows = {(x["model"], x["board"]): x["checks"] for x in acc["rows"]}
    assert len(rows) == 5
    a, b4, b55, c, d = (rows[k] for k in [("a", "mps2-an386"), ("b", "mps2-an386"), ("b", "mps3-an547"),
                                          ("c", "mps2-an386"), ("d", "microbit")])
    assert a["instr_per_mac"]["limit"] == 2.5 and a["instr_per_mac"]["ok"]  # half its MACs in narrow layers
    assert b4["instr_per_mac"]["limit"] == 2.0 and not b4["instr_per_mac"]["ok"]
    assert b55["instr_per_mac"]["ok"] and not b55["code_kb"]["ok"] and not b55["board_exact"]["ok"]
    assert "instr_per_mac" not in c  # < 100 k MACs
    assert a["wide_slow_layers"]["ok"] and not b4["wide_slow_layers"]["ok"] and "wide_slow_layers" not in b55  # M4 only
    assert a["ram_ratio"]["value"] == 3000 / 8000 and "ram_ratio" not in b4 and not c["ram_ratio"]["ok"]
    assert not b4["flash_ratio"]["ok"] and "tflm_ratio" not in a
    assert set(d) == {"host_exact"} and not d["host_exact"]["ok"]
    s = acc["summary"]
    assert (s["instr_per_mac"]["met"], s["instr_per_mac"]["of"]) == (2, 3)
    assert s["instr_per_mac"]["missed"] == ["b @ mps2-an386 (2.40)"]
    assert (s["host_exact"]["met"], s["host_exact"]["of"]) == (3, 4) and s["host_exact"]["missed"] == ["d (NO (4 values))"]
    assert s["code_kb"]["missed"] == ["b @ mps3-an547 (16.6)"] and s["tflm_ratio"]["of"] == 0
    md = "\n".join(acc_mod.markdown(acc))
    assert "| a | mps2-an386 | 2.40 (<= 2.50) ✓ |" in md and "| d | microbit | n/f |" in md
    assert "- **instr/MAC**: met by 2 of 3; missed: b @ mps2-an386 (2.40)" in md
    assert "instr / TFLM**" not in md  # no shared model in the result: no summary line for it


def test_acceptance_tflm_ratio_by_weights():
    """Shared models: instructions against the issue's TFLM + CMSIS-NN figures, 0.6x on the M4 and 0.7x on the
    M55 with int8 weights, 0.5x on the M4 with int16 (the speed option, whose flash is not judged); RAM against
    the quoted arena_used_bytes."""
    acc_mod = _bench_accept()
    kws, tflm_m4 = "kws_ref_model.tflite", acc_mod.TFLM_INSTRUCTIONS[("kws_ref_model.tflite", "mps2-an386")]
    rows = [_row(kws, "mps2-an386", "cortex-m4", group="shared", instructions=int(0.55 * tflm_m4), ram_bytes=12000),
            _row(kws, "mps3-an547", "cortex-m55", group="shared",
                 instructions=int(0.75 * acc_mod.TFLM_INSTRUCTIONS[(kws, "mps3-an547")]))]
    acc = acc_mod.acceptance({"results": rows, "tflm": {kws: {"total": 10 ** 6}}}, "shared")
    m4, m55 = (x["checks"] for x in acc["rows"])
    assert m4["tflm_ratio"]["ok"] and not m55["tflm_ratio"]["ok"] and "instr_per_mac" not in m4
    assert m4["ram_ratio"]["value"] == 12000 / acc_mod.TFLM_QUOTED[kws] and "host_exact" not in m4
    acc16 = acc_mod.acceptance({"results": rows[:1], "weights": "int16"}, "shared")
    m4 = acc16["rows"][0]["checks"]
    assert m4["tflm_ratio"]["limit"] == 0.5 and not m4["tflm_ratio"]["ok"] and "flash_ratio" not in m4
