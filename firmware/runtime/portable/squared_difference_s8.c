/* SQUARED_DIFFERENCE, int8, with broadcasting (TFLM squared_difference.cc): both inputs shifted left by
 * left_shift (7) and brought to a common scale, the difference squared, rescaled to the output. */
#include "tfedge_broadcast.h"
#include "tfedge_squared_difference.h"

void squared_difference_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  TFEDGE_BROADCAST_4D(p, input1, input2, output, tfedge_squared_difference_one(p, x1, x2));
}
