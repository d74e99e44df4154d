/* TANH, int16 (TFLM reference_integer_ops::Tanh for int16: the interpolated sigmoid table). */
#include "tfedge_kernels.h"

void tanh_s16(const tfedge_act_params *p, const int16_t *input, int16_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) output[i] = tfedge_tanh_s16_one(input[i], p->mult, p->shift);
}
