/* CONV_2D int16x8, Helium (Cortex-M55). Same results as portable/conv_s16_nhwc.c (TFLM
 * reference_integer_ops::ConvPerChannel for int16 input, int64 accumulators): per output pixel the input
 * window is copied once into scratch (im2col as arm_dsp/conv_s16_nhwc.c, zeros outside the image: the zero
 * point is 0), then 4 output channels per pass: each 8-value window load feeds 4 VMLALDAVA.S16 (64-bit
 * accumulators, exact) against the channels' int8 weights widened by VLDRB.S16; the tail is predicated.
 * Requantization per output as TFLM's (the int64 MultiplyByQuantizedMultiplier). Without scratch the
 * portable loops run. */
#include "tfedge_kernels.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_fixedpoint.h"
#include "tfedge_mve.h"
#include "tfedge_mve_dot4.h"

#define conv_s16_nhwc conv_s16_nhwc_ref
#include "../portable/conv_s16_nhwc.c"
#undef conv_s16_nhwc

void conv_s16_nhwc(const tfedge_conv_s16_params *p, const int16_t *input, int16_t *output) {
  const int32_t k = p->k_h * p->k_w * p->in_c, row = p->in_c * (int32_t)sizeof(int16_t);
  const int32_t in_h = p->in_h, in_w = p->in_w, out_c = p->out_c, act_min = p->act_min, act_max = p->act_max;
  const int64_t *bias = p->bias;
  const int32_t *mult = p->mult, *shift = p->shift;
  int16_t *col = p->scratch;
  int64_t acc[4];
  int32_t b, oy, ox, oc, ky, kx, j;
  if (col == NULL) {
    conv_s16_nhwc_ref(p, input, output);
    return;
  }
  for (b = 0; b < p->batches; ++b) {
    const int16_t *in_b = input + b * in_h * in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        int8_t *dst = (int8_t *)col;
        for (ky = 0; ky < p->k_h; ++ky) {
          const int32_t y = y0 + ky * p->dil_h;
          for (kx = 0; kx < p->k_w; ++kx, dst += row) {
            const int32_t x = x0 + kx * p->dil_w;
            if (y < 0 || y >= in_h || x < 0 || x >= in_w) tfedge_mve_fill(dst, 0, row);
            else tfedge_mve_copy(dst, (const int8_t *)(in_b + (y * in_w + x) * p->in_c), row);
          }
        }
        for (oc = 0; oc < out_c; oc += 4) {
          const int32_t count = tfedge_min_i32(4, out_c - oc);
          tfedge_mve_dot4_s16(col, p->weights + oc * k, k, count, acc);
          for (j = 0; j < count; ++j) {
            const int64_t a = acc[j] + (bias ? bias[oc + j] : 0);
            *output++ = (int16_t)tfedge_clamp_i32(tfedge_mbqm64(a, mult[oc + j], shift[oc + j]), act_min, act_max);
          }
        }
      }
    }
  }
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/conv_s16_nhwc.c"
#endif
