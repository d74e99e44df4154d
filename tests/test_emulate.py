"""The instruction counter and cycle model on hand-written micro-benchmarks, determinism, `tfedge emulate`,
and the Renode files.

Each micro-benchmark runs the same loop n1 and n2 times between the harness markers; the difference of
the two invocations is exactly (n2 - n1) loop bodies, whose instruction classes we know from the
source and whose cycles the Arm TRMs document (docs/cycle_model.md)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tfedge import cli
from tfedge.boards import load_board
from tfedge.build.firmware import build_firmware
from tfedge.emulate import renode
from tfedge.emulate.cycles import COSTS, estimate_cycles
from tfedge.emulate.measure import marker_addresses, split_snapshots
from tfedge.emulate.plugin import CLASSES
from tfedge.emulate.qemu import run_firmware

# Needs arm-none-eabi-gcc and qemu-system-arm (scripts/setup.sh installs them); without them the tests
# fail with the ToolchainError that names the install command rather than skip.
pytestmark = pytest.mark.qemu

_MAIN = """
#include <stdint.h>
__attribute__((noinline)) void tfedge_invoke_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void tfedge_invoke_end(void) { __asm__ volatile("" ::: "memory"); }
static uint32_t buf[16] __attribute__((aligned(16))) = {1, 2, 3, 4, 5, 6, 7, 8};
void bench(uint32_t n, uint32_t *p);
__attribute__((naked, noinline)) void bench(uint32_t n, uint32_t *p) {
  __asm__ volatile(
    ".syntax unified\\n"
    "push {r4-r7, lr}\\n"
    "mov r4, r0\\n"
    "mov r5, r1\\n"
    "movs r7, #3\\n"
    "bl tfedge_invoke_begin\\n"
    "mov r0, r5\\n"
    ".balign 64\\n"
    "1:\\n"
    %s
    "bl tfedge_invoke_end\\n"
    "pop {r4-r7, pc}\\n");
}
int main(void) {
  bench(100, buf);  /* the markers are called inside bench, around the loop */
  bench(300, buf);
  return 0;
}
"""

# loop body (asm lines), expected class counts per iteration, TRM cycles per iteration
BENCHES = {
    "mps2-an386": (  # Cortex-M4F: TRM r0p1 table 3-1 and FPU table 7-1
        ["ldr r1, [r0]", "ldr r2, [r0, #4]", "str r1, [r0, #8]", "muls r1, r2, r1", "smlad r3, r1, r2, r3",
         "smull r5, r6, r3, r2", "sdiv r1, r2, r7", "sadd16 r1, r1, r2", "ssat r1, #8, r1", "push {r1, r2}",
         "pop {r1, r2}", "vadd.f32 s0, s0, s1", "vdiv.f32 s2, s0, s1", "vldr s3, [r0]", "subs r4, #1", "bne 1b"],
        dict(insns=16, load=2, load_next=1, store=1, mul=2, mul64=1, div=1, dsp=2, multi=2, multi_regs=4, fp=1,
             fp_div=1, bcond_back=1),
        # ldr 2, ldr 1 (pipelined), str 1, muls 1, smlad 1, smull 1, sdiv 2..12 (7), sadd16 1, ssat 1, push 1+2,
        # pop 1+2, vadd 1, vdiv 14, vldr 2, subs 1, bne taken 1+P (P=2)
        2 + 1 + 1 + 1 + 1 + 1 + 7 + 1 + 1 + 3 + 3 + 1 + 14 + 2 + 1 + 3,
    ),
    "microbit": (  # Cortex-M0: TRM r0p0 table 3-1
        ["ldr r1, [r0]", "ldr r2, [r0, #4]", "str r1, [r0, #8]", "muls r1, r2, r1", "push {r1, r2}", "pop {r1, r2}",
         "adds r3, r3, r1", "subs r4, #1", "bne 1b"],
        dict(insns=9, load=1, load_next=1, store=1, mul=1, multi=2, multi_regs=4, bcond_back=1),
        2 + 2 + 2 + 1 + 3 + 3 + 1 + 1 + 3,
    ),
    "mps2-an385": (  # Cortex-M3: TRM r2p0 table 18-1
        ["ldr r1, [r0]", "ldr r2, [r0, #4]", "str r1, [r0, #8]", "mla r3, r1, r2, r3", "umull r5, r6, r3, r2",
         "udiv r1, r2, r7", "ldm r0, {r1, r2, r3}", "subs r4, #1", "bne 1b"],
        dict(insns=9, load=1, load_next=1, store=1, mul=1, mul64=1, div=1, multi=1, multi_regs=3, bcond_back=1),
        # mla 2 (model: 1.5), umull 3..5 (model 5), udiv 2..12 (7), ldm 1+3
        2 + 1 + 1 + 1.5 + 5 + 7 + 4 + 1 + 3,
    ),
    "mps3-an547": (  # Cortex-M55: Helium, 4 beats on a dual-beat datapath; LE free after the first iteration
        ["vldrw.u32 q0, [r0]", "vadd.i32 q1, q0, q0", "vmul.i32 q2, q1, q0", "vstrw.32 q2, [r0, #16]",
         "subs r4, #1", "bne 1b"],
        dict(insns=6, mve=4, bcond_back=1),
        2 + 2 + 2 + 2 + 1 + 2,
    ),
}


def _bench_elf(tmp_path: Path, board_name: str):
    body, _, _ = BENCHES[board_name]
    src = tmp_path / "bench.c"
    src.write_text(_MAIN % "\n    ".join(f'"{line}\\n"' for line in body))
    return build_firmware(load_board(board_name), [src], with_harness=False)


@pytest.mark.parametrize("board_name", sorted(BENCHES))
def test_instruction_classes_and_cycle_model_on_micro_benchmarks(board_name, tmp_path):
    board = load_board(board_name)
    fw = _bench_elf(tmp_path, board_name)
    run = run_firmware(board, fw.elf, workdir=tmp_path / "run", marks=marker_addresses(fw.elf), timeout=30)
    m = split_snapshots(run.snapshots)
    assert len(m.inferences) == 2
    diff = {c: m.inferences[1][c] - m.inferences[0][c] for c in CLASSES}
    _, per_iteration, trm_cycles = BENCHES[board_name]
    expected = {c: 200 * per_iteration.get(c, 0) for c in CLASSES}
    assert diff == expected
    assert estimate_cycles(diff, board) == pytest.approx(200 * trm_cycles)


def test_m55_low_overhead_loops_are_classified(tmp_path):
    src = tmp_path / "le.c"
    src.write_text(_MAIN.replace('"mov r0, r5\\n"', '"mov r0, r5\\n" "dls lr, r4\\n"') % "\n    ".join(
        f'"{line}\\n"' for line in ["vldrw.u32 q0, [r0]", "vadd.i32 q1, q0, q0", "le lr, 1b"]))
    board = load_board("mps3-an547")
    fw = build_firmware(board, [src], with_harness=False)
    run = run_firmware(board, fw.elf, workdir=tmp_path / "run", marks=marker_addresses(fw.elf), timeout=30)
    m = split_snapshots(run.snapshots)
    diff = {c: m.inferences[1][c] - m.inferences[0][c] for c in CLASSES}
    assert diff["insns"] == 600 and diff["mve"] == 400 and diff["loop"] == 200
    # LE costs nothing after the first iteration: 2 x 2-cycle Helium instructions per iteration
    assert estimate_cycles(diff, board) == pytest.approx(200 * 4)


def test_flash_wait_states_charge_taken_branches():
    import dataclasses

    board = load_board("stm32f405")
    counts = {"insns": 100, "branch": 10, "bcond_back": 5, "bcond_fwd": 7}
    zero_ws = load_board("mps2-an386")
    assert board.core == zero_ws.core and board.flash_wait_states == 5 and board.flash_cache
    # with the ART accelerator assumed to hit, flash costs nothing; missing it, every taken branch pays
    assert estimate_cycles(counts, board) == estimate_cycles(counts, zero_ws)
    assert estimate_cycles(counts, board, cold_flash=True) - estimate_cycles(counts, zero_ws) == 5 * 15
    uncached = dataclasses.replace(board, flash_cache=False)
    assert estimate_cycles(counts, uncached) - estimate_cycles(counts, zero_ws) == 5 * 15


def test_every_core_has_a_complete_cost_table():
    for core, costs in COSTS.items():
        assert set(costs) == set(CLASSES), core


def test_counts_are_deterministic(tmp_path):
    board = load_board("mps2-an386")
    fw = _bench_elf(tmp_path, "mps2-an386")
    runs = [run_firmware(board, fw.elf, workdir=tmp_path / f"run{i}", marks=marker_addresses(fw.elf)) for i in range(2)]
    assert runs[0].totals == runs[1].totals
    assert runs[0].snapshots == runs[1].snapshots


def test_emulate_cli_runs_a_user_elf(tmp_path, capsys):
    fw = _bench_elf(tmp_path, "microbit")
    elf = tmp_path / "app.elf"
    shutil.copyfile(fw.elf, elf)
    out_json = tmp_path / "m.json"
    assert cli.main(["emulate", str(elf), "--board", "microbit", "--json", str(out_json), "--renode"]) == 0
    text = capsys.readouterr().out
    assert "instructions" in text and "est. cycles" in text and "per invocation" in text
    data = json.loads(out_json.read_text())
    assert data["exit_code"] == 0 and data["invocations"] == 2
    assert data["instructions"] > 9 * 400 and data["est_cycles"] > data["instructions"]
    assert data["instruction_classes"]["mul"] >= 400
    assert (tmp_path / "app.resc").is_file() and (tmp_path / "app.robot").is_file()


def test_emulate_rejects_a_non_elf(tmp_path):
    bogus = tmp_path / "app.elf"
    bogus.write_bytes(b"not an elf")
    assert cli.main(["emulate", str(bogus), "--board", "mps2-an386"]) == 1


def test_renode_files_for_boards_with_a_platform(tmp_path):
    elf = tmp_path / "kws-netduinoplus2.elf"
    elf.write_bytes(b"\x7fELF")
    resc, robot = renode.write_files(load_board("netduinoplus2"), elf)
    assert resc.name == "kws-netduinoplus2.resc" and robot.name == "kws-netduinoplus2.robot"
    r = resc.read_text()
    assert "machine LoadPlatformDescription @platforms/cpus/stm32f4.repl" in r
    assert f"sysbus LoadELF @{elf.resolve()}" in r and "start" in r
    t = robot.read_text()
    assert "*** Test Cases ***" in t and "Create Terminal Tester    sysbus.usart1" in t
    assert "Wait For Line On Uart     tfedge: done" in t
    micro = renode.write_files(load_board("microbit"), tmp_path / "m.elf")
    assert "platforms/cpus/nrf51.repl" in micro[0].read_text() and "sysbus.uart0" in micro[1].read_text()
    assert renode.write_files(load_board("mps2-an386"), tmp_path / "x.elf") is None
    assert "renode-test" in renode.how_to_run(load_board("netduinoplus2"), tmp_path)


def test_renode_test_runs_when_on_path(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "ran.txt"
    fake = bin_dir / "renode-test"
    fake.write_text(f"#!/bin/sh\necho \"$@\" > {log}\nexit 0\n")
    fake.chmod(0o755)
    elf = tmp_path / "app.elf"
    elf.write_bytes(b"\x7fELF")
    board = load_board("microbit")
    files = renode.write_files(board, elf)
    assert "on PATH" in renode.run_if_available(board, files)  # not installed: says how to run
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    assert renode.run_if_available(board, files) == "renode-test app.robot: passed"
    assert log.read_text().strip() == str(files[1])
