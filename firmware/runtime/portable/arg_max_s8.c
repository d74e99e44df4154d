/* ARG_MAX / ARG_MIN over one axis, int8 input (raw values: the quantization is monotonic), int32 output
 * (TFLM reference_ops::ArgMinMax: a strict comparison, so the first of equal values wins). The input is
 * viewed as (outer, axis_size, inner). */
#include "tfedge_kernels.h"

void arg_max_s8(const tfedge_arg_params *p, const int8_t *input, int32_t *output) {
  int32_t o, k, i;
  for (o = 0; o < p->outer; ++o)
    for (i = 0; i < p->inner; ++i) {
      const int8_t *x = input + o * p->axis_size * p->inner + i;
      int32_t best = x[0], at = 0;
      for (k = 1; k < p->axis_size; ++k) {
        const int32_t v = x[k * p->inner];
        if (p->is_min ? v < best : v > best) {
          best = v;
          at = k;
        }
      }
      *output++ = at;
    }
}
