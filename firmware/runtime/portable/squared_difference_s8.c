/* SQUARED_DIFFERENCE, int8, with broadcasting (TFLM squared_difference.cc): both inputs shifted left by
 * left_shift (7) and brought to a common scale, the difference squared, rescaled to the output. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void squared_difference_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  int32_t i0, i1, i2, i3;
  for (i0 = 0; i0 < p->dims[0]; ++i0)
    for (i1 = 0; i1 < p->dims[1]; ++i1)
      for (i2 = 0; i2 < p->dims[2]; ++i2) {
        const int8_t *a = input1 + i0 * p->in1_strides[0] + i1 * p->in1_strides[1] + i2 * p->in1_strides[2];
        const int8_t *b = input2 + i0 * p->in2_strides[0] + i1 * p->in2_strides[1] + i2 * p->in2_strides[2];
        for (i3 = 0; i3 < p->dims[3]; ++i3) {
          const int32_t x1 = (a[i3 * p->in1_strides[3]] + p->input1_offset) * (1 << p->left_shift);
          const int32_t x2 = (b[i3 * p->in2_strides[3]] + p->input2_offset) * (1 << p->left_shift);
          const int32_t diff = tfedge_mbqm(x1, p->input1_mult, p->input1_shift) - tfedge_mbqm(x2, p->input2_mult, p->input2_shift);
          const int32_t out = tfedge_mbqm(diff * diff, p->output_mult, p->output_shift) + p->output_offset;
          *output++ = (int8_t)tfedge_clamp_i32(out, p->act_min, p->act_max);
        }
      }
}
