/* BATCH_MATMUL, int8 (TFLM reference_ops::BatchMatMul): out[b][i][j] = sum_k (lhs[b][i][k] + lhs_offset) *
 * (rhs[b][k][j] + rhs_offset), requantized; the compiler folds adj_x/adj_y into the element strides and
 * batch broadcasting into per-batch strides (0 = broadcast), up to 3 batch dimensions. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void batch_matmul_s8(const tfedge_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs, int8_t *output) {
  int32_t b0, b1, b2, i, j, k;
  for (b0 = 0; b0 < p->batch_dims[0]; ++b0)
    for (b1 = 0; b1 < p->batch_dims[1]; ++b1)
      for (b2 = 0; b2 < p->batch_dims[2]; ++b2) {
        const int8_t *l = lhs + b0 * p->lhs_batch_strides[0] + b1 * p->lhs_batch_strides[1] + b2 * p->lhs_batch_strides[2];
        const int8_t *r = rhs + b0 * p->rhs_batch_strides[0] + b1 * p->rhs_batch_strides[1] + b2 * p->rhs_batch_strides[2];
        for (i = 0; i < p->rows; ++i)
          for (j = 0; j < p->cols; ++j) {
            int32_t acc = 0, out;
            for (k = 0; k < p->depth; ++k)
              acc += (l[i * p->lhs_row_stride + k * p->lhs_k_stride] + p->lhs_offset) *
                     (r[k * p->rhs_k_stride + j * p->rhs_col_stride] + p->rhs_offset);
            out = tfedge_mbqm(acc, p->mult, p->shift) + p->output_offset;
            *output++ = (int8_t)tfedge_clamp_i32(out, -128, 127);
          }
      }
}
