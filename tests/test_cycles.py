"""The trace mode of the plugin and the precise timing model on micro-benchmarks.

Like tests/test_emulate.py, each benchmark runs its loop 100 and 300 times between the harness markers
and the difference of the two invocations is exactly 200 loop bodies: its memory traffic, branch
outcomes, interlocks and flash-cache misses are known from the source, and its cycles from the Arm TRMs'
timing tables (the model's stated costs, docs/cycle_model.md)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tfedge.boards import load_board
from tfedge.build.firmware import build_firmware
from tfedge.emulate.cycles import (COSTS, error_band, estimate_cycles, estimate_cycles_precise, memory_traffic,
                                  precise_terms, roofline)
from tfedge.emulate.measure import marker_addresses, split_snapshots
from tfedge.emulate.qemu import run_firmware
from test_emulate import _MAIN as _EMULATE_MAIN

pytestmark = pytest.mark.qemu

# test_emulate's harness (markers around the loop at label 1, r0 = the data pointer, r4 = the count),
# with a word table in .rodata (flash) that a benchmark can stream instead of the .data buffer
_MAIN = (_EMULATE_MAIN
         .replace("static uint32_t buf[16]", "const uint32_t table[1024] __attribute__((aligned(64))) = {1, 2, 3};\n"
                                             "static uint32_t buf[16]")
         .replace("bench(100, buf);", "bench(100, (uint32_t *)%s);").replace("bench(300, buf);", "bench(300, (uint32_t *)%s);"))


def _run(tmp_path: Path, board, body: list[str], data: str = "buf") -> dict[str, int]:
    src = tmp_path / "bench.c"
    src.write_text(_MAIN % ("\n    ".join(f'"{line}\\n"' for line in body), data, data))
    fw = build_firmware(board, [src], with_harness=False)
    run = run_firmware(board, fw.elf, workdir=tmp_path / f"run-{board.name}", marks=marker_addresses(fw.elf),
                       timeout=30, trace=True)
    m = split_snapshots(run.snapshots)
    return {c: m.inferences[1][c] - m.inferences[0][c] for c in m.inferences[0]}


# One board per core (zero-wait memories), and the cycles per loop iteration each micro-benchmark costs on it
# by the manuals' rules (docs/cycle_model.md "Precise model: sources"): M0/M3/M4 from their TRMs' timing
# tables, M7 and M55 from Arm's scheduling models (LLVM ARMScheduleM7/M55.td: dual issue, latencies, Helium
# pipes), M33 like the M4 (LLVM's model for it) with the 16-bit pairs of the M55. Every loop ends with
# "subs r4, #1; bne 1b" (taken: M0 refill 2; M3/M4 1, the branch is forwarded (M3 TRM r2p0 section 1.5
# "Branch target forwarding"; these figures said 2 before); M33/M55 1, M7 predicted 0; M7/M33/M55 pair the two).
CORE_BOARDS = {"cortex-m0": "microbit", "cortex-m3": "mps2-an385", "cortex-m4": "mps2-an386",
               "cortex-m7": "mps2-an500", "cortex-m33": "mps2-an505", "cortex-m55": "mps3-an547"}
_LOOP = ["subs r4, #1", "bne 1b"]
MICRO = {
    # a load's result used by the next instruction: M0/M3/M4 forward it (LDR 2 cycles, no stall); M7 word load
    # latency 1 (the ALU waits a cycle, the loop's subs pairs with it); M33/M55 latency 2: one stall cycle
    "load_use": (["ldr r1, [r0]", "adds r2, r1, #1"] + _LOOP, "stall",
                 {"cortex-m0": 2 + 1 + 1 + 3, "cortex-m3": 2 + 1 + 1 + 2, "cortex-m4": 2 + 1 + 1 + 2,
                  "cortex-m7": 1 + 1 + 1, "cortex-m33": 1 + 1 + 1 + 1 + 1, "cortex-m55": 1 + 1 + 1 + 1 + 1}),
    # the same across a not-taken branch (no refill between the blocks): on M33/M55 the load's latency still
    # stalls the first instruction after it (the pair ldr+beq ends the block a cycle after the load issued)
    "load_use_across_blocks": (["ldr r1, [r0]", "beq 2f", "adds r2, r1, #1", "2:"] + _LOOP, "stall",
                               {"cortex-m0": 2 + 1 + 1 + 1 + 3, "cortex-m3": 2 + 1 + 1 + 1 + 2,
                                "cortex-m4": 2 + 1 + 1 + 1 + 2, "cortex-m7": 1 + 2,
                                "cortex-m33": 1 + 1 + 2 + 1, "cortex-m55": 1 + 1 + 2 + 1}),
    # a loaded value used as the next load's address: M3/M4 cannot pipeline it (+1, no path to the AGU), M7
    # needs addresses a cycle early (load latency 1 + 1), M33/M55 wait for the load's 2-cycle latency
    "load_address": (["ldr r1, =table", "ldr r2, [r1]"] + _LOOP, "stall",
                     {"cortex-m0": 2 + 2 + 1 + 3, "cortex-m3": 2 + 1 + 1 + 1 + 2, "cortex-m4": 2 + 1 + 1 + 1 + 2,
                      "cortex-m7": 1 + 1 + 1 + 1, "cortex-m33": 1 + 1 + 1 + 1 + 1, "cortex-m55": 1 + 1 + 1 + 1 + 1}),
    # four independent loads: M0 2 each; M3/M4 pipeline them (2, then 1 each); M7 issues two per cycle (two
    # load ports); M33/M55 one per cycle (loads are not among the 16-bit pairs)
    "back_to_back_loads": (["ldr r1, [r0]", "ldr r2, [r0, #4]", "ldr r3, [r0, #8]", "ldr r5, [r0, #12]"] + _LOOP, "dual",
                           {"cortex-m0": 8 + 1 + 3, "cortex-m3": 2 + 1 + 1 + 1 + 1 + 2, "cortex-m4": 2 + 1 + 1 + 1 + 1 + 2,
                            "cortex-m7": 1 + 1 + 1, "cortex-m33": 4 + 1 + 1, "cortex-m55": 4 + 1 + 1}),
    # an accumulator chain of four MACs: M3 MLA 2 cycles, M4/M33 1 (the accumulator is forwarded), M7 1 (one
    # MAC unit, the accumulator read a cycle late hides the 2-cycle latency), M55 latency 2 without forwarding
    # (a stall between MACs; 32-bit MLA does not pair with the 16-bit subs)
    "mac_chain": (["mla r3, r1, r2, r3"] * 4 + _LOOP, "stall",
                  {"cortex-m3": 4 * 2 + 1 + 2, "cortex-m4": 4 + 1 + 2, "cortex-m7": 4 + 1,
                   "cortex-m33": 4 + 1 + 1, "cortex-m55": 4 + 3 + 1 + 1}),
    # M0 (no MLA): MULS 1 cycle (the single-cycle multiplier) chained through r1
    "mul_chain": (["muls r1, r2, r1"] * 4 + _LOOP, "stall", {"cortex-m0": 4 + 1 + 3}),
}


@pytest.mark.parametrize("core, pattern", [(c, p) for p in sorted(MICRO) for c in sorted(MICRO[p][2])])
def test_micro_benchmarks_equal_the_manual_figures(core, pattern, tmp_path):
    body, counter, expected = MICRO[pattern]
    board = load_board(CORE_BOARDS[core])
    d = _run(tmp_path, board, body)
    assert d["insns"] == 200 * len([line for line in body if not line.endswith(":")])
    assert estimate_cycles_precise(d, board) == pytest.approx(200 * expected[core], rel=0.02)
    assert d[counter] % 200 == 0  # the same pipeline events every iteration


# Forward branch taken on every other iteration (r4 even): the fast model prices it never taken.
_BRANCH = ["lsls r5, r4, #31", "beq 2f", "adds r3, r3, #1", "2:", "subs r4, #1", "bne 1b"]
# cycles per two iterations (one with the beq taken): M0/M3/M4 1 per instruction (9) + refill per taken
# branch (3; M0 2, M3/M4 1: forwarded); M33/M55 pair lsls+beq, adds+subs or subs+bne (5 issue cycles) + refill 1 per taken branch; M7
# the same pairs; its predictor (a 2-bit counter per branch) follows bne and, on the alternating beq, settles
# between its two not-taken states: every taken beq mispredicts, a 4-cycle refill
_BRANCH_CYCLES = {"cortex-m0": 9 + 6, "cortex-m3": 9 + 3, "cortex-m4": 9 + 3, "cortex-m7": 5 + 4,
                  "cortex-m33": 5 + 3, "cortex-m55": 5 + 3}


@pytest.mark.parametrize("core", sorted(CORE_BOARDS))
def test_branch_outcomes_are_seen(core, tmp_path):
    board = load_board(CORE_BOARDS[core])
    d = _run(tmp_path, board, _BRANCH)
    assert d["insns"] == 200 * 5 - 100  # the add is skipped on the 100 even iterations
    assert d["btaken"] == 200 + 100     # every loop branch, half of the forward branches
    assert estimate_cycles_precise(d, board) == pytest.approx(100 * _BRANCH_CYCLES[core], rel=0.02)
    if core in ("cortex-m0", "cortex-m3", "cortex-m4"):  # the fast model: refill 2, the beq priced never taken
        assert estimate_cycles(d, board) == pytest.approx(100 * (9 + 3 * 2) - 100 * COSTS[core]["branch"])
    if core == "cortex-m7":
        assert abs(d["bmiss"] - 100) <= 1  # the counter's state when the 300-iteration run starts


@pytest.mark.parametrize("core", ["cortex-m3", "cortex-m4"])
def test_m3_m4_forward_direct_branches_and_bx_lr_only(core, tmp_path):
    """M3 TRM r2p0 section 1.5 (and the M4's): PC-relative branches and BX LR are forwarded (refill 1), a
    load to the PC is not (refill 2). A call and return each iteration: bl, bx lr (or push {lr}; pop {pc}),
    b, subs, bne."""
    board = load_board(CORE_BOARDS[core])
    d = _run(tmp_path, board, ["bl 3f", "b 4f", "3:", "bx lr", "4:"] + _LOOP)
    assert d["bxlr"] == 200 and d["bindirect"] == 200
    assert precise_terms(d, board)["branch"] == pytest.approx(200 * 4)  # bl, bx lr, b, bne: 1 each
    (tmp_path / "pop").mkdir()
    d = _run(tmp_path / "pop", board, ["bl 3f", "b 4f", "3:", "push {lr}", "pop {pc}", "4:"] + _LOOP)
    assert d["bxlr"] == 0 and d["ldpc"] == 200
    assert precise_terms(d, board)["branch"] == pytest.approx(200 * (1 + 2 + 1 + 1))  # pop {pc} not forwarded


# Cortex-M7 pairs (Arm's LLVM M7 model: two ALUs, two load ports, one store port, one MAC, DSP instructions
# only from the older slot, no pair with a dependent instruction): loop body, cycles per iteration.
M7_PAIRS = {
    "alu_alu": (["adds r1, r1, #1", "adds r2, r2, #1", "adds r3, r3, #1", "adds r5, r5, #1"] + _LOOP, 3, 3),
    "dependent_alu": (["adds r1, r1, #1"] * 4 + _LOOP, 1, 5),  # only subs pairs (with the last add)
    "load_alu": (["ldr r1, [r0]", "adds r2, r2, #1", "ldr r3, [r0, #4]", "adds r5, r5, #1"] + _LOOP, 3, 3),
    # str | str+mul | mul+adds | sadd16+subs | bne: the second store and MAC wait for their port
    # an extend (SIMD unit + ALU, older slot only) pairs with a shifted-operand add (ALU + shifter) after it;
    # an extend-and-add (UXTAB: the shifter too) does not: uxtb|add.w, uxtab, add.w|subs, bne
    "extend_shift": (["uxtb r1, r2", "add.w r3, r5, r6, lsl #2", "uxtab r7, r7, r2", "add.w r8, r5, r6, lsl #2"]
                     + _LOOP, 2, 4),
    "ports_and_dsp": (["str r1, [r0, #16]", "str r2, [r0, #20]", "mul r3, r1, r2", "mul r5, r1, r2", "adds r6, r6, #1",
                       "sadd16 r1, r1, r2"] + _LOOP, 3, 5),
}


@pytest.mark.parametrize("pattern", sorted(M7_PAIRS))
def test_m7_dual_issue_pairs(pattern, tmp_path):
    body, pairs, cycles = M7_PAIRS[pattern]
    board = load_board("mps2-an500")
    d = _run(tmp_path, board, body)
    assert d["dual"] == 200 * pairs
    assert estimate_cycles_precise(d, board) == pytest.approx(200 * cycles, rel=0.02)
    assert estimate_cycles(d, board) == pytest.approx(200 * 0.6 * len(body) + 200 * sum(  # the flat fast model
        COSTS["cortex-m7"][c] * d[c] / 200 for c in COSTS["cortex-m7"] if c not in ("insns", "bcond_fwd")), rel=1e-9)


# Cortex-M55 Helium (Arm's LLVM M55 model): a vector instruction issues in one cycle and holds its pipe
# (load/store, integer, multiply/FP) for two (four beats, two per tick); the next one overlaps it when it
# uses another pipe, waits a cycle when it uses the same. Cycles per iteration include subs+bne (1 + refill 1).
HELIUM = {
    # VLDR | VMLADAVA | VLDR | VMLADAVA: each overlaps the one before: 4 cycles for 4 vector instructions
    "load_mac_interleaved": (["vldrb.s8 q0, [r0]", "vmladava.s8 r2, q0, q1", "vldrb.s8 q2, [r0, #16]",
                              "vmladava.s8 r2, q2, q1"] + _LOOP, 0, 4 + 2),
    # four VMLADAVA into one accumulator: the same pipe, 2 cycles each
    "mac_chain": (["vmladava.s8 r2, q0, q1", "vmladava.s8 r2, q2, q1", "vmladava.s8 r2, q3, q1",
                   "vmladava.s8 r2, q4, q1"] + _LOOP, 3, 4 + 3 + 2),
    # LLVM's example VLDR; VADD; VMUL; VSTR: four pipes in turn, 4 issue cycles (the store ends in the fifth)
    "ldr_add_mul_str": (["vldrw.u32 q0, [r0]", "vadd.i32 q1, q0, q0", "vmul.i32 q2, q1, q0", "vstrw.32 q2, [r0, #16]"]
                        + _LOOP, 0, 4 + 2),
    # VCTP and VPST (control pipe, one cycle each), then a predicated VADD and a VMUL: no pipe repeats
    "predicated": (["vctp.32 r5", "vpst", "vaddt.i32 q1, q0, q0", "vmul.i32 q2, q1, q0"] + _LOOP, 0, 4 + 2),
    # two loads and two stores: the load/store pipe serializes them
    "loads_then_stores": (["vldrw.u32 q0, [r0]", "vldrw.u32 q1, [r0, #16]", "vstrw.32 q0, [r0, #32]",
                           "vstrw.32 q1, [r0, #48]"] + _LOOP, 3, 4 + 3 + 2),
}


@pytest.mark.parametrize("pattern", sorted(HELIUM))
def test_helium_beat_overlap(pattern, tmp_path):
    body, waits, cycles = HELIUM[pattern]
    board = load_board("mps3-an547")
    d = _run(tmp_path, board, body)
    assert d["mve"] == 200 * 4 and d["mve_wait"] == 200 * waits
    assert estimate_cycles_precise(d, board) == pytest.approx(200 * cycles, rel=0.02)
    assert estimate_cycles(d, board) == pytest.approx(200 * (4 * 2 + 1 + 2))  # fast: 2 cycles each, no overlap


@pytest.mark.parametrize("core", sorted(CORE_BOARDS))
def test_flash_wait_states_with_and_without_cache_on_every_core(core, tmp_path):
    """Each core's dev board with its memories given 3 wait states: streaming a flash table a word per
    iteration. Without caches every data read from flash and every taken branch (a non-sequential fetch) pays
    them; with a 16-byte-line data cache and an instruction cache only one read in four misses, the loop's
    lines stay in the instruction cache."""
    body = ["ldr r1, [r0]", "adds r0, #4"] + _LOOP
    # zero-wait cycles per iteration: M0/M3/M4 ldr 2 + adds + subs + bne 3 (M3/M4 2: forwarded); M7 (ldr|adds)(subs|bne); M33/M55 the same
    # pairs + refill 1
    base = {"cortex-m0": 7, "cortex-m3": 6, "cortex-m4": 6, "cortex-m7": 2, "cortex-m33": 3, "cortex-m55": 3}[core]
    board = dataclasses.replace(load_board(CORE_BOARDS[core]), flash_wait_states=3, flash_icache=None, flash_dcache=None)
    d = _run(tmp_path, board, body, data="table")
    assert d["dflash_miss"] == 200 and d["fetch_nonseq"] >= 200
    assert estimate_cycles_precise(d, board) == pytest.approx(200 * (base + 3 + 3) + 3 * (d["fetch_nonseq"] - 200),
                                                              rel=0.02)
    cached = dataclasses.replace(board, flash_icache=(16, 1, 64), flash_dcache=(16, 1, 8))
    (tmp_path / "cached").mkdir()
    d = _run(tmp_path / "cached", cached, body, data="table")
    assert d["dflash_miss"] == 50 and d["icache_miss"] <= 0
    assert estimate_cycles_precise(d, cached) == pytest.approx(200 * base + 3 * 50 + 3 * d["icache_miss"], rel=0.02)


def test_address_interlock_on_m4(tmp_path):
    """M4 TRM: a load whose address the previous instruction computed waits a cycle; a load with an
    independent address still pipelines behind it."""
    board = load_board("mps2-an386")
    d = _run(tmp_path, board, ["adds r1, r0, #4", "ldr r2, [r1]", "ldr r5, [r0]", "subs r4, #1", "bne 1b"])
    assert d["stall"] == 200 and d["load"] == 200 and d["load_next"] == 200
    # adds 1, ldr 2 + 1 interlock, ldr 1 (pipelined), subs 1, bne 1 + 1 (forwarded)
    assert estimate_cycles_precise(d, board) == pytest.approx(200 * (1 + 3 + 1 + 1 + 2))
    assert estimate_cycles(d, board) == pytest.approx(200 * 8)


def test_memory_traffic_per_region(tmp_path):
    """Bytes per region from the access pattern: 2 word loads and a word store on .data, 2-register
    push/pop on the stack (both in SRAM), one word from the .rodata table in flash."""
    board = load_board("mps2-an386")
    d = _run(tmp_path, board, ["ldr r1, [r0]", "ldr r2, [r0, #4]", "str r1, [r0, #8]", "push {r1, r2}", "pop {r1, r2}",
                               "ldr r6, =table", "ldr r6, [r6]", "subs r4, #1", "bne 1b"])
    t = memory_traffic(d, board)
    # the literal-pool load (ldr r6, =table) reads 4 bytes of flash too
    assert t["regions"] == {"ssram1": {"read": 200 * 8, "written": 0}, "ssram23": {"read": 200 * 16, "written": 200 * 12}}
    assert (t["flash_read_bytes"], t["ram_read_bytes"], t["written_bytes"]) == (1600, 3200, 2400)
    assert t["other_read_bytes"] == t["other_written_bytes"] == 0


def test_flash_wait_states_through_the_art_accelerator(tmp_path):
    """STM32F405: 5 wait states; the ART data cache holds 8 lines of 16 bytes. Streaming a flash table
    a word per iteration misses once per line: 25 lines on the 100-iteration run, 75 on the 300 one (the
    first run's lines were evicted long ago). The instruction cache misses the loop and marker lines once,
    cold, in the first run only: the difference is minus those few misses."""
    board = load_board("stm32f405")
    body = ["ldr r1, [r0], #4", "subs r4, #1", "bne 1b"]
    d = _run(tmp_path, board, body, data="table")
    assert d["dflash_miss"] == 50 and -8 <= d["icache_miss"] < 0 and d["rd0"] == 800
    trm = 200 * (2 + 1 + 2)  # ldr 2, subs 1, bne taken 2 (forwarded)
    assert estimate_cycles_precise(d, board) == pytest.approx(trm + 5 * 50 + 5 * d["icache_miss"])
    # without the accelerator every flash data read and every branch back to the loop pays the wait states
    bare = dataclasses.replace(board, flash_icache=None, flash_dcache=None)
    d = _run(tmp_path, bare, body, data="table")
    assert d["dflash_miss"] == 200 and d["fetch_nonseq"] == 200
    assert estimate_cycles_precise(d, bare) == pytest.approx(trm + 5 * 200 + 5 * 200)


def _symbol_ranges(elf: Path, names: list[str]) -> list[tuple[int, int]]:
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    found = {}
    with open(elf, "rb") as f:
        for sec in ELFFile(f).iter_sections():
            if isinstance(sec, SymbolTableSection):
                for sym in sec.iter_symbols():
                    if sym.name in names:
                        found[sym.name] = (sym["st_value"], sym["st_size"])
    return [found[n] for n in names]


def test_layer_traffic_equals_the_hand_count_of_a_conv_and_an_fc(tmp_path):
    """A generated model: CONV_2D 3x3 valid on 4x4x3 -> 2x2x4 (run in place a row chunk at a time),
    then FULLY_CONNECTED 16 -> 5, plain reference kernels on the M55 board (weights in its SRAM region,
    activations in ISRAM, stack in DTCM: separate regions). Watching each weight/bias/multiplier/shift
    array, the bytes each layer reads equal what its loops read:
      conv: every output (4 pixels x 4 channels) reads its 27 weights and 27 inputs, its bias, multiplier
            and shift (4 B each); the 16 outputs go to the ring slot, are then copied back (16 B read, 16 B
            written);
      FC:   every output (5) reads its 16 weights and the 16 inputs once, its bias, multiplier and shift."""
    from modelgen import get_model
    from tfedge.emulate.flash import flash_model

    tflite = tmp_path / "m.tflite"
    tflite.write_bytes(get_model("flatten_dense")["tflite"])
    board = load_board("mps3-an547")
    m = flash_model(tflite, board, None, progress=False, kernel_arch="reference", out_dir=tmp_path / "out")
    assert [l["op"] for l in m["layers"]] == ["CONV_2D", "FULLY_CONNECTED"]
    arrays = ["l0_weights_0", "l0_bias_1", "l0_mult_2", "l0_shift_3", "l1_weights_4", "l1_bias_5", "l1_mult_6",
              "l1_shift_7"]
    ranges = _symbol_ranges(Path(m["elf"]), arrays)
    assert [size for _, size in ranges] == [108, 16, 16, 16, 80, 20, 20, 20]
    run = run_firmware(board, Path(m["elf"]), workdir=tmp_path / "run", marks=marker_addresses(Path(m["elf"])),
                       trace=True, watch=ranges)
    conv, fc = split_snapshots(run.snapshots).layers[0]
    first = len(board.memory)
    read = lambda layer, name: layer[f"rd{first + arrays.index(name)}"]  # noqa: E731
    isram = [r.name for r in board.memory].index("isram")
    assert [read(conv, a) for a in arrays[:4]] == [16 * 27, 16 * 4, 16 * 4, 16 * 4]
    assert [read(conv, a) for a in arrays[4:]] == [0, 0, 0, 0]
    assert (conv[f"rd{isram}"], conv[f"wr{isram}"]) == (16 * 27 + 16, 16 + 16)
    assert [read(fc, a) for a in arrays[4:]] == [5 * 16, 5 * 4, 5 * 4, 5 * 4]
    assert (fc[f"rd{isram}"], fc[f"wr{isram}"]) == (5 * 16, 5)
    # flash_model's own per-layer traffic (board regions only) agrees on the activations
    assert m["layers"][1]["memory_traffic"]["regions"]["isram"] == {"read": 80, "written": 5}
    assert m["layers"][0]["memory_traffic"]["regions"]["isram"] == {"read": 448, "written": 32}
    # and the weights' region read at least every weight byte the loops use
    assert m["layers"][1]["memory_traffic"]["regions"]["sram"]["read"] >= 80 + 3 * 20
    # the roofline has a point per layer, and the PNG is written
    from tfedge.report.roofline import write_roofline_png

    assert [p["index"] for p in m["roofline"]["layers"]] == [0, 1]
    write_roofline_png(tmp_path / "roof.png", m)
    assert (tmp_path / "roof.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_roofline_bounds():
    """M4 DSP path: peak 2 MACs/cycle (SMLAD); STM32F405 flash streams a 16-byte ART line per 5 wait
    states + 1 = 2.67 B/cycle, SRAM 4 B/cycle."""
    board = load_board("stm32f405")
    heavy = {"index": 0, "op": "CONV_2D", "macs": 10_000, "est_cycles": 8_000,
             "memory_traffic": {"flash_read_bytes": 1_000, "ram_read_bytes": 1_000, "written_bytes": 200}}
    light = {"index": 1, "op": "FULLY_CONNECTED", "macs": 1_000, "est_cycles": 2_000,
             "memory_traffic": {"flash_read_bytes": 2_000, "ram_read_bytes": 100, "written_bytes": 10}}
    r = roofline([heavy, light], board, "dsp")
    assert r["peak_macs_per_cycle"] == 2.0 and r["ram_bytes_per_cycle"] == 4.0
    assert r["flash_bytes_per_cycle"] == pytest.approx(16 / 6)
    a, b = r["layers"]
    assert a["bound"] == "compute" and a["intensity"] == pytest.approx(10_000 / 2_200)
    assert a["attainable_macs_per_cycle"] == pytest.approx(2.0) and a["achieved_macs_per_cycle"] == 1.25
    assert b["bound"] == "memory" and b["attainable_macs_per_cycle"] == pytest.approx(1_000 / (750 + 110 / 4))
    assert roofline([heavy], load_board("mps3-an547"), "mve")["peak_macs_per_cycle"] == 8.0


def test_flash_cli_timing_and_roofline(reference_models, tmp_path, capsys):
    from tfedge import cli

    model = str(reference_models["hello_world_int8.tflite"])
    png, js = tmp_path / "roof.png", tmp_path / "m.json"
    assert cli.main(["flash", model, "--board", "stm32u585", "--roofline", str(png), "--json", str(js)]) == 0
    out = capsys.readouterr().out
    assert "(precise model; likely " in out and "flash rd" in out and "memory traffic / inference" in out
    assert png.read_bytes()[:4] == b"\x89PNG"
    import json

    m = json.loads(js.read_text())
    est = m["est_cycles_per_inference"]
    low, high = error_band(load_board("stm32u585"), "precise")  # M33: CoreMark evidence x the coremix change
    assert (low, high) == (round(1 / (1.52 * 0.843), 2), 1.15) and m["est_cycles_range"] == [round(low * est), round(high * est)]
    t = m["memory_traffic"]
    layers = sum(l["memory_traffic"]["flash_read_bytes"] for l in m["layers"])
    assert 0 < layers <= t["flash_read_bytes"] <= layers + 64  # the inference also holds the marker calls
    assert m["est_cycles_per_inference"] > m["est_cycles_per_inference_fast"]  # cold ICACHE misses, 4 WS each
    terms = m["est_cycles_terms"]  # the estimate by cause
    assert abs(sum(terms.values()) - est) <= len(terms) and terms["flash_fetch"] > 0 and terms["dual"] <= 0
    causes = dict(m["est_cycles_vs_fast"])  # the largest differences from the fast model, named
    assert causes["flash fetch / I-cache misses"] > 0 and "; precise adds " in out and "flash fetch / I-cache misses +" in out
    assert cli.main(["flash", model, "--board", "stm32u585", "--timing", "fast", "--json", str(js)]) == 0
    fast = json.loads(js.read_text())
    assert "memory_traffic" not in fast and fast["est_cycles_per_inference"] == m["est_cycles_per_inference_fast"]
    assert "flash rd" not in capsys.readouterr().out
    assert cli.main(["flash", model, "--board", "stm32u585", "--timing", "fast", "--roofline", str(png)]) != 0


def test_coremix_computes_coremark_and_measures_cycles_per_iteration():
    """scripts/coremix.py: the CoreMark work-alike on the M4 and the M33 computes CoreMark's self-check CRCs
    (the same work), its cycles per iteration (2 iterations' difference) follow the precise terms, and the
    comparison gives each model's absolute and relative (speed vs the M4) error against the published figures."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("coremix", Path(__file__).parent.parent / "scripts" / "coremix.py")
    coremix = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(coremix)
    m4, m33 = coremix.measure("mps2-an386", "-O2"), coremix.measure("mps2-an505", "-O2")
    for m in (m4, m33):
        assert {k: m["crcs"][k] for k in coremix.CHECK_CRCS} == {"crclist": 0xE714, "crcmatrix": 0x1FD7, "crcstate": 0x8E3A}
    assert 250_000 < m4["instructions"] < 400_000  # per iteration, every iteration the same work
    assert m4["crcs"]["crcfinal"] == m33["crcs"]["crcfinal"]
    # M4: TRM class costs; the precise model's forwarded branches (refill 1, the fast model's 2) make it cheaper
    assert m4["precise"] < m4["fast"] and m4["precise"] > m4["instructions"]
    # M33: 1-cycle loads and 16-bit pairs make it cheaper than the fast model's M4-like costs
    terms = precise_terms({k: v * coremix.ITERATIONS for k, v in m33["counts"].items()}, load_board("mps2-an505"))
    assert m33["precise"] == pytest.approx(sum(terms.values()) / coremix.ITERATIONS)
    assert terms["dual"] < 0 and m33["precise"] < m33["fast"]
    rows = {"cortex-m4": {**m4, "coremark_per_mhz": 3.40}, "cortex-m33": {**m33, "coremark_per_mhz": 4.02}}
    r = coremix.compare(rows)["cortex-m33"]
    assert r["published_ratio"] == pytest.approx(4.02 / 3.40) and r["published_cycles"] == pytest.approx(1e6 / 4.02)
    assert r["precise_ratio"] == pytest.approx(m4["precise"] / m33["precise"])
    assert r["precise_error"] == pytest.approx(r["precise_ratio"] / r["published_ratio"] - 1)
    assert r["precise_over_published"] == pytest.approx(m33["precise"] * 4.02 / 1e6)
