"""gemmlowp / TFLite integer arithmetic in Python, for tables computed at compile time.

An int8 -> int8 op is a function of the input byte alone: the compiler evaluates TFLM's run-time
integer arithmetic on all 256 values and ships the table (lut_s8), so these must agree bit for bit
with tfedge_fixedpoint.h / TFLM's common.h (int32 wrap-around where C++ wraps)."""

from __future__ import annotations

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def wrap(x: int) -> int:
    return (x + (1 << 31)) % (1 << 32) - (1 << 31)


def srdhm(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    total = ab + nudge
    q = abs(total) >> 31  # C++ integer division truncates toward zero
    return q if total >= 0 else -q


def rdivpot(x: int, exponent: int) -> int:
    """RoundingDivideByPOT."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def mbqm(x: int, multiplier: int, shift: int) -> int:
    """MultiplyByQuantizedMultiplier (TFLM's default double rounding)."""
    left, right = max(shift, 0), max(-shift, 0)
    return rdivpot(srdhm(wrap(x * (1 << left)), multiplier), right)


def sat_shl(x: int, exponent: int) -> int:
    """SaturatingRoundingMultiplyByPOT with a positive exponent."""
    return max(INT32_MIN, min(INT32_MAX, x << exponent))


def clz32(x: int) -> int:
    return 32 - (x & 0xFFFFFFFF).bit_length()


def inv_sqrt_multiplier_exp(value: int, reverse_shift: int = -1) -> tuple[int, int]:
    """GetInvSqrtQuantizedMultiplierExp: 1/sqrt(value) as a multiplier and shift (Newton-Raphson in Q3.28)."""
    if value <= 1:
        return INT32_MAX, 0
    shift = 11
    while value >= (1 << 29):
        value //= 4
        shift += 1
    pairs = (clz32(value) - 1) // 2 - 1
    shift -= pairs
    value <<= 2 * pairs
    x_in = value >> 1  # Q3.28
    half_in = rdivpot(x_in, 1)
    half_three = (1 << 28) + (1 << 27)
    x = 1 << 28
    for _ in range(5):
        x3 = sat_shl(srdhm(srdhm(x, x), x), 6)  # F3*F3*F3 is Q9: rescale to Q3
        x = sat_shl(wrap(srdhm(half_three, x) - srdhm(half_in, x3)), 3)
    x = srdhm(x, 1518500250)  # * sqrt(2)/2
    if shift < 0:
        x = wrap(x << -shift)
        shift = 0
    return x, shift * reverse_shift
