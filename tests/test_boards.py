"""Board database: files parse, cover the required boards, and fit the QEMU machines' memory maps."""

from __future__ import annotations

import json
import re
import subprocess
from functools import lru_cache

import pytest

from tfedge import cli
from tfedge.boards import BoardError, _parse, all_boards, board_names, format_table, load_board
from tfedge.build.linker import linker_script

DEVBOARDS = {"mps2-an385": "cortex-m3", "mps2-an386": "cortex-m4", "mps2-an500": "cortex-m7", "mps2-an505": "cortex-m33",
             "mps3-an547": "cortex-m55", "netduinoplus2": "cortex-m4", "microbit": "cortex-m0"}
PROFILES = {"stm32f405", "stm32l4r5", "stm32h743", "nrf52840", "stm32u585"}


def test_required_boards_present_with_their_cores():
    names = set(board_names())
    assert set(DEVBOARDS) | PROFILES <= names
    for name, core in DEVBOARDS.items():
        board = load_board(name)
        assert board.core == core and board.kind == "devboard" and board.qemu_machine == name
    for name in PROFILES:
        assert load_board(name).kind == "mcu-profile"


def test_mcu_profiles_use_a_machine_of_the_same_core():
    machine_core = {load_board(n).qemu_machine: load_board(n).core for n in DEVBOARDS}
    for name in PROFILES:
        board = load_board(name)
        assert machine_core[board.qemu_machine] == board.core, name


def test_real_chip_capacities():
    # Datasheet figures (bytes) the profiles must enforce.
    # STM32F405: 128 KB SRAM + 64 KB CCM (the CCM holds the arena when it fits)
    assert load_board("stm32f405").flash_bytes == 1024 * 1024 and load_board("stm32f405").ram_bytes == 192 * 1024
    assert load_board("stm32l4r5").ram_bytes == 640 * 1024 and load_board("stm32l4r5").clock_hz == 120_000_000
    assert load_board("nrf52840").ram_bytes == 256 * 1024 and load_board("nrf52840").clock_hz == 64_000_000
    assert load_board("stm32u585").ram_bytes == 768 * 1024 and load_board("stm32u585").flash_bytes == 2 * 1024 * 1024
    assert load_board("stm32h743").clock_hz == 480_000_000
    assert load_board("microbit").ram_bytes == 16 * 1024


@lru_cache(maxsize=None)
def _qemu_memory(machine: str) -> list[tuple[int, int]]:
    """Merged [start, end) ranges of RAM/ROM (or MPC-gated memory) in QEMU's flat memory views."""
    proc = subprocess.run(["qemu-system-arm", "-M", machine, "-nographic", "-S", "-monitor", "stdio", "-serial", "null"],
                          input="info mtree -f\nquit\n", capture_output=True, text=True, timeout=30)
    ranges = []
    for start, end, kind, name in re.findall(r"([0-9a-f]{16})-([0-9a-f]{16}) \(prio [-\d]+, ([\w/]+)\): ([\w.-]+)", proc.stdout):
        if kind in ("ram", "rom", "romd") or name == "tz-mpc-upstream":
            ranges.append((int(start, 16), int(end, 16) + 1))
    merged: list[list[int]] = []
    for s, e in sorted(ranges):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [tuple(r) for r in merged]


@pytest.mark.qemu
@pytest.mark.parametrize("name", sorted(set(DEVBOARDS) | PROFILES))
def test_memory_regions_inside_the_qemu_machine_memory_map(name):
    board = load_board(name)
    memory = _qemu_memory(board.qemu_machine)
    assert memory, f"could not read the memory map of {board.qemu_machine}"
    for region in board.memory:
        assert any(s <= region.origin and region.origin + region.size <= e for s, e in memory), (
            f"{name}: {region.name} 0x{region.origin:08x}+0x{region.size:x} is not inside QEMU {board.qemu_machine}'s memory")


def test_regions_do_not_overlap():
    for board in all_boards():
        spans = sorted((r.origin, r.origin + r.size, r.name) for r in board.memory)
        for (s1, e1, n1), (s2, e2, n2) in zip(spans, spans[1:]):
            assert e1 <= s2, f"{board.name}: {n1} overlaps {n2}"


def test_linker_script_places_every_section_in_its_region():
    board = load_board("mps3-an547")
    script = linker_script(board)
    assert "ITCM (rx) : ORIGIN = 0x10000000, LENGTH = 0x80000" in script
    assert re.search(r"\.rodata : .*?\} > SRAM", script, re.S)
    assert re.search(r"\.arena \(NOLOAD\).*?\} > ISRAM", script, re.S)
    assert re.search(r"\.data : .*?\} > DTCM AT > ITCM", script, re.S)
    assert f". += {board.stack_bytes};" in script


def test_stm32f405_arena_in_ccm_when_it_fits():
    board = load_board("stm32f405")
    small, large = board.for_arena(60 * 1024), board.for_arena(65 * 1024 + 1)
    assert small.region_for("arena").name == "ccm" and large.region_for("arena").name == "sram"
    assert re.search(r"\.arena \(NOLOAD\).*?\} > CCM", linker_script(small), re.S)
    assert re.search(r"\.arena \(NOLOAD\).*?\} > SRAM", linker_script(large), re.S)
    assert re.search(r"\.bss \(NOLOAD\).*?\} > SRAM", linker_script(small), re.S)
    assert load_board("mps2-an386").for_arena(1 << 20) == load_board("mps2-an386")  # one arena region: unchanged


def test_unknown_board_lists_the_known_ones():
    with pytest.raises(BoardError, match="unknown board 'nope'.*mps2-an386"):
        load_board("nope")


def test_malformed_board_file_names_every_problem(tmp_path):
    bad = tmp_path / "bad.toml"
    text = (load_board("microbit").path.read_text().replace('core = "cortex-m0"', 'core = "cortex-m99"')
            .replace('holds = ["stack", "data", "bss", "arena"]', 'holds = ["data", "bss", "arena", "heap"]'))
    bad.write_text(text)
    with pytest.raises(BoardError) as err:
        _parse(bad)
    message = str(err.value)
    assert "cortex-m99" in message and "'stack' must be held" in message and "heap" in message and "file name" in message


def test_boards_cli_table_and_json(capsys):
    assert cli.main(["boards"]) == 0
    table = capsys.readouterr().out
    assert "stm32h743" in table and "cortex-m55" in table and "480 MHz" in table and "256 KB" in table
    assert cli.main(["boards", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {b["name"] for b in data} == set(board_names())
    f405 = next(b for b in data if b["name"] == "stm32f405")
    assert f405["flash_bytes"] == 1 << 20 and f405["clock_hz"] == 168_000_000 and f405["flash_wait_states"] == 5


def test_table_has_one_row_per_board():
    assert len(format_table(all_boards()).splitlines()) == len(board_names()) + 2
