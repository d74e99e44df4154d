/* MEAN, int8 (TFLM EvalIntegerMean): integer sums; with equal quantization in and out, a truncating
 * integer division (reference_ops::Mean), else QuantizedMeanOrSum's fixed-point rescale. */
#include "tfedge_uses.h"

TFEDGE_COLD_BEGIN /* once per inference (the global pool); the arch kernels' fallback for inner < 4 */
#include "tfedge_elementwise.h"

void mean_s8(const tfedge_reduce_params *p, const int8_t *input, int8_t *output) {
  TFEDGE_MEAN_LOOP(int8_t, -128, 127);
}
TFEDGE_COLD_END
