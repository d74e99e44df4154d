/* DEPTHWISE_CONV_2D, int8 NHWC, tuned for Cortex-M0/M0+ (Armv6-M, Thumb-1). Same contract and bit-exact
 * results as portable/depthwise_conv_s8_nhwc.c (TFLM reference_integer_ops::DepthwiseConvPerChannel).
 *
 * The valid tap range of each output pixel is computed once (not tested per MAC and per channel), and
 * requantization uses tfedge_v6m_mbqm (no __aeabi_lmul). */
#include "tfedge_armv6m.h"
#include "tfedge_kernels.h"

void depthwise_conv_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t dm = p->depth_multiplier, in_c = p->in_c, out_c = p->out_c, off = p->input_offset;
  const int32_t row = p->in_w * in_c;
  int32_t b, oy, ox, ic, m, ky, kx;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * row;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      int32_t ky0 = 0, ky1 = p->k_h;
      while (ky0 < ky1 && y0 + ky0 * p->dil_h < 0) ++ky0;
      while (ky1 > ky0 && y0 + (ky1 - 1) * p->dil_h >= p->in_h) --ky1;
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        int32_t kx0 = 0, kx1 = p->k_w;
        while (kx0 < kx1 && x0 + kx0 * p->dil_w < 0) ++kx0;
        while (kx1 > kx0 && x0 + (kx1 - 1) * p->dil_w >= p->in_w) --kx1;
        for (ic = 0; ic < in_c; ++ic) {
          const int8_t *px0 = in_b + y0 * row + x0 * in_c + ic;
          for (m = 0; m < dm; ++m) {
            const int32_t oc = ic * dm + m;
            int32_t acc = p->bias ? p->bias[oc] : 0;
            for (ky = ky0; ky < ky1; ++ky) {
              const int8_t *px = px0 + ky * p->dil_h * row;
              const int8_t *w = p->weights + ky * p->k_w * out_c + oc;
              for (kx = kx0; kx < kx1; ++kx)
                acc += (px[kx * p->dil_w * in_c] + off) * w[kx * out_c];
            }
            acc = tfedge_v6m_mbqm(acc, p->mult[oc], p->shift[oc]) + p->output_offset;
            *output++ = (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
          }
        }
      }
    }
  }
}
