"""Runs a firmware ELF in qemu-system-arm with the counting plugin, and decodes what happened.

One emulator session per call: console lines stream to a callback (progress), semihosting files live
in `workdir`, the plugin's counter snapshots come back as `Snapshot`s. Hangs are killed at a timeout,
HardFaults and stack overflows reported by the template's fault handler become FirmwareErrors that
name the fault registers and the faulting PC's function.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tfedge.boards import Board
from tfedge.build.elfinfo import SymbolTable
from tfedge.emulate.cycles import PRECISE_COSTS
from tfedge.emulate.plugin import CLASSES, TRACE_COUNTERS, plugin_path
from tfedge.errors import FirmwareError, ToolchainError

QEMU = "qemu-system-arm"
QEMU_INSTALL = "install it with: sudo apt-get install qemu-system-arm"

# Exit codes of firmware/template/tfedge_firmware.h
EXIT_CODES = {
    0: "ok",
    10: "tfedge_model_init() failed",
    11: "tfedge_model_invoke() failed",
    12: "the input file could not be read or does not match the model's input size",
    13: "the output file could not be written",
    100: "HardFault",
    101: "stack overflow",
}
EXIT_FAULT, EXIT_STACK_OVERFLOW = 100, 101
MAX_REGIONS = 16  # tfedge_count.c MAX_REGIONS


@dataclass(frozen=True)
class Snapshot:
    mark: int                 # index into the marks list given to run_firmware
    counts: dict[str, int]    # class -> cumulative count at that moment


@dataclass
class QemuRun:
    exit_code: int
    console: list[str]
    snapshots: list[Snapshot]
    totals: dict[str, int]
    values: dict[str, str] = field(default_factory=dict)  # "tfedge: key value" console lines

    @property
    def instructions(self) -> int:
        return self.totals["insns"]


def find_qemu() -> str:
    path = shutil.which(QEMU)
    if not path:
        raise ToolchainError(f"{QEMU} not found on PATH; {QEMU_INSTALL}")
    return path


def qemu_command(board: Board, elf: Path, plugin_args: list[str] | None = None) -> list[str]:
    cmd = [find_qemu(), "-M", board.qemu_machine]
    if board.qemu_cpu:
        cmd += ["-cpu", board.qemu_cpu]
    cmd += ["-nographic", "-monitor", "none", "-serial", "stdio",
            "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)]
    if plugin_args is not None:
        cmd += ["-plugin", ",".join([str(plugin_path()), *plugin_args])]
    return cmd


def trace_args(board: Board, watch: Sequence[tuple[int, int]] = ()) -> list[str]:
    """Plugin arguments of the trace mode: the board's memory regions (":w" marks flash that pays wait
    states; counters rd<i>/wr<i> for region i), then the `watch` (address, size) ranges (counters from
    index len(board.memory) on; an access inside one is counted there instead of its board region), the
    flash cache geometry, and the core with its precise issue costs (the plugin's pipeline model)."""
    ws = board.flash_wait_states > 0
    issue = PRECISE_COSTS[board.core]
    args = ["trace=1", f"core={board.core}", "costs=" + ":".join(f"{issue[c]:g}" for c in CLASSES)] + [f"region=0x{r.origin:x}:0x{r.size:x}" + (":w" if ws and r.kind == "flash" else "")
                          for r in board.memory]
    if len(board.memory) + len(watch) > MAX_REGIONS:
        raise FirmwareError(f"the QEMU plugin follows at most {MAX_REGIONS} memory ranges")
    for addr, size in watch:
        inside = next((r for r in board.memory if r.origin <= addr < r.origin + r.size), None)
        args.append(f"region=0x{addr:x}:0x{size:x}" + (":w" if ws and inside is not None and inside.kind == "flash" else ""))
    if board.flash_icache:
        args.append("icache=" + ":".join(map(str, board.flash_icache)))
    if board.flash_dcache == "shared":
        args.append("dcache=shared")
    elif board.flash_dcache:
        args.append("dcache=" + ":".join(map(str, board.flash_dcache)))
    return args


def _parse_counts(path: Path) -> tuple[list[Snapshot], dict[str, int]]:
    snapshots, totals = [], {}
    names: tuple[str, ...] = CLASSES
    if not path.is_file():
        return snapshots, totals
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "classes":
                names = tuple(parts[1:])
                if names[:len(CLASSES)] != CLASSES or names[len(CLASSES):len(CLASSES) + 1] not in ((), TRACE_COUNTERS[:1]):
                    raise FirmwareError(f"the QEMU plugin's classes {parts[1:]} differ from tfedge's {CLASSES}: rebuild it")
            elif parts[0] == "M":
                snapshots.append(Snapshot(int(parts[1]), dict(zip(names, map(int, parts[2:])))))
            elif parts[0] == "T":
                totals = dict(zip(names, map(int, parts[1:])))
    return snapshots, totals


_FAULT_FIELD = re.compile(r"(\w+)=(0x[0-9a-f]+|\d+)")


def fault_error(board: Board, elf: Path, exit_code: int, console: list[str]) -> FirmwareError:
    line = next((l for l in console if "HARDFAULT" in l or "STACK OVERFLOW" in l), "")
    fields = {k: int(v, 0) for k, v in _FAULT_FIELD.findall(line)}
    symbols = SymbolTable(elf)
    if exit_code == EXIT_STACK_OVERFLOW:
        return FirmwareError(
            f"stack overflow on {board.name}: the stack ({fields.get('stack_size', board.stack_bytes)} bytes, "
            f"from 0x{fields.get('stack_bottom', 0):08x}) was exceeded (sp=0x{fields.get('sp', 0):08x}). "
            f"Raise stack_bytes in the board file or reduce stack use (large local arrays, deep recursion).\n  {line.strip()}"
        )
    pc, lr = fields.get("pc"), fields.get("lr")
    where = f" at pc=0x{pc:08x} in {symbols.describe(pc)}" if pc is not None else ""
    caller = f", lr=0x{lr:08x} in {symbols.describe(lr)}" if lr is not None else ""
    regs = ", ".join(f"{k.upper()}=0x{fields[k]:08x}" for k in ("cfsr", "hfsr", "mmfar", "bfar") if k in fields)
    return FirmwareError(f"HardFault on {board.name}{where}{caller}" + (f"; {regs}" if regs else "") + f"\n  {line.strip()}")


def run_firmware(
    board: Board,
    elf: Path,
    *,
    workdir: Path,
    marks: list[int] = (),
    timeout: float = 60.0,
    on_line: Callable[[str], None] | None = None,
    check_exit: bool = True,
    trace: bool = False,
    watch: Sequence[tuple[int, int]] = (),
) -> QemuRun:
    """Runs `elf` on `board`'s QEMU machine (cwd = workdir, where semihosting files are read/written).
    trace: also follow the executed stream (branch outcomes, memory traffic per region, flash caches) for
    the precise timing model; slower than the per-block counts alone. watch: extra (address, size)
    ranges whose traffic the trace counts separately (see trace_args)."""
    workdir.mkdir(parents=True, exist_ok=True)
    counts_file = workdir / "tfedge_counts.txt"
    counts_file.unlink(missing_ok=True)
    plugin_args = [f"out={counts_file}", *(f"mark=0x{m:x}" for m in marks), *(trace_args(board, watch) if trace else [])]
    cmd = qemu_command(board, elf, plugin_args)
    # stderr is merged: QEMU writes the semihosting console there, the UART goes to stdout
    proc = subprocess.Popen(cmd, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace")
    console: list[str] = []

    def pump() -> None:
        for raw in proc.stdout:
            line = raw.rstrip("\r\n")
            console.append(line)
            if on_line:
                on_line(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        reader.join(timeout=5)
        last = console[-1] if console else "(no console output)"
        raise FirmwareError(
            f"the firmware on {board.name} did not finish within {timeout:g} s and was stopped (hung? an endless loop, "
            f"or waiting on a peripheral QEMU does not model). Last console line: {last}"
        ) from None
    reader.join(timeout=5)
    exit_code = proc.returncode
    snapshots, totals = _parse_counts(counts_file)
    if not totals and exit_code != 0:
        tail = "\n".join(console[-20:])
        raise ToolchainError(f"{QEMU} failed (exit {exit_code}): {tail}")
    values = {}
    for line in console:
        if line.startswith("tfedge: "):
            key, _, value = line[len("tfedge: "):].partition(" ")
            values[key] = value
    run = QemuRun(exit_code, console, snapshots, totals, values)
    if check_exit and exit_code in (EXIT_FAULT, EXIT_STACK_OVERFLOW):
        raise fault_error(board, elf, exit_code, console)
    if check_exit and exit_code != 0:
        what = EXIT_CODES.get(exit_code, "the firmware exited with an error")
        tail = "\n  ".join(console[-5:])
        raise FirmwareError(f"firmware on {board.name} exited with status {exit_code}: {what}\n  {tail}")
    return run
