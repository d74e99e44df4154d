/* The BATCH_MATMUL loop of TFLM reference_ops::BatchMatMul, shared by batch_matmul_s8 (int32 accumulators,
 * tfedge_mbqm) and batch_matmul_s16 (int64 accumulators and TFLM's int64 MultiplyByQuantizedMultiplier):
 * out[b][i][j] = sum_k (lhs[b][i][k] + lhs_offset) * (rhs[b][k][j] + rhs_offset), requantized and clamped to
 * LO..HI; adj_x/adj_y are folded into the element strides and batch broadcasting into per-batch strides. */
#ifndef TFEDGE_BATCH_MATMUL_H
#define TFEDGE_BATCH_MATMUL_H

#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

/* Element offsets of batch n (of batch_dims[0] * [1] * [2], row-major) in lhs and rhs (broadcast dimensions
 * have stride 0). */
static inline void tfedge_batch_matmul_offsets(const tfedge_batch_matmul_params *p, int32_t n, int32_t *lhs_at,
                                               int32_t *rhs_at) {
  const int32_t b2 = n % p->batch_dims[2], b1 = n / p->batch_dims[2] % p->batch_dims[1];
  const int32_t b0 = n / (p->batch_dims[2] * p->batch_dims[1]);
  *lhs_at = b0 * p->lhs_batch_strides[0] + b1 * p->lhs_batch_strides[1] + b2 * p->lhs_batch_strides[2];
  *rhs_at = b0 * p->rhs_batch_strides[0] + b1 * p->rhs_batch_strides[1] + b2 * p->rhs_batch_strides[2];
}

#define TFEDGE_BATCH_MATMUL(T, ACC, MBQM, LO, HI)                                                                  \
  do {                                                                                                           \
    int32_t b0, b1, b2, i, j, k;                                                                                 \
    for (b0 = 0; b0 < p->batch_dims[0]; ++b0)                                                                    \
      for (b1 = 0; b1 < p->batch_dims[1]; ++b1)                                                                  \
        for (b2 = 0; b2 < p->batch_dims[2]; ++b2) {                                                              \
          const T *l = lhs + b0 * p->lhs_batch_strides[0] + b1 * p->lhs_batch_strides[1] + b2 * p->lhs_batch_strides[2]; \
          const T *r = rhs + b0 * p->rhs_batch_strides[0] + b1 * p->rhs_batch_strides[1] + b2 * p->rhs_batch_strides[2]; \
          for (i = 0; i < p->rows; ++i)                                                                          \
            for (j = 0; j < p->cols; ++j) {                                                                      \
              ACC acc = 0;                                                                                       \
              for (k = 0; k < p->depth; ++k)                                                                     \
                acc += (ACC)(l[i * p->lhs_row_stride + k * p->lhs_k_stride] + p->lhs_offset) *                   \
                       (r[k * p->rhs_k_stride + j * p->rhs_col_stride] + p->rhs_offset);                        \
              *output++ = (T)tfedge_clamp_i32(MBQM(acc, p->mult, p->shift) + p->output_offset, LO, HI);          \
            }                                                                                                    \
        }                                                                                                        \
  } while (0)

#endif
