/* LEAKY_RELU, int16 (TFLM QuantizeLeakyRelu<int16_t>: the int8 arithmetic, int16 clamp). */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void leaky_relu_s16(const tfedge_act_params *p, const int16_t *input, int16_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    const int32_t x = input[i] - p->input_zp;
    const int32_t v = p->output_zp + (x >= 0 ? tfedge_mbqm(x, p->mult, p->shift) : tfedge_mbqm(x, p->mult2, p->shift2));
    output[i] = (int16_t)tfedge_clamp_i32(v, p->act_min, p->act_max);
  }
}
