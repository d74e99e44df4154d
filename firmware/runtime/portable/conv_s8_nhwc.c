/* CONV_2D, int8 NHWC, per-channel requantization (TFLM reference_integer_ops::ConvPerChannel). The loops
 * live in tfedge_conv_s8_nhwc_body.h, shared with the compiler's const-shape variant. */
#define TFEDGE_PLAIN_LOOPS /* the reference loops as they are (no unrolling) */
#include "tfedge_conv_s8_nhwc_body.h"

void conv_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  tfedge_conv_s8_nhwc_body(p, input, output);
}
