/* FULLY_CONNECTED with clustered weights as 4-bit codebook indices: row o's in_features indices packed
 * two per byte (low nibble first, rows padded to a whole byte), its values at codebook +
 * (per_channel ? o : 0) * codebook_stride. Every weight is used once per input row, so it is decoded
 * inline; the arithmetic is fully_connected_s8's (zero-point term folded into bias). */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void fully_connected_s8_c4(const tfedge_fc_params *p, const int8_t *input, int8_t *output) {
  const int32_t row_bytes = (p->in_features + 1) / 2;
  int32_t b, o, i;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_features;
    for (o = 0; o < p->out_features; ++o) {
      const uint8_t *w = p->indices + o * row_bytes;
      const int8_t *cb = p->codebook + o * p->codebook_stride;
      const int32_t c = p->per_channel ? o : 0;
      int32_t acc = p->bias[o];
      for (i = 0; i + 1 < p->in_features; i += 2) {
        const uint8_t pair = w[i >> 1];
        acc += in_b[i] * cb[pair & 15] + in_b[i + 1] * cb[pair >> 4];
      }
      if (i < p->in_features) acc += in_b[i] * cb[w[i >> 1] & 15];
      acc = tfedge_mbqm(acc, p->mult[c], p->shift[c]) + p->output_offset;
      *output++ = (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
    }
  }
}
