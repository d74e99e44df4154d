/* The body of the portable DEPTHWISE_CONV_2D kernel (TFLM reference_integer_ops::DepthwiseConvPerChannel;
 * output channel oc = ic * depth_multiplier + m reads input channel ic), as an inline function.
 *
 * portable/depthwise_conv_s8_nhwc.c is this body behind the kernel's name. The compiler's const-shape variant
 * (tfedge/compiler/variants.py) also inlines it into one function per layer of the generated model.c, with
 * the layer's parameters as a static const struct: the shapes, strides and offsets then become constants
 * the C compiler folds into the loops (constant trip counts, index arithmetic strength-reduced). */
#ifndef TFEDGE_DEPTHWISE_CONV_S8_NHWC_BODY_H
#define TFEDGE_DEPTHWISE_CONV_S8_NHWC_BODY_H

#include "tfedge_body.h"
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

static inline TFEDGE_ALWAYS_INLINE void tfedge_depthwise_conv_s8_nhwc_body(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  int32_t b, oy, ox, ic, m, ky, kx;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        for (ic = 0; ic < p->in_c; ++ic) {
          for (m = 0; m < p->depth_multiplier; ++m) {
            const int32_t oc = ic * p->depth_multiplier + m;
            int32_t acc = 0;
            for (ky = 0; ky < p->k_h; ++ky) {
              const int32_t y = y0 + ky * p->dil_h;
              if (y < 0 || y >= p->in_h) continue;
              for (kx = 0; kx < p->k_w; ++kx) {
                const int32_t x = x0 + kx * p->dil_w;
                if (x < 0 || x >= p->in_w) continue;
                acc += (in_b[(y * p->in_w + x) * p->in_c + ic] + p->input_offset) *
                       p->weights[(ky * p->k_w + kx) * p->out_c + oc];
              }
            }
            if (p->bias) acc += p->bias[oc];
            acc = tfedge_mbqm(acc, p->mult[oc], p->shift[oc]) + p->output_offset;
            *output++ = (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
          }
        }
      }
    }
  }
}

#endif
