"""TFLM's int16 lookup tables (gen_lut<float, int16_t, int16_t>), computed at compile time in float32
exactly as TFLM's Prepare computes them: 512 intervals plus one end value, each entry the rounded
sample minus half the midpoint interpolation error. The functions are the C library's float ones
(expf through ctypes), because one ulp of difference in a sample can move an entry by one."""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np

F32 = np.float32
_libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
_libm.expf.restype = ctypes.c_float
_libm.expf.argtypes = [ctypes.c_float]
_libm.roundf.restype = ctypes.c_float
_libm.roundf.argtypes = [ctypes.c_float]


def expf(x: np.float32) -> np.float32:
    return F32(_libm.expf(F32(x)))


def one_over_one_plus_x(x: np.float32) -> np.float32:
    return F32(F32(1.0) / (F32(1.0) + F32(x)))


def _round(x: np.float32) -> np.float32:
    return F32(_libm.roundf(F32(x)))  # TfLiteRound on float: std::round, halves away from zero


def int16_lut(func, input_min: float, input_max: float, output_min: float, output_max: float) -> np.ndarray:
    """The 513-entry table of func over [input_min, input_max] into int16 over [output_min, output_max]."""
    lo, hi = F32(input_min), F32(input_max)
    step = F32((hi - lo) / F32(512))
    half_step = F32(step / F32(2))
    scale_inv = F32(F32(65536.0) / F32(F32(output_max) - F32(output_min)))
    table = np.zeros(513, np.int16)
    for i in range(512):
        x = F32(lo + F32(F32(i) * step))
        val = func(x)
        val_mid = func(F32(x + half_step))
        val_next = func(F32(lo + F32(F32(i + 1) * step)))
        sample = _round(F32(val * scale_inv))
        interp = _round(F32(F32(F32(val_next * scale_inv) + _round(F32(val * scale_inv))) / F32(2)))
        mid = _round(F32(val_mid * scale_inv))
        bias = _round(F32(F32(interp - mid) / F32(2)))
        table[i] = int(min(max(F32(sample - bias), F32(-32768.0)), F32(32767.0)))
    table[512] = int(min(max(_round(F32(func(hi) * scale_inv)), F32(-32768.0)), F32(32767.0)))
    return table
