/* DEPTHWISE_CONV_2D with clustered weights (4-bit codebook indices), Helium (Cortex-M55). Same contract
 * and bit-exact results as portable/depthwise_conv_s8_nhwc_c4.c: when the whole filter fits C4_DW_BYTES,
 * every channel's taps are decoded once per call into the depthwise layout ([tap][channel]) and the
 * Helium depthwise_conv_s8_nhwc runs on them; larger filters keep the portable per-channel loop. */
#include "tfedge_kernels.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <string.h>

#include "tfedge_fixedpoint.h"
#include "tfedge_mve.h"

#define depthwise_conv_s8_nhwc_c4 depthwise_c4_per_channel
#include "../portable/depthwise_conv_s8_nhwc_c4.c"
#undef depthwise_conv_s8_nhwc_c4

#define C4_DW_BYTES 4096 /* decoded filter on the stack */

void depthwise_conv_s8_nhwc_c4(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t taps = p->k_h * p->k_w, row_bytes = (taps + 1) / 2;
  int32_t oc, t;
  if (taps * p->out_c > C4_DW_BYTES || taps > TFEDGE_C4_MAX_K) {
    depthwise_c4_per_channel(p, input, output);
    return;
  }
  {
    int8_t w[taps * p->out_c] __attribute__((aligned(16)));
    int8_t row[taps];
    tfedge_conv_params q;
    for (oc = 0; oc < p->out_c; ++oc) {
      tfedge_decode_c4(p->indices + oc * row_bytes, p->codebook + oc * p->codebook_stride, taps, row);
      for (t = 0; t < taps; ++t) w[t * p->out_c + oc] = row[t];
    }
    memcpy(&q, p, sizeof q);
    q.weights = w;
    depthwise_conv_s8_nhwc(&q, input, output);
  }
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/depthwise_conv_s8_nhwc_c4.c"
#endif
