/* MEAN, int8, Helium (Cortex-M55). Same contract and bit-exact results as portable/mean_s8.c (TFLM
 * EvalIntegerMean): the input is (outer, reduce, inner); 4 inner elements (channels, for a global average
 * over H and W) are the lanes, summed over `reduce` by widening loads (2 instructions per 4 inputs, the
 * portable loop ~7 per input), then rescaled 4 at a time (tfedge_mve_mbqm, the positive part of the
 * shift a wrapping VSHL first) or, with equal quantization in and out, divided lane by lane (C's
 * truncating division, as reference_ops::Mean). Fewer than 4 inner elements (a reduction over the innermost
 * axis) take the same loop on 1-3 lanes: still 2 instructions per input, and no portable copy linked. */
#include "tfedge_kernels.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_mve.h"

void mean_s8(const tfedge_reduce_params *p, const int8_t *input, int8_t *output) {
  const int32_t inner = p->inner, reduce = p->reduce, requant = p->requant;
  const int32_t sum_offset = p->sum_offset, zp = p->output_zp, left = p->shift > 0 ? p->shift : 0;
  const int32x4_t m = vdupq_n_s32(p->mult), rs = vdupq_n_s32(p->shift > 0 ? 0 : p->shift);
  const int32x4_t lo = vdupq_n_s32(-128), hi = vdupq_n_s32(127);
  int32_t o, i, r, j;
  for (o = 0; o < p->outer; ++o, input += reduce * inner, output += inner) {
    for (i = 0; i < inner; i += 4) {
      const mve_pred16_t pr = vctp32q((uint32_t)(inner - i));
      const int8_t *in = input + i;
      int32x4_t sum = vdupq_n_s32(0);
      for (r = 0; r < reduce; ++r, in += inner) sum = vaddq_s32(sum, vldrbq_z_s32(in, pr));
      if (requant) {
        int32x4_t y = tfedge_mve_mbqm(vshlq_r_s32(vaddq_n_s32(sum, sum_offset), left), m, rs);
        vstrbq_p_s32(output + i, vminq_s32(vmaxq_s32(vaddq_n_s32(y, zp), lo), hi), pr);
      } else {
        int32_t s[4];
        vstrwq_s32(s, sum);
        for (j = 0; j < 4 && i + j < inner; ++j) output[i + j] = (int8_t)(s[j] / reduce);
      }
    }
  }
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/mean_s8.c"
#endif
