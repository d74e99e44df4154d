"""From the plugin's counter snapshots to figures: setup cost, per-inference and per-layer costs.

The harness calls tfedge_invoke_begin() / tfedge_invoke_end() around every invoke and (profiling
builds) the model calls tfedge_layer_boundary(i) before layer i and after the last layer. The plugin
snapshots all class counters when each of them executes; differences of snapshots are costs.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfedge.boards import Board
from tfedge.build.elfinfo import SymbolTable
from tfedge.emulate.qemu import QemuRun, Snapshot, run_firmware
from tfedge.errors import FirmwareError

MARK_SYMBOLS = ("tfedge_invoke_begin", "tfedge_invoke_end", "tfedge_layer_boundary")
BEGIN, END, BOUNDARY = range(3)
INPUT_MAGIC = b"TFEI"


def _diff(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: b[k] - a[k] for k in b}


@dataclass
class Measurement:
    setup: dict[str, int]                   # boot to the first invoke
    inferences: list[dict[str, int]]        # one per invoke
    layers: list[list[dict[str, int]]]      # per invoke, per layer

    def per_inference(self, cls: str = "insns") -> list[int]:
        return [inf[cls] for inf in self.inferences]

    def mean_inference(self) -> dict[str, float]:
        return {k: float(np.mean([inf[k] for inf in self.inferences])) for k in self.inferences[0]}

    def mean_layers(self) -> list[dict[str, float]]:
        if not self.layers or not self.layers[0]:
            return []
        n = len(self.layers[0])
        return [{k: float(np.mean([inv[i][k] for inv in self.layers])) for k in self.layers[0][i]} for i in range(n)]


def split_snapshots(snapshots: list[Snapshot]) -> Measurement:
    setup = None
    inferences, layers = [], []
    begin = None
    boundaries: list[Snapshot] = []
    for snap in snapshots:
        if snap.mark == BEGIN:
            if setup is None:
                setup = snap.counts
            begin, boundaries = snap, []
        elif snap.mark == BOUNDARY and begin is not None:
            boundaries.append(snap)
        elif snap.mark == END and begin is not None:
            inferences.append(_diff(begin.counts, snap.counts))
            layers.append([_diff(a.counts, b.counts) for a, b in zip(boundaries, boundaries[1:])])
            begin = None
    if setup is None or not inferences:
        raise FirmwareError("the firmware never completed an invoke (no tfedge_invoke_begin/end markers executed)")
    return Measurement(setup, inferences, layers)


def marker_addresses(elf: Path) -> list[int]:
    symbols = SymbolTable(elf)
    missing = [s for s in MARK_SYMBOLS[:2] if not symbols.has(s)]
    if missing:
        raise FirmwareError(f"{elf} has no {', '.join(missing)}: it was not built with the tfedge harness")
    return [symbols.address(s) for s in MARK_SYMBOLS if symbols.has(s)]


class ProgressBar:
    """A one-line progress bar on stderr (only when stderr is a terminal or forced)."""

    def __init__(self, total: int, label: str, enabled: bool | None = None):
        self.total, self.label, self.done = total, label, 0
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    def update(self, done: int) -> None:
        self.done = done
        if self.enabled:
            width = 30
            fill = int(width * done / max(1, self.total))
            sys.stderr.write(f"\r{self.label} [{'#' * fill}{'.' * (width - fill)}] {done}/{self.total}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def check_stack(board: Board, run: QemuRun) -> None:
    """The painted-stack check: a stack used to its last word has overflowed even if nothing faulted
    (some machines ignore writes below RAM instead of faulting)."""
    used, _, size = run.values.get("stack_used", "").partition(" of ")
    if used.isdigit() and size.isdigit() and int(used) >= int(size):
        raise FirmwareError(f"stack overflow on {board.name}: the whole {size}-byte stack was used (its paint is gone). "
                            f"Raise stack_bytes in the board file or reduce stack use.")


def write_input_file(path: Path, samples: np.ndarray) -> None:
    """The harness's input file: "TFEI", u32 count, u32 bytes per sample, then the samples."""
    flat = np.ascontiguousarray(samples).reshape(len(samples), -1).view(np.uint8)
    header = INPUT_MAGIC + np.array([len(samples), flat.shape[1]], dtype="<u4").tobytes()
    tmp = path.with_name(path.name + ".partial")
    with open(tmp, "wb") as f:
        f.write(header)
        f.write(flat.tobytes())
    tmp.replace(path)


def run_samples(
    board: Board,
    elf: Path,
    samples: np.ndarray | None,
    out_bytes: int,
    *,
    workdir: Path,
    timeout: float | None = None,
    progress: bool | None = None,
    trace: bool = False,
) -> tuple[np.ndarray | None, QemuRun, Measurement]:
    """Runs the harness firmware on `samples` (N, ...) in ONE emulator session (None: one zero input).

    Returns the raw output bytes (N, out_bytes), the run, and its measurement. trace: the plugin's trace
    mode (memory traffic per region and the precise timing model's counters, see run_firmware)."""
    in_file, out_file = workdir / "tfedge_in.bin", workdir / "tfedge_out.bin"
    workdir.mkdir(parents=True, exist_ok=True)
    in_file.unlink(missing_ok=True)
    out_file.unlink(missing_ok=True)
    n = 0 if samples is None else len(samples)
    if samples is not None:
        write_input_file(in_file, samples)
    bar = ProgressBar(max(n, 1), f"{board.name}: inference", progress)

    def on_line(line: str) -> None:
        if line.startswith("tfedge: sample "):
            bar.update(int(line.split()[-1]) + 1)

    if timeout is None:
        timeout = 60.0 + 10.0 * n
    try:
        run = run_firmware(board, elf, workdir=workdir, marks=marker_addresses(elf), timeout=timeout, on_line=on_line,
                           trace=trace)
    finally:
        bar.close()
    check_stack(board, run)
    measurement = split_snapshots(run.snapshots)
    outputs = None
    if samples is not None:
        raw = out_file.read_bytes() if out_file.is_file() else b""
        if len(raw) != n * out_bytes:
            raise FirmwareError(f"the firmware wrote {len(raw)} output bytes for {n} samples; expected {n * out_bytes}")
        outputs = np.frombuffer(raw, dtype=np.uint8).reshape(n, out_bytes)
    return outputs, run, measurement
