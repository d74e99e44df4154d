/* FULLY_CONNECTED with clustered weights (4-bit codebook indices), Helium (Cortex-M55). Same contract
 * and bit-exact results as portable/fully_connected_s8_c4.c: blocks of rows (at most C4_FC_BLOCK bytes)
 * are decoded into a stack buffer and run through the Helium rows of fully_connected_s8.c. Every weight
 * is used once per batch row, so the decode (scalar table lookups) is the cost; it pays with batches. */
#include "tfedge_kernels.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_fixedpoint.h"
#include "tfedge_mve.h"

#define C4_FC_BLOCK 2048 /* decoded weight bytes on the stack per block of rows */

void fully_connected_s8_c4(const tfedge_fc_params *p, const int8_t *input, int8_t *output) {
  const int32_t k = p->in_features, row_bytes = (k + 1) / 2;
  const int32_t block = tfedge_max_i32(1, tfedge_min_i32(p->out_features, C4_FC_BLOCK / k));
  int32_t o, i;
  if (k > C4_FC_BLOCK) { /* one row would not fit the buffer: decode on the fly, one output at a time */
    int32_t b;
    for (b = 0; b < p->batches; ++b)
      for (o = 0; o < p->out_features; ++o) {
        const uint8_t *w = p->indices + o * row_bytes;
        const int8_t *cb = p->codebook + o * p->codebook_stride;
        const int8_t *x = input + b * k;
        const int32_t c = p->per_channel ? o : 0;
        int32_t acc = p->bias[o];
        for (i = 0; i + 1 < k; i += 2) acc += x[i] * cb[w[i >> 1] & 15] + x[i + 1] * cb[w[i >> 1] >> 4];
        if (i < k) acc += x[i] * cb[w[i >> 1] & 15];
        acc = tfedge_mbqm(acc, p->mult[c], p->shift[c]) + p->output_offset;
        output[b * p->out_features + o] = (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
      }
    return;
  }
  {
    int8_t w[block * k] __attribute__((aligned(16)));
    for (o = 0; o < p->out_features; o += block) {
      const int32_t n = tfedge_min_i32(block, p->out_features - o);
      for (i = 0; i < n; ++i)
        tfedge_decode_c4(p->indices + (o + i) * row_bytes, p->codebook + (o + i) * p->codebook_stride, k, w + i * k);
      tfedge_mve_fc_rows(p, w, o, n, input, output);
    }
  }
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/fully_connected_s8_c4.c"
#endif
