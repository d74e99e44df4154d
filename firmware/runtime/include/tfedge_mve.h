/* Helium (MVE) helpers shared by the kernels in firmware/runtime/mve/ (Cortex-M55).
 *
 * Lives in include/ (not mve/) so the firmware build cache, which hashes the headers of the include
 * directories, rebuilds when it changes. Only included when __ARM_FEATURE_MVE is defined. */
#ifndef TFEDGE_MVE_H
#define TFEDGE_MVE_H

#include <arm_mve.h>
#include <stdint.h>
#include <string.h>

#include "tfedge_kernels.h"

/* TFLM MultiplyByQuantizedMultiplier on 4 lanes, bit for bit (see docs/kernels_mve.md):
 *  - left shift: VSHL by a register wraps like TFLM's int32 multiply by 2^left;
 *  - VQRDMULH = gemmlowp SaturatingRoundingDoublingHighMul: floor((2ab + 2^31) / 2^32) equals
 *    gemmlowp's nudge-then-truncate for every sign, and both saturate INT32_MIN * INT32_MIN;
 *  - RoundingDivideByPOT rounds ties away from zero, VRSHL rounds them up: subtracting 1 from negative
 *    values first (saturating, only when the shift is nonzero) makes the two agree.
 * `right_neg` holds -right_shift (<= 0): VRSHL by a negative amount is a rounding right shift. */
static inline int32x4_t tfedge_mve_mbqm(int32x4_t x, int32x4_t mult, int32x4_t right_neg) {
  x = vqrdmulhq_s32(x, mult);
  x = vqaddq_s32(x, vshrq_n_s32(vandq_s32(x, right_neg), 31));
  return vrshlq_s32(x, right_neg);
}

/* The same with a per-lane left shift (multipliers >= 1, rare). */
static inline int32x4_t tfedge_mve_mbqm_left(int32x4_t x, int32x4_t mult, int32x4_t shift) {
  const int32x4_t zero = vdupq_n_s32(0);
  return tfedge_mve_mbqm(vshlq_s32(x, vmaxq_s32(shift, zero)), mult, vminq_s32(shift, zero));
}

/* 1 if any shift is positive (a left shift is needed), else 0: lets kernels take the cheaper path. */
static inline int32_t tfedge_mve_any_left_shift(const int32_t *shift, int32_t n) {
  int32_t i, top = 0;
  for (i = 0; i < n; i += 4) top = vmaxvq_p_s32(top, vldrwq_z_s32(shift + i, vctp32q((uint32_t)(n - i))), vctp32q((uint32_t)(n - i)));
  return top > 0;
}

/* out[i] = clamp(mbqm(acc[i], mult[i], shift[i]) + out_offset, act_min, act_max) for i < n (per-channel
 * arrays; lanes past n are neither read nor written). */
static inline void tfedge_mve_requant_row(const int32_t *acc, const int32_t *mult, const int32_t *shift, int32_t n,
                                          int32_t left, int32_t out_offset, int32_t act_min, int32_t act_max,
                                          int8_t *out) {
  const int32x4_t lo = vdupq_n_s32(act_min);
  const int32x4_t hi = vdupq_n_s32(act_max);
  int32_t i;
  for (i = 0; i < n; i += 4) {
    const mve_pred16_t p = vctp32q((uint32_t)(n - i));
    const int32x4_t m = vldrwq_z_s32(mult + i, p);
    const int32x4_t s = vldrwq_z_s32(shift + i, p);
    int32x4_t x = vldrwq_z_s32(acc + i, p);
    x = left ? tfedge_mve_mbqm_left(x, m, s) : tfedge_mve_mbqm(x, m, s);
    x = vminq_s32(vmaxq_s32(vaddq_n_s32(x, out_offset), lo), hi);
    vstrbq_p_s32(out + i, x, p);
  }
}

/* dst[0..n) = src[0..n): whole vectors unpredicated, one predicated tail (no call, no VPST per vector). */
static inline void tfedge_mve_copy(int8_t *dst, const int8_t *src, int32_t n) {
  int32_t i = 0;
  for (; i + 16 <= n; i += 16) vstrbq_s8(dst + i, vldrbq_s8(src + i));
  if (i < n) {
    const mve_pred16_t p = vctp8q((uint32_t)(n - i));
    vstrbq_p_s8(dst + i, vldrbq_z_s8(src + i, p), p);
  }
}

/* memmove for rows sliding down (dst < src, the by-rows drivers): an ascending 16-byte copy reads every
 * chunk before a store reaches it when they are >= 16 bytes apart; else memmove (newlib-nano's is a byte
 * loop, ~4 instructions per byte). */
static inline void tfedge_mve_move_down(int8_t *dst, const int8_t *src, int32_t n) {
  if (src - dst >= 16) tfedge_mve_copy(dst, src, n);
  else memmove(dst, src, (size_t)n);
}

/* dst[0..n) = value. */
static inline void tfedge_mve_fill(int8_t *dst, int8_t value, int32_t n) {
  const int8x16_t v = vdupq_n_s8(value);
  int32_t i = 0;
  for (; i + 16 <= n; i += 16) vstrbq_s8(dst + i, v);
  if (i < n) vstrbq_p_s8(dst + i, v, vctp8q((uint32_t)(n - i)));
}

