/* The int16 x int8 dot products of the int16x8 DSP kernels: 4 MACs per step with two SMLALD (16x16 dual
 * multiply, 64-bit accumulate: exact, as TFLM's int64 accumulator). The 4 int8 weights of one word are
 * widened with SXTB16 and paired by PKHBT/PKHTB to match the input halfwords (x0 x1)(x2 x3). Only
 * included when __ARM_FEATURE_DSP is defined. */
#ifndef TFEDGE_DSP_S16_H
#define TFEDGE_DSP_S16_H

#include "tfedge_dsp.h"

/* (w0 w1), (w2 w3) of the 4 int8 weights at w. */
static inline void tfedge_widen4_pairs(const int8_t *w, uint32_t *w01, uint32_t *w23) {
  const uint32_t wv = tfedge_ld32(w);
  const uint32_t even = __sxtb16(wv), odd = tfedge_sxtb16_ror8(wv); /* (w0 w2), (w1 w3) */
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(*w01) : "r"(even), "r"(odd));
  __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(*w23) : "r"(odd), "r"(even));
}

static inline int64_t tfedge_dot_s16_s8(const int16_t *x, const int8_t *w, int32_t n, int64_t acc) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32_t w01, w23;
    tfedge_widen4_pairs(w + i, &w01, &w23);
    acc = __smlald(tfedge_ld32(x + i), w01, acc);
    acc = __smlald(tfedge_ld32(x + i + 2), w23, acc);
  }
  for (; i < n; ++i) acc += (int32_t)x[i] * w[i];
  return acc;
}

/* Two weight rows against one input vector (the input loads shared): acc[0] += x.wa, acc[1] += x.wb. */
static inline void tfedge_dot2_s16_s8(const int16_t *x, const int8_t *wa, const int8_t *wb, int32_t n, int64_t *acc) {
  int64_t a = acc[0], b = acc[1];
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const uint32_t x01 = tfedge_ld32(x + i), x23 = tfedge_ld32(x + i + 2);
    uint32_t a01, a23, b01, b23;
    tfedge_widen4_pairs(wa + i, &a01, &a23);
    tfedge_widen4_pairs(wb + i, &b01, &b23);
    a = __smlald(x01, a01, a);
    a = __smlald(x23, a23, a);
    b = __smlald(x01, b01, b);
    b = __smlald(x23, b23, b);
  }
  for (; i < n; ++i) {
    a += (int32_t)x[i] * wa[i];
    b += (int32_t)x[i] * wb[i];
  }
  acc[0] = a;
  acc[1] = b;
}

#endif /* TFEDGE_DSP_S16_H */
