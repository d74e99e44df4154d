/* FULLY_CONNECTED, int8, packed int16 weights (layout in tfedge_kernels.h): the reference for the fast
 * paths in arm_dsp/ and mve/. Same arithmetic as fully_connected_s8 (bias holds the folded
 * input-offset term); only the weight addressing differs. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"
#include "tfedge_requant_ref.h"

void fully_connected_packed_s8(const tfedge_fc_params *p, const int8_t *input, int8_t *output) {
  const int32_t k_padded = (p->in_features + 3) & ~3;
  const int32_t n = p->const_row ? p->live_c : p->out_features; /* rows in the packed weights */
  int32_t b, j, i;
  for (b = 0; b < p->batches; ++b, output += p->out_features) {
    const int8_t *in_b = input + b * p->in_features;
    if (p->const_row) /* constant outputs (the others are overwritten below) */
      for (j = 0; j < p->out_features; ++j) output[j] = p->const_row[j];
    for (j = 0; j < n; ++j) {
      static const int32_t lane[4] = {0, 2, 1, 3}; /* [k0 k2 k1 k3]: the order SXTB16 / ROR 8 give */
      const int32_t at = (j >> 2) * 4 * k_padded + (j & 3) * 4; /* int16: [k0 k2 k1 k3]; int8: [k0 k1 k2 k3] */
      const int16_t *w = (const int16_t *)(const void *)p->weights + at;
      const int8_t *w8 = p->weights + at;
      const int32_t o = p->const_row ? p->live_map[j] : j;
      int32_t acc = 0;
      if (p->weights_i8)
        for (i = 0; i < p->in_features; ++i) acc += in_b[i] * w8[(i >> 2) * 16 + (i & 3)];
      else
        for (i = 0; i < p->in_features; ++i) acc += in_b[i] * w[(i >> 2) * 16 + lane[i & 3]];
      acc = tfedge_requant_ref(acc, &p->rq[j], p->output_offset); /* the records: folded bias, mult, shift */
      output[o] = (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
    }
  }
}
