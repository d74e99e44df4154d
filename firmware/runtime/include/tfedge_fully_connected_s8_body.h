/* The body of the portable FULLY_CONNECTED kernel (TFLM reference_integer_ops::FullyConnected), as an inline
 * function. The input zero-point term input_offset * sum(weights[o]) is folded into bias at compile time,
 * so the inner loop is a plain dot product (unrolled by 4).
 *
 * portable/fully_connected_s8.c is this body behind the kernel's name; the compiler's const-shape variant
 * inlines it into one function per layer of the generated model.c, where every field is a constant. */
#ifndef TFEDGE_FULLY_CONNECTED_S8_BODY_H
#define TFEDGE_FULLY_CONNECTED_S8_BODY_H

#include "tfedge_body.h"
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

static inline TFEDGE_ALWAYS_INLINE void tfedge_fully_connected_s8_body(const tfedge_fc_params *p, const int8_t *input, int8_t *output) {
  int32_t b, o, i;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_features;
    for (o = 0; o < p->out_features; ++o) {
      const int8_t *w = p->weights + o * p->in_features;
      const int32_t c = p->per_channel ? o : 0;
      int32_t acc = p->bias[o];
TFEDGE_UNROLL_DOT_PRODUCT
      for (i = 0; i < p->in_features; ++i) acc += in_b[i] * w[i];
      acc = tfedge_mbqm(acc, p->mult[c], p->shift[c]) + p->output_offset;
      *output++ = (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
    }
  }
}

#endif