/* out[i] = table[(uint8_t)in[i]] for i < n: 16 bytes per gather load (in == out is fine). */
static inline void tfedge_mve_lut(const int8_t *table, const int8_t *in, int8_t *out, int32_t n) {
  int32_t i = 0;
  for (; i + 16 <= n; i += 16) vstrbq_s8(out + i, vldrbq_gather_offset_s8(table, vldrbq_u8((const uint8_t *)in + i)));
  if (i < n) {
    const mve_pred16_t pr = vctp8q((uint32_t)(n - i));
    vstrbq_p_s8(out + i, vldrbq_gather_offset_z_s8(table, vldrbq_z_u8((const uint8_t *)in + i, pr), pr), pr);
  }
}

/* The body of an elementwise int8 binary kernel with broadcasting (mve/add_s8.c, mve/mul_s8.c): the
 * innermost dimension 4 lanes at a time when it is contiguous in both inputs, or contiguous in one and
 * broadcast (stride 0) in the other (the scalar splat into a vector); other layouts element by element.
 * OP4(k, a, b) maps two int32x4_t of raw inputs to the int32x4_t outputs, ONE(p, a, b) one element; K is
 * the constants OP4 reads (copied out of *p: int8 stores may alias it). Rows of the same layout are one
 * run when both inputs are dense over the inner dimensions (one call instead of one per row). */
#define TFEDGE_MVE_BINARY(p, input1, input2, output, K, OP4, ONE)                                             \
  do {                                                                                                       \
    int32_t s1 = (p)->in1_strides[3], s2 = (p)->in2_strides[3], n = (p)->dims[3], rows = (p)->dims[2];       \
    const int vector = (s1 == 1 || s1 == 0) && (s2 == 1 || s2 == 0) && (s1 | s2);                            \
    int32_t i0, i1, i2, i3;                                                                                  \
    if (vector && s1 && s2 && (p)->in1_strides[2] == n && (p)->in2_strides[2] == n) n *= rows, rows = 1;    \
    for (i0 = 0; i0 < (p)->dims[0]; ++i0)                                                                    \
      for (i1 = 0; i1 < (p)->dims[1]; ++i1)                                                                  \
        for (i2 = 0; i2 < rows; ++i2, output += n) {                                                         \
          const int8_t *a = input1 + i0 * (p)->in1_strides[0] + i1 * (p)->in1_strides[1] + i2 * (p)->in1_strides[2]; \
          const int8_t *b = input2 + i0 * (p)->in2_strides[0] + i1 * (p)->in2_strides[1] + i2 * (p)->in2_strides[2]; \
          if (vector) {                                                                                      \
            const int32x4_t a_splat = vdupq_n_s32(a[0]), b_splat = vdupq_n_s32(b[0]);                        \
            int32_t i = 0;                                                                                   \
            if (s1 && s2)                                                                                    \
              for (; i + 4 <= n; i += 4) vstrbq_s32(output + i, OP4(K, vldrbq_s32(a + i), vldrbq_s32(b + i))); \
            else                                                                                             \
              for (; i + 4 <= n; i += 4)                                                                     \
                vstrbq_s32(output + i, OP4(K, s1 ? vldrbq_s32(a + i) : a_splat, s2 ? vldrbq_s32(b + i) : b_splat)); \
            if (i < n) {                                                                                     \
              const mve_pred16_t pr = vctp32q((uint32_t)(n - i));                                           \
              vstrbq_p_s32(output + i, OP4(K, s1 ? vldrbq_z_s32(a + i, pr) : a_splat,                        \
                                           s2 ? vldrbq_z_s32(b + i, pr) : b_splat), pr);                     \
            }                                                                                                \
          } else {                                                                                           \
            for (i3 = 0; i3 < n; ++i3) output[i3] = ONE(p, a[i3 * s1], b[i3 * s2]);                          \
          }                                                                                                  \
        }                                                                                                    \
  } while (0)

/* mve/conv_s8_nhwc.c: output channels [c_begin, c_begin + c_count) of a convolution whose weight rows
 * (k_h * k_w * in_c <= 1024 bytes each) start at `weights`; shared with conv_s8_nhwc_c4. */
void tfedge_mve_conv_channels(const tfedge_conv_params *p, const int8_t *weights, int32_t c_begin, int32_t c_count,
                              const int8_t *input, int8_t *output);

/* mve/conv_narrow_s8_nhwc.c: whole layers of out_c <= 8 and K <= 32 (dil_w = 1, the row buffer within its stack
 * bound); variants_mve.narrow_applies mirrors the test. */
int tfedge_mve_conv_narrow_applies(const tfedge_conv_params *p); /* the layers conv_s8_nhwc sends (out_c <= 6, 1x1: 3, rows >= 16) */
void tfedge_mve_conv_narrow(const tfedge_conv_params *p, const int8_t *input, int8_t *output);

/* mve/fully_connected_s8.c: outputs [o0, o0 + n) with weight rows starting at `weights`; shared with
 * fully_connected_s8_c4. */
void tfedge_mve_fc_rows(const tfedge_fc_params *p, const int8_t *weights, int32_t o0, int32_t n, const int8_t *input,
                        int8_t *output);

#endif /* TFEDGE_MVE_H */
