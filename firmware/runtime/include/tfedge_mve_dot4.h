/* Four int8 dot products sharing one operand, Helium (Cortex-M55): used by mve/transpose_conv_s8.c (a
 * gathered input column against 4 output channels' weight rows) and mve/batch_matmul_s8.c (an lhs row
 * against 4 rhs columns). Only included when __ARM_FEATURE_MVE is defined. */
#ifndef TFEDGE_MVE_DOT4_H
#define TFEDGE_MVE_DOT4_H

#include <arm_mve.h>
#include <stdint.h>

#include "tfedge_mve.h"

/* Lane j = sum_k x[k] * rows[j * stride + k] for k < n, rows j >= count reading row 0 (their lanes are
 * dropped by the caller's store predicate). Each 16-byte load of x feeds 4 VMLADAVA.S8; the tail is
 * predicated (x's lanes past n load as 0, so nothing past either operand's n bytes is read). Out of line:
 * inlined into the callers' loops GCC 12 spills the 4 accumulators (see docs/kernels_mve.md). */
static __attribute__((noinline)) int32x4_t tfedge_mve_dot4(const int8_t *x, const int8_t *rows, int32_t stride,
                                                          int32_t n, int32_t count) {
  const int8_t *w0 = rows, *w1 = count > 1 ? rows + stride : rows;
  const int8_t *w2 = count > 2 ? rows + 2 * stride : rows, *w3 = count > 3 ? rows + 3 * stride : rows;
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, k;
  int32x4_t v;
  for (k = 0; k + 16 <= n; k += 16) {
    const int8x16_t xv = vldrbq_s8(x + k);
    a0 = vmladavaq_s8(a0, xv, vldrbq_s8(w0 + k));
    a1 = vmladavaq_s8(a1, xv, vldrbq_s8(w1 + k));
    a2 = vmladavaq_s8(a2, xv, vldrbq_s8(w2 + k));
    a3 = vmladavaq_s8(a3, xv, vldrbq_s8(w3 + k));
  }
  if (k < n) {
    const mve_pred16_t pr = vctp8q((uint32_t)(n - k));
    const int8x16_t xv = vldrbq_z_s8(x + k, pr);
    a0 = vmladavaq_s8(a0, xv, vldrbq_z_s8(w0 + k, pr));
    a1 = vmladavaq_s8(a1, xv, vldrbq_z_s8(w1 + k, pr));
    a2 = vmladavaq_s8(a2, xv, vldrbq_z_s8(w2 + k, pr));
    a3 = vmladavaq_s8(a3, xv, vldrbq_z_s8(w3 + k, pr));
  }
  v = vdupq_n_s32(a0);
  v = vsetq_lane_s32(a1, v, 1);
  v = vsetq_lane_s32(a2, v, 2);
  return vsetq_lane_s32(a3, v, 3);
}

/* clamp(mbqm(acc, mult, shift) + out_offset, lo, hi) on 4 lanes; `left`: some shift may be positive. */
static inline int32x4_t tfedge_mve_requant4(int32x4_t acc, int32x4_t mult, int32x4_t shift, int32_t left,
                                            int32_t out_offset, int32x4_t lo, int32x4_t hi) {
  acc = left ? tfedge_mve_mbqm_left(acc, mult, shift) : tfedge_mve_mbqm(acc, mult, shift);
  return vminq_s32(vmaxq_s32(vaddq_n_s32(acc, out_offset), lo), hi);
}

#endif
