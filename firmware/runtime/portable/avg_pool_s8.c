/* AVERAGE_POOL_2D, int8 (TFLM reference_integer_ops::AveragePool): the divisor counts only the
 * taps inside the image; the quotient rounds half away from zero. */
#include "tfedge_elementwise.h"

void avg_pool_s8(const tfedge_pool_params *p, const int8_t *input, int8_t *output) {
  TFEDGE_POOL_LOOP(int8_t, 1, -128);
}
