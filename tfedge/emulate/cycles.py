"""Estimated cycles from the plugin's instruction classes: a per-core cost model (docs/cycle_model.md).

It is an ESTIMATE. QEMU executes instructions, not a pipeline: the counts are exact, the cycles are
counts x documented per-class costs (Arm Technical Reference Manuals' instruction timing tables),
plus heuristics where the emulator cannot see timing (taken branches, flash wait states).

cycles = sum over classes of count[class] x COSTS[core][class]; "insns" is the base cost every
instruction pays, the other classes are the EXTRA cycles on top of it (classes can overlap: a
POP {..., pc} is a multi-register transfer and a branch).
"""

from __future__ import annotations

from tfedge.boards import Board

# Extra cycles per class over the base cost ("insns"). Sources and reasoning: docs/cycle_model.md.
_M3 = {
    "insns": 1.0, "load": 1.0, "load_next": 0.0, "store": 0.0, "multi": 0.0, "multi_regs": 1.0,
    "mul": 0.5, "mul64": 4.0, "dsp": 0.0, "div": 6.0, "branch": 2.0, "bcond_back": 2.0, "bcond_fwd": 0.0,
    "fp": 0.0, "fp_div": 13.0, "mve": 0.0, "loop": 0.0,
}
COSTS: dict[str, dict[str, float]] = {
    "cortex-m0": {
        "insns": 1.0, "load": 1.0, "load_next": 1.0, "store": 1.0, "multi": 0.0, "multi_regs": 1.0,
        "mul": 0.0, "mul64": 0.0, "dsp": 0.0, "div": 0.0, "branch": 2.0, "bcond_back": 2.0, "bcond_fwd": 0.0,
        "fp": 0.0, "fp_div": 0.0, "mve": 0.0, "loop": 0.0,
    },
    "cortex-m3": _M3,
    "cortex-m4": {**_M3, "mul": 0.0, "mul64": 0.0, "fp": 0.0, "fp_div": 13.0},
    # Dual-issue: about 0.6 cycle per instruction where pairs issue together; a branch predictor hides
    # most taken-branch refills; loads pipeline from TCM/cache.
    "cortex-m7": {
        "insns": 0.6, "load": 0.4, "load_next": 0.4, "store": 0.4, "multi": 0.4, "multi_regs": 1.0,
        "mul": 0.4, "mul64": 0.4, "dsp": 0.0, "div": 6.0, "branch": 0.4, "bcond_back": 0.4, "bcond_fwd": 0.0,
        "fp": 0.4, "fp_div": 13.0, "mve": 0.0, "loop": 0.0,
    },
    # 3-stage pipeline: a taken branch costs 1-2 extra cycles.
    "cortex-m33": {**_M3, "mul": 0.0, "mul64": 0.0, "branch": 1.0, "bcond_back": 1.0, "div": 5.0},
    # Scalar like M33; Helium instructions take 4 beats on a dual-beat datapath = 2 cycles each;
    # low-overhead loops (LE) cost nothing after the first iteration.
    "cortex-m55": {**_M3, "mul": 0.0, "mul64": 0.0, "branch": 1.0, "bcond_back": 1.0, "div": 5.0, "mve": 1.0,
                   "loop": -1.0},
}

TAKEN_BRANCH_CLASSES = ("branch", "bcond_back")


def estimate_cycles(counts: dict[str, int], board: Board, *, cold_flash: bool = False) -> float:
    """Estimated core cycles for the instruction-class counts `counts` on `board`.

    Flash wait states: without a flash cache every taken branch re-fetches non-sequentially from flash
    and pays them (the prefetch buffer hides them for straight-line code). Boards with an ART
    accelerator / instruction cache are assumed to hit it (kernel loops are small) unless
    `cold_flash`, which charges every taken branch: the two bound the real figure."""
    costs = COSTS[board.core]
    cycles = sum(counts.get(c, 0) * cost for c, cost in costs.items())
    if board.flash_wait_states and (cold_flash or not board.flash_cache):
        cycles += board.flash_wait_states * sum(counts.get(c, 0) for c in TAKEN_BRANCH_CLASSES)
    return cycles


def cycles_to_ms(cycles: float, board: Board) -> float:
    return cycles / board.clock_hz * 1e3


