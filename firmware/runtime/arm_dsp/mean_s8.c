/* MEAN, int8; Cortex-M4/M7/M33 DSP extension. Same contract and results as portable/mean_s8.c (TFLM
 * EvalIntegerMean): the input is (outer, reduce, inner). With 4 or more inner elements (channels, for a
 * global average over H and W) 4 of them are summed per word in 16-bit lanes (SXTAB16 and SXTAB16 ROR 8:
 * ~1.5 instructions per input instead of ~7-13), flushed to int32 every 256 rows (|sum| <= 256 * 128 fits a
 * lane), then finished exactly as the portable loop. A reduction over the innermost axis (inner < 4) runs
 * the portable loop, linked only where a layer needs it (MEAN_REF, ops/tensor_ops.py). */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/mean_s8.c"
#else
#include "tfedge_dsp.h"
#include "tfedge_fixedpoint.h"

#if TFEDGE_USES(MEAN_REF)
#define mean_s8 mean_s8_ref
#include "../portable/mean_s8.c"
#undef mean_s8
#endif

/* One output from its integer sum: TFEDGE_MEAN_LOOP's three cases. */
static int8_t mean_out(const tfedge_reduce_params *p, int32_t sum) {
  int32_t acc;
  if (!p->requant) return (int8_t)(sum / p->reduce);
  /* equal quantization in and out (requant 2) rescales by (2^30, 1): mbqm is then exactly the identity for |x| < 2^30
   * (the sum of at most 2^22 bytes), so its two roundings are skipped */
  acc = p->mult == (1 << 30) && p->shift == 1 && p->reduce <= (1 << 22) ? sum + p->sum_offset
                                                                        : tfedge_mbqm(sum + p->sum_offset, p->mult, p->shift);
  if (p->requant == 2) acc = acc > 0 ? (acc + p->reduce / 2) / p->reduce : (acc - p->reduce / 2) / p->reduce;
  return (int8_t)tfedge_clamp_i32(acc + p->output_zp, -128, 127);
}

void mean_s8(const tfedge_reduce_params *p, const int8_t *input, int8_t *output) {
  const int32_t inner = p->inner, reduce = p->reduce;
  int32_t o, i, r, j;
#if TFEDGE_USES(MEAN_REF)
  if (inner < 4) {
    mean_s8_ref(p, input, output);
    return;
  }
#else
  if (inner < 4) __builtin_trap(); /* not reached: model.h names MEAN_REF for such layers; a wrong one faults */
#endif
  for (o = 0; o < p->outer; ++o, input += reduce * inner, output += inner) {
    for (i = 0; i + 4 <= inner; i += 4) {
      const int8_t *in = input + i;
      int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (r = 0; r < reduce;) {
        const int32_t n = reduce - r < 256 ? reduce - r : 256;
        uint32_t even = 0, odd = 0; /* [c0 c2], [c1 c3] */
        for (j = 0; j < n; ++j, in += inner) {
          const uint32_t v = tfedge_ld32(in);
          even = __sxtab16(even, v);
          odd = tfedge_sxtab16_ror8(odd, v);
        }
        s0 += (int16_t)(even & 0xffffu), s2 += (int16_t)(even >> 16);
        s1 += (int16_t)(odd & 0xffffu), s3 += (int16_t)(odd >> 16);
        r += n;
      }
      output[i] = mean_out(p, s0), output[i + 1] = mean_out(p, s1);
      output[i + 2] = mean_out(p, s2), output[i + 3] = mean_out(p, s3);
    }
    for (; i < inner; ++i) { /* the last inner % 4 */
      const int8_t *in = input + i;
      int32_t sum = 0;
      for (r = 0; r < reduce; ++r, in += inner) sum += *in;
      output[i] = mean_out(p, sum);
    }
  }
}
#endif
