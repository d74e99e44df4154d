/* RELU (and RELU_N1_TO_1), int8 (TFLM ReluQuantized): requantize to the output, then clamp. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void relu_s8(const tfedge_act_params *p, const int8_t *input, int8_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    const int32_t v = p->output_zp + tfedge_mbqm(input[i] - p->input_zp, p->mult, p->shift);
    output[i] = (int8_t)tfedge_clamp_i32(v, p->act_min, p->act_max);
  }
}
