/* CONCATENATION, int8, inputs in the output's quantization (TFLM copies bytes). */
#include <string.h>

#include "tfedge_kernels.h"

void concat_s8(const tfedge_concat_params *p, int8_t *output) {
  int32_t o, i;
  for (o = 0; o < p->outer; ++o)
    for (i = 0; i < p->num_inputs; ++i) {
      memcpy(output, p->inputs[i] + o * p->sizes[i], (size_t)p->sizes[i]);
      output += p->sizes[i];
    }
}
