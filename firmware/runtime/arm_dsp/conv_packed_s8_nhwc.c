/* CONV_2D with packed weights, Cortex-M4/M7/M33 DSP extension.
 *
 * For two output pixels at a time the im2col vectors are gathered into scratch, widened to int16 with
 * the input offset added (SXTAB16, padding = 0) in the order SXTB16 gives: [x0 x2][x1 x3] per 4 values,
 * the two pixels interleaved 16 bytes at a time. The weights were widened to int16 in the same order at
 * compile time, so each SMLAD pairs matching values: a block of 2 output channels x 2 pixels costs per
 * 4 values 1 LDM, 2 LDRD and 8 SMLAD. The accumulators of all channels
 * are kept in scratch and requantized in a second tight loop (fewer live registers than inline). */
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
    const int32_t span = p->k_w * in_c; /* one window row, contiguous in the input when dil_w == 1 */
    const int whole_rows = p->dil_w == 1 && x0 >= 0 && x0 + p->k_w <= p->in_w;
    for (ky = 0; ky < p->k_h; ++ky) {
      const int32_t y = y0 + ky * p->dil_h;
      if (y < 0 || y >= p->in_h) {
        memset(s, zp, (size_t)span);
        s += span;
      } else if (whole_rows) {
        const int8_t *src = in_b + (y * p->in_w + x0) * in_c;
        int32_t j = 0;
        for (; j + 4 <= span; j += 4) tfedge_st32(s + j, tfedge_ld32(src + j));
        for (; j < span; ++j) s[j] = src[j];
        s += span;
      } else {
        for (kx = 0; kx < p->k_w; ++kx, s += in_c) {
          const int32_t x = x0 + kx * p->dil_w;
          if (x < 0 || x >= p->in_w) memset(s, zp, (size_t)in_c);
          else memcpy(s, in_b + (y * p->in_w + x) * in_c, (size_t)in_c);
        }
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

/* 2 output channels x 2 pixels over `groups` groups of 4 values: a[0..3] = {px0 ch0, px0 ch1, px1 ch0, px1 ch1}
 * accumulate onto their initial values. x: the interleaved widened pixels, w: one channel pair's int16 rows.
 * 11 instructions per group (LDM, 2 LDRD, 8 SMLAD) plus the loop branch. */
static inline void dot_2x2(const uint32_t *x, const int16_t *w, int32_t groups, int32_t a[4]) {
  int32_t a00 = a[0], a01 = a[1], a10 = a[2], a11 = a[3];
  /* LDM fills registers in ascending order: pin the four pixel words to ascending registers */
  register uint32_t x0e __asm__("r8"), x0o __asm__("r9"), x1e __asm__("r10"), x1o __asm__("r11");
  uint32_t we, wo;
  __asm__ volatile(
      "1:\n\t"
      "ldm %[x]!, {%[x0e], %[x0o], %[x1e], %[x1o]}\n\t"
      "ldrd %[we], %[wo], [%[w]], #8\n\t"
      "smlad %[a00], %[x0e], %[we], %[a00]\n\t"
      "smlad %[a10], %[x1e], %[we], %[a10]\n\t"
      "smlad %[a00], %[x0o], %[wo], %[a00]\n\t"
      "smlad %[a10], %[x1o], %[wo], %[a10]\n\t"
      "ldrd %[we], %[wo], [%[w]], #8\n\t"
      "smlad %[a01], %[x0e], %[we], %[a01]\n\t"
      "smlad %[a11], %[x1e], %[we], %[a11]\n\t"
      "smlad %[a01], %[x0o], %[wo], %[a01]\n\t"
      "smlad %[a11], %[x1o], %[wo], %[a11]\n\t"
      "subs %[n], %[n], #1\n\t"
      "bne 1b\n\t"
      : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [x] "+r"(x), [w] "+r"(w),
        [n] "+r"(groups), [x0e] "=&r"(x0e), [x0o] "=&r"(x0o), [x1e] "=&r"(x1e), [x1o] "=&r"(x1o), [we] "=&r"(we),
        [wo] "=&r"(wo)
      :
      : "cc", "memory");
  a[0] = a00, a[1] = a01, a[2] = a10, a[3] = a11;
}

/* Requantized, saturated to int8 and (clamp) clamped to the activation range. */
static inline __attribute__((always_inline)) int32_t out1(int32_t acc, const tfedge_requant_ch *r, int clamp,
                                                          int32_t lo, int32_t hi) {
  int32_t v = __ssat(tfedge_dsp_requant(acc, r), 8);
  if (clamp) {
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
  }
  return v;
}

/* Requantizes one pixel pair's accumulators ([pair][px0 ch0, px0 ch1, px1 ch0, px1 ch1]) into o0 / o1. */
static inline __attribute__((always_inline)) void requant_pair(const int32_t *acc, const tfedge_requant_ch *r,
                                                               int32_t out_c, int8_t *o0, int8_t *o1, int two,
                                                               int clamp, int32_t lo, int32_t hi) {
  int32_t oc;
  if (two) {
    for (oc = 0; oc + 2 <= out_c; oc += 2, acc += 4, r += 2) {
      o0[oc] = (int8_t)out1(acc[0], r, clamp, lo, hi);
      o0[oc + 1] = (int8_t)out1(acc[1], r + 1, clamp, lo, hi);
      o1[oc] = (int8_t)out1(acc[2], r, clamp, lo, hi);
      o1[oc + 1] = (int8_t)out1(acc[3], r + 1, clamp, lo, hi);
    }
    if (oc < out_c) o0[oc] = (int8_t)out1(acc[0], r, clamp, lo, hi), o1[oc] = (int8_t)out1(acc[2], r, clamp, lo, hi);
  } else {
    for (oc = 0; oc + 2 <= out_c; oc += 2, acc += 4, r += 2) {
      o0[oc] = (int8_t)out1(acc[0], r, clamp, lo, hi);
      o0[oc + 1] = (int8_t)out1(acc[1], r + 1, clamp, lo, hi);
    }
    if (oc < out_c) o0[oc] = (int8_t)out1(acc[0], r, clamp, lo, hi);
  }
}

static inline __attribute__((always_inline)) void run(const tfedge_conv_params *p, const int8_t *input,
                                                      int8_t *output, const int clamp) {
  const int32_t k_padded = (p->k_h * p->k_w * p->in_c + 3) & ~3;
  const int32_t groups = k_padded >> 2;
  const int32_t npx = p->out_h * p->out_w, out_c = p->out_c, pairs = (out_c + 1) >> 1;
  const int32_t lo = p->act_min, hi = p->act_max;
  uint32_t *buf = (uint32_t *)p->scratch;
  int32_t *accs = (int32_t *)(buf + 4 * groups); /* 4 accumulators per channel pair */
  int8_t *stage = (int8_t *)(accs + 4 * pairs);
  int32_t b, i, j;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    int8_t *out_b = output + b * npx * out_c;
    int32_t oy = 0, ox = 0; /* pixel i */
    for (i = 0; i < npx; i += 2) {
      const int two = i + 1 < npx;
      int8_t *o0 = out_b + i * out_c;
      const int16_t *w = (const int16_t *)(const void *)p->weights;
      const tfedge_requant_ch *r = p->rq;
      int32_t *acc = accs;
      gather(p, in_b, oy, ox, stage, buf, k_padded);
      if (++ox == p->out_w) ox = 0, ++oy;
      if (two) {
        gather(p, in_b, oy, ox, stage, buf + 2, k_padded);
        if (++ox == p->out_w) ox = 0, ++oy;
      } else {
        int32_t g;
        for (g = 0; g < groups; ++g) buf[4 * g + 2] = buf[4 * g], buf[4 * g + 3] = buf[4 * g + 1];
      }
      for (j = 0; j < pairs; ++j, r += 2, w += 2 * k_padded, acc += 4) {
        acc[0] = acc[2] = r[0].bias;
        acc[1] = acc[3] = 2 * j + 1 < out_c ? r[1].bias : 0; /* odd last channel: paired with zero weights */
        dot_2x2(buf, w, groups, acc);
      }
      requant_pair(accs, p->rq, out_c, o0, o0 + out_c, two, clamp, lo, hi);
    }
  }
}

void conv_packed_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  if (p->rq == NULL || p->scratch == NULL) conv_packed_s8_nhwc_ref(p, input, output);
  else if (p->act_min == -128 && p->act_max == 127) run(p, input, output, 0);
  else run(p, input, output, 1);
}
#endif
