/* SQUARED_DIFFERENCE, int16, with broadcasting (TFLM squared_difference.cc, int16 path): the int8 element with
 * left_shift 0 (the compiler sets it) and the int16 clamp, on the binary loop the int16 ADD/SUB/MUL kernels
 * share. */
#include "tfedge_elementwise.h"
#include "tfedge_squared_difference.h"

void squared_difference_s16(const tfedge_binary_params *p, const int16_t *input1, const int16_t *input2,
                            int16_t *output) {
  TFEDGE_BINARY_LOOP(int16_t, tfedge_squared_difference_one);
}
