/* PRELU, int8, alpha broadcast against the input (TFLM BroadcastPrelu4DSlow): x >= 0 is rescaled by
 * input1_mult/shift, x < 0 multiplied by alpha and rescaled by input2_mult/shift (input2 = alpha). */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void prelu_s8(const tfedge_binary_params *p, const int8_t *input, const int8_t *alpha, int8_t *output) {
  int32_t i0, i1, i2, i3;
  for (i0 = 0; i0 < p->dims[0]; ++i0)
    for (i1 = 0; i1 < p->dims[1]; ++i1)
      for (i2 = 0; i2 < p->dims[2]; ++i2) {
        const int8_t *a = input + i0 * p->in1_strides[0] + i1 * p->in1_strides[1] + i2 * p->in1_strides[2];
        const int8_t *b = alpha + i0 * p->in2_strides[0] + i1 * p->in2_strides[1] + i2 * p->in2_strides[2];
        for (i3 = 0; i3 < p->dims[3]; ++i3) {
          const int32_t x = a[i3 * p->in1_strides[3]] + p->input1_offset;
          int32_t out;
          if (x >= 0) {
            out = tfedge_mbqm(x, p->input1_mult, p->input1_shift);
          } else {
            out = tfedge_mbqm(x * (b[i3 * p->in2_strides[3]] + p->input2_offset), p->input2_mult, p->input2_shift);
          }
          *output++ = (int8_t)tfedge_clamp_i32(out + p->output_offset, p->act_min, p->act_max);
        }
      }
}
