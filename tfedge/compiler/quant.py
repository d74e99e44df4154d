"""Prepare-time quantization arithmetic, computed once at compile time (the results go to flash).

Mirrors TFLite Micro's prepare functions exactly (QuantizeMultiplier and friends, the float/double
mix of each kernel's scale computation), because a multiplier that differs in its last bit changes
outputs by one LSB.
"""

from __future__ import annotations

import math

import numpy as np

INT8_MIN, INT8_MAX = -128, 127
F32 = np.float32


def tflite_round(x: float) -> int:
    """std::round: halves away from zero."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite QuantizeMultiplier: real = q * 2^(shift - 31), q in [2^30, 2^31)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = tflite_round(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    if shift > 30:
        shift, q_fixed = 30, (1 << 31) - 1
    return int(q_fixed), int(shift)


def quantize_multiplier_frexp(real: float) -> tuple[int, int]:
    """The variant LOGISTIC/TANH prepare use: plain frexp + round, no normalisation."""
    q, shift = math.frexp(real)
    return tflite_round(q * (1 << 31)), shift


def calculate_input_radius(integer_bits: int, left_shift: int, total_signed_bits: int = 31) -> int:
    max_rescaled = 1.0 * ((1 << integer_bits) - 1) * (1 << (total_signed_bits - integer_bits)) / (1 << left_shift)
    return int(math.floor(max_rescaled))


def activation_range(act: int, scale: float, zero_point: int, dtype: str = "int8") -> tuple[int, int]:
    """CalculateActivationRangeQuantized for int8 or int16 outputs (act: tflite ActivationFunctionType)."""
    lo, hi = (INT8_MIN, INT8_MAX) if dtype == "int8" else (-32768, 32767)

    def q(f: float) -> int:
        return zero_point + tflite_round(float(F32(f) / F32(scale)))
    if act == 1:  # RELU
        return max(lo, q(0.0)), hi
    if act == 3:  # RELU6
        return max(lo, q(0.0)), min(hi, q(6.0))
    if act == 2:  # RELU_N1_TO_1
        return max(lo, q(-1.0)), min(hi, q(1.0))
    return lo, hi


def wrap_int32(values) -> np.ndarray:
    """Two's-complement wrap to int32 (what the int32 accumulators in the kernels do)."""
    v = np.asarray(values, dtype=np.int64)
    return ((v + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)
