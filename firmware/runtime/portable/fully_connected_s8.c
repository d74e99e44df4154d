/* FULLY_CONNECTED, int8 (TFLM reference_integer_ops::FullyConnected). The input zero-point term
 * input_offset * sum(weights[o]) is folded into bias at compile time, so the inner loop is a plain
 * dot product. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void fully_connected_s8(const tfedge_fc_params *p, const int8_t *input, int8_t *output) {
  int32_t b, o, i;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_features;
    for (o = 0; o < p->out_features; ++o) {
      const int8_t *w = p->weights + o * p->in_features;
      const int32_t c = p->per_channel ? o : 0;
      int32_t acc = p->bias[o];
      for (i = 0; i < p->in_features; ++i) acc += in_b[i] * w[i];
      acc = tfedge_mbqm(acc, p->mult[c], p->shift[c]) + p->output_offset;
      *output++ = (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
    }
  }
}
