/* LOGISTIC, int8 (TFLM reference_integer_ops::Logistic): input rescaled to Q4.27, gemmlowp's
 * fixed-point logistic, output in Q0.31 rounded to 1/256 steps with zero point -128. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

static int32_t logistic_q4(int32_t a) {
  int32_t r;
  if (a == 0) return (int32_t)1 << 30;
  if (a > 0) return tfedge_one_over_one_plus_x(tfedge_exp_on_negative_values(-a, 4));
  r = tfedge_one_over_one_plus_x(tfedge_exp_on_negative_values(a, 4));
  return tfedge_sub_wrap(TFEDGE_INT32_MAX, r);
}

void logistic_s8(const tfedge_act_params *p, const int8_t *input, int8_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    const int32_t x = input[i] - p->input_zp;
    if (x <= -p->range_radius) {
      output[i] = -128;
    } else if (x >= p->range_radius) {
      output[i] = 127;
    } else {
      const int32_t q = tfedge_rdivpot(logistic_q4(tfedge_mbqm(x, p->mult, p->shift)), 23) - 128;
      output[i] = (int8_t)tfedge_clamp_i32(q, -128, 127);
    }
  }
}
