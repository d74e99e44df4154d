"""Cortex-M0 (armv6m/) kernels vs the portable kernels on the emulated micro:bit, and a shared model.

The kernel-level harness is the one of the Helium test (tests/test_arch_mve_kernels.py): random shapes,
parameters and data, every output byte compared with the portable kernel (itself bit-exact with TFLM).
"""

from __future__ import annotations

import numpy as np
import pytest

from test_arch_mve_kernels import differential
from tfedge.compiler import runtime_sources
from tfedge.emulate.flash import flash_model
from tfedge.paths import RUNTIME_DIR

pytestmark = pytest.mark.qemu


def test_armv6m_paths_replace_the_portable_kernels():
    chosen = {s.stem: s.parent.name for s in runtime_sources("armv6m")}
    for src in (RUNTIME_DIR / "armv6m").glob("*.c"):
        assert chosen[src.stem] == "armv6m"
        assert (RUNTIME_DIR / "portable" / src.name).is_file()  # same signature as a portable kernel


def test_armv6m_kernels_match_portable_on_random_shapes(tmp_path):
    cases, failures, console = differential("microbit", "armv6m", tmp_path)
    assert cases > 500
    assert failures == 0, "\n".join(l for l in console if l.startswith("MISMATCH"))


def test_hello_world_bit_exact_on_microbit(reference_models):
    tflite = reference_models["hello_world_int8.tflite"]
    x = np.random.default_rng(5).integers(-128, 128, (200, 1, 1), dtype=np.int8)
    m = flash_model(tflite, "microbit", x, progress=False)
    assert m["mismatches"] == 0 and m["mismatched_values"] == 0


def test_kws_bit_exact_on_microbit(reference_models):
    """The 1x1/10x4 convolutions (dot4 on interior pixels) and 3x3 depthwise (tap table) run in place by
    rows on the M0: outputs equal to the host runner's."""
    tflite = reference_models["kws_ref_model.tflite"]
    x = np.random.default_rng(7).integers(-128, 128, (3, 1, 49, 10, 1), dtype=np.int8)
    m = flash_model(tflite, "microbit", x, progress=False)
    assert m["mismatches"] == 0 and m["mismatched_values"] == 0
