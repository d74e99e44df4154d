/* PRELU, int16x8: int16 input and output, int8 alpha (TFLM's PreluPrepare requires an int8 alpha for int16
 * output), alpha broadcast against the input; prelu_s8's arithmetic (tfedge_prelu_one) with the int16 clamp
 * range in act_min/act_max. */
#include "tfedge_elementwise.h"

void prelu_s16(const tfedge_binary_params *p, const int16_t *input1, const int8_t *input2, int16_t *output) {
  TFEDGE_BINARY_LOOP2(int16_t, int8_t, tfedge_prelu_one);
}
