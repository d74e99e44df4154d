"""`tfedge emulate app.elf --board B`: run your own bare-metal ELF on an emulated board and measure it.

The ELF must end through semihosting (SYS_EXIT / SYS_EXIT_EXTENDED, as newlib's rdimon or the tfedge
template do); it is counted by the same plugin and cycle model as a model run. If it contains the tfedge
markers (tfedge_invoke_begin/end), per-invocation figures are reported too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from tfedge.boards import Board, load_board
from tfedge.build.elfinfo import SymbolTable, elf_sizes
from tfedge.emulate import renode
from tfedge.emulate.cycles import cycles_to_ms, estimate_cycles
from tfedge.emulate.measure import MARK_SYMBOLS, split_snapshots
from tfedge.emulate.qemu import EXIT_FAULT, EXIT_STACK_OVERFLOW, fault_error, run_firmware
from tfedge.errors import DataError, FirmwareError


def emulate_elf(elf: str | Path, board: str | Board, *, timeout: float = 120.0, echo: bool = False) -> dict:
    """Runs a bare-metal ELF to its semihosting exit and returns instructions, est. cycles, sizes."""
    elf = Path(elf)
    if not elf.is_file():
        raise DataError(f"ELF not found: {elf}")
    with open(elf, "rb") as f:
        if f.read(4) != b"\x7fELF":
            raise DataError(f"{elf} is not an ELF file (build your firmware with arm-none-eabi-gcc ... -o app.elf)")
    board = load_board(board) if isinstance(board, str) else board
    symbols = SymbolTable(elf)
    marks = [symbols.address(s) for s in MARK_SYMBOLS if symbols.has(s)]
    with tempfile.TemporaryDirectory(prefix="tfedge-emulate-") as tmp:
        run = run_firmware(board, elf, workdir=Path(tmp), marks=marks, timeout=timeout,
                           on_line=(lambda line: print(line, file=sys.stderr)) if echo else None, check_exit=False)
    if run.exit_code in (EXIT_FAULT, EXIT_STACK_OVERFLOW):  # the tfedge template's fault handler reported
        raise fault_error(board, elf, run.exit_code, run.console)
    cycles = estimate_cycles(run.totals, board)
    sizes = elf_sizes(elf)
    metrics = {
        "board": board.name, "core": board.core, "clock_hz": board.clock_hz, "elf": str(elf), "exit_code": run.exit_code,
        "instructions": run.instructions, "est_cycles": int(round(cycles)), "ms": cycles_to_ms(cycles, board),
        "instruction_classes": run.totals, "flash_bytes": sizes.flash, "static_ram_bytes": sizes.static_ram,
        "console": run.console,
    }
    if len(marks) >= 2 and any(s.mark == 0 for s in run.snapshots):
        try:
            m = split_snapshots(run.snapshots)
        except FirmwareError:
            m = None
        if m:
            mean = m.mean_inference()
            metrics["invocations"] = len(m.inferences)
            metrics["instructions_per_invocation"] = int(round(mean["insns"]))
            metrics["est_cycles_per_invocation"] = int(round(estimate_cycles(mean, board)))
            metrics["setup_instructions"] = m.setup["insns"]
    return metrics


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("elf", help="bare-metal ELF for the board (ends with a semihosting exit)")
    parser.add_argument("--board", required=True, help="board name (see `tfedge boards`)")
    parser.add_argument("--json", help="write the metrics to this JSON file")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before the run is declared hung")
    parser.add_argument("--renode", action="store_true", help="also write .resc/.robot files next to the ELF")


def run(args: argparse.Namespace) -> int:
    board = load_board(args.board)
    m = emulate_elf(args.elf, board, timeout=args.timeout, echo=True)
    print(f"{Path(args.elf).name} on {board.name} ({board.core} @ {board.clock_hz / 1e6:g} MHz): exit status {m['exit_code']}")
    print(f"  instructions   {m['instructions']:>14,}")
    print(f"  est. cycles    {m['est_cycles']:>14,}   (estimate: docs/cycle_model.md)")
    print(f"  est. time      {m['ms']:>14.3f} ms")
    if "instructions_per_invocation" in m:
        print(f"  per invocation {m['instructions_per_invocation']:>14,} instructions, {m['est_cycles_per_invocation']:,} est. cycles"
              f" ({m['invocations']} invocations, setup {m['setup_instructions']:,})")
    print(f"  flash {m['flash_bytes']:,} B, static RAM {m['static_ram_bytes']:,} B")
    if args.renode:
        print(renode.run_if_available(board, renode.write_files(board, Path(args.elf))))
    if args.json:
        path = Path(args.json)
        tmp = path.with_name(path.name + ".partial")
        tmp.write_text(json.dumps({k: v for k, v in m.items() if k != "console"}, indent=2) + "\n")
        os.replace(tmp, path)
    return 0 if m["exit_code"] == 0 else 1
