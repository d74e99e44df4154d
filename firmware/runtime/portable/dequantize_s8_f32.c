/* DEQUANTIZE int8 -> float (TFLM reference_ops::Dequantize: computed in double, stored as float). */
#include "tfedge_kernels.h"

void dequantize_s8_f32(const tfedge_quant_params *p, const int8_t *input, float *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) output[i] = (float)(p->dq_scale * (double)(input[i] + p->input_offset));
}
