/* RELU and RELU6, int16 (TFLM ReluQuantized<int16_t>, as relu_s8): requantize to the output, then clamp
 * to the activation range (zero points are 0 in int16x8). */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void relu_s16(const tfedge_act_params *p, const int16_t *input, int16_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    const int32_t v = p->output_zp + tfedge_mbqm(input[i] - p->input_zp, p->mult, p->shift);
    output[i] = (int16_t)tfedge_clamp_i32(v, p->act_min, p->act_max);
  }
}