# ---- precise model (trace mode) ------------------------------------------------------------------------
# Issue cycles per class where the plugin's pipeline model (firmware/qemu_plugin/tfedge_count.c, schedule())
# adds what the class average hides: interlocks ("stall"), dual issue ("dual"), Helium pipe waits
# ("mve_wait"), exact branch outcomes. The class costs become the issue slots of that model:
#  * M7: every instruction issues in one slot (dual issue, not a 0.6 average, makes it cheaper); loads,
#    stores, MACs single-slot; a predicted branch costs its slot only (mispredictions and indirect branches
#    pay M7_REFILL);
#  * M33/M55: a load issues in one cycle, its result is usable two cycles after issue (load-use interlock);
#  * M55: a Helium instruction issues in one cycle and keeps its pipe busy two (two beats per tick).
# The plugin receives this table (costs=...) to place instructions in time.
PRECISE_COSTS: dict[str, dict[str, float]] = {
    **COSTS,
    "cortex-m3": {**COSTS["cortex-m3"], "mul": 0.0},  # MUL 1 cycle; MLA/MLS 2: M3_MAC32 per accumulate
    "cortex-m7": {**COSTS["cortex-m7"], "insns": 1.0, "load": 0.0, "load_next": 0.0, "store": 0.0, "multi": 0.0,
                  "mul": 0.0, "mul64": 0.0, "branch": 0.0, "bcond_back": 0.0, "fp": 0.0},
    "cortex-m33": {**COSTS["cortex-m33"], "load": 0.0, "load_next": 0.0},
    "cortex-m55": {**COSTS["cortex-m55"], "load": 0.0, "load_next": 0.0, "mve": 0.0},
}
# Cortex-M7 pipeline refill on a mispredicted or indirect branch (Arm's LLVM M7 model: 4; 6 for forward
# branches is its measured worst case).
M7_REFILL = 4.0
# Cortex-M3/M4 branch target forwarding (M3 TRM r2p0 section 1.5, M4 TRM "Branch target forwarding"): a
# PC-relative branch with an immediate offset (B, B<c>, CBZ/CBNZ, BL) or BX LR presents its target to the
# code bus a cycle before it reaches execute, and a conditional one is speculated in decode, so the refill P
# of the timing tables' 1 + P is 1 for them; the other PC writes (BX/BLX Rm, POP/LDM {pc}, LDR pc, TBB/TBH,
# MOV pc) are not forwarded and keep the tables' typical P = 2. (A measurement from SRAM on the System bus,
# where forwarding does not apply, gives P = 2 for bhi: blaatschaap.be "wait a microsecond", STM32F103.)
M34_REFILL = {"forwarded": 1.0, "other": 2.0}
# Cortex-M3 TRM table 18-1: MLA and MLS take 2 cycles, MUL 1 (the fast model's 0.5 is their average).
M3_MAC32 = 1.0
# Cortex-M0 TRM table 3-1: BL 4 cycles and POP {..., pc} 4+N (the class costs give 3 and 3+N).
M0_EXTRA = {"bl": 1.0, "ldpc": 1.0}
BRANCH_CLASSES = ("branch", "bcond_back", "bcond_fwd")

# Stated error band: real cycles = estimate x [low, high]. The low side is evidence: issue 14 measured
# CoreMark (gcc 12.2 -O2) with the fast model at these multiples of the cores' published CoreMark/MHz;
# scripts/coremix.py (a CoreMark work-alike that computes CoreMark's self-check CRCs, docs/cycle_model.md)
# measures the precise/fast ratio on the same work, which projects the precise model's CoreMark multiple.
# low = 1 / multiple. The high side (underestimates: bus contention, write buffers, stalls not modelled) is a
# stated margin, not a measurement.
COREMARK_FAST_OVER_PUBLISHED = {"cortex-m0": 1.27, "cortex-m3": 1.41, "cortex-m4": 1.42, "cortex-m7": 1.14,
                                "cortex-m33": 1.52, "cortex-m55": 1.52}
COREMIX_PRECISE_OVER_FAST = {"cortex-m0": 1.050, "cortex-m3": 0.948, "cortex-m4": 0.942, "cortex-m7": 1.121,
                             "cortex-m33": 0.843, "cortex-m55": 0.878}
ERROR_HIGH = 1.15


def error_band(board: Board, timing: str) -> tuple[float, float]:
    """(low, high) factors around an estimate of `timing` on `board`."""
    over = COREMARK_FAST_OVER_PUBLISHED[board.core]
    if timing == "precise":
        over *= COREMIX_PRECISE_OVER_FAST[board.core]
    return (round(1 / over, 2), ERROR_HIGH)


