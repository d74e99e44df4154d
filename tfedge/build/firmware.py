"""Builds firmware ELFs with arm-none-eabi-gcc, cached by content hash under cache_dir()/firmware.

A build = the template (startup, semihosting, console, optionally the model harness) + the caller's C
sources, compiled and linked in one gcc run against the linker script of the board. The cache key
hashes every input (source and header contents, flags, linker script, compiler version), so a cached
ELF is reused only when the same build would produce it.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tfedge.boards import Board
from tfedge.build.linker import linker_script
from tfedge.build.toolchain import console_defines, cpu_flags, find_gcc, gcc_version
from tfedge.errors import DoesNotFitError, ToolchainError
from tfedge.paths import RUNTIME_DIR, TEMPLATE_DIR, cache_dir

OPT_LEVELS = ("-O2", "-Os", "-O3", "-O0")

# Always linked: reset/vectors/faults, semihosting, console.
TEMPLATE_SOURCES = ("startup.c", "semihosting.c", "console.c")
HARNESS_SOURCE = "harness.c"


@dataclass(frozen=True)
class Firmware:
    elf: Path
    board: Board
    cached: bool


def template_sources(with_harness: bool) -> list[Path]:
    names = TEMPLATE_SOURCES + ((HARNESS_SOURCE,) if with_harness else ())
    return [TEMPLATE_DIR / n for n in names]


def compile_flags(board: Board, opt: str, defines: list[str]) -> list[str]:
    if opt not in OPT_LEVELS:
        raise ValueError(f"optimization level {opt!r} is not one of {OPT_LEVELS}")
    return [
        *cpu_flags(board),
        opt,
        "-g",
        "-std=gnu11",
        "-Wall",
        "-ffunction-sections",
        "-fdata-sections",
        "-fno-common",
        *console_defines(board),
        *(f"-D{d}" for d in defines),
    ]


def _hash_inputs(parts: list[bytes]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()[:24]


def _header_files(include_dirs: list[Path]) -> list[Path]:
    return sorted(p for d in include_dirs for p in Path(d).rglob("*.h"))


_OVERFLOW = re.compile(r"region `(\w+)' overflowed by (\d+) bytes")


def _does_not_fit(board: Board, stderr: str) -> DoesNotFitError | None:
    """Turns ld's "region `X' overflowed by N bytes" into the user-facing error (all regions at once)."""
    found = {}
    for region_name, over in _OVERFLOW.findall(stderr):
        found[region_name] = max(found.get(region_name, 0), int(over))
    if not found:
        return None
    lines, kinds = [], set()
    for region in board.memory:
        if region.name.upper() in found:
            kinds.add(region.kind)
            needed = region.size + found[region.name.upper()]
            lines.append(
                f"{region.name} ({region.kind}, holds {'/'.join(region.holds)}): needed {needed} bytes, "
                f"available {region.size} bytes (over by {found[region.name.upper()]})"
            )
    return DoesNotFitError(f"the firmware does not fit board {board.name}:\n  - " + "\n  - ".join(lines)
                           + "\n" + shrink_advice(kinds))


def shrink_advice(kinds: set[str]) -> str:
    """What makes an int8 model fit, per overflowing memory kind ('ram', 'flash'). Magnitude pruning and
    clustering leave every activation and (dense) weight in place, so they are not the answer for RAM."""
    lines = ["  pick a board with more memory (`tfedge boards`), or:"]
    if "ram" in kinds:
        lines.append("  RAM holds the activation arena, set by the largest feature maps: lower the input resolution, "
                     "narrow the early layers (fewer channels: channel_prune, a smaller width multiplier), stride or "
                     "pool earlier, or run the input as patches; pruning/clustering zeros weights but frees no RAM")
    if "flash" in kinds:
        lines.append("  flash holds the weights: fewer channels or layers (channel_prune, a smaller width "
                     "multiplier), or cluster to 16 values for 4-bit weights (compress_weights, portable kernels)")
    return "\n".join(lines)


def build_firmware(
    board: Board,
    sources: list[Path],
    *,
    include_dirs: list[Path] = (),
    defines: list[str] = (),
    opt: str = "-O2",
    with_harness: bool = True,
) -> Firmware:
    """Builds (or fetches from the cache) an ELF for `board` from the template plus `sources`."""
    gcc = find_gcc()
    srcs = [Path(s).resolve() for s in (*template_sources(with_harness), *sources)]
    incs = [TEMPLATE_DIR, RUNTIME_DIR / "include", *[Path(d).resolve() for d in include_dirs]]
    flags = compile_flags(board, opt, list(defines))
    script = linker_script(board)
    link_flags = ["-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections", "-Wl,--no-warn-rwx-segments"]
    key = _hash_inputs(
        [gcc_version().encode(), " ".join(flags + link_flags).encode(), script.encode()]
        + [s.name.encode() + b"\0" + s.read_bytes() for s in srcs]
        + [h.name.encode() + b"\0" + h.read_bytes() for h in _header_files(incs)]
    )
    out_dir = cache_dir() / "firmware" / f"{board.name}-{key}"
    elf = out_dir / "firmware.elf"
    if elf.is_file():
        return Firmware(elf, board, cached=True)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{board.name}-", dir=out_dir.parent))
    try:
        (work / "link.ld").write_text(script)
        cmd = [gcc, *flags, *(f"-I{d}" for d in incs), *map(str, srcs), "-T", str(work / "link.ld"), *link_flags,
               f"-Wl,-Map={work / 'firmware.map'}", "-o", str(work / "firmware.elf"), "-lm"]
        (work / "build.cmd").write_text(" ".join(cmd) + "\n")
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            misfit = _does_not_fit(board, proc.stderr)
            if misfit:
                raise misfit
            raise ToolchainError(f"firmware build for {board.name} failed:\n{proc.stderr.strip()[-4000:]}")
        try:
            work.rename(out_dir)
        except OSError:  # another process built the same thing first: use theirs
            if not elf.is_file():
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return Firmware(elf, board, cached=False)
