/* FULLY_CONNECTED int16x8, Cortex-M4/M7/M33 DSP extension: the portable kernel's arithmetic, two output
 * rows per pass over the input, 4 MACs per SMLALD pair (tfedge_dsp_s16.h), so int16x8 is not a slow mode. */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/fully_connected_s16.c"
#else
#include "tfedge_dsp_s16.h"
#include "tfedge_fixedpoint.h"

static int16_t out16(const tfedge_fc_s16_params *p, int64_t acc, int32_t o) {
  const int32_t c = p->per_channel ? o : 0;
  if (p->bias) acc += p->bias[o];
  return (int16_t)tfedge_clamp_i32(tfedge_mbqm64(acc, p->mult[c], p->shift[c]), p->act_min, p->act_max);
}

void fully_connected_s16(const tfedge_fc_s16_params *p, const int16_t *input, int16_t *output) {
  const int32_t n = p->in_features;
  int32_t b, o;
  for (b = 0; b < p->batches; ++b) {
    const int16_t *in_b = input + b * n;
    for (o = 0; o + 2 <= p->out_features; o += 2) {
      int64_t acc[2] = {0, 0};
      tfedge_dot2_s16_s8(in_b, p->weights + o * n, p->weights + (o + 1) * n, n, acc);
      *output++ = out16(p, acc[0], o);
      *output++ = out16(p, acc[1], o + 1);
    }
    if (o < p->out_features) *output++ = out16(p, tfedge_dot_s16_s8(in_b, p->weights + o * n, n, 0), o);
  }
}
#endif
