"""Firmware template on every board: boot, console, harness I/O, faults, stack overflow, hangs, fit."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import numpy as np
import pytest

from tfedge.boards import board_names, load_board
from tfedge.build.elfinfo import SymbolTable, elf_sizes
from tfedge.build.firmware import build_firmware
from tfedge.emulate.measure import run_samples
from tfedge.emulate.qemu import run_firmware
from tfedge.errors import DoesNotFitError, FirmwareError, ToolchainError

# Needs arm-none-eabi-gcc and qemu-system-arm (scripts/setup.sh installs them); without them the tests
# fail with the ToolchainError that names the install command rather than skip.
pytestmark = pytest.mark.qemu

FAKE_MODEL = Path(__file__).parent / "data" / "fake_model.c"


def fake_model_reference(x: np.ndarray) -> np.ndarray:
    """Host mirror of tests/data/fake_model.c."""
    xs = x.reshape(len(x), 32).astype(np.int64)
    i, j = np.arange(32), np.arange(4)
    w = ((7 * i[None, :] + 13 * j[:, None]) % 17) - 8
    return np.clip((xs @ w.T + 16) >> 5, -128, 127).astype(np.int8)


def build_fake(board_name: str, **kw):
    return build_firmware(load_board(board_name), [FAKE_MODEL], defines=["TFEDGE_PROFILE_LAYERS"], **kw)


def build_program(tmp_path: Path, board_name: str, source: str):
    path = tmp_path / "app.c"
    path.write_text(source)
    return build_firmware(load_board(board_name), [path], with_harness=False)


@pytest.mark.parametrize("name", board_names())
def test_every_board_boots_the_template_and_prints_through_its_console(name, tmp_path):
    board = load_board(name)
    fw = build_fake(name)
    run = run_firmware(board, fw.elf, workdir=tmp_path, timeout=30)
    assert run.exit_code == 0
    assert run.console[0] == "tfedge: boot", run.console
    assert "tfedge: done" in run.console
    assert run.values["arena_bytes"] == "64" and run.values["layers"] == "2"
    used, _, size = run.values["stack_used"].partition(" of ")
    assert 0 < int(used) < int(size) == board.stack_bytes
    assert run.instructions > 1000


@pytest.mark.parametrize("name", ["mps2-an386", "microbit"])
def test_semihosting_console(name, tmp_path):
    import dataclasses

    board = dataclasses.replace(load_board(name), console="semihosting")
    fw = build_firmware(board, [FAKE_MODEL])
    run = run_firmware(board, fw.elf, workdir=tmp_path, timeout=30)
    assert run.console[0] == "tfedge: boot" and "tfedge: done" in run.console


@pytest.mark.parametrize("name", ["mps2-an386", "microbit", "mps3-an547"])
def test_harness_streams_many_inputs_and_outputs_match_the_host(name, tmp_path):
    board = load_board(name)
    fw = build_fake(name)
    x = np.random.default_rng(7).integers(-128, 128, (40, 1, 4, 4, 2)).astype(np.int8)
    raw, run, m = run_samples(board, fw.elf, x, 4, workdir=tmp_path, progress=False)
    np.testing.assert_array_equal(raw.view(np.int8), fake_model_reference(x))
    assert len(m.inferences) == 40 and all(len(layers) == 2 for layers in m.layers)
    # per-layer costs add up to (nearly) the inference: only the marker calls lie outside the layers
    for inference, layers in zip(m.inferences, m.layers):
        inside = sum(l["insns"] for l in layers)
        assert 0 < inference["insns"] - inside < 40
    # the 32x4 MAC loop dominates: at least one multiply per MAC
    assert min(l[0]["mul"] for l in m.layers) >= 128
    assert m.setup["insns"] > 0


def test_bad_input_file_is_reported(tmp_path):
    board = load_board("mps2-an386")
    fw = build_fake("mps2-an386")
    x = np.zeros((3, 31), np.int8)  # 31 bytes per sample, the model wants 32
    with pytest.raises(FirmwareError, match="status 12.*input file"):
        run_samples(board, fw.elf, x, 4, workdir=tmp_path, progress=False)


def test_builds_are_cached_by_content(tmp_path):
    a = build_fake("mps2-an385")
    b = build_fake("mps2-an385")
    assert b.cached and a.elf == b.elf
    s = build_fake("mps2-an385", opt="-Os")
    assert s.elf != a.elf
    src = tmp_path / "fake_model.c"
    nonce = f"/* {uuid.uuid4()} */\n"  # new content: never built before
    src.write_text(nonce + FAKE_MODEL.read_text())
    c = build_firmware(load_board("mps2-an385"), [src], defines=["TFEDGE_PROFILE_LAYERS"])
    assert not c.cached and c.elf != a.elf


def test_core_flags_reach_the_elf():
    """Soft-float v6-M on the M0, hard-float v7E-M on the M4F, Helium on the M55 (readelf -A)."""
    import subprocess

    expect = {"microbit": ("v6S-M", False, False), "mps2-an385": ("v7", False, False),
              "mps2-an386": ("v7E-M", True, False), "mps3-an547": ("v8.1-M.mainline", True, True)}
    for name, (arch, hard, mve) in expect.items():
        attrs = subprocess.run(["arm-none-eabi-readelf", "-A", str(build_fake(name).elf)], capture_output=True,
                               text=True, check=True).stdout
        assert re.search(rf"Tag_CPU_arch: {re.escape(arch)}\b", attrs), (name, attrs)
        assert ("Tag_ABI_VFP_args: VFP registers" in attrs) == hard, name
        assert ("Tag_MVE_arch: MVE Integer and FP" in attrs) == mve, name


def test_memory_sizes_from_the_elf():
    fw = build_fake("mps2-an386")
    sizes = elf_sizes(fw.elf)
    assert sizes.arena == 64
    assert sizes.stack_reserved == load_board("mps2-an386").stack_bytes
    assert sizes.text > 500 and sizes.flash == sizes.text + sizes.rodata + sizes.data
    assert sizes.bss >= 4 * 4 + 4 * 32  # acc[] and weights[] of the fake model
    from tfedge.build.elfinfo import region_usage

    usage = {r["name"]: r for r in region_usage(fw.elf, load_board("mps2-an386"))}
    assert usage["ssram1"]["used_bytes"] == sizes.flash
    assert usage["ssram23"]["used_bytes"] == sizes.static_ram + sizes.stack_reserved
    an547 = build_fake("mps3-an547")
    usage = {r["name"]: r["used_bytes"] for r in region_usage(an547.elf, load_board("mps3-an547"))}
    assert usage["isram"] == 64 and usage["dtcm"] >= 16384 and usage["sram"] > 0 and usage["itcm"] > 500
    syms = SymbolTable(fw.elf)
    assert syms.describe(syms.address("tfedge_model_invoke") + 2) == "tfedge_model_invoke+0x2"


HANG = """
#include "console.h"
int main(void) { console_puts("spinning\\n"); for (;;) { __asm__ volatile(""); } }
"""

FAULT = """
#include "console.h"
__attribute__((noinline)) int crash_here(int x) { if (x) __builtin_trap(); return x; }
int main(void) { console_puts("about to fault\\n"); return crash_here(1) + 1; }
"""

BUS_FAULT = """
#include <stdint.h>
#include "console.h"
__attribute__((noinline)) int read_nowhere(volatile uint32_t *p) { return (int)*p; }
int main(void) { return read_nowhere((volatile uint32_t *)0xF0000000u) + 1; }
"""

OVERFLOW = """
#include <stdint.h>
#include "console.h"
__attribute__((noinline)) int deep(int n) {
  volatile uint8_t buf[256]; buf[0] = (uint8_t)n; buf[255] = buf[0];
  return n == 0 ? buf[255] : deep(n - 1) + buf[7];
}
int main(void) { console_puts("recursing\\n"); return deep(100000); }
"""


@pytest.mark.parametrize("name", ["mps2-an386", "microbit"])
def test_hung_firmware_is_stopped_at_the_timeout(name, tmp_path):
    fw = build_program(tmp_path, name, HANG)
    with pytest.raises(FirmwareError, match=r"did not finish within 2 s.*Last console line: spinning"):
        run_firmware(load_board(name), fw.elf, workdir=tmp_path / "run", timeout=2)


@pytest.mark.parametrize("name", ["mps2-an386", "microbit", "mps3-an547"])
def test_hardfault_reports_registers_and_the_faulting_function(name, tmp_path):
    fw = build_program(tmp_path, name, FAULT)
    with pytest.raises(FirmwareError) as err:
        run_firmware(load_board(name), fw.elf, workdir=tmp_path / "run", timeout=20)
    message = str(err.value)
    assert "HardFault" in message and "in crash_here+0x" in message
    if name != "microbit":  # ARMv6-M has no CFSR/HFSR
        assert "CFSR=0x" in message and "HFSR=0x" in message and "BFAR=0x" in message


def test_bus_fault_names_the_address(tmp_path):
    fw = build_program(tmp_path, "mps2-an385", BUS_FAULT)
    with pytest.raises(FirmwareError, match=r"in read_nowhere\+0x.*BFAR=0xf0000000"):
        run_firmware(load_board("mps2-an385"), fw.elf, workdir=tmp_path / "run", timeout=20)


@pytest.mark.parametrize("name", ["mps2-an386", "microbit", "mps2-an505", "netduinoplus2"])
def test_stack_overflow_is_detected_and_named(name, tmp_path):
    fw = build_program(tmp_path, name, OVERFLOW)
    with pytest.raises(FirmwareError, match=r"stack overflow on .*stack_bytes"):
        run_firmware(load_board(name), fw.elf, workdir=tmp_path / "run", timeout=20)


def test_painted_stack_used_to_the_end_is_an_overflow(tmp_path):
    from tfedge.emulate.measure import check_stack
    from tfedge.emulate.qemu import QemuRun

    board = load_board("mps2-an386")
    check_stack(board, QemuRun(0, [], [], {}, {"stack_used": "16380 of 16384"}))
    with pytest.raises(FirmwareError, match="stack overflow on mps2-an386: the whole 16384-byte stack"):
        check_stack(board, QemuRun(0, [], [], {}, {"stack_used": "16384 of 16384"}))


def test_too_big_for_flash_or_ram_is_a_clear_error(tmp_path):
    src = tmp_path / "big.c"
    src.write_text("""
#include <stdint.h>
#include <stddef.h>
const int8_t big_weights[300 * 1024] = {1};
static int8_t big_buffer[20 * 1024];
volatile size_t where = 7;
int main(void) { big_buffer[where] = big_weights[where]; return big_buffer[where] - 1; }
""")
    with pytest.raises(DoesNotFitError) as err:
        build_firmware(load_board("microbit"), [src], with_harness=False)
    message = str(err.value)
    assert "does not fit board microbit" in message
    assert re.search(r"flash \(flash, holds text/rodata\): needed (\d+) bytes, available 262144 bytes", message)
    assert re.search(r"sram \(ram, holds stack/data/bss/arena\): needed (\d+) bytes, available 16384 bytes", message)
    needed = int(re.search(r"flash \(flash.*?needed (\d+)", message).group(1))
    assert needed >= 300 * 1024
    # the same program fits a bigger board
    build_firmware(load_board("mps2-an386"), [src], with_harness=False)


def test_missing_toolchain_names_the_install_command(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ToolchainError, match="apt-get install gcc-arm-none-eabi"):
        build_firmware(load_board("microbit"), [FAKE_MODEL])

