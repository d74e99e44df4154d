/* DEPTHWISE_CONV_2D, int8 NHWC, Cortex-M4/M7/M33 DSP extension.
 *
 * Depth multiplier 1 and channels a multiple of 4 (with compile-time prepared requantization):
 * 4 channels at a time; per tap one word of input widened with the offset (SXTAB16), one word of
 * weights widened (SXTB16) and four 16x16 MACs (SMLABB/SMLATT), the four results requantized and
 * stored as one word. Taps outside the image are skipped, as in TFLM. Anything else runs the
 * portable reference. */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/depthwise_conv_s8_nhwc.c"
#else
#include "tfedge_dsp.h"

#define depthwise_conv_s8_nhwc depthwise_conv_s8_nhwc_ref
#include "../portable/depthwise_conv_s8_nhwc.c"
#undef depthwise_conv_s8_nhwc

void depthwise_conv_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t c_n = p->in_c;
  const uint32_t off2 = ((uint32_t)(uint16_t)p->input_offset << 16) | (uint16_t)p->input_offset;
  int32_t b, oy, ox, c, ky, kx;
  if (p->rq == NULL || p->depth_multiplier != 1 || (c_n & 3)) {
    depthwise_conv_s8_nhwc_ref(p, input, output);
    return;
  }
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * c_n;
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
        for (c = 0; c < c_n; c += 4) {
          const tfedge_requant_ch *r = p->rq + c;
          int32_t a0 = r[0].bias, a1 = r[1].bias, a2 = r[2].bias, a3 = r[3].bias;
          for (ky = ky0; ky < ky1; ++ky) {
            const int8_t *in_row = in_b + ((y0 + ky * p->dil_h) * p->in_w + x0) * c_n + c;
            const int8_t *w_row = p->weights + ky * p->k_w * c_n + c;
            for (kx = kx0; kx < kx1; ++kx) {
              const uint32_t v = tfedge_ld32(in_row + kx * p->dil_w * c_n);
              const uint32_t w = tfedge_ld32(w_row + kx * c_n);
              const uint32_t xe = __sxtab16(off2, v), xo = tfedge_sxtab16_ror8(off2, v);
              const uint32_t we = __sxtb16(w), wo = tfedge_sxtb16_ror8(w);
              a0 = __smlabb(xe, we, a0);
              a2 = __smlatt(xe, we, a2);
              a1 = __smlabb(xo, wo, a1);
              a3 = __smlatt(xo, wo, a3);
            }
          }
          tfedge_st32(output + c, tfedge_pack4(tfedge_dsp_out(a0, r, p->act_min, p->act_max),
                                               tfedge_dsp_out(a1, r + 1, p->act_min, p->act_max),
                                               tfedge_dsp_out(a2, r + 2, p->act_min, p->act_max),
                                               tfedge_dsp_out(a3, r + 3, p->act_min, p->act_max)));
        }
        output += c_n;
      }
    }
  }
}
#endif
