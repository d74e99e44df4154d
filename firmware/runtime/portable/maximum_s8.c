/* MAXIMUM, int8, with broadcasting (TFLM reference_ops::MaximumMinimumBroadcastSlow compares the raw
 * values: inputs and output share one quantization, the compiler checks). */
#include "tfedge_broadcast.h"
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void maximum_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  TFEDGE_BROADCAST_4D(p, input1, input2, output, tfedge_max_i32(x1, x2));
}
