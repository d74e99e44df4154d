/* ADD, int8, with broadcasting (TFLM reference_integer_ops::Add): both inputs are rescaled to a
 * common scale with 20 bits of headroom, summed, then rescaled to the output. */
#include "tfedge_elementwise.h"

void add_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  TFEDGE_BINARY_LOOP(int8_t, tfedge_add_one);
}
