/* LEAKY_RELU, int8 (TFLM QuantizeLeakyRelu): identity or alpha multiplier by the input's sign. */
#include "tfedge_elementwise.h"

void leaky_relu_s8(const tfedge_act_params *p, const int8_t *input, int8_t *output) {
  TFEDGE_LEAKY_RELU_LOOP(int8_t, -128, 127);
}
