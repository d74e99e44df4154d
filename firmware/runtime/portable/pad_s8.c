/* PAD / PADV2, int8, up to 4-D: the padding value is the output zero point (or PADV2's constant). */
#include <string.h>

#include "tfedge_kernels.h"

void pad_s8(const tfedge_pad_params *p, const int8_t *input, int8_t *output) {
  int32_t a, b, c;
  const int32_t row = p->in_dims[3];
  memset(output, (int8_t)p->value, (size_t)p->out_dims[0] * p->out_dims[1] * p->out_dims[2] * p->out_dims[3]);
  for (a = 0; a < p->in_dims[0]; ++a)
    for (b = 0; b < p->in_dims[1]; ++b)
      for (c = 0; c < p->in_dims[2]; ++c) {
        const int32_t oa = a + p->before[0], ob = b + p->before[1], oc = c + p->before[2];
        int8_t *dst = output + ((oa * p->out_dims[1] + ob) * p->out_dims[2] + oc) * p->out_dims[3] + p->before[3];
        memcpy(dst, input + ((a * p->in_dims[1] + b) * p->in_dims[2] + c) * row, (size_t)row);
      }
}
