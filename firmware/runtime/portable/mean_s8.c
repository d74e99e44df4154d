/* MEAN, int8 (TFLM EvalIntegerMean): integer sums; with equal quantization in and out, a truncating
 * integer division (reference_ops::Mean), else QuantizedMeanOrSum's fixed-point rescale. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void mean_s8(const tfedge_reduce_params *p, const int8_t *input, int8_t *output) {
  int32_t o, r, i;
  for (o = 0; o < p->outer; ++o)
    for (i = 0; i < p->inner; ++i) {
      const int8_t *in = input + o * p->reduce * p->inner + i;
      int32_t sum = 0;
      for (r = 0; r < p->reduce; ++r) sum += in[r * p->inner];
      if (!p->requant) {
        *output++ = (int8_t)(sum / p->reduce);
      } else {
        const int32_t q = tfedge_mbqm(sum + p->sum_offset, p->mult, p->shift) + p->output_zp;
        *output++ = (int8_t)tfedge_clamp_i32(q, -128, 127);
      }
    }
}
