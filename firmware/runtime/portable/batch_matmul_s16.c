/* BATCH_MATMUL, int16x8 (TFLM reference_ops::BatchMatMul<int16_t, int64_t>): int16 operands (zero points 0),
 * int64 accumulators requantized by TFLM's int64 MultiplyByQuantizedMultiplier (16-bit reduced multiplier). */
#include "tfedge_batch_matmul.h"

void batch_matmul_s16(const tfedge_batch_matmul_params *p, const int16_t *lhs, const int16_t *rhs, int16_t *output) {
  TFEDGE_BATCH_MATMUL(int16_t, int64_t, tfedge_mbqm64, -32768, 32767);
}
