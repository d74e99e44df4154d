/* BATCH_MATMUL, int8 (TFLM reference_ops::BatchMatMul<int8_t, int32_t>): tfedge_batch_matmul.h's loop with
 * int32 accumulators, up to 3 batch dimensions. */
#include "tfedge_batch_matmul.h"

void batch_matmul_s8(const tfedge_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs, int8_t *output) {
  TFEDGE_BATCH_MATMUL(int8_t, int32_t, tfedge_mbqm, -128, 127);
}
