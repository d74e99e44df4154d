/* DEPTHWISE_CONV_2D, depth multiplier 1, channels % 4 == 0, widened weights; Cortex-M4/M7/M33 DSP extension.
 *
 * 4 channels at a time: per tap one word of input widened with the offset (SXTAB16 and SXTAB16 ROR 8),
 * one LDRD of the compile-time widened weights ([c0 c2][c1 c3], sequential per channel group) and four
 * 16x16 MACs (SMLABB/SMLATT); the 4 results are requantized and stored as one word. Pixels whose window
 * lies inside the image run the 3x3 taps unrolled; 3x3 windows over the border too, their outside taps
 * reading a scratch row of input zero points (which contribute exactly 0, as TFLM's skipped taps);
 * other kernel sizes loop over the taps inside the image. */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/depthwise_conv_packed_s8_nhwc.c"
#else
#include "tfedge_dsp.h"

#define depthwise_conv_packed_s8_nhwc depthwise_conv_packed_s8_nhwc_ref
#include "../portable/depthwise_conv_packed_s8_nhwc.c"
#undef depthwise_conv_packed_s8_nhwc

#define TAP(ptr, wp)                                                        \
  do {                                                                      \
    const uint32_t v_ = tfedge_ld32(ptr);                                   \
    const uint32_t xe_ = __sxtab16(off2, v_), xo_ = tfedge_sxtab16_ror8(off2, v_); \
    const uint32_t we_ = (wp)[0], wo_ = (wp)[1];                            \
    a0 = __smlabb(xe_, we_, a0);                                            \
    a2 = __smlatt(xe_, we_, a2);                                            \
    a1 = __smlabb(xo_, wo_, a1);                                            \
    a3 = __smlatt(xo_, wo_, a3);                                            \
  } while (0)

static inline __attribute__((always_inline)) int32_t out1(int32_t acc, const tfedge_requant_ch *r, int clamp,
                                                          int32_t lo, int32_t hi) {
  int32_t v = __ssat(tfedge_dsp_requant(acc, r), 8);
  if (clamp) {
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
  }
  return v;
}

static inline __attribute__((always_inline)) void run(const tfedge_conv_params *p, const int8_t *input,
                                                      int8_t *output, const int clamp) {
  const int32_t c_n = p->in_c, taps = p->k_h * p->k_w;
  const int32_t row = p->in_w * c_n, dx = p->dil_w * c_n, dy = p->dil_h * row;
  const uint32_t off2 = ((uint32_t)(uint16_t)p->input_offset << 16) | (uint16_t)p->input_offset;
  const int32_t lo = p->act_min, hi = p->act_max;
  const int k3 = p->k_h == 3 && p->k_w == 3;
  int8_t *zrow = (int8_t *)p->scratch; /* c_n bytes: the input zero point, for taps outside the image */
  int32_t b, oy, ox, c, ky, kx;
  if (zrow) memset(zrow, -p->input_offset, (size_t)c_n);
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
        const uint32_t *w = (const uint32_t *)(const void *)p->weights;
        const tfedge_requant_ch *r = p->rq;
        const int8_t *base = in_b + y0 * row + x0 * c_n; /* tap (0, 0), possibly outside */
        while (kx0 < kx1 && x0 + kx0 * p->dil_w < 0) ++kx0;
        while (kx1 > kx0 && x0 + (kx1 - 1) * p->dil_w >= p->in_w) --kx1;
        if (k3 && zrow && !(ky0 == 0 && kx0 == 0 && ky1 == 3 && kx1 == 3)) {
          /* 3x3 window over the border: taps outside read a row of input zero points (x + offset = 0) */
          const int8_t *tap[9];
          int32_t t;
          for (t = 0; t < 9; ++t) {
            const int32_t ty = t / 3, tx = t % 3;
            tap[t] = ty >= ky0 && ty < ky1 && tx >= kx0 && tx < kx1 ? base + ty * dy + tx * dx : zrow;
          }
          for (c = 0; c < c_n; c += 4, r += 4, w += 18) {
            int32_t a0 = r[0].bias, a1 = r[1].bias, a2 = r[2].bias, a3 = r[3].bias;
            TAP(tap[0] + c, w);
            TAP(tap[1] + c, w + 2);
            TAP(tap[2] + c, w + 4);
            TAP(tap[3] + c, w + 6);
            TAP(tap[4] + c, w + 8);
            TAP(tap[5] + c, w + 10);
            TAP(tap[6] + c, w + 12);
            TAP(tap[7] + c, w + 14);
            TAP(tap[8] + c, w + 16);
            tfedge_st32(output + c, tfedge_pack4(out1(a0, r, clamp, lo, hi), out1(a1, r + 1, clamp, lo, hi),
                                                 out1(a2, r + 2, clamp, lo, hi), out1(a3, r + 3, clamp, lo, hi)));
          }
        } else if (k3 && ky0 == 0 && kx0 == 0 && ky1 == 3 && kx1 == 3) { /* whole 3x3 window inside */
          for (c = 0; c < c_n; c += 4, r += 4, w += 18) {
            const int8_t *q = base + c;
            int32_t a0 = r[0].bias, a1 = r[1].bias, a2 = r[2].bias, a3 = r[3].bias;
            TAP(q, w);
            TAP(q + dx, w + 2);
            TAP(q + 2 * dx, w + 4);
            q += dy;
            TAP(q, w + 6);
            TAP(q + dx, w + 8);
            TAP(q + 2 * dx, w + 10);
            q += dy;
            TAP(q, w + 12);
            TAP(q + dx, w + 14);
            TAP(q + 2 * dx, w + 16);
            tfedge_st32(output + c, tfedge_pack4(out1(a0, r, clamp, lo, hi), out1(a1, r + 1, clamp, lo, hi),
                                                 out1(a2, r + 2, clamp, lo, hi), out1(a3, r + 3, clamp, lo, hi)));
          }
        } else {
          for (c = 0; c < c_n; c += 4, r += 4, w += 2 * taps) {
            int32_t a0 = r[0].bias, a1 = r[1].bias, a2 = r[2].bias, a3 = r[3].bias;
            for (ky = ky0; ky < ky1; ++ky) {
              const int8_t *q = base + c + ky * dy;
              const uint32_t *wr = w + 2 * ky * p->k_w;
              for (kx = kx0; kx < kx1; ++kx) TAP(q + kx * dx, wr + 2 * kx);
            }
            tfedge_st32(output + c, tfedge_pack4(out1(a0, r, clamp, lo, hi), out1(a1, r + 1, clamp, lo, hi),
                                                 out1(a2, r + 2, clamp, lo, hi), out1(a3, r + 3, clamp, lo, hi)));
          }
        }
        output += c_n;
      }
    }
  }
}

void depthwise_conv_packed_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  if (p->rq == NULL) depthwise_conv_packed_s8_nhwc_ref(p, input, output);
  else if (p->act_min == -128 && p->act_max == 127) run(p, input, output, 0);
  else run(p, input, output, 1);
}
#endif
