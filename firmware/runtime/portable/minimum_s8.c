/* MINIMUM, int8, with broadcasting (TFLM reference_ops::MaximumMinimumBroadcastSlow compares the raw
 * values: inputs and output share one quantization, the compiler checks). */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void minimum_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  int32_t i0, i1, i2, i3;
  for (i0 = 0; i0 < p->dims[0]; ++i0)
    for (i1 = 0; i1 < p->dims[1]; ++i1)
      for (i2 = 0; i2 < p->dims[2]; ++i2) {
        const int8_t *a = input1 + i0 * p->in1_strides[0] + i1 * p->in1_strides[1] + i2 * p->in1_strides[2];
        const int8_t *b = input2 + i0 * p->in2_strides[0] + i1 * p->in2_strides[1] + i2 * p->in2_strides[2];
        for (i3 = 0; i3 < p->dims[3]; ++i3)
          *output++ = (int8_t)tfedge_min_i32(a[i3 * p->in1_strides[3]], b[i3 * p->in2_strides[3]]);
      }
}
