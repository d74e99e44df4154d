/* Four dot products sharing one operand, Helium (Cortex-M55): int8 for mve/transpose_conv_s8.c (a gathered
 * input column against 4 output channels' weight rows) and mve/batch_matmul_s8.c (an lhs row against 4 rhs
 * columns), int16 x int8 for mve/conv_s16_nhwc.c (an im2col window against 4 channels). Only included when __ARM_FEATURE_MVE is defined. */
#ifndef TFEDGE_MVE_DOT4_H
#define TFEDGE_MVE_DOT4_H

#include <arm_mve.h>
#include <stdint.h>

#include "tfedge_mve.h"

/* The loop of the 4 dot products of x[0..n) with rows w0..w3: STEP values per load of x, each feeding 4 MACs
 * (MAC(acc, x vector, w vector)), one predicated tail (x's lanes past n load as 0, so nothing past either
 * operand's n values is read). Sets a0..a3 (ACC_T). Shared by the int8 and int16x8 forms below. */
#define TFEDGE_MVE_DOT4_LOOP(ACC_T, STEP, LOAD_X, LOAD_X_Z, LOAD_W, LOAD_W_Z, VCTP, MAC)              \
  ACC_T a0 = 0, a1 = 0, a2 = 0, a3 = 0;                                                                \
  int32_t k;                                                                                           \
  for (k = 0; k + (STEP) <= n; k += (STEP)) {                                                          \
    const __typeof__(LOAD_X(x)) xv = LOAD_X(x + k);                                                    \
    a0 = MAC(a0, xv, LOAD_W(w0 + k));                                                                  \
    a1 = MAC(a1, xv, LOAD_W(w1 + k));                                                                  \
    a2 = MAC(a2, xv, LOAD_W(w2 + k));                                                                  \
    a3 = MAC(a3, xv, LOAD_W(w3 + k));                                                                  \
  }                                                                                                    \
  if (k < n) {                                                                                         \
    const mve_pred16_t pr = VCTP((uint32_t)(n - k));                                                   \
    const __typeof__(LOAD_X(x)) xv = LOAD_X_Z(x + k, pr);                                              \
    a0 = MAC(a0, xv, LOAD_W_Z(w0 + k, pr));                                                            \
    a1 = MAC(a1, xv, LOAD_W_Z(w1 + k, pr));                                                            \
    a2 = MAC(a2, xv, LOAD_W_Z(w2 + k, pr));                                                            \
    a3 = MAC(a3, xv, LOAD_W_Z(w3 + k, pr));                                                            \
  }

/* Lane j = sum_k x[k] * rows[j * stride + k] for k < n, rows j >= count reading row 0 (their lanes are
 * dropped by the caller's store predicate); 16 values per load, VMLADAVA.S8. Out of line: inlined into the
 * callers' loops GCC 12 spills the 4 accumulators (see docs/kernels_mve.md). */
static __attribute__((noinline, unused)) int32x4_t tfedge_mve_dot4(const int8_t *x, const int8_t *rows, int32_t stride,
                                                          int32_t n, int32_t count) {
  const int8_t *w0 = rows, *w1 = count > 1 ? rows + stride : rows;
  const int8_t *w2 = count > 2 ? rows + 2 * stride : rows, *w3 = count > 3 ? rows + 3 * stride : rows;
  int32x4_t v;
  TFEDGE_MVE_DOT4_LOOP(int32_t, 16, vldrbq_s8, vldrbq_z_s8, vldrbq_s8, vldrbq_z_s8, vctp8q, vmladavaq_s8)
  v = vdupq_n_s32(a0);
  v = vsetq_lane_s32(a1, v, 1);
  v = vsetq_lane_s32(a2, v, 2);
  return vsetq_lane_s32(a3, v, 3);
}

/* int16x8: acc[j] = sum_k x[k] * rows[j * n + k] (int16 x int8, exact 64-bit sums): 8 values per load, the
 * weights widened by VLDRB.S16, VMLALDAVA.S16 (mve/conv_s16_nhwc.c). */
static __attribute__((noinline, unused)) void tfedge_mve_dot4_s16(const int16_t *x, const int8_t *rows, int32_t n, int32_t count,
                                                          int64_t acc[4]) {
  const int8_t *w0 = rows, *w1 = count > 1 ? rows + n : rows;
  const int8_t *w2 = count > 2 ? rows + 2 * n : rows, *w3 = count > 3 ? rows + 3 * n : rows;
  TFEDGE_MVE_DOT4_LOOP(int64_t, 8, vldrhq_s16, vldrhq_z_s16, vldrbq_s16, vldrbq_z_s16, vctp16q, vmlaldavaq_s16)
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* clamp(mbqm(acc, mult, shift) + out_offset, lo, hi) on 4 lanes; `left`: some shift may be positive. */
static inline int32x4_t tfedge_mve_requant4(int32x4_t acc, int32x4_t mult, int32x4_t shift, int32_t left,
                                            int32_t out_offset, int32x4_t lo, int32x4_t hi) {
  acc = left ? tfedge_mve_mbqm_left(acc, mult, shift) : tfedge_mve_mbqm(acc, mult, shift);
  return vminq_s32(vmaxq_s32(vaddq_n_s32(acc, out_offset), lo), hi);
}

#endif
