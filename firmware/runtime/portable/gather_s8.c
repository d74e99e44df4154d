/* GATHER with constant indices, int8 (batch_dims 0): the input viewed as (outer, axis_size, inner); for
 * each outer row, the inner blocks at indices[0..num_indices) in turn (indices checked at compile time). */
#include "tfedge_copy.h"
#include "tfedge_kernels.h"

void gather_s8(const tfedge_gather_params *p, const int8_t *input, int8_t *output) {
  int32_t o, k;
  for (o = 0; o < p->outer; ++o) {
    const int8_t *row = input + o * p->axis_size * p->inner;
    if (p->inner == 1) { /* gathering channels: one byte each */
      for (k = 0; k < p->num_indices; ++k) *output++ = row[p->indices[k]];
      continue;
    }
    for (k = 0; k < p->num_indices; ++k) {
      tfedge_copy_s8(output, row + p->indices[k] * p->inner, p->inner);
      output += p->inner;
    }
  }
}
