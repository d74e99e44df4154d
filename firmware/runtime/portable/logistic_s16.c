/* LOGISTIC, int16 (TFLM reference_integer_ops::Logistic for int16: the interpolated sigmoid table). */
#include "tfedge_kernels.h"

void logistic_s16(const tfedge_act_params *p, const int16_t *input, int16_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) output[i] = tfedge_logistic_s16_one(input[i], p->mult, p->shift);
}
