/* MUL, int8, with broadcasting (TFLM reference_integer_ops::Mul). */
#include "tfedge_elementwise.h"

void mul_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  TFEDGE_BINARY_LOOP(int8_t, tfedge_mul_one);
}