def precise_terms(counts: dict[str, float], board: Board) -> dict[str, float]:
    """The precise estimate split by cause (cycles; dual issue negative): issue (the class costs), branch
    (pipeline refills from exact outcomes; M3/M4: forwarded branches refill 1, other PC writes 2; M7:
    mispredictions and indirect branches), stall (interlocks),
    dual (instructions that issued with the one before), mve_wait (Helium instructions waiting for their
    pipe: what beat overlap did not hide), flash_fetch / flash_data (wait states per flash-cache miss, or per
    non-sequential fetch / data read without a cache)."""
    core = board.core
    costs = PRECISE_COSTS[core]
    c = lambda k: counts.get(k, 0)  # noqa: E731
    terms = {"issue": sum(c(k) * cost for k, cost in costs.items() if k not in BRANCH_CLASSES)}
    if core == "cortex-m7":
        terms["branch"] = (c("bmiss") + c("bindirect")) * M7_REFILL
    elif core in ("cortex-m3", "cortex-m4"):
        not_forwarded = c("bindirect") - c("bxlr")
        terms["branch"] = ((c("branch") + c("btaken") - not_forwarded) * M34_REFILL["forwarded"]
                           + not_forwarded * M34_REFILL["other"])
    else:
        terms["branch"] = (c("branch") + c("btaken")) * costs["branch"]
    if core == "cortex-m0":
        terms["branch"] += sum(c(k) * v for k, v in M0_EXTRA.items())
    if core == "cortex-m3":
        terms["issue"] += c("mac32") * M3_MAC32
    terms["stall"] = c("stall")
    terms["dual"] = -c("dual")
    terms["mve_wait"] = c("mve_wait")
    ws = board.flash_wait_states
    fetch = c("icache_miss") if board.flash_icache else c("fetch_nonseq")
    terms["flash_fetch"] = ws * fetch
    terms["flash_data"] = ws * c("dflash_miss")
    return terms


def estimate_cycles_precise(counts: dict[str, float], board: Board) -> float:
    """Estimated cycles from a trace-mode run (counts include the plugin's TRACE_COUNTERS): the sum of
    precise_terms."""
    return sum(precise_terms(counts, board).values())


def fast_terms(counts: dict[str, float], board: Board) -> dict[str, float]:
    """The fast estimate split like precise_terms (issue, branch, flash_fetch), for comparing the two."""
    costs = COSTS[board.core]
    total = estimate_cycles(counts, board)
    issue = sum(counts.get(k, 0) * cost for k, cost in costs.items() if k not in BRANCH_CLASSES)
    branch = sum(counts.get(k, 0) * costs[k] for k in BRANCH_CLASSES)
    return {"issue": issue, "branch": branch, "flash_fetch": total - issue - branch}


# What each term of the precise - fast difference means (for tables and `tfedge flash`); the issue term's
# meaning depends on the core (PRECISE_COSTS against COSTS).
DIFFERENCE_CAUSES = {
    "flash_data": "flash data-cache misses", "flash_fetch": "flash fetch / I-cache misses",
    "branch": "branch refills (exact outcomes)", "stall": "interlocks", "dual": "dual issue",
    "mve_wait": "Helium pipe waits", "issue": "class costs",
}
ISSUE_CAUSES = {"cortex-m3": "MLA 2 / MUL 1 cycles", "cortex-m7": "1 issue slot per instruction (fast: 0.6 average)",
                "cortex-m33": "1-cycle loads", "cortex-m55": "1-cycle loads and Helium issue"}


def explain_difference(counts: dict[str, float], board: Board, top: int = 3,
                       floor: float = 0.005) -> list[tuple[str, float]]:
    """The largest terms of precise - fast as (cause, share of the fast estimate), largest first; terms under
    `floor` of the fast estimate are left out."""
    precise, fast = precise_terms(counts, board), fast_terms(counts, board)
    total = sum(fast.values())
    if not total:
        return []
    delta = {k: precise.get(k, 0) - fast.get(k, 0) for k in (*precise, *(k for k in fast if k not in precise))}
    big = sorted(((k, v / total) for k, v in delta.items() if abs(v) >= floor * total), key=lambda t: -abs(t[1]))
    def label(term: str) -> str:
        if term == "issue":
            return ISSUE_CAUSES.get(board.core, DIFFERENCE_CAUSES[term])
        if term == "branch" and board.core == "cortex-m7":
            return "branch mispredictions and indirect branches"
        return DIFFERENCE_CAUSES[term]

    return [(label(k), share) for k, share in big[:top]]


