/* ADD, int8, with broadcasting; Cortex-M4/M7/M33 DSP extension. Same arithmetic as portable/add_s8.c
 * (TFLM reference_integer_ops::Add); each MultiplyByQuantizedMultiplier with a right shift is one SMLAL
 * on a preset accumulator plus the rounding shift, instead of the generic 64-bit helper. */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/add_s8.c"
#else
#include "tfedge_dsp.h"
#include "tfedge_fixedpoint.h"

#define add_s8 add_s8_ref
#include "../portable/add_s8.c"
#undef add_s8

/* MultiplyByQuantizedMultiplier(x, m, -e) for e in [0, 31], m in [2^30, 2^31): exact. */
static inline int32_t mbqm_right(int32_t x, int32_t m, int32_t e, int32_t round) {
  uint32_t lo = 0x40000000u;
  int32_t hi = 0, r;
  __asm__("smlal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(x), "r"(m));
  r = (int32_t)(((uint32_t)hi << 1) | (lo >> 31)); /* SaturatingRoundingDoublingHighMul */
  return (r + round + (r >> 31 & (e > 0 ? -1 : 0))) >> e; /* RoundingDivideByPOT */
}

void add_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  const int32_t e1 = -p->input1_shift, e2 = -p->input2_shift, eo = -p->output_shift;
  const int32_t m1 = p->input1_mult, m2 = p->input2_mult, mo = p->output_mult;
  const int32_t r1 = e1 > 0 ? 1 << (e1 - 1) : 0, r2 = e2 > 0 ? 1 << (e2 - 1) : 0, ro = eo > 0 ? 1 << (eo - 1) : 0;
  const int32_t off1 = p->input1_offset, off2 = p->input2_offset, offo = p->output_offset, ls = p->left_shift;
  const int32_t lo = p->act_min, hi = p->act_max;
  int32_t i0, i1, i2, i3;
  /* the fast form needs right shifts only and normalised multipliers (always so for ADD's prepare) */
  if (e1 < 0 || e2 < 0 || eo < 0 || e1 > 31 || e2 > 31 || eo > 31 || m1 < (1 << 30) || m2 < (1 << 30) ||
      mo < (1 << 30) || ls < 0 || ls > 23) {
    add_s8_ref(p, input1, input2, output);
    return;
  }
  for (i0 = 0; i0 < p->dims[0]; ++i0)
    for (i1 = 0; i1 < p->dims[1]; ++i1)
      for (i2 = 0; i2 < p->dims[2]; ++i2) {
        const int8_t *a = input1 + i0 * p->in1_strides[0] + i1 * p->in1_strides[1] + i2 * p->in1_strides[2];
        const int8_t *b = input2 + i0 * p->in2_strides[0] + i1 * p->in2_strides[1] + i2 * p->in2_strides[2];
        const int32_t sa = p->in1_strides[3], sb = p->in2_strides[3];
        for (i3 = 0; i3 < p->dims[3]; ++i3, a += sa, b += sb) {
          /* (x + offset) << left_shift cannot overflow: |x + offset| <= 255 and left_shift <= 23 */
          const int32_t x1 = mbqm_right((*a + off1) << ls, m1, e1, r1);
          const int32_t x2 = mbqm_right((*b + off2) << ls, m2, e2, r2);
          int32_t v = __ssat(mbqm_right(x1 + x2, mo, eo, ro) + offo, 8);
          v = v < lo ? lo : v;
          *output++ = (int8_t)(v > hi ? hi : v);
        }
      }
}
#endif
