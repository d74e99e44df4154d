/* Experimental sparse FULLY_CONNECTED kernels, measured by scripts/bench_sparse.py against the dense ones
 * (not used by the compiler: see docs/compression.md for where they pay and where not).
 *   fc_s8_24:     2:4 sparse rows: 2 int8 values per group of 4 inputs + their 2 positions (a nibble),
 *                 0.625 B per weight.
 *   fc_s8_bitmap: unstructured: 1 mask bit per weight + the non-zero values in order.
 * Same arithmetic as fully_connected_s8 (bias holds the folded zero-point term), so bit-exact. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

typedef struct {
  const tfedge_fc_params *fc;
  const int8_t *values;
  const uint8_t *meta; /* 2:4: nibble per group; bitmap: mask bytes, row-major, rows padded to a byte */
  const int32_t *row_start; /* bitmap: first value of each row */
} fc_sparse_params;

void fc_s8_24(const fc_sparse_params *s, const int8_t *input, int8_t *output) {
  const tfedge_fc_params *p = s->fc;
  const int32_t groups = p->in_features / 4;
  int32_t o, g;
  for (o = 0; o < p->out_features; ++o) {
    const int8_t *v = s->values + o * 2 * groups;
    const uint8_t *pos = s->meta + o * ((groups + 1) / 2);
    const int32_t c = p->per_channel ? o : 0;
    int32_t acc = p->bias[o];
    for (g = 0; g < groups; ++g) {
      const int32_t nib = (pos[g >> 1] >> ((g & 1) * 4)) & 15;
      const int8_t *x = input + 4 * g;
      acc += x[nib & 3] * v[2 * g] + x[nib >> 2] * v[2 * g + 1];
    }
    acc = tfedge_mbqm(acc, p->mult[c], p->shift[c]) + p->output_offset;
    *output++ = (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
  }
}

void fc_s8_bitmap(const fc_sparse_params *s, const int8_t *input, int8_t *output) {
  const tfedge_fc_params *p = s->fc;
  const int32_t row_bytes = (p->in_features + 7) / 8;
  int32_t o, i;
  for (o = 0; o < p->out_features; ++o) {
    const uint8_t *mask = s->meta + o * row_bytes;
    const int8_t *v = s->values + s->row_start[o];
    const int32_t c = p->per_channel ? o : 0;
    int32_t acc = p->bias[o];
    for (i = 0; i < p->in_features; i += 8) {
      uint32_t m = mask[i >> 3];
      const int8_t *x = input + i;
      while (m) { /* only the set bits: skips zero weights and all-zero bytes */
        if (m & 1) acc += *x * *v++;
        m >>= 1;
        ++x;
      }
    }
    acc = tfedge_mbqm(acc, p->mult[c], p->shift[c]) + p->output_offset;
    *output++ = (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
  }
}
