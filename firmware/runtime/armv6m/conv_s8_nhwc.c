/* CONV_2D, int8 NHWC, tuned for Cortex-M0/M0+ (Armv6-M, Thumb-1). Same contract and bit-exact results
 * as portable/conv_s8_nhwc.c (TFLM reference_integer_ops::ConvPerChannel).
 *
 * - Every parameter is copied to a local once (byte stores may alias the parameter struct);
 * - the valid tap range of each output pixel is computed once, and with dil_w = 1 each kernel row is one
 *   contiguous run of (valid columns) * in_c bytes in both input and weights: one flat loop per row;
 * - two output channels per pass share each input load, the input offset is added once per loaded value;
 * - pixels whose whole window lies inside the image (every pixel of a 1x1 layer), kernel rows >= 4 bytes: four output channels per
 *   input load in a Thumb-1 asm loop (dot4), raw inputs against the "effective bias" bias + input_offset *
 *   sum(w) computed once per call: 17 instructions per 4 MACs instead of 28;
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

#define DOT4_MAX_C 128 /* effective biases on the stack (512 B) */

/* s[j] += sum x[i] * w[j * K + i], j < 4, i < n (n > 0). ldrsb has only register offsets: the 8 low
 * registers hold the two pointers, the byte just loaded, its product, a zero and the offsets K, 2K, 3K of
 * the other three channels' weights; the sums and the end pointer live in high registers (ADD/CMP reach
 * them). */
static __attribute__((noinline)) void dot4(const int8_t *x, const int8_t *w, int32_t K, int32_t n, int32_t s[4]) {
  int32_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3], xv, wv;
  const int8_t *end = x + n;
  const int32_t zero = 0, k1 = K, k2 = 2 * K, k3 = 3 * K;
  __asm volatile(
      ".syntax unified\n" /* GCC brackets Thumb-1 inline asm with divided syntax */
      "1:\n\t"
      "ldrsb %[xv], [%[x], %[zero]]\n\t"
      "ldrsb %[wv], [%[w], %[zero]]\n\t"
      "muls %[wv], %[xv], %[wv]\n\t"
      "add %[s0], %[wv]\n\t"
      "ldrsb %[wv], [%[w], %[k1]]\n\t"
      "muls %[wv], %[xv], %[wv]\n\t"
      "add %[s1], %[wv]\n\t"
      "ldrsb %[wv], [%[w], %[k2]]\n\t"
      "muls %[wv], %[xv], %[wv]\n\t"
      "add %[s2], %[wv]\n\t"
      "ldrsb %[wv], [%[w], %[k3]]\n\t"
      "muls %[wv], %[xv], %[wv]\n\t"
      "add %[s3], %[wv]\n\t"
      "adds %[x], #1\n\t"
      "adds %[w], #1\n\t"
      "cmp %[x], %[end]\n\t"
      "bne 1b\n\t"
      ".syntax divided"
      : [s0] "+h"(s0), [s1] "+h"(s1), [s2] "+h"(s2), [s3] "+h"(s3), [x] "+l"(x), [w] "+l"(w), [xv] "=&l"(xv),
        [wv] "=&l"(wv)
      : [zero] "l"(zero), [k1] "l"(k1), [k2] "l"(k2), [k3] "l"(k3), [end] "h"(end)
      : "cc", "memory");
  s[0] = s0, s[1] = s1, s[2] = s2, s[3] = s3;
}

void conv_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t in_c = p->in_c, out_c = p->out_c, off = p->input_offset;
  const int32_t in_h = p->in_h, in_w = p->in_w, k_h = p->k_h, k_w = p->k_w, dil_h = p->dil_h, dil_w = p->dil_w;
  const int32_t K = k_h * k_w * in_c, row = in_w * in_c;
  const int32_t out_off = p->output_offset, act_min = p->act_min, act_max = p->act_max;
  const int8_t *weights = p->weights;
  const int32_t *bias = p->bias, *mult = p->mult, *shift = p->shift;
  int32_t b, oy, ox, oc, ky, kx;
  /* channels [0, c4) of interior pixels go through dot4 from the effective bias */
  /* kernel rows of >= 4 bytes (a dot4 call costs ~45 instructions; KWS's 10x4 first layer, rows of 4:
   * 3,919,112 -> 3,602,705) */
  const int32_t c4 = out_c <= DOT4_MAX_C && dil_w == 1 && k_w * in_c >= 4 ? out_c & ~3 : 0;
  int32_t eb[DOT4_MAX_C];
  for (oc = 0; oc < c4; ++oc) {
    const int8_t *w = weights + oc * K;
    int32_t sum = 0, i;
    for (i = 0; i < K; ++i) sum += w[i];
    eb[oc] = (int32_t)((uint32_t)(bias ? bias[oc] : 0) + (uint32_t)off * (uint32_t)sum); /* wraps like TFLM's sum */
  }
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
        oc = 0;
        if (c4 && ky0 == 0 && ky1 == k_h && kx0 == 0 && kx1 == k_w) { /* the whole window inside the image */
          for (; oc < c4; oc += 4) {
            int32_t s[4], j;
            s[0] = eb[oc], s[1] = eb[oc + 1], s[2] = eb[oc + 2], s[3] = eb[oc + 3];
            for (ky = 0; ky < k_h; ++ky)
              dot4(in_b + (y0 + ky * dil_h) * row + x0 * in_c, weights + oc * K + ky * k_w * in_c, K, k_w * in_c, s);
            for (j = 0; j < 4; ++j)
              output[oc + j] =
                  (int8_t)tfedge_clamp_i32(tfedge_v6m_mbqm(s[j], mult[oc + j], shift[oc + j]) + out_off, act_min, act_max);
          }
        }
        for (; oc < out_c; oc += 2) {
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
