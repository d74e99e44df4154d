/* QUANTIZE int8 -> int8 (TFLM reference_ops::Requantize). */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void requantize_s8(const tfedge_quant_params *p, const int8_t *input, int8_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    const int32_t v = tfedge_mbqm(input[i] + p->input_offset, p->mult, p->shift) + p->output_offset;
    output[i] = (int8_t)tfedge_clamp_i32(v, -128, 127);
  }
}
