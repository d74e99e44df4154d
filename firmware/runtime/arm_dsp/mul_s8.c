/* MUL, int8, with broadcasting; Cortex-M4/M7/M33 DSP extension. Same arithmetic as portable/mul_s8.c (TFLM
 * reference_integer_ops::Mul): out = MultiplyByQuantizedMultiplier((a + off1) * (b + off2), m, -e) + zp.
 * The product is at most 255^2 in magnitude, so for a right shift e >= 2 and m in [2^30, 2^31) the two
 * roundings and the zero point fold into one SMLAL on a preset accumulator (the conv records' form,
 * docs/kernels.md); where the inner dimension is contiguous in both inputs (SE gates: [H, W, C] x [C])
 * 4 elements go per pass: one word of each input widened with its offset (SXTAB16), 4 SMULBB/SMULTT,
 * 4 requantizations, one word stored. Other quantizations run the portable loops, linked only where a layer needs
 * them (MUL_REF: the compiler's ops/elementwise.mul_dsp_fast mirrors mul_fast). */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/mul_s8.c"
#else
#include "tfedge_dsp.h"

#include "tfedge_elementwise.h"
#include "tfedge_uses.h"

#if TFEDGE_USES(MUL_REF)
#define mul_s8 mul_s8_ref
TFEDGE_COLD_BEGIN /* the fallback for other quantizations */
#include "../portable/mul_s8.c"
TFEDGE_COLD_END
#undef mul_s8
#endif

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

static inline __attribute__((always_inline)) int32_t clamp8(int32_t v, int clamp, int32_t lo, int32_t hi) {
  if (clamp) {
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
  }
  return v;
}

/* n / 4 words of contiguous inputs (SE gates): one word of each widened with its offset (SXTAB16), 4 SMULBB/SMULTT,
 * 4 requantizations, one word stored. Inlined twice (clamp 0 / 1): only the element loops have two copies. */
static inline __attribute__((always_inline)) void mul_words(const int8_t *a, const int8_t *b, int8_t *output,
                                                            int32_t words, uint32_t o1, uint32_t o2, int32_t mult,
                                                            int32_t k_hi, int32_t shift, int clamp, int32_t lo,
                                                            int32_t hi) {
  for (; words > 0; --words, a += 4, b += 4, output += 4) {
    const uint32_t x = tfedge_ld32(a), y = tfedge_ld32(b);
    const uint32_t xe = __sxtab16(o1, x), xo = tfedge_sxtab16_ror8(o1, x);
    const uint32_t ye = __sxtab16(o2, y), yo = tfedge_sxtab16_ror8(o2, y);
    const int32_t v0 = clamp8(rq(smulbb(xe, ye), mult, k_hi, shift), clamp, lo, hi);
    const int32_t v1 = clamp8(rq(smulbb(xo, yo), mult, k_hi, shift), clamp, lo, hi);
    const int32_t v2 = clamp8(rq(smultt(xe, ye), mult, k_hi, shift), clamp, lo, hi);
    const int32_t v3 = clamp8(rq(smultt(xo, yo), mult, k_hi, shift), clamp, lo, hi);
    tfedge_st32(output, tfedge_pack4(v0, v1, v2, v3));
  }
}

/* n elements one by one (strides sa, sb: 0 broadcasts), also inlined for clamp 0 / 1. */
static inline __attribute__((always_inline)) void mul_elems(const int8_t *a, const int8_t *b, int32_t sa, int32_t sb,
                                                            int32_t n, int32_t off1, int32_t off2, int8_t *output,
                                                            int32_t mult, int32_t k_hi, int32_t shift, int clamp,
                                                            int32_t lo, int32_t hi) {
  for (; n > 0; --n, a += sa, b += sb)
    *output++ = (int8_t)clamp8(rq((*a + off1) * (*b + off2), mult, k_hi, shift), clamp, lo, hi);
}

static void run(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output,
                int32_t k_hi) {
  const int32_t off1 = p->input1_offset, off2 = p->input2_offset, mult = p->output_mult, shift = -p->output_shift - 1;
  const uint32_t o1 = ((uint32_t)(uint16_t)off1 << 16) | (uint16_t)off1, o2 = ((uint32_t)(uint16_t)off2 << 16) | (uint16_t)off2;
  const int32_t lo = p->act_min, hi = p->act_max, n = p->dims[3], sa = p->in1_strides[3], sb = p->in2_strides[3];
  /* the loops' two copies, each linked only where a layer needs it (MUL_FULL: full int8 range, MUL_CLAMP) */
  const int clamp = TFEDGE_USES(MUL_CLAMP) && (!TFEDGE_USES(MUL_FULL) || lo != -128 || hi != 127);
  int32_t i0, i1, i2, i;
  for (i0 = 0; i0 < p->dims[0]; ++i0)
    for (i1 = 0; i1 < p->dims[1]; ++i1)
      for (i2 = 0; i2 < p->dims[2]; ++i2) {
        const int8_t *a = input1 + i0 * p->in1_strides[0] + i1 * p->in1_strides[1] + i2 * p->in1_strides[2];
        const int8_t *b = input2 + i0 * p->in2_strides[0] + i1 * p->in2_strides[1] + i2 * p->in2_strides[2];
        i = 0;
        if (sa == 1 && sb == 1) {
          i = n & ~3;
          if (clamp) mul_words(a, b, output, n >> 2, o1, o2, mult, k_hi, shift, 1, lo, hi);
          else mul_words(a, b, output, n >> 2, o1, o2, mult, k_hi, shift, 0, lo, hi);
          a += i, b += i, output += i;
        }
        if (clamp) mul_elems(a, b, sa, sb, n - i, off1, off2, output, mult, k_hi, shift, 1, lo, hi);
        else mul_elems(a, b, sa, sb, n - i, off1, off2, output, mult, k_hi, shift, 0, lo, hi);
        output += n - i;
      }
}

/* The quantizations the one-SMLAL path takes (ops/elementwise.mul_dsp_fast mirrors it): a right shift e in [2, 31],
 * m >= 2^30, and k_hi = 2^(e-2) + zp 2^(e-1) (|acc * m| < 2^47, so any |k_hi| < 2^30 keeps the SMLAL inside int64). */
static int mul_fast(const tfedge_binary_params *p, int32_t *k_hi_out) {
  const int32_t e = -p->output_shift;
  int64_t k_hi;
  if (e < 2 || e > 31 || p->output_mult < (1 << 30)) return 0; /* left or small right shifts: TFLM's two steps */
  k_hi = ((int64_t)1 << (e - 2)) + (int64_t)p->output_offset * ((int64_t)1 << (e - 1));
  *k_hi_out = (int32_t)k_hi;
  return k_hi > -(1 << 30) && k_hi < (1 << 30);
}

void mul_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  int32_t k_hi = 0;
#if TFEDGE_USES(MUL_REF)
  if (!mul_fast(p, &k_hi)) {
    mul_s8_ref(p, input1, input2, output);
    return;
  }
#else
  if (!mul_fast(p, &k_hi)) __builtin_trap(); /* not reached: every MUL of the model takes it (compiler: no MUL_REF); a wrong model.h faults */
#endif
  run(p, input1, input2, output, k_hi);
}
#endif
