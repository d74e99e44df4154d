/* FULLY_CONNECTED, int16x8 (TFLM reference_integer_ops::FullyConnected for int16 input): int64
 * accumulator and bias, the int64 MultiplyByQuantizedMultiplier; zero points are 0. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void fully_connected_s16(const tfedge_fc_s16_params *p, const int16_t *input, int16_t *output) {
  int32_t b, o, i;
  for (b = 0; b < p->batches; ++b) {
    const int16_t *in_b = input + b * p->in_features;
    for (o = 0; o < p->out_features; ++o) {
      const int8_t *w = p->weights + o * p->in_features;
      const int32_t c = p->per_channel ? o : 0;
      int64_t acc = 0;
      int32_t v;
      for (i = 0; i < p->in_features; ++i) acc += (int32_t)in_b[i] * w[i];
      if (p->bias) acc += p->bias[o];
      v = tfedge_mbqm64(acc, p->mult[c], p->shift[c]);
      *output++ = (int16_t)tfedge_clamp_i32(v, p->act_min, p->act_max);
    }
  }
}
