/* MAX_POOL_2D, int8 (TFLM reference_integer_ops::MaxPool). */
#include "tfedge_elementwise.h"

void max_pool_s8(const tfedge_pool_params *p, const int8_t *input, int8_t *output) {
  TFEDGE_POOL_LOOP(int8_t, 0, -128);
}
