/* TANH, int8 (TFLM reference_integer_ops::Tanh): input rescaled to Q4.27, gemmlowp's fixed-point
 * tanh, output in Q0.31 rounded to 1/128 steps (zero point 0). */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

static int32_t tanh_q4(int32_t a) {
  const int32_t n = a < 0 ? a : -a; /* -|a| */
  /* exp(2n): the raw Q4 value read as Q5 is 2n. */
  const int32_t t = tfedge_one_minus_x_over_one_plus_x(tfedge_exp_on_negative_values(n, 5));
  if (a == 0) return 0;
  return a < 0 ? -t : t;
}

void tanh_s8(const tfedge_act_params *p, const int8_t *input, int8_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    const int32_t x = input[i] - p->input_zp;
    if (x <= -p->range_radius) {
      output[i] = -128;
    } else if (x >= p->range_radius) {
      output[i] = 127;
    } else {
      const int32_t q = tfedge_rdivpot(tanh_q4(tfedge_mbqm(x, p->mult, p->shift)), 24);
      output[i] = (int8_t)tfedge_clamp_i32(q, -128, 127);
    }
  }
}
