/* REDUCE_MIN, int8 (same quantization in and out). */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void reduce_min_s8(const tfedge_reduce_params *p, const int8_t *input, int8_t *output) {
  int32_t o, r, i;
  for (o = 0; o < p->outer; ++o)
    for (i = 0; i < p->inner; ++i) {
      const int8_t *in = input + o * p->reduce * p->inner + i;
      int32_t m = 127;
      for (r = 0; r < p->reduce; ++r) m = tfedge_min_i32(m, in[r * p->inner]);
      *output++ = (int8_t)m;
    }
}
