"""gemmlowp / TFLite integer arithmetic in Python, for tables computed at compile time.

An int8 -> int8 op is a function of the input byte alone: the compiler evaluates TFLM's run-time
integer arithmetic on all 256 values and ships the table (lut_s8), so these must agree bit for bit
with tfedge_fixedpoint.h / TFLM's common.h (int32 wrap-around where C++ wraps)."""

from __future__ import annotations

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def wrap(x: int) -> int:
    return (x + (1 << 31)) % (1 << 32) - (1 << 31)


def trunc_div(a: int, b: int) -> int:
    """C/C++ integer division: the quotient truncated toward zero (Python's // floors)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def srdhm(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return trunc_div(ab + nudge, 1 << 31)


def srdhm16(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul on int16 (gemmlowp's int16 form)."""
    if a == b == -32768:
        return 32767
    ab = a * b
    return trunc_div(ab + ((1 << 14) if ab >= 0 else 1 - (1 << 14)), 1 << 15)


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


def _sub(a: int, b: int) -> int:
    return wrap(a - b)


def _add(a: int, b: int) -> int:
    return wrap(a + b)


def exp_quarter(a: int) -> int:
    """gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl (Q0.31), tfedge_exp_quarter."""
    c, third = 1895147668, 715827883
    x = _add(a, 1 << 28)
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    poly = rdivpot(_add(srdhm(_add(rdivpot(x4, 2), x3), third), x2), 1)
    return _add(c, srdhm(c, _add(x, poly)))


_EXP_MULTIPLIERS = (1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242)


def exp_on_negative_values(a: int, integer_bits: int) -> int:
    """gemmlowp exp_on_negative_values, Q(integer_bits) in, Q0.31 out (tfedge_exp_on_negative_values)."""
    frac = 31 - integer_bits
    quarter = 1 << (frac - 2)
    a_mod = _sub(a & (quarter - 1), quarter)
    result = exp_quarter(sat_shl(a_mod, integer_bits))
    remainder = _sub(a_mod, a)
    for exponent in range(-2, 5):
        if integer_bits > exponent and remainder & (1 << (frac + exponent)):
            result = srdhm(result, _EXP_MULTIPLIERS[exponent + 2])
    if integer_bits > 5 and a < -(1 << (36 - integer_bits)):
        result = 0
    return INT32_MAX if a == 0 else result


def _two_over_one_plus_x(a: int) -> int:
    s = a + INT32_MAX
    half = _trunc_half(s)
    x = _add(1515870810, srdhm(half, -1010580540))
    for _ in range(3):
        one_minus = _sub(1 << 29, srdhm(half, x))
        x = _add(x, sat_shl(srdhm(x, one_minus), 2))
    return x


def _trunc_half(s: int) -> int:
    """(s + sign(s)) / 2 with C's truncating division, as int32 (gemmlowp's rounding half sum)."""
    return wrap(trunc_div(s + (1 if s >= 0 else -1), 2))


def one_over_one_plus_x(a: int) -> int:
    return sat_shl(_two_over_one_plus_x(a), 1)


def one_minus_x_over_one_plus_x(a: int) -> int:
    return sat_shl(_sub(_two_over_one_plus_x(a), 1 << 29), 2)
