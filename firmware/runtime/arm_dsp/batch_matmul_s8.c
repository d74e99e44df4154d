/* BATCH_MATMUL, int8; Cortex-M4/M7/M33 DSP extension. Same sums as portable/batch_matmul_s8.c (TFLM
 * reference_ops::BatchMatMul): where both operands run contiguously along the depth (lhs_k_stride and
 * rhs_k_stride 1: the rhs transposed, adj_y, as attention scores export it), 4 products per step with two
 * SMLADs, both operands widened with their offsets added by SXTAB16 (|byte + offset| <= 255: exact);
 * other layouts run the portable loop. */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/batch_matmul_s8.c"
#else
#include "tfedge_dsp.h"
#include "tfedge_fixedpoint.h"

#define batch_matmul_s8 batch_matmul_s8_ref
#include "../portable/batch_matmul_s8.c"
#undef batch_matmul_s8

void batch_matmul_s8(const tfedge_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs, int8_t *output) {
  const uint32_t lo2 = ((uint32_t)p->lhs_offset & 0xFFFFu) * 0x10001u, ro2 = ((uint32_t)p->rhs_offset & 0xFFFFu) * 0x10001u;
  int32_t b0, b1, b2, i, j, k;
  if (p->lhs_k_stride != 1 || p->rhs_k_stride != 1) {
    batch_matmul_s8_ref(p, lhs, rhs, output);
    return;
  }
  for (b0 = 0; b0 < p->batch_dims[0]; ++b0)
    for (b1 = 0; b1 < p->batch_dims[1]; ++b1)
      for (b2 = 0; b2 < p->batch_dims[2]; ++b2) {
        const int8_t *l = lhs + b0 * p->lhs_batch_strides[0] + b1 * p->lhs_batch_strides[1] + b2 * p->lhs_batch_strides[2];
        const int8_t *r = rhs + b0 * p->rhs_batch_strides[0] + b1 * p->rhs_batch_strides[1] + b2 * p->rhs_batch_strides[2];
        for (i = 0; i < p->rows; ++i) {
          const int8_t *li = l + i * p->lhs_row_stride;
          for (j = 0; j < p->cols; ++j) {
            const int8_t *rj = r + j * p->rhs_col_stride;
            int32_t acc = 0, out;
            for (k = 0; k + 4 <= p->depth; k += 4) {
              const uint32_t x = tfedge_ld32(li + k), y = tfedge_ld32(rj + k);
              acc = __smlad(__sxtab16(lo2, x), __sxtab16(ro2, y), acc);
              acc = __smlad(tfedge_sxtab16_ror8(lo2, x), tfedge_sxtab16_ror8(ro2, y), acc);
            }
            for (; k < p->depth; ++k) acc += (li[k] + p->lhs_offset) * (rj[k] + p->rhs_offset);
            out = tfedge_mbqm(acc, p->mult, p->shift) + p->output_offset;
            *output++ = (int8_t)tfedge_clamp_i32(out, -128, 127);
          }
        }
      }
}
#endif
