"""The QEMU instruction-counting plugin (firmware/qemu_plugin/tfedge_count.c), built with the host C
compiler on first use into cache_dir()/qemu_plugin, keyed by the source's hash."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from tfedge.errors import ToolchainError
from tfedge.paths import QEMU_PLUGIN_DIR, cache_dir, partial_path

PLUGIN_SOURCE = QEMU_PLUGIN_DIR / "tfedge_count.c"

# Must match the enum in tfedge_count.c (the plugin also prints them; qemu.py checks).
CLASSES = ("insns", "load", "load_next", "store", "multi", "multi_regs", "mul", "mul64", "dsp", "div", "branch",
           "bcond_back", "bcond_fwd", "fp", "fp_div", "mve", "loop")
# Trace mode (trace=1) adds these counters, then "rd<i> wr<i>" bytes per memory region given (the last
# index: any other address): taken conditional branches, non-sequential fetches from wait-state flash,
# flash instruction / data cache misses, interlock cycles (result latency, address generation), instructions
# dual-issued with the one before, cycles a Helium instruction waited for its pipe, M7 branch mispredictions,
# indirect branches (BX, POP/LDR/LDM pc, TBB), BL, loads to the PC, 32-bit multiply-accumulates.
TRACE_COUNTERS = ("btaken", "fetch_nonseq", "icache_miss", "dflash_miss", "stall", "dual", "mve_wait", "bmiss",
                  "bindirect", "bl", "ldpc", "mac32", "bxlr")


def plugin_path() -> Path:
    source = PLUGIN_SOURCE.read_bytes()
    key = hashlib.sha256(source).hexdigest()[:16]
    out = cache_dir() / "qemu_plugin" / f"libtfedge_count-{key}.so"
    if out.is_file():
        return out
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if not cc:
        raise ToolchainError("no host C compiler to build the QEMU plugin; install it with: sudo apt-get install gcc")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(out)
    proc = subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", str(tmp), str(PLUGIN_SOURCE)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise ToolchainError(f"building the QEMU plugin failed:\n{proc.stderr.strip()}")
    tmp.replace(out)
    return out
