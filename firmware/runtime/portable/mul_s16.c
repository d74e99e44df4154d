/* MUL, int16 (TFLM's int16 path: the int8 arithmetic, see tfedge_elementwise.h). */
#include "tfedge_elementwise.h"

void mul_s16(const tfedge_binary_params *p, const int16_t *input1, const int16_t *input2, int16_t *output) {
  TFEDGE_BINARY_LOOP(int16_t, tfedge_mul_one);
}
