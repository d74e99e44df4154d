/* CONV_2D, int16x8 (TFLM reference_integer_ops::ConvPerChannel for int16 input): int8 weights, int64
 * accumulator and bias, the int64 MultiplyByQuantizedMultiplier; zero points are 0 on both sides. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void conv_s16_nhwc(const tfedge_conv_s16_params *p, const int16_t *input, int16_t *output) {
  int32_t b, oy, ox, oc, ky, kx, ic;
  for (b = 0; b < p->batches; ++b) {
    const int16_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        for (oc = 0; oc < p->out_c; ++oc) {
          const int8_t *w_oc = p->weights + oc * p->k_h * p->k_w * p->in_c;
          int64_t acc = 0;
          int32_t v;
          for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t y = y0 + ky * p->dil_h;
            if (y < 0 || y >= p->in_h) continue; /* padding contributes nothing */
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t x = x0 + kx * p->dil_w;
              const int16_t *in_px;
              const int8_t *w_px;
              if (x < 0 || x >= p->in_w) continue;
              in_px = in_b + (y * p->in_w + x) * p->in_c;
              w_px = w_oc + (ky * p->k_w + kx) * p->in_c;
              for (ic = 0; ic < p->in_c; ++ic) acc += (int32_t)in_px[ic] * w_px[ic];
            }
          }
          if (p->bias) acc += p->bias[oc];
          v = tfedge_mbqm64(acc, p->mult[oc], p->shift[oc]);
          *output++ = (int16_t)tfedge_clamp_i32(v, p->act_min, p->act_max);
        }
      }
    }
  }
}
