/* MEAN, int16 (TFLM's integer mean for int16: the int8 arithmetic of mean_s8, int16 clamp). */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void mean_s16(const tfedge_reduce_params *p, const int16_t *input, int16_t *output) {
  int32_t o, r, i;
  for (o = 0; o < p->outer; ++o)
    for (i = 0; i < p->inner; ++i) {
      const int16_t *in = input + o * p->reduce * p->inner + i;
      int32_t sum = 0;
      for (r = 0; r < p->reduce; ++r) sum += in[r * p->inner];
      if (!p->requant) {
        *output++ = (int16_t)(sum / p->reduce);
      } else {
        const int32_t q = tfedge_mbqm(sum + p->sum_offset, p->mult, p->shift) + p->output_zp;
        *output++ = (int16_t)tfedge_clamp_i32(q, -32768, 32767);
      }
    }
}
