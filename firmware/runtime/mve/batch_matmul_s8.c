/* BATCH_MATMUL, int8, Helium (Cortex-M55). Same results as portable/batch_matmul_s8.c (TFLM
 * reference_ops::BatchMatMul<int8_t, int32_t>): out[i][j] = sum_k (l[i][k] + lo) * (r[k][j] + ro), requantized.
 * Expanded, sum (l + lo)(r + ro) = sum l * r + lo * colsum_j + ro * rowsum_i + depth * lo * ro (all mod 2^32,
 * as TFLM's int32 sum wraps), so the products run on the raw bytes: one lhs row load feeds 4 VMLADAVA.S8 against
 * 4 rhs columns (tfedge_mve_dot4), the row's sum by VADDV, the 4 columns' sums from scratch, one vector
 * requantization per 4 outputs. Both operands must run contiguously along the depth: per batch, the lhs
 * (adj_x) and the rhs (unless adj_y) are packed into p->scratch (sized by tfedge/compiler/variants_mve.py,
 * batch_matmul_scratch), followed by the columns' int32 sums. Without scratch the portable kernel runs. */
#include "tfedge_kernels.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_batch_matmul.h"
#include "tfedge_fixedpoint.h"
#include "tfedge_mve.h"
#include "tfedge_mve_dot4.h"

#define batch_matmul_s8 batch_matmul_s8_ref
#include "../portable/batch_matmul_s8.c"
#undef batch_matmul_s8

/* dst[i * n + k] = src[i * outer + k * inner] for i < count, k < n (a strided operand made contiguous) */
static void pack(int8_t *dst, const int8_t *src, int32_t count, int32_t n, int32_t outer, int32_t inner) {
  int32_t i, k;
  for (i = 0; i < count; ++i, src += outer)
    for (k = 0; k < n; ++k) *dst++ = src[k * inner];
}

static int32_t sum_s8(const int8_t *x, int32_t n) {
  int32_t s = 0, k = 0;
  for (; k + 16 <= n; k += 16) s = vaddvaq_s8(s, vldrbq_s8(x + k));
  if (k < n) s = vaddvaq_p_s8(s, vldrbq_s8(x + k), vctp8q((uint32_t)(n - k)));
  return s;
}

void batch_matmul_s8(const tfedge_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs, int8_t *output) {
  const int32_t rows = p->rows, cols = p->cols, depth = p->depth, lo = p->lhs_offset, ro = p->rhs_offset;
  const int32_t pack_l = p->lhs_k_stride != 1, pack_r = p->rhs_k_stride != 1;
  const int32_t out_off = p->output_offset, left = p->shift > 0;
  const int32x4_t mult = vdupq_n_s32(p->mult), shift = vdupq_n_s32(p->shift);
  const int32x4_t vlo = vdupq_n_s32(-128), vhi = vdupq_n_s32(127);
  const uint32_t both = (uint32_t)depth * (uint32_t)lo * (uint32_t)ro;
  int8_t *lbuf = (int8_t *)p->scratch;
  int8_t *rbuf = lbuf + (pack_l ? (rows * depth + 3) / 4 * 4 : 0);
  int32_t *csum = (int32_t *)(rbuf + (pack_r ? (cols * depth + 3) / 4 * 4 : 0));
  const int32_t batches = p->batch_dims[0] * p->batch_dims[1] * p->batch_dims[2];
  int32_t n, i, j, l_at, r_at;
  if (lbuf == 0) {
    batch_matmul_s8_ref(p, lhs, rhs, output);
    return;
  }
  for (n = 0; n < batches; ++n) {
    const int8_t *l, *r;
    int32_t l_step = p->lhs_row_stride, r_step = p->rhs_col_stride;
    tfedge_batch_matmul_offsets(p, n, &l_at, &r_at);
    l = lhs + l_at, r = rhs + r_at;
    if (pack_l) pack(lbuf, l, rows, depth, p->lhs_row_stride, p->lhs_k_stride), l = lbuf, l_step = depth;
    if (pack_r) pack(rbuf, r, cols, depth, p->rhs_col_stride, p->rhs_k_stride), r = rbuf, r_step = depth;
    for (j = 0; j < cols; ++j) csum[j] = sum_s8(r + j * r_step, depth);
    for (i = 0; i < rows; ++i, output += cols) {
      const int8_t *li = l + i * l_step;
      const int32_t base = (int32_t)((uint32_t)ro * (uint32_t)sum_s8(li, depth) + both);
      for (j = 0; j < cols; j += 4) {
        const int32_t count = tfedge_min_i32(4, cols - j);
        const mve_pred16_t pr = vctp32q((uint32_t)count);
        int32x4_t acc = tfedge_mve_dot4(li, r + j * r_step, r_step, depth, count);
        acc = vaddq_n_s32(vmlaq_n_s32(acc, vldrwq_z_s32(csum + j, pr), lo), base);
        vstrbq_p_s32(output + j, tfedge_mve_requant4(acc, mult, shift, left, out_off, vlo, vhi), pr);
      }
    }
  }
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/batch_matmul_s8.c"
#endif
