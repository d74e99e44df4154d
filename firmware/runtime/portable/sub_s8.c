/* SUB, int8, with broadcasting (TFLM reference_integer_ops Sub): ADD's arithmetic with a difference. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

static int8_t sub_one(const tfedge_binary_params *p, int32_t a, int32_t b) {
  const int32_t x1 = tfedge_mbqm(tfedge_shl_wrap(a + p->input1_offset, p->left_shift), p->input1_mult, p->input1_shift);
  const int32_t x2 = tfedge_mbqm(tfedge_shl_wrap(b + p->input2_offset, p->left_shift), p->input2_mult, p->input2_shift);
  const int32_t out = tfedge_mbqm(x1 - x2, p->output_mult, p->output_shift) + p->output_offset;
  return (int8_t)tfedge_clamp_i32(out, p->act_min, p->act_max);
}

void sub_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  int32_t i0, i1, i2, i3;
  for (i0 = 0; i0 < p->dims[0]; ++i0)
    for (i1 = 0; i1 < p->dims[1]; ++i1)
      for (i2 = 0; i2 < p->dims[2]; ++i2) {
        const int8_t *a = input1 + i0 * p->in1_strides[0] + i1 * p->in1_strides[1] + i2 * p->in1_strides[2];
        const int8_t *b = input2 + i0 * p->in2_strides[0] + i1 * p->in2_strides[1] + i2 * p->in2_strides[2];
        for (i3 = 0; i3 < p->dims[3]; ++i3) *output++ = sub_one(p, a[i3 * p->in1_strides[3]], b[i3 * p->in2_strides[3]]);
      }
}
