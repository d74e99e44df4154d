/* MUL, int8, with broadcasting; Cortex-M4/M7/M33 DSP extension. Same arithmetic as portable/mul_s8.c (TFLM
 * reference_integer_ops::Mul): out = MultiplyByQuantizedMultiplier((a + off1) * (b + off2), m, -e) + zp.
 * The product is at most 255^2 in magnitude, so for a right shift e >= 2 and m in [2^30, 2^31) the two
 * roundings and the zero point fold into one SMLAL on a preset accumulator (the conv records' form,
 * docs/kernels.md); where the inner dimension is contiguous in both inputs (SE gates: [H, W, C] x [C])
 * 4 elements go per pass: one word of each input widened with its offset (SXTAB16), 4 SMULBB/SMULTT,
 * 4 requantizations, SSUB8/SEL clamp, one word stored (one loop copy for every activation). Other quantizations
 * run the portable loops. */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/mul_s8.c"
#else
#include "tfedge_dsp.h"

#include "tfedge_elementwise.h"
#include "tfedge_uses.h"

#define mul_s8 mul_s8_ref
TFEDGE_COLD_BEGIN /* the fallback for other quantizations */
#include "../portable/mul_s8.c"
TFEDGE_COLD_END
#undef mul_s8

/* the product requantized (one SMLAL, preset with rounding and zero point in k_hi) and saturated to int8 */
static inline __attribute__((always_inline)) int32_t rq(int32_t prod, int32_t mult, int32_t k_hi, int32_t shift) {
  uint32_t lo = 0x40000000u | ((uint32_t)prod & 0x80000000u);
  int32_t hi = k_hi + (prod >> 31);
  __asm__("smlal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(prod), "r"(mult));
  return __ssat(hi >> shift, 8);
}

/* 16x16 products of the bottom / top halfwords (GCC 12's ACLE has no __smulbb / __smultt) */
static inline int32_t smulbb(uint32_t x, uint32_t y) {
  int32_t r;
  __asm__("smulbb %0, %1, %2" : "=r"(r) : "r"(x), "r"(y));
  return r;
}

static inline int32_t smultt(uint32_t x, uint32_t y) {
  int32_t r;
  __asm__("smultt %0, %1, %2" : "=r"(r) : "r"(x), "r"(y));
  return r;
}

/* 4 int8 results clamped to the activation range bytewise (SSUB8 sets the GE flags, SEL picks): a no-op for the
 * full range, so one copy of the loop serves every activation. */
static inline uint32_t mul_clamp4(uint32_t v, uint32_t lo4, uint32_t hi4) {
  uint32_t t;
  __asm__("ssub8 %1, %0, %2\n\tsel %0, %0, %2\n\tssub8 %1, %0, %3\n\tsel %0, %3, %0"
          : "+r"(v), "=&r"(t) : "r"(lo4), "r"(hi4) : "cc");
  return v;
}

/* The constants of one call's rows. */
typedef struct {
  int32_t off1, off2, mult, k_hi, shift, lo, hi;
  uint32_t o1, o2, lo4, hi4; /* the offsets in both halfwords; the activation range, 4 bytes each */
} mul_consts;

/* n elements of one row (strides sa, sb: 0 broadcasts); both strides 1 (SE gates): 4 elements per pass, one word
 * of each input widened with its offset (SXTAB16), 4 SMULBB/SMULTT, 4 requantizations, SSUB8/SEL clamp, one STR. */
static __attribute__((noinline)) void mul_row(const mul_consts *q, const int8_t *a, const int8_t *b, int8_t *out,
                                              int32_t n, int32_t sa, int32_t sb) {
  const int32_t mult = q->mult, k_hi = q->k_hi, shift = q->shift;
  int32_t i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + 4 <= n; i += 4, a += 4, b += 4, out += 4) {
      const uint32_t x = tfedge_ld32(a), y = tfedge_ld32(b);
      const uint32_t xe = __sxtab16(q->o1, x), xo = tfedge_sxtab16_ror8(q->o1, x);
      const uint32_t ye = __sxtab16(q->o2, y), yo = tfedge_sxtab16_ror8(q->o2, y);
      const int32_t v0 = rq(smulbb(xe, ye), mult, k_hi, shift), v1 = rq(smulbb(xo, yo), mult, k_hi, shift);
      const int32_t v2 = rq(smultt(xe, ye), mult, k_hi, shift), v3 = rq(smultt(xo, yo), mult, k_hi, shift);
      tfedge_st32(out, mul_clamp4(tfedge_pack4(v0, v1, v2, v3), q->lo4, q->hi4));
    }
  }
  for (; i < n; ++i, a += sa, b += sb) {
    const int32_t v = rq((*a + q->off1) * (*b + q->off2), mult, k_hi, shift);
    *out++ = (int8_t)(v < q->lo ? q->lo : v > q->hi ? q->hi : v);
  }
}

/* Per call, not per element: built for size (cold). */
TFEDGE_COLD_BEGIN
void mul_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  const int32_t e = -p->output_shift, m = p->output_mult, n = p->dims[3];
  const int32_t *s1 = p->in1_strides, *s2 = p->in2_strides;
  mul_consts q;
  int32_t k_hi, i0, i1, i2;
  /* k_hi = 2^(e-2) + zp 2^(e-1): |acc * m| < 2^47, so any |k_hi| < 2^30 keeps the SMLAL inside int64; left or
   * small right shifts and larger k_hi: TFLM's two steps */
  if (e < 2 || e > 31 || m < (1 << 30) || (int64_t)p->output_offset * (1 << (e - 1)) + (1 << (e - 2)) <= -(1 << 30) ||
      (int64_t)p->output_offset * (1 << (e - 1)) + (1 << (e - 2)) >= (1 << 30)) {
    mul_s8_ref(p, input1, input2, output);
    return;
  }
  k_hi = p->output_offset * (1 << (e - 1)) + (1 << (e - 2));
  q.off1 = p->input1_offset, q.off2 = p->input2_offset, q.mult = m, q.k_hi = k_hi, q.shift = e - 1;
  q.lo = p->act_min, q.hi = p->act_max;
  q.o1 = ((uint32_t)(uint16_t)q.off1 << 16) | (uint16_t)q.off1, q.o2 = ((uint32_t)(uint16_t)q.off2 << 16) | (uint16_t)q.off2;
  q.lo4 = (uint32_t)(uint8_t)q.lo * 0x01010101u, q.hi4 = (uint32_t)(uint8_t)q.hi * 0x01010101u;
  for (i0 = 0; i0 < p->dims[0]; ++i0)
    for (i1 = 0; i1 < p->dims[1]; ++i1)
      for (i2 = 0; i2 < p->dims[2]; ++i2, output += n)
        mul_row(&q, input1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2], input2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2],
                output, n, s1[3], s2[3]);
}
TFEDGE_COLD_END
#endif
