/* FULLY_CONNECTED, int8 (TFLM reference_integer_ops::FullyConnected). The loops live in
 * tfedge_fully_connected_s8_body.h, shared with the compiler's const-shape variant. */
#define TFEDGE_PLAIN_LOOPS /* the reference loops as they are (no unrolling) */
#include "tfedge_fully_connected_s8_body.h"

void fully_connected_s8(const tfedge_fc_params *p, const int8_t *input, int8_t *output) {
  tfedge_fully_connected_s8_body(p, input, output);
}
