/* GATHER with constant indices, int8 (batch_dims 0): the input viewed as (outer, axis_size, inner); for
 * each outer row, the inner blocks at indices[0..num_indices) in turn (indices checked at compile time). */
#include <string.h>

#include "tfedge_kernels.h"

void gather_s8(const tfedge_gather_params *p, const int8_t *input, int8_t *output) {
  int32_t o, k;
  for (o = 0; o < p->outer; ++o) {
    const int8_t *row = input + o * p->axis_size * p->inner;
    for (k = 0; k < p->num_indices; ++k) {
      memcpy(output, row + p->indices[k] * p->inner, (size_t)p->inner);
      output += p->inner;
    }
  }
}
