/* CONV_2D, int8 NHWC, tuned for Cortex-M0/M0+ (Armv6-M, Thumb-1). Same contract and bit-exact results
 * as portable/conv_s8_nhwc.c (TFLM reference_integer_ops::ConvPerChannel).
 *
 * - Two output channels per pass share each input load; the input offset is applied once per loaded
 *   value (not per MAC);
 * - the channel loop is unrolled 2x, taps outside the image are skipped per row / column (not per MAC);
 * - requantization uses tfedge_v6m_mbqm (no __aeabi_lmul). */
#include "tfedge_armv6m.h"
#include "tfedge_kernels.h"

static inline int8_t requant(const tfedge_conv_params *p, int32_t acc, int32_t oc) {
  if (p->bias) acc += p->bias[oc];
  acc = tfedge_v6m_mbqm(acc, p->mult[oc], p->shift[oc]) + p->output_offset;
  return (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
}

void conv_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t in_c = p->in_c, K = p->k_h * p->k_w * in_c, off = p->input_offset;
  int32_t b, oy, ox, oc, ky, kx, ic;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        for (oc = 0; oc < p->out_c; oc += 2) {
          const int pair = oc + 1 < p->out_c;
          const int8_t *w0 = p->weights + oc * K, *w1 = pair ? w0 + K : w0;
          int32_t a0 = 0, a1 = 0;
          for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t y = y0 + ky * p->dil_h;
            if (y < 0 || y >= p->in_h) continue; /* padding contributes nothing */
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t x = x0 + kx * p->dil_w;
              const int8_t *px, *q0, *q1;
              if (x < 0 || x >= p->in_w) continue;
              px = in_b + (y * p->in_w + x) * in_c;
              q0 = w0 + (ky * p->k_w + kx) * in_c;
              q1 = w1 + (ky * p->k_w + kx) * in_c;
              for (ic = 0; ic + 2 <= in_c; ic += 2) {
                int32_t v = px[ic] + off;
                a0 += v * q0[ic];
                a1 += v * q1[ic];
                v = px[ic + 1] + off;
                a0 += v * q0[ic + 1];
                a1 += v * q1[ic + 1];
              }
              if (ic < in_c) {
                const int32_t v = px[ic] + off;
                a0 += v * q0[ic];
                a1 += v * q1[ic];
              }
            }
          }
          output[oc] = requant(p, a0, oc);
          if (pair) output[oc + 1] = requant(p, a1, oc + 1);
        }
        output += p->out_c;
      }
    }
  }
}
