/* Cortex-M0/M0+ (Armv6-M, Thumb-1) helpers shared by the kernels in firmware/runtime/armv6m/.
 *
 * Armv6-M has MULS (32 x 32 -> low 32 bits) but no long multiply: a C `(int64_t)a * b` becomes a call
 * to libgcc's __aeabi_lmul (a full 64 x 64 multiply). Requantization needs one signed 32 x 32 -> 64
 * product per output; tfedge_v6m_srdhm builds it from four 16 x 16 MULS in 32-bit registers, and
 * tfedge_v6m_mbqm is TFLM's MultiplyByQuantizedMultiplier on top of it, bit for bit (same rounding as
 * tfedge_fixedpoint.h's tfedge_mbqm, which the differential test compares it with). */
#ifndef TFEDGE_ARMV6M_H
#define TFEDGE_ARMV6M_H

#include <stdint.h>

#include "tfedge_fixedpoint.h"

/* gemmlowp SaturatingRoundingDoublingHighMul without __aeabi_lmul or 64-bit arithmetic.
 * gemmlowp adds 2^30 (ab >= 0) or 1 - 2^30 (ab < 0) and divides by 2^31 truncating; for ab < 0 that
 * equals floor((ab + 2^30) / 2^31) too, so one formula serves both signs: the signed 64-bit product
 * hi:lo is built from four 16 x 16 MULS (unsigned product, then minus b * 2^32 if a < 0 and minus
 * a * 2^32 if b < 0), 2^30 is added to lo with carry, and bits 31..62 are the result. */
static inline int32_t tfedge_v6m_srdhm(int32_t a, int32_t b) {
  const uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
  const uint32_t al = ua & 0xffffu, ah = ua >> 16, bl = ub & 0xffffu, bh = ub >> 16;
  const uint32_t ll = al * bl, lh = al * bh, hl = ah * bl;
  const uint32_t mid = lh + hl;
  const uint32_t mid_carry = mid < lh ? 0x10000u : 0u;
  const uint32_t lo = ll + (mid << 16);
  uint32_t hi = ah * bh + (mid >> 16) + mid_carry + (lo < ll ? 1u : 0u);
  uint32_t lo_r;
  if (a == b && a == TFEDGE_INT32_MIN) return TFEDGE_INT32_MAX;
  if (a < 0) hi -= ub;
  if (b < 0) hi -= ua;
  lo_r = lo + 0x40000000u;
  hi += lo_r < lo ? 1u : 0u;
  return (int32_t)((hi << 1) | (lo_r >> 31));
}

static inline int32_t tfedge_v6m_mbqm(int32_t x, int32_t multiplier, int32_t shift) {
  const int left = shift > 0 ? (int)shift : 0;
  const int right = shift > 0 ? 0 : (int)-shift;
  return tfedge_rdivpot(tfedge_v6m_srdhm(tfedge_shl_wrap(x, left), multiplier), right);
}

#endif /* TFEDGE_ARMV6M_H */