def memory_traffic(counts: dict[str, float], board: Board) -> dict:
    """Bytes read and written per memory region of `board` and in total by kind, from a trace-mode run's
    rd<i>/wr<i> counters (region i of board.memory; rdx/wrx: any other address, peripherals)."""
    regions = {}
    for i, r in enumerate(board.memory):
        regions[r.name] = {"read": int(round(counts.get(f"rd{i}", 0))), "written": int(round(counts.get(f"wr{i}", 0)))}
    flash_read = sum(v["read"] for r, v in zip(board.memory, regions.values()) if r.kind == "flash")
    ram_read = sum(v["read"] for r, v in zip(board.memory, regions.values()) if r.kind == "ram")
    return {
        "flash_read_bytes": flash_read, "ram_read_bytes": ram_read,
        "written_bytes": sum(v["written"] for v in regions.values()),
        "other_read_bytes": int(round(counts.get("rdx", 0))),
        "other_written_bytes": int(round(counts.get("wrx", 0))),
        "regions": regions,
    }


# ---- roofline: per-layer operational intensity against the core's and the memories' ceilings ----------
# Peak int8 MACs per cycle of each kernel path on each core (TRM issue rates of the inner-loop MAC):
# scalar MLA/SMLABB 1 per cycle (M3 MLA 2 cycles, M0 MULS + ADDS), DSP SMLAD 2 per cycle, Helium
# VMLADAV.S8 16 MACs per 4-beat instruction on the M55's dual-beat datapath = 8 per cycle.
PEAK_MACS_PER_CYCLE = {
    "cortex-m0": {"scalar": 0.5},
    "cortex-m3": {"scalar": 0.5},
    "cortex-m4": {"scalar": 1.0, "dsp": 2.0},
    "cortex-m7": {"scalar": 1.0, "dsp": 2.0},
    "cortex-m33": {"scalar": 1.0, "dsp": 2.0},
    "cortex-m55": {"scalar": 1.0, "dsp": 2.0, "mve": 8.0},
}
# Data bus width in bytes per cycle: 32-bit AHB on M0-M4/M33, 64-bit AXI/TCM on the M7 and M55.
BUS_BYTES = {"cortex-m0": 4, "cortex-m3": 4, "cortex-m4": 4, "cortex-m7": 8, "cortex-m33": 4, "cortex-m55": 8}


def peak_macs_per_cycle(board: Board, kernel_arch: str) -> float:
    paths = PEAK_MACS_PER_CYCLE[board.core]
    path = {"mve": "mve", "dsp": "dsp"}.get(kernel_arch, "scalar")
    return paths.get(path, paths["scalar"])


def bandwidth(board: Board) -> dict[str, float]:
    """Bytes per cycle the core can stream from flash (a cache line per wait states + 1 on misses, at most
    the bus width) and from RAM (the bus width)."""
    bus = BUS_BYTES[board.core]
    ws = board.flash_wait_states
    line = board.flash_dcache if isinstance(board.flash_dcache, tuple) else board.flash_icache
    flash = bus if not ws else min(bus, (line[0] if line else 4) / (ws + 1))
    return {"flash": float(flash), "ram": float(bus)}


def roofline(layers: list[dict], board: Board, kernel_arch: str) -> dict:
    """Each layer with MACs and memory traffic (flash_model's precise metrics) as a roofline point:
    intensity = MACs per byte moved, achieved = MACs per estimated cycle, and which bound it hits
    (the longer of compute time at the peak and transfer time at the bandwidths)."""
    peak = peak_macs_per_cycle(board, kernel_arch)
    bw = bandwidth(board)
    points = []
    for l in layers:
        t = l.get("memory_traffic")
        if not t or not l.get("macs"):
            continue
        moved = t["flash_read_bytes"] + t["ram_read_bytes"] + t["written_bytes"]
        memory_cycles = t["flash_read_bytes"] / bw["flash"] + (t["ram_read_bytes"] + t["written_bytes"]) / bw["ram"]
        compute_cycles = l["macs"] / peak
        points.append({
            "index": l["index"], "op": l["op"], "macs": l["macs"], "bytes": moved,
            "intensity": l["macs"] / moved if moved else None,
            "achieved_macs_per_cycle": l["macs"] / l["est_cycles"] if l["est_cycles"] else None,
            "bound": "memory" if memory_cycles > compute_cycles else "compute",
            "attainable_macs_per_cycle": l["macs"] / max(memory_cycles, compute_cycles),
        })
    return {"peak_macs_per_cycle": peak, "flash_bytes_per_cycle": bw["flash"], "ram_bytes_per_cycle": bw["ram"],
            "layers": points}
