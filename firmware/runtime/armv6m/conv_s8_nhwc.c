/* CONV_2D, int8 NHWC, tuned for Cortex-M0/M0+ (Armv6-M, Thumb-1). Same contract and bit-exact results
 * as portable/conv_s8_nhwc.c (TFLM reference_integer_ops::ConvPerChannel).
 *
 * - Every parameter is copied to a local once (byte stores may alias the parameter struct);
 * - the valid tap range of each output pixel is computed once, and with dil_w = 1 each kernel row is one
 *   contiguous run of (valid columns) * in_c bytes in both input and weights: one flat loop per row;
 * - two output channels per pass share each input load, the input offset is added once per loaded value;
 * - requantization uses tfedge_v6m_mbqm (no __aeabi_lmul). */
#include "tfedge_armv6m.h"
#include "tfedge_kernels.h"

/* a0 += sum (x[i] + off) * w0[i], a1 likewise with w1, i < n (2x unrolled) */
static inline void dot2(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n, int32_t off, int32_t *a0,
                        int32_t *a1) {
  int32_t s0 = *a0, s1 = *a1, i;
  for (i = 0; i + 2 <= n; i += 2) {
    int32_t v = x[i] + off;
    s0 += v * w0[i];
    s1 += v * w1[i];
    v = x[i + 1] + off;
    s0 += v * w0[i + 1];
    s1 += v * w1[i + 1];
  }
  if (i < n) {
    const int32_t v = x[i] + off;
    s0 += v * w0[i];
    s1 += v * w1[i];
  }
  *a0 = s0;
  *a1 = s1;
}

void conv_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t in_c = p->in_c, out_c = p->out_c, off = p->input_offset;
  const int32_t in_h = p->in_h, in_w = p->in_w, k_h = p->k_h, k_w = p->k_w, dil_h = p->dil_h, dil_w = p->dil_w;
  const int32_t K = k_h * k_w * in_c, row = in_w * in_c;
  const int32_t out_off = p->output_offset, act_min = p->act_min, act_max = p->act_max;
  const int8_t *weights = p->weights;
  const int32_t *bias = p->bias, *mult = p->mult, *shift = p->shift;
  int32_t b, oy, ox, oc, ky, kx;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * in_h * row;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      int32_t ky0 = 0, ky1 = k_h;
      while (ky0 < ky1 && y0 + ky0 * dil_h < 0) ++ky0;
      while (ky1 > ky0 && y0 + (ky1 - 1) * dil_h >= in_h) --ky1;
      for (ox = 0; ox < p->out_w; ++ox, output += out_c) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        int32_t kx0 = 0, kx1 = k_w;
        while (kx0 < kx1 && x0 + kx0 * dil_w < 0) ++kx0;
        while (kx1 > kx0 && x0 + (kx1 - 1) * dil_w >= in_w) --kx1;
        for (oc = 0; oc < out_c; oc += 2) {
          const int pair = oc + 1 < out_c;
          const int8_t *w0 = weights + oc * K, *w1 = pair ? w0 + K : w0;
          int32_t a0 = 0, a1 = 0;
          for (ky = ky0; ky < ky1; ++ky) {
            const int8_t *px = in_b + (y0 + ky * dil_h) * row + (x0 + kx0 * dil_w) * in_c;
            const int32_t wo = (ky * k_w + kx0) * in_c;
            if (dil_w == 1) {
              dot2(px, w0 + wo, w1 + wo, (kx1 - kx0) * in_c, off, &a0, &a1);
            } else {
              for (kx = kx0; kx < kx1; ++kx, px += dil_w * in_c)
                dot2(px, w0 + (ky * k_w + kx) * in_c, w1 + (ky * k_w + kx) * in_c, in_c, off, &a0, &a1);
            }
          }
          if (bias) a0 += bias[oc];
          output[oc] = (int8_t)tfedge_clamp_i32(tfedge_v6m_mbqm(a0, mult[oc], shift[oc]) + out_off, act_min, act_max);
          if (pair) {
            if (bias) a1 += bias[oc + 1];
            output[oc + 1] =
                (int8_t)tfedge_clamp_i32(tfedge_v6m_mbqm(a1, mult[oc + 1], shift[oc + 1]) + out_off, act_min, act_max);
          }
        }
      }
    }
  }
}
