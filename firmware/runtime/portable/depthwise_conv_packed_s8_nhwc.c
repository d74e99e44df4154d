/* DEPTHWISE_CONV_2D, int8 NHWC, depth multiplier 1, any channel count, packed weights (layout in
 * tfedge_kernels.h: int8 [c0 c1 c2 c3] per tap and channel group, or int16 [c0 c2 c1 c3] widened at compile
 * time) and requantization records: the reference for the fast path in arm_dsp/. Same arithmetic as
 * depthwise_conv_s8_nhwc; only the weight storage and the form of bias/multiplier/shift differ. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"
#include "tfedge_requant_ref.h"

void depthwise_conv_packed_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  static const int32_t lane[4] = {0, 2, 1, 3}; /* int16: [c0 c2 c1 c3], the order SXTB16 / ROR 8 gives */
  const int16_t *w16 = (const int16_t *)(const void *)p->weights;
  const int32_t taps = p->k_h * p->k_w;
  int32_t b, oy, ox, c, ky, kx;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        for (c = 0; c < p->out_c; ++c) {
          const int32_t at = (c >> 2) * taps * 4;
          int32_t acc = 0;
          for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t y = y0 + ky * p->dil_h;
            if (y < 0 || y >= p->in_h) continue;
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t x = x0 + kx * p->dil_w, t = (ky * p->k_w + kx) * 4;
              if (x < 0 || x >= p->in_w) continue;
              acc += (in_b[(y * p->in_w + x) * p->in_c + c] + p->input_offset) *
                     (p->weights_i8 ? p->weights[at + t + (c & 3)] : w16[at + t + lane[c & 3]]);
            }
          }
          acc = tfedge_requant_ref(acc, &p->rq[c], p->output_offset);
          *output++ = (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}
