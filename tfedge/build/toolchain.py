"""arm-none-eabi-gcc: where it is and the flags each core needs."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache

from tfedge.boards import Board
from tfedge.errors import ToolchainError

GCC = "arm-none-eabi-gcc"
INSTALL_HINT = "install it with: sudo apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi"

# -mcpu and the FPU each core has when the board says fpu = true.
_CORE_FLAGS = {
    "cortex-m0": ("-mcpu=cortex-m0", None),
    "cortex-m3": ("-mcpu=cortex-m3", None),
    "cortex-m4": ("-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16"),
    "cortex-m7": ("-mcpu=cortex-m7", "-mfpu=fpv5-d16"),
    "cortex-m33": ("-mcpu=cortex-m33", "-mfpu=fpv5-sp-d16"),
    "cortex-m55": ("-mcpu=cortex-m55", "-mfpu=auto"),  # -mcpu=cortex-m55 implies MVE-F and the FPU
}


def find_gcc() -> str:
    path = shutil.which(GCC)
    if not path:
        raise ToolchainError(f"{GCC} not found on PATH; {INSTALL_HINT}")
    return path


@lru_cache(maxsize=None)
def gcc_version() -> str:
    out = subprocess.run([find_gcc(), "--version"], capture_output=True, text=True, check=False)
    return out.stdout.splitlines()[0] if out.stdout else "unknown"


def cpu_flags(board: Board) -> list[str]:
    """-mcpu/-mthumb/float ABI for the board's core: hard-float where the core has an FPU, else soft."""
    mcpu, fpu = _CORE_FLAGS[board.core]
    flags = [mcpu, "-mthumb"]
    if board.fpu and fpu:
        flags += [fpu, "-mfloat-abi=hard"]
    else:
        flags += ["-mfloat-abi=soft"]
        if board.core == "cortex-m55":
            flags[0] = "-mcpu=cortex-m55+nofp+nomve"
        elif board.core == "cortex-m33":
            flags[0] = "-mcpu=cortex-m33+nofp"
    return flags


def console_defines(board: Board) -> list[str]:
    if board.console == "semihosting":
        return []
    macro = {"uart-cmsdk": "CMSDK", "uart-stm32": "STM32", "uart-nrf51": "NRF51"}[board.console]
    return [f"-DTFEDGE_CONSOLE_UART_{macro}", f"-DTFEDGE_UART_BASE=0x{board.uart_base:08X}u"]
