/* SUB, int8, with broadcasting (TFLM reference_integer_ops Sub): ADD's arithmetic with a difference. */
#include "tfedge_elementwise.h"

void sub_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  TFEDGE_BINARY_LOOP(int8_t, tfedge_sub_one);
}
