/* LEAKY_RELU, int16 (TFLM QuantizeLeakyRelu<int16_t>: the int8 arithmetic, see tfedge_elementwise.h). */
#include "tfedge_elementwise.h"

void leaky_relu_s16(const tfedge_act_params *p, const int16_t *input, int16_t *output) {
  TFEDGE_LEAKY_RELU_LOOP(int16_t, -32768, 32767);
}
