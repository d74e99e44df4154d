/* CONV_2D int16x8, Cortex-M4/M7/M33 DSP extension: per output pixel the input window is copied once into
 * scratch (im2col, zeros where it leaves the image: the input zero point is 0), then two output channels
 * per pass run one long dot product each, 4 MACs per SMLALD pair (tfedge_dsp_s16.h). int64 accumulation:
 * bit-exact with TFLM. Without scratch it runs the portable loops. */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/conv_s16_nhwc.c"
#else
#include "tfedge_dsp_s16.h"
#include "tfedge_fixedpoint.h"

#define conv_s16_nhwc conv_s16_nhwc_ref
#include "../portable/conv_s16_nhwc.c"
#undef conv_s16_nhwc

static int16_t out16(const tfedge_conv_s16_params *p, int64_t acc, int32_t oc) {
  if (p->bias) acc += p->bias[oc];
  return (int16_t)tfedge_clamp_i32(tfedge_mbqm64(acc, p->mult[oc], p->shift[oc]), p->act_min, p->act_max);
}

void conv_s16_nhwc(const tfedge_conv_s16_params *p, const int16_t *input, int16_t *output) {
  const int32_t k = p->k_h * p->k_w * p->in_c, row = p->in_c * (int32_t)sizeof(int16_t);
  int16_t *col = p->scratch;
  int32_t b, oy, ox, oc, ky, kx;
  if (col == NULL) {
    conv_s16_nhwc_ref(p, input, output);
    return;
  }
  for (b = 0; b < p->batches; ++b) {
    const int16_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        int16_t *dst = col;
        for (ky = 0; ky < p->k_h; ++ky) {
          const int32_t y = y0 + ky * p->dil_h;
          for (kx = 0; kx < p->k_w; ++kx, dst += p->in_c) {
            const int32_t x = x0 + kx * p->dil_w;
            if (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w) memset(dst, 0, (size_t)row);
            else memcpy(dst, in_b + (y * p->in_w + x) * p->in_c, (size_t)row);
          }
        }
        for (oc = 0; oc + 2 <= p->out_c; oc += 2) {
          int64_t acc[2] = {0, 0};
          tfedge_dot2_s16_s8(col, p->weights + oc * k, p->weights + (oc + 1) * k, k, acc);
          *output++ = out16(p, acc[0], oc);
          *output++ = out16(p, acc[1], oc + 1);
        }
        if (oc < p->out_c) *output++ = out16(p, tfedge_dot_s16_s8(col, p->weights + oc * k, k, 0), oc);
      }
    }
  }
}
#endif
