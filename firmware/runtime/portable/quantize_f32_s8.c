/* QUANTIZE float -> int8 (TFLM reference_ops::AffineQuantize): round(x / scale) + zero point,
 * rounding halves away from zero, computed in float as TFLM does. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void quantize_f32_s8(const tfedge_quant_params *p, const float *input, int8_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    const int32_t v = tfedge_round_f32(input[i] / p->scale) + p->output_offset;
    output[i] = (int8_t)tfedge_clamp_i32(v, -128, 127);
  }
}
