/* HARD_SWISH, int8 (TFLite reference_ops::HardSwish): x * relu6(x + 3) / 6 in 16-bit fixed point.
 * The int16 helpers below reproduce gemmlowp's int16 rounding. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

static int16_t srdhm16(int16_t a, int16_t b) {
  int32_t ab;
  if (a == b && a == -32768) return 32767;
  ab = (int32_t)a * (int32_t)b;
  return (int16_t)((ab + (ab >= 0 ? (1 << 14) : (1 - (1 << 14)))) / (1 << 15));
}

static int16_t sdhm16(int16_t a, int16_t b) { /* no rounding */
  if (a == b && a == -32768) return 32767;
  return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

static int16_t sat_shl16(int16_t v, int amount) {
  const int32_t r = (int32_t)v * (1 << amount);
  return (int16_t)tfedge_clamp_i32(r, -32768, 32767);
}

void hard_swish_s8(const tfedge_act_params *p, const int8_t *input, int8_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    const int16_t x = (int16_t)(input[i] - p->input_zp);
    const int16_t x_hires = (int16_t)(x * (1 << 7));
    const int16_t x_out = srdhm16(x_hires, (int16_t)p->mult);
    int16_t reluish = x_hires;
    int32_t out;
    if (p->shift2 > 0) reluish = sat_shl16(reluish, p->shift2 - 1);
    reluish = srdhm16(reluish, (int16_t)p->mult2);
    if (p->shift2 > 0) reluish = sat_shl16(reluish, 1);
    if (p->shift2 < 0) reluish = (int16_t)tfedge_rdivpot(reluish, -p->shift2);
    reluish = (int16_t)((reluish + (1 << 15)) >> 1);
    out = tfedge_rdivpot(sdhm16(reluish, x_out), -p->shift) + p->output_zp;
    output[i] = (int8_t)tfedge_clamp_i32(out, -128, 127);
  }
}
