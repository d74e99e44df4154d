"""Issue 11's acceptance checks as one table, from the rows scripts/bench already measures (shared models or
--corpus): one row per model x board with each check's value and whether it meets the issue's threshold, and a
summary line per check. scripts/bench writes it into bench.md / corpus.md and the JSON (`acceptance`).

The TFLM + CMSIS-NN figures quoted by the issue (instructions on the same emulator, arena_used_bytes) live here
and nowhere else.
"""

from __future__ import annotations

from bench_corpus import NARROW

# Instructions per inference of TFLM + CMSIS-NN on the same emulator and plugin (issue 11): DSP kernels on
# mps2-an386 (Cortex-M4), Helium kernels on mps3-an547 (Cortex-M55).
TFLM_INSTRUCTIONS = {
    ("kws_ref_model.tflite", "mps2-an386"): 7_579_211, ("kws_ref_model.tflite", "mps3-an547"): 1_814_137,
    ("pretrainedResnet_quant.tflite", "mps2-an386"): 29_784_223, ("pretrainedResnet_quant.tflite", "mps3-an547"): 4_915_633,
    ("ad01_int8.tflite", "mps2-an386"): 583_789, ("ad01_int8.tflite", "mps3-an547"): 150_825,
    ("vww_96_int8.tflite", "mps2-an386"): 23_792_664, ("vww_96_int8.tflite", "mps3-an547"): 6_575_713,
}
# TFLM's arena_used_bytes as quoted by issues 6 and 11 (TFLM + CMSIS-NN build on the 32-bit board). Preferred
# over the tflite-micro package's figure, whose tail is larger on this 64-bit host.
TFLM_QUOTED = {"kws_ref_model.tflite": 22820, "pretrainedResnet_quant.tflite": 54996, "vww_96_int8.tflite": 100708}

# Issue 11's thresholds.
MIN_MACS = 100_000  # instr/MAC targets apply to corpus models of at least this many nominal MACs
# On the M4, 2.0 instr/MAC, 3.0 for layers of fewer than NARROW channels: the limit is the MAC-weighted blend.
M4_INSTR_PER_MAC, M4_INSTR_PER_MAC_NARROW = 2.0, 3.0
M55_INSTR_PER_MAC = 0.6
TFLM_RATIO = {"cortex-m4": 0.6, "cortex-m55": 0.7}
TFLM_RATIO_SPEED = {"cortex-m4": 0.5}  # --weights int16 (the speed option)
FLASH_RATIO = 1.1  # weights + prepared tables / the .tflite's constant bytes
CODE_BYTES = 16 * 1024  # runtime code
RAM_RATIO, RAM_MIN_TFLM_ARENA = 0.6, 4096

CHECKS = {  # name: column title
    "instr_per_mac": "instr/MAC",
    "tflm_ratio": "instr / TFLM",
    "flash_ratio": "flash ratio",
    "code_kb": "runtime code KB",
    "ram_ratio": "RAM / TFLM arena",
    "board_exact": "board = host",
    "host_exact": "host = TFLM",
    "wide_slow_layers": ">= 8-ch layers off fast paths",
}


def _check(value, limit, ok: bool, text: str) -> dict:
    return {"value": value, "limit": limit, "ok": ok, "text": text}


def row_checks(r: dict, kind: str, tflm_arena: int | None, host_mismatches: int | None, weights: str) -> dict:
    """The applicable checks of one bench row (a dict from scripts/bench's measure) as {name: check}; kind is
    "corpus" or "shared", weights the run's weight storage (int8 default, int16 the speed option)."""
    core = r.get("core", "")
    checks = {}
    if host_mismatches is not None:
        checks["host_exact"] = _check(host_mismatches, 0, host_mismatches == 0,
                                      "yes" if host_mismatches == 0 else f"NO ({host_mismatches} values)")
    if not r.get("fits"):
        return checks
    checks["board_exact"] = _check(r["mismatches"], 0, r["mismatches"] == 0,
                                   "yes" if r["mismatches"] == 0 else f"NO ({r['mismatches']} inputs)")
    if core == "cortex-m4" and "slow_layers" in r:
        wide = [l for l in r["slow_layers"] if min(l["channels"]) >= NARROW]
        checks["wide_slow_layers"] = _check(len(wide), 0, not wide, str(len(wide)))
    per_mac = r.get("instructions_per_mac")
    if kind == "corpus" and per_mac is not None and r["macs"] >= MIN_MACS and weights == "int8":
        limit = None
        if core == "cortex-m4":
            narrow = r.get("narrow_mac_share") or 0.0
            limit = M4_INSTR_PER_MAC + (M4_INSTR_PER_MAC_NARROW - M4_INSTR_PER_MAC) * narrow
        elif core == "cortex-m55":
            limit = M55_INSTR_PER_MAC
        if limit is not None:
            checks["instr_per_mac"] = _check(per_mac, limit, per_mac <= limit, f"{per_mac:.2f}" + (f" (<= {limit:.2f})" if limit != M4_INSTR_PER_MAC
                                                                                and core == "cortex-m4" else ""))
    tflm = TFLM_INSTRUCTIONS.get((r["model"], r["board"]))
    limit = (TFLM_RATIO_SPEED if weights == "int16" else TFLM_RATIO if weights == "int8" else {}).get(core)
    if tflm and limit:
        ratio = r["instructions"] / tflm
        checks["tflm_ratio"] = _check(ratio, limit, ratio <= limit, f"{ratio:.2f}")
    if weights == "int8":  # the flash target is the default's
        if r.get("flash_ratio") is not None:
            checks["flash_ratio"] = _check(r["flash_ratio"], FLASH_RATIO, r["flash_ratio"] <= FLASH_RATIO,
                                           f"{r['flash_ratio']:.2f}")
        if r.get("runtime_code_bytes") is not None:
            code = r["runtime_code_bytes"]
            checks["code_kb"] = _check(code, CODE_BYTES, code <= CODE_BYTES, f"{code / 1024:.1f}")
    if tflm_arena and tflm_arena >= RAM_MIN_TFLM_ARENA:
        ratio = r["ram_bytes"] / tflm_arena
        checks["ram_ratio"] = _check(ratio, RAM_RATIO, ratio <= RAM_RATIO, f"{ratio:.2f}")
    return checks


