/* LEAKY_RELU, int8 (TFLM QuantizeLeakyRelu): identity or alpha multiplier by the input's sign. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void leaky_relu_s8(const tfedge_act_params *p, const int8_t *input, int8_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    const int32_t x = input[i] - p->input_zp;
    const int32_t v = p->output_zp + (x >= 0 ? tfedge_mbqm(x, p->mult, p->shift) : tfedge_mbqm(x, p->mult2, p->shift2));
    output[i] = (int8_t)tfedge_clamp_i32(v, -128, 127);
  }
}
