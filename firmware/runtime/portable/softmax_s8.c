/* SOFTMAX, int8 in and out (TFLM's int8 path = TFLite reference_ops::Softmax, gemmlowp fixed point):
 * exp of the scaled differences to the row maximum in Q5.26, summed in Q12.19, times a fixed-point
 * reciprocal of the sum. The output is quantized with scale 1/256 and zero point -128. */
#include "tfedge_uses.h"

TFEDGE_COLD_BEGIN /* once per inference over the classes (before the includes: their inline helpers too) */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void softmax_s8(const tfedge_softmax_params *p, const int8_t *input, int8_t *output) {
  int32_t i, c;
  for (i = 0; i < p->outer; ++i) {
    const int8_t *in = input + i * p->depth;
    int8_t *out = output + i * p->depth;
    int32_t max_in_row = -128;
    int32_t sum_of_exps = 0; /* Q12.19 */
    int num_bits_over_unit, headroom_plus_one;
    int32_t shifted_scale;
    for (c = 0; c < p->depth; ++c) max_in_row = tfedge_max_i32(max_in_row, in[c]);
    for (c = 0; c < p->depth; ++c) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= p->diff_min) {
        const int32_t rescaled = tfedge_srdhm(tfedge_shl_wrap(diff, p->input_left_shift), p->input_mult);
        sum_of_exps = tfedge_add_wrap(sum_of_exps, tfedge_rdivpot(tfedge_exp_on_negative_values(rescaled, 5), 12));
      }
    }
    /* GetReciprocal(sum_of_exps, 12 integer bits). */
    headroom_plus_one = tfedge_clz32((uint32_t)sum_of_exps);
    num_bits_over_unit = 12 - headroom_plus_one;
    shifted_scale = tfedge_one_over_one_plus_x(
        (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31)));
    for (c = 0; c < p->depth; ++c) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= p->diff_min) {
        const int32_t rescaled = tfedge_srdhm(tfedge_shl_wrap(diff, p->input_left_shift), p->input_mult);
        const int32_t exp_in_0 = tfedge_exp_on_negative_values(rescaled, 5);
        const int32_t unsat = tfedge_rdivpot(tfedge_srdhm(shifted_scale, exp_in_0), num_bits_over_unit + 31 - 8);
        out[c] = (int8_t)tfedge_clamp_i32(unsat - 128, -128, 127);
      } else {
        out[c] = -128;
      }
    }
  }
}
TFEDGE_COLD_END
