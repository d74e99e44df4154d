/* CONV_2D with packed weights, Cortex-M4/M7/M33 DSP extension.
 *
 * For two output pixels at a time the im2col vectors are gathered into scratch, widened to int16 with
 * the input offset added (SXTAB16, padding = 0) in the order SXTB16 gives: [x0 x2][x1 x3] per 4 values,
 * the two pixels interleaved 16 bytes at a time. The weights stay int8 and are widened in the loop
 * with the same SXTB16 / ROR 8 pattern, so each SMLAD pairs matching values: a block of 2 output
 * channels x 2 pixels costs per 4 values 1 LDM-able load group, 1 LDRD, 4 SXTB16 and 8 SMLAD. */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/conv_packed_s8_nhwc.c"
#else
#include "tfedge_dsp.h"

#define conv_packed_s8_nhwc conv_packed_s8_nhwc_ref
#include "../portable/conv_packed_s8_nhwc.c"
#undef conv_packed_s8_nhwc

/* The im2col vector of output pixel (oy, ox), widened, into slot `dst` (stride 4 words per group). */
static void gather(const tfedge_conv_params *p, const int8_t *in_b, int32_t oy, int32_t ox, int8_t *stage,
                   uint32_t *dst, int32_t k_padded) {
  const uint32_t off2 = ((uint32_t)(uint16_t)p->input_offset << 16) | (uint16_t)p->input_offset;
  const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
  const int32_t in_c = p->in_c;
  int32_t ky, kx, g;
  if ((in_c & 3) == 0) { /* whole groups per tap: widen straight from the input */
    for (ky = 0; ky < p->k_h; ++ky) {
      const int32_t y = y0 + ky * p->dil_h;
      for (kx = 0; kx < p->k_w; ++kx) {
        const int32_t x = x0 + kx * p->dil_w;
        if (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w) {
          for (g = 0; g < in_c; g += 4, dst += 4) dst[0] = dst[1] = 0;
        } else {
          const int8_t *src = in_b + (y * p->in_w + x) * in_c;
          for (g = 0; g < in_c; g += 4, dst += 4) {
            const uint32_t v = tfedge_ld32(src + g);
            dst[0] = __sxtab16(off2, v);
            dst[1] = tfedge_sxtab16_ror8(off2, v);
          }
        }
      }
    }
    return;
  }
  { /* any channel count: gather bytes (padding = the input zero point), then widen */
    const int8_t zp = (int8_t)(-p->input_offset);
    int8_t *s = stage;
    for (ky = 0; ky < p->k_h; ++ky) {
      const int32_t y = y0 + ky * p->dil_h;
      for (kx = 0; kx < p->k_w; ++kx, s += in_c) {
        const int32_t x = x0 + kx * p->dil_w;
        if (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w) memset(s, zp, (size_t)in_c);
        else memcpy(s, in_b + (y * p->in_w + x) * in_c, (size_t)in_c);
      }
    }
    while (s < stage + k_padded) *s++ = zp; /* tail: times zero weights */
    for (g = 0; g < k_padded; g += 4, dst += 4) {
      const uint32_t v = tfedge_ld32(stage + g);
      dst[0] = __sxtab16(off2, v);
      dst[1] = tfedge_sxtab16_ror8(off2, v);
    }
  }
}

void conv_packed_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t k_padded = (p->k_h * p->k_w * p->in_c + 3) & ~3;
  const int32_t groups = k_padded >> 2;
  const int32_t npx = p->out_h * p->out_w, out_c = p->out_c;
  const tfedge_requant_ch *rq = p->rq;
  uint32_t *buf = (uint32_t *)p->scratch;
  int8_t *stage = (int8_t *)(buf + 4 * groups);
  int32_t b, i, oc;
  if (rq == NULL || buf == NULL) {
    conv_packed_s8_nhwc_ref(p, input, output);
    return;
  }
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    int8_t *out_b = output + b * npx * out_c;
    for (i = 0; i < npx; i += 2) {
      const int two = i + 1 < npx;
      int8_t *o0 = out_b + i * out_c, *o1 = o0 + out_c;
      const uint32_t *w = (const uint32_t *)p->weights;
      gather(p, in_b, i / p->out_w, i % p->out_w, stage, buf, k_padded);
      if (two) gather(p, in_b, (i + 1) / p->out_w, (i + 1) % p->out_w, stage, buf + 2, k_padded);
      else {
        int32_t g;
        for (g = 0; g < groups; ++g) buf[4 * g + 2] = buf[4 * g], buf[4 * g + 3] = buf[4 * g + 1];
      }
      for (oc = 0; oc < out_c; oc += 2) {
        const tfedge_requant_ch *r0 = rq + oc;
        const int pair = oc + 1 < out_c;
        const int32_t bias1 = pair ? r0[1].bias : 0;
        int32_t a00 = r0->bias, a01 = bias1, a10 = r0->bias, a11 = bias1; /* a<pixel><channel> */
        const uint32_t *x = buf;
        int32_t g;
        for (g = 0; g < groups; ++g) {
          const uint32_t x0e = x[0], x0o = x[1], x1e = x[2], x1o = x[3];
          const uint32_t w0 = w[0], w1 = w[1];
          uint32_t we = __sxtb16(w0), wo = tfedge_sxtb16_ror8(w0);
          x += 4;
          w += 2;
          a00 = __smlad(x0e, we, a00);
          a00 = __smlad(x0o, wo, a00);
          a10 = __smlad(x1e, we, a10);
          a10 = __smlad(x1o, wo, a10);
          we = __sxtb16(w1);
          wo = tfedge_sxtb16_ror8(w1);
          a01 = __smlad(x0e, we, a01);
          a01 = __smlad(x0o, wo, a01);
          a11 = __smlad(x1e, we, a11);
          a11 = __smlad(x1o, wo, a11);
        }
        o0[oc] = (int8_t)tfedge_dsp_out(a00, r0, p->act_min, p->act_max);
        if (two) o1[oc] = (int8_t)tfedge_dsp_out(a10, r0, p->act_min, p->act_max);
        if (pair) {
          o0[oc + 1] = (int8_t)tfedge_dsp_out(a01, r0 + 1, p->act_min, p->act_max);
          if (two) o1[oc + 1] = (int8_t)tfedge_dsp_out(a11, r0 + 1, p->act_min, p->act_max);
        }
      }
    }
  }
}
#endif
