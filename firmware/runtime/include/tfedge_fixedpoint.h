/* Integer fixed-point helpers shared by the int8 kernels.
 *
 * These reproduce, bit for bit, the rounding of TFLite Micro's reference kernels (gemmlowp's
 * SaturatingRoundingDoublingHighMul / RoundingDivideByPOT, TFLite's MultiplyByQuantizedMultiplier),
 * because bit-exactness with TFLM is the contract of this runtime. Signed overflow is avoided by
 * doing shifts on unsigned values: the results equal the two's-complement results TFLM gets. */
#ifndef TFEDGE_FIXEDPOINT_H
#define TFEDGE_FIXEDPOINT_H

#include <stdint.h>

#define TFEDGE_INT32_MIN (-2147483647 - 1)
#define TFEDGE_INT32_MAX 2147483647

static inline int32_t tfedge_min_i32(int32_t a, int32_t b) { return a < b ? a : b; }
static inline int32_t tfedge_max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t tfedge_clamp_i32(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* gemmlowp SaturatingRoundingDoublingHighMul: round(a * b / 2^31), saturating the one overflow case. */
static inline int32_t tfedge_srdhm(int32_t a, int32_t b) {
  int64_t ab;
  int64_t nudge;
  if (a == b && a == TFEDGE_INT32_MIN) return TFEDGE_INT32_MAX;
  ab = (int64_t)a * (int64_t)b;
  nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  /* C division truncates toward zero, as gemmlowp's does. */
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* gemmlowp RoundingDivideByPOT: x / 2^exponent rounded half away from zero. */
static inline int32_t tfedge_rdivpot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)(((uint32_t)1 << exponent) - 1u);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* Wrapping x * 2^shift (TFLM multiplies in int32 and relies on wrap-around). */
static inline int32_t tfedge_shl_wrap(int32_t x, int shift) { return (int32_t)((uint32_t)x << shift); }

/* TFLite MultiplyByQuantizedMultiplier (double rounding, TFLM's default build). */
static inline int32_t tfedge_mbqm(int32_t x, int32_t multiplier, int32_t shift) {
  const int left = shift > 0 ? (int)shift : 0;
  const int right = shift > 0 ? 0 : (int)-shift;
  return tfedge_rdivpot(tfedge_srdhm(tfedge_shl_wrap(x, left), multiplier), right);
}

/* TFLite MultiplyByQuantizedMultiplier for an int64 accumulator (the int16x8 conv/FC kernels): the
 * multiplier reduced to 16 bits, one rounding shift. |x| < 2^47 keeps the product inside int64. */
static inline int32_t tfedge_mbqm64(int64_t x, int32_t multiplier, int32_t shift) {
  const int64_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
  const int total_shift = 15 - (int)shift;
  const int64_t round = (int64_t)1 << (total_shift - 1);
  return (int32_t)((x * reduced + round) >> total_shift);
}

/* gemmlowp SaturatingRoundingMultiplyByPOT for a positive exponent: saturating left shift. */
static inline int32_t tfedge_sat_shl(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)(((uint32_t)1 << (31 - exponent)) - 1u);
  if (x > threshold) return TFEDGE_INT32_MAX;
  if (x < -threshold) return TFEDGE_INT32_MIN;
  return tfedge_shl_wrap(x, exponent);
}

/* Plain (wrapping) fixed-point add/sub, as gemmlowp's int32 FixedPoint operators. */
static inline int32_t tfedge_add_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t tfedge_sub_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }

/* gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl (Q0.31 in and out). */
static inline int32_t tfedge_exp_quarter(int32_t a) {
  const int32_t constant_term = 1895147668;
  const int32_t constant_1_over_3 = 715827883;
  const int32_t x = tfedge_add_wrap(a, 1 << 28);
  const int32_t x2 = tfedge_srdhm(x, x);
  const int32_t x3 = tfedge_srdhm(x2, x);
  const int32_t x4 = tfedge_srdhm(x2, x2);
  const int32_t x4_over_4 = tfedge_rdivpot(x4, 2);
  const int32_t poly = tfedge_rdivpot(
      tfedge_add_wrap(tfedge_srdhm(tfedge_add_wrap(x4_over_4, x3), constant_1_over_3), x2), 1);
  return tfedge_add_wrap(constant_term, tfedge_srdhm(constant_term, tfedge_add_wrap(x, poly)));
}

/* gemmlowp exp_on_negative_values for a Q(integer_bits).(31-integer_bits) input, Q0.31 result. */
static inline int32_t tfedge_exp_on_negative_values(int32_t a, int integer_bits) {
  static const int32_t multipliers[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_one_quarter = tfedge_sub_wrap(a & mask, one_quarter);
  int32_t result = tfedge_exp_quarter(tfedge_sat_shl(a_mod_quarter_minus_one_quarter, integer_bits));
  const int32_t remainder = tfedge_sub_wrap(a_mod_quarter_minus_one_quarter, a);
  int exponent;
  for (exponent = -2; exponent <= 4; ++exponent) {
    if (integer_bits > exponent) {
      const int shift = fractional_bits + exponent;
      if (remainder & ((int32_t)1 << shift)) result = tfedge_srdhm(result, multipliers[exponent + 2]);
    }
  }
  if (integer_bits > 5) {
    const int32_t clamp = -((int32_t)1 << (36 - integer_bits));
    if (a < clamp) result = 0;
  }
  if (a == 0) result = TFEDGE_INT32_MAX;
  return result;
}

/* Newton iterations for 2/(1+a), a in [0,1) as Q0.31; returns Q2.29 (shared by the two helpers below). */
static inline int32_t tfedge_two_over_one_plus_x(int32_t a) {
  const int64_t sum = (int64_t)a + TFEDGE_INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t constant_48_over_17 = 1515870810;
  const int32_t constant_neg_32_over_17 = -1010580540;
  int32_t x = tfedge_add_wrap(constant_48_over_17, tfedge_srdhm(half_denominator, constant_neg_32_over_17));
  int i;
  for (i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = tfedge_srdhm(half_denominator, x);
    const int32_t one_minus = tfedge_sub_wrap((int32_t)1 << 29, half_denominator_times_x);
    x = tfedge_add_wrap(x, tfedge_sat_shl(tfedge_srdhm(x, one_minus), 2));
  }
  return x;
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1 (Q0.31 in and out). */
static inline int32_t tfedge_one_over_one_plus_x(int32_t a) { return tfedge_sat_shl(tfedge_two_over_one_plus_x(a), 1); }

/* gemmlowp one_minus_x_over_one_plus_x_for_x_in_0_1 (Q0.31 in and out). */
static inline int32_t tfedge_one_minus_x_over_one_plus_x(int32_t a) {
  return tfedge_sat_shl(tfedge_sub_wrap(tfedge_two_over_one_plus_x(a), (int32_t)1 << 29), 2);
}

static inline int tfedge_clz32(uint32_t x) {
  int n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) { x <<= 1; ++n; }
  return n;
}

/* std::round for float (halves away from zero) without libm; saturates far outside int32. */
static inline int32_t tfedge_round_f32(float f) {
  int32_t t;
  float frac;
  if (!(f == f)) return 0; /* NaN */
  if (f > 1.0e9f) return 1000000000;
  if (f < -1.0e9f) return -1000000000;
  t = (int32_t)f;
  frac = f - (float)t;
  if (frac >= 0.5f) ++t;
  else if (frac <= -0.5f) --t;
  return t;
}

#endif /* TFEDGE_FIXEDPOINT_H */
