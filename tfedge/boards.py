"""The board database: one TOML file per board in boards/ (`tfedge boards` lists them).

A board is either an emulated dev board (the QEMU machine as it is) or an MCU profile: a real chip's
flash, RAM and clock, run on the QEMU machine of the same core with the chip's sizes enforced by the
linker script (tfedge/build/linker.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from tfedge.errors import TfedgeError
from tfedge.paths import BOARDS_DIR

CORES = ("cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")
SECTIONS = ("text", "rodata", "data", "bss", "stack", "arena")
CONSOLES = ("semihosting", "uart-cmsdk", "uart-stm32", "uart-nrf51")


class BoardError(TfedgeError):
    """Unknown board or malformed board file."""


@dataclass(frozen=True)
class MemoryRegion:
    name: str
    origin: int
    size: int
    kind: str  # "flash" (code/constants, counted as flash) or "ram"
    holds: tuple[str, ...]


@dataclass(frozen=True)
class Board:
    name: str
    kind: str
    description: str
    core: str
    fpu: bool
    dsp: bool
    mve: bool
    clock_hz: int
    flash_wait_states: int
    flash_cache: bool  # ART accelerator / instruction cache in front of the flash
    stack_bytes: int
    console: str
    uart_base: int
    qemu_machine: str
    memory: tuple[MemoryRegion, ...]
    qemu_cpu: str | None = None
    renode_platform: str | None = None
    note: str = ""
    path: Path | None = field(default=None, compare=False)
    # Flash caches for the precise timing mode, (line bytes, sets, ways); dcache "shared" = the icache also
    # serves data reads from flash (STM32U5 ICACHE on the C-bus). None: no cache (docs/cycle_model.md).
    flash_icache: tuple[int, int, int] | None = None
    flash_dcache: tuple[int, int, int] | str | None = None

    @property
    def kernel_arch(self) -> str:
        """Which kernel paths the firmware links (see tfedge.compiler.ARCH_PATHS)."""
        if self.mve:
            return "mve"
        if self.dsp:
            return "dsp"
        if self.core in ("cortex-m0", "cortex-m0plus"):
            return "armv6m"
        return "portable"

    @property
    def flash_bytes(self) -> int:
        return sum(r.size for r in self.memory if r.kind == "flash")

    @property
    def ram_bytes(self) -> int:
        return sum(r.size for r in self.memory if r.kind == "ram")

    def region_for(self, section: str) -> MemoryRegion:
        """The region that holds `section` (text, rodata, data, bss, stack, arena)."""
        for region in self.memory:
            if section in region.holds:
                return region
        raise BoardError(f"board {self.name}: no memory region holds '{section}'")

    def for_arena(self, arena_bytes: int) -> Board:
        """This board with the arena in the first region that holds it and has room for it (a board may
        list a small fast RAM first, e.g. the STM32F405's CCM, and its main SRAM as the fallback)."""
        holders = [r for r in self.memory if "arena" in r.holds]
        if len(holders) < 2:
            return self
        chosen = next((r for r in holders if r.size >= arena_bytes), holders[-1])
        memory = tuple(r if r is chosen or "arena" not in r.holds else
                       replace(r, holds=tuple(s for s in r.holds if s != "arena")) for r in self.memory)
        return replace(self, memory=memory)

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("path")
        data["flash_bytes"], data["ram_bytes"] = self.flash_bytes, self.ram_bytes
        return data


def _parse(path: Path) -> Board:
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise BoardError(f"board file {path} is not valid TOML: {exc}") from None
    where = f"board file {path}"
    try:
        memory = tuple(
            MemoryRegion(m["name"], int(m["origin"]), int(m["size"]), m["kind"], tuple(m["holds"])) for m in raw["memory"]
        )
        board = Board(
            name=raw["name"],
            kind=raw["kind"],
            description=raw.get("description", ""),
            core=raw["core"],
            fpu=bool(raw["fpu"]),
            dsp=bool(raw["dsp"]),
            mve=bool(raw["mve"]),
            clock_hz=int(raw["clock_hz"]),
            flash_wait_states=int(raw["flash_wait_states"]),
            flash_cache=bool(raw["flash_cache"]),
            stack_bytes=int(raw["stack_bytes"]),
            console=raw["console"]["kind"],
            uart_base=int(raw["console"].get("uart_base", 0)),
            qemu_machine=raw["qemu"]["machine"],
            qemu_cpu=raw["qemu"].get("cpu"),
            renode_platform=raw.get("renode", {}).get("platform"),
            note=raw.get("note", ""),
            memory=memory,
            path=path,
            flash_icache=_cache_geometry(raw.get("flash_icache")),
            flash_dcache="shared" if raw.get("flash_dcache") == "shared" else _cache_geometry(raw.get("flash_dcache")),
        )
    except KeyError as exc:
        raise BoardError(f"{where}: missing key {exc}") from None
    problems = []
    if board.name != path.stem:
        problems.append(f"name '{board.name}' differs from the file name")
    if board.kind not in ("devboard", "mcu-profile"):
        problems.append(f"kind '{board.kind}' is not devboard or mcu-profile")
    if board.core not in CORES:
        problems.append(f"core '{board.core}' is not one of {', '.join(CORES)}")
    if board.console not in CONSOLES:
        problems.append(f"console '{board.console}' is not one of {', '.join(CONSOLES)}")
    for section in SECTIONS:
        holders = [r.name for r in memory if section in r.holds]
        if len(holders) != 1 and not (section == "arena" and len(holders) == 2):
            problems.append(f"'{section}' must be held by exactly one memory region (the arena: one or two, "
                            f"the first used when it has room; found {holders or 'none'})")
    for region in memory:
        if region.kind not in ("flash", "ram"):
            problems.append(f"memory region {region.name}: kind '{region.kind}' is not flash or ram")
        unknown = set(region.holds) - set(SECTIONS)
        if unknown:
            problems.append(f"memory region {region.name}: unknown sections {sorted(unknown)}")
    if problems:
        raise BoardError(f"{where}:\n  - " + "\n  - ".join(problems))
    return board


def board_names() -> list[str]:
    return sorted(p.stem for p in BOARDS_DIR.glob("*.toml"))


def _cache_geometry(raw: dict | None) -> tuple[int, int, int] | None:
    """{line_bytes, sets, ways} from a board file's [flash_icache] / [flash_dcache] table."""
    if raw is None:
        return None
    return int(raw["line_bytes"]), int(raw["sets"]), int(raw["ways"])


def load_board(name: str) -> Board:
    path = BOARDS_DIR / f"{name}.toml"
    if not path.is_file():
        raise BoardError(f"unknown board '{name}'; known boards: {', '.join(board_names())} (see `tfedge boards`)")
    return _parse(path)


def all_boards() -> list[Board]:
    boards = [load_board(n) for n in board_names()]
    return sorted(boards, key=lambda b: (b.kind != "devboard", CORES.index(b.core), b.name))


def _kib(n: int) -> str:
    return f"{n // 1024} KB" if n < 1024 * 1024 else f"{n / (1024 * 1024):g} MB"


def format_table(boards: list[Board]) -> str:
    header = ("board", "kind", "core", "FPU/DSP/MVE", "flash", "RAM", "clock", "flash WS", "QEMU machine")
    # flash WS: wait states, "+cache" where an ART accelerator / instruction cache hides them
    rows = [header]
    for b in boards:
        feats = "/".join(x for x, on in (("FPU", b.fpu), ("DSP", b.dsp), ("MVE", b.mve)) if on) or "-"
        rows.append((b.name, b.kind, b.core, feats, _kib(b.flash_bytes), _kib(b.ram_bytes), f"{b.clock_hz / 1e6:g} MHz",
                     f"{b.flash_wait_states}{' +cache' if b.flash_cache and b.flash_wait_states else ''}", b.qemu_machine))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the boards as JSON")
    parser.add_argument("name", nargs="?", help="show one board in full (JSON)")


def run(args: argparse.Namespace) -> int:
    if args.name:
        print(json.dumps(load_board(args.name).to_json(), indent=2))
        return 0
    boards = all_boards()
    if args.json:
        json.dump([b.to_json() for b in boards], sys.stdout, indent=2)
        print()
    else:
        print(format_table(boards))
    return 0