def acceptance(result: dict, kind: str) -> dict:
    """{"rows": [{model, board, kernels, fits, checks}], "summary": {check: {met, of, missed}}} for a bench
    result (the dict scripts/bench writes as JSON); kind "corpus" or "shared". Reference-kernel and digits
    rows are not part of the issue's acceptance."""
    weights = result.get("weights") or "int8"
    tflm = result.get("tflm", {})
    host = result.get("host_vs_tflm", {})
    rows = []
    for r in result["results"]:
        if r.get("group") != kind or r.get("kernels") == "reference":
            continue
        arena = TFLM_QUOTED.get(r["model"]) or (tflm.get(r["model"]) or {}).get("total")
        h = host.get(r["model"])
        rows.append({"model": r["model"], "board": r["board"], "kernels": r["kernels"], "fits": bool(r.get("fits")),
                     "checks": row_checks(r, kind, arena, None if h is None else h["mismatched_values"], weights)})
    summary = {}
    for name in CHECKS:
        judged = [x for x in rows if name in x["checks"]]
        if name == "host_exact":  # one host run per model, not per board
            judged = list({x["model"]: x for x in judged}.values())
        missed = [x for x in judged if not x["checks"][name]["ok"]]
        summary[name] = {"met": len(judged) - len(missed), "of": len(judged),
                         "missed": [x["model"] + ("" if name == "host_exact" else f" @ {x['board']}")
                                    + f" ({x['checks'][name]['text']})" for x in missed]}
    return {"weights": weights, "rows": rows, "summary": summary}


def markdown(acc: dict) -> list[str]:
    """The acceptance table and the summary lines, as markdown lines."""
    lines = ["## Acceptance (issue 11)", "",
             f"Weights: {acc['weights']}. ✓ / ✗ against the issue's threshold; `-`: the check does not apply "
             f"(instr/MAC: corpus models of >= {MIN_MACS:,} MACs, <= {M4_INSTR_PER_MAC} on the M4, "
             f"up to {M4_INSTR_PER_MAC_NARROW} by the share of MACs in layers of < {NARROW} channels, <= {M55_INSTR_PER_MAC} on "
             f"the M55; instr / TFLM + CMSIS-NN: shared models, <= {TFLM_RATIO['cortex-m4']} M4, "
             f"<= {TFLM_RATIO['cortex-m55']} M55, <= {TFLM_RATIO_SPEED['cortex-m4']} M4 with int16 weights; flash "
             f"ratio <= {FLASH_RATIO}; runtime code <= {CODE_BYTES // 1024} KB; RAM / TFLM arena <= {RAM_RATIO} "
             f"where TFLM's arena is >= {RAM_MIN_TFLM_ARENA:,} B; layers of >= {NARROW} input and output "
             "channels on the portable loops: 0 on the M4). n/f: does not fit the board.", ""]
    header = ["model", "board"] + list(CHECKS.values())
    body = []
    for x in acc["rows"]:
        cells = [x["model"], x["board"]]
        for name in CHECKS:
            c = x["checks"].get(name)
            if c is None:
                cells.append("n/f" if not x["fits"] and name != "host_exact" else "-")
            else:
                cells.append(f"{c['text']} {'✓' if c['ok'] else '✗'}")
        body.append(cells)
    lines += ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i < 2 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body] + [""]
    for name, title in CHECKS.items():
        s = acc["summary"][name]
        if s["of"]:
            lines.append(f"- **{title}**: met by {s['met']} of {s['of']}" + (f"; missed: {', '.join(s['missed'])}"
                                                                             if s["missed"] else ""))
    return lines + [""]
