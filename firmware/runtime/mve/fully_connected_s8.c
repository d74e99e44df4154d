/* FULLY_CONNECTED, int8, Helium (Cortex-M55). Same contract and bit-exact results as
 * portable/fully_connected_s8.c (TFLM reference_integer_ops::FullyConnected; the input zero-point term
 * is already folded into bias).
 *
 * Four output rows at a time: each 16-byte input vector is loaded once and feeds four VMLADAVs (one per
 * weight row); the four sums become one int32x4 (one lane per output) requantized with
 * tfedge_mve_mbqm and stored with a tail predicate. */
#include "tfedge_kernels.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_fixedpoint.h"
#include "tfedge_mve.h"

/* sums[j] = bias[j] + dot(x, w + j * n) for 4 rows (rows past `count` repeat row 0; dropped later) */
static __attribute__((noinline)) void dot4(const int8_t *x, const int8_t *w, int32_t n, int32_t count,
                                           const int32_t *bias, int32_t sums[4]) {
  const int8_t *w0 = w, *w1 = count > 1 ? w + n : w, *w2 = count > 2 ? w + 2 * n : w, *w3 = count > 3 ? w + 3 * n : w;
  int32_t a0 = bias[0], a1 = count > 1 ? bias[1] : 0, a2 = count > 2 ? bias[2] : 0, a3 = count > 3 ? bias[3] : 0;
  int32_t k;
  for (k = 0; k + 16 <= n; k += 16) {
    const int8x16_t xv = vldrbq_s8(x);
    x += 16;
    a0 = vmladavaq_s8(a0, xv, vldrbq_s8(w0));
    a1 = vmladavaq_s8(a1, xv, vldrbq_s8(w1));
    a2 = vmladavaq_s8(a2, xv, vldrbq_s8(w2));
    a3 = vmladavaq_s8(a3, xv, vldrbq_s8(w3));
    w0 += 16, w1 += 16, w2 += 16, w3 += 16;
  }
  if (k < n) { /* zeroed input lanes make the tail's extra products 0 */
    const mve_pred16_t pr = vctp8q((uint32_t)(n - k));
    const int8x16_t xv = vldrbq_z_s8(x, pr);
    a0 = vmladavaq_s8(a0, xv, vldrbq_z_s8(w0, pr));
    a1 = vmladavaq_s8(a1, xv, vldrbq_z_s8(w1, pr));
    a2 = vmladavaq_s8(a2, xv, vldrbq_z_s8(w2, pr));
    a3 = vmladavaq_s8(a3, xv, vldrbq_z_s8(w3, pr));
  }
  sums[0] = a0;
  sums[1] = a1;
  sums[2] = a2;
  sums[3] = a3;
}

/* Outputs [o0, o0 + n) of every batch row, their weight rows at `weights` (row i = output o0 + i): the
 * layer's weights, or rows of clustered weights decoded by fully_connected_s8_c4. */
void tfedge_mve_fc_rows(const tfedge_fc_params *p, const int8_t *weights, int32_t o0, int32_t n, const int8_t *input,
                        int8_t *output) {
  const int32_t k = p->in_features, out_n = p->out_features;
  const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
  const int32_t out_off = p->output_offset;
  const int32_t left = tfedge_mve_any_left_shift(p->shift, p->per_channel ? out_n : 1);
  int32_t sums[4] __attribute__((aligned(16)));
  int32_t b, o;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *x = input + b * k;
    int8_t *out_b = output + b * out_n;
    for (o = o0; o < o0 + n; o += 4) {
      const int32_t count = tfedge_min_i32(4, o0 + n - o);
      const mve_pred16_t pr = vctp32q((uint32_t)count);
      int32x4_t m, s, acc;
      dot4(x, weights + (o - o0) * k, k, count, p->bias + o, sums);
      if (p->per_channel) {
        m = vldrwq_z_s32(p->mult + o, pr);
        s = vldrwq_z_s32(p->shift + o, pr);
      } else {
        m = vdupq_n_s32(p->mult[0]);
        s = vdupq_n_s32(p->shift[0]);
      }
      acc = vldrwq_s32(sums);
      acc = left ? tfedge_mve_mbqm_left(acc, m, s) : tfedge_mve_mbqm(acc, m, s);
      acc = vminq_s32(vmaxq_s32(vaddq_n_s32(acc, out_off), lo), hi);
      vstrbq_p_s32(out_b + o, acc, pr);
    }
  }
}

void fully_connected_s8(const tfedge_fc_params *p, const int8_t *input, int8_t *output) {
  tfedge_mve_fc_rows(p, p->weights, 0, p->out_features, input, output);
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/fully_connected_s8.c"
#endif
