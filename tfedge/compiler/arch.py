"""Kernel architectures: which folders of firmware/runtime/ a firmware links, most specific first.

An arch folder's kernel file replaces the portable file of the same name (same function signature), so
the generated model.c is the same whichever path is linked.
"""

from __future__ import annotations

from pathlib import Path

from tfedge.paths import RUNTIME_DIR

ARCH_PATHS: dict[str, tuple[str, ...]] = {
    "portable": ("portable",),                  # portable C; conv/depthwise/FC specialised per layer (const_shape)
    "reference": ("portable",),                 # the portable kernels as plain reference loops: the baseline
    "armv6m": ("armv6m", "portable"),           # Cortex-M0/M0+: Thumb-1 only
    "dsp": ("arm_dsp", "portable"),             # Cortex-M4/M7/M33: DSP extension (SMLAD, SXTB16)
    "mve": ("mve", "arm_dsp", "portable"),      # Cortex-M55: Helium, with the DSP extension below it
}


def _check(arch: str) -> None:
    if arch not in ARCH_PATHS:
        raise ValueError(f"unknown kernel architecture {arch!r}: one of {', '.join(ARCH_PATHS)}")


def runtime_sources(arch: str = "portable") -> list[Path]:
    """C sources of the kernel library to link with a generated model.c, for one kernel architecture."""
    _check(arch)
    chosen: dict[str, Path] = {}
    for folder in reversed(ARCH_PATHS[arch]):
        for src in (RUNTIME_DIR / folder).glob("*.c"):
            chosen[src.stem] = src
    return sorted(chosen.values())


def kernel_folder(arch: str, kernel: str) -> str:
    """The folder whose `kernel`.c the firmware for `arch` links (e.g. "mve" for conv_s8_nhwc on the M55)."""
    _check(arch)
    for folder in ARCH_PATHS[arch]:
        if (RUNTIME_DIR / folder / f"{kernel}.c").is_file():
            return folder
    raise ValueError(f"no kernel {kernel}.c for {arch}")
