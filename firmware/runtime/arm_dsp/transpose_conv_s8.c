/* TRANSPOSE_CONV, int8; Cortex-M4/M7/M33 DSP extension. Same sums as portable/transpose_conv_s8.c (TFLM
 * reference_integer_ops::TransposeConv): each output visits only the taps whose input position divides
 * exactly by the stride (ky = (oy + pad_top) mod stride_h, then every stride_h-th row; no modulo test per
 * tap; the taps of an output listed once for all its channels), and 4 input channels per step with two SMLADs (input bytes widened with the input offset added by
 * SXTAB16: |byte + offset| <= 255 fits a halfword, so the sums are exact). */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/transpose_conv_s8.c"
#else
#include "tfedge_dsp.h"
#include "tfedge_fixedpoint.h"

static inline __attribute__((always_inline)) int32_t dot_offset(const int8_t *in, const int8_t *w, int32_t n, uint32_t off2, int32_t offset,
                                 int32_t acc) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const uint32_t x = tfedge_ld32(in + i), k = tfedge_ld32(w + i);
    acc = __smlad(__sxtab16(off2, x), __sxtb16(k), acc);
    acc = __smlad(tfedge_sxtab16_ror8(off2, x), tfedge_sxtb16_ror8(k), acc);
  }
  for (; i < n; ++i) acc += (in[i] + offset) * w[i];
  return acc;
}

#define transpose_conv_s8 transpose_conv_s8_ref
#include "../portable/transpose_conv_s8.c"
#undef transpose_conv_s8

#define MAX_TAPS 32 /* taps reaching one output: k_h * k_w at most (stride 1); larger kernels run the reference (stack: 8 B a tap) */

void transpose_conv_s8(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const uint32_t off2 = ((uint32_t)p->input_offset & 0xFFFFu) * 0x10001u;
  const int32_t sh = p->stride_h, sw = p->stride_w, in_c = p->in_c, per_oc = p->k_h * p->k_w * in_c;
  const int8_t *tap_in[MAX_TAPS];
  int32_t tap_w[MAX_TAPS];
  int32_t b, oy, ox, oc, ky, kx, t, n;
  if (p->k_h * p->k_w > MAX_TAPS) {
    transpose_conv_s8_ref(p, input, output);
    return;
  }
  for (b = 0; b < p->batches; ++b) {
    const int8_t *image = input + b * p->in_h * p->in_w * in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t ry = oy + p->pad_top; /* >= 0: input row (ry - ky) / sh where that divides */
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t rx = ox + p->pad_left;
        /* the taps reaching this output, once for all its channels */
        for (n = 0, ky = ry % sh; ky < p->k_h && ky <= ry; ky += sh) {
          const int32_t iy = (ry - ky) / sh;
          if (iy >= p->in_h) continue;
          for (kx = rx % sw; kx < p->k_w && kx <= rx; kx += sw) {
            const int32_t ix = (rx - kx) / sw;
            if (ix >= p->in_w) continue;
            tap_in[n] = image + (iy * p->in_w + ix) * in_c;
            tap_w[n++] = (ky * p->k_w + kx) * in_c;
          }
        }
        for (oc = 0; oc < p->out_c; ++oc) {
          const int8_t *w_oc = p->weights + oc * per_oc;
          int32_t acc = p->bias ? p->bias[oc] : 0;
          for (t = 0; t < n; ++t) acc = dot_offset(tap_in[t], w_oc + tap_w[t], in_c, off2, p->input_offset, acc);
          acc = tfedge_mbqm(acc, p->mult[oc], p->shift[oc]) + p->output_offset;
          *output++ = (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}
#endif
