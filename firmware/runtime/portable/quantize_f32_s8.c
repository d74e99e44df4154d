/* QUANTIZE float -> int8 (TFLM reference_ops::AffineQuantize): round(x / scale) + zero point,
 * rounding halves away from zero, computed in float as TFLM does. No libm: the rounding is done by
 * hand on the truncated value (exact for |q| < 2^23; larger values saturate anyway). */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

static int32_t round_half_away(float f) {
  int32_t t;
  float frac;
  if (!(f == f)) return 0; /* NaN */
  if (f > 1.0e9f) return 1000000000;
  if (f < -1.0e9f) return -1000000000;
  t = (int32_t)f;
  frac = f - (float)t;
  if (frac >= 0.5f) ++t;
  else if (frac <= -0.5f) --t;
  return t;
}

void quantize_f32_s8(const tfedge_quant_params *p, const float *input, int8_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    const int32_t v = round_half_away(input[i] / p->scale) + p->output_offset;
    output[i] = (int8_t)tfedge_clamp_i32(v, -128, 127);
  }
}
