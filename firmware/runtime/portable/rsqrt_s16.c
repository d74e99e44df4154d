/* RSQRT, int16 (TFLM elementwise.cc RsqrtEvalQuantized<int16_t>): per element, 1/sqrt(x - zp_in) as
 * GetInvSqrtQuantizedMultiplierExp's multiplier/shift (Newton-Raphson in Q3.28, kReverseShift -1), applied to 1
 * with kShift 20 of headroom, then rescaled by mult/shift (of 1 / (sqrt(s_in) * s_out)), + zp_out. The int8 RSQRT
 * is a compile-time table of the same arithmetic (tfedge/compiler/fixedpoint.py inv_sqrt_multiplier_exp);
 * 65,536 int16 inputs are too many for a table. An input at or below the zero point gives 32767: TFLM returns
 * the largest value for 0 and stops the invoke below it. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

#define RSQRT_K_SHIFT 20

static void inv_sqrt_multiplier_exp(int32_t value, int32_t *multiplier, int32_t *shift) {
  const int32_t half_three = (1 << 28) + (1 << 27);
  int32_t s = 11, pairs, x_in, half_in, x = 1 << 28, it;
  if (value <= 1) {
    *multiplier = TFEDGE_INT32_MAX;
    *shift = 0;
    return;
  }
  while (value >= (1 << 29)) {
    value /= 4;
    ++s;
  }
  pairs = (tfedge_clz32((uint32_t)value) - 1) / 2 - 1;
  s -= pairs;
  value <<= 2 * pairs;
  x_in = value >> 1; /* Q3.28 */
  half_in = tfedge_rdivpot(x_in, 1);
  for (it = 0; it < 5; ++it) {
    const int32_t x3 = tfedge_sat_shl(tfedge_srdhm(tfedge_srdhm(x, x), x), 6); /* Q9 back to Q3 */
    x = tfedge_sat_shl(tfedge_sub_wrap(tfedge_srdhm(half_three, x), tfedge_srdhm(half_in, x3)), 3);
  }
  x = tfedge_srdhm(x, 1518500250); /* * sqrt(2)/2 */
  if (s < 0) {
    x = tfedge_shl_wrap(x, -s);
    s = 0;
  }
  *multiplier = x;
  *shift = -s;
}

void rsqrt_s16(const tfedge_quant_params *p, const int16_t *input, int16_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    const int32_t v = input[i] + p->input_offset;
    int32_t m, s, data;
    if (v <= 0) {
      output[i] = 32767;
      continue;
    }
    inv_sqrt_multiplier_exp(v, &m, &s);
    data = tfedge_mbqm(1, m, s + RSQRT_K_SHIFT);
    output[i] = (int16_t)tfedge_clamp_i32(tfedge_mbqm(data, p->mult, p->shift - RSQRT_K_SHIFT) + p->output_offset,
                                          -32768, 32767);
  }
}
