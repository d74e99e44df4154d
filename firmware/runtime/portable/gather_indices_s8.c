/* GATHER with run-time int32 indices (an embedding lookup: token ids in, table rows out), int8 table,
 * batch_dims 0: as gather_s8, the indices read from a tensor. An index outside 0..axis_size-1 (TFLM:
 * invoke fails) writes a block of zero bytes: never a read outside the table. */
#include <string.h>

#include "tfedge_copy.h"
#include "tfedge_kernels.h"

void gather_indices_s8(const tfedge_gather_params *p, const int8_t *input, const int32_t *indices, int8_t *output) {
  int32_t o, k;
  for (o = 0; o < p->outer; ++o) {
    const int8_t *row = input + o * p->axis_size * p->inner;
    for (k = 0; k < p->num_indices; ++k) {
      const int32_t index = indices[k];
      if (index < 0 || index >= p->axis_size)
        memset(output, 0, (size_t)p->inner);
      else
        tfedge_copy_s8(output, row + index * p->inner, p->inner);
      output += p->inner;
    }
  }
}
