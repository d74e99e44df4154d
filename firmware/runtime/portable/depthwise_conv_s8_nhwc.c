/* DEPTHWISE_CONV_2D, int8 NHWC, per-channel (TFLM reference_integer_ops::DepthwiseConvPerChannel). The
 * loops live in tfedge_depthwise_conv_s8_nhwc_body.h, shared with the compiler's const-shape variant. */
#include "tfedge_depthwise_conv_s8_nhwc_body.h"

void depthwise_conv_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  tfedge_depthwise_conv_s8_nhwc_body(p, input, output);
}
