/* SOFTMAX, int16 (TFLM reference_ops::SoftmaxInt16): exp(x - max) through a 513-entry LUT over
 * [-10, 0], the sum's reciprocal through a 1/(1+x) LUT over [0, 1]; both LUTs are prepare-time data. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

/* TFLM generic_int16_table_lookup: 512 intervals, linear interpolation on the 7 low bits. */
int16_t tfedge_int16_lut(int16_t value, const int16_t *lut) {
  const int32_t index = 256 + (value >> 7);
  const int32_t offset = value & 0x7f;
  const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
  return (int16_t)(lut[index] + ((slope * offset + 64) >> 7));
}

void softmax_s16(const tfedge_softmax_s16_params *p, const int16_t *input, int16_t *output) {
  int32_t i, c;
  for (i = 0; i < p->outer; ++i) {
    const int16_t *in = input + i * p->depth;
    int16_t *out = output + i * p->depth; /* holds the exps until the last loop, as in TFLM */
    int32_t max_in_row = -32768, sum = 0, shifted_sum;
    int headroom_plus_one, right_shift;
    int16_t reciprocal;
    for (c = 0; c < p->depth; ++c) max_in_row = tfedge_max_i32(max_in_row, in[c]);
    for (c = 0; c < p->depth; ++c) {
      const int32_t scaled = tfedge_mbqm(in[c] - max_in_row, p->input_mult, p->input_left_shift) + 32767;
      out[c] = tfedge_int16_lut((int16_t)tfedge_clamp_i32(scaled, -32768, 32767), p->exp_lut);
      sum += out[c];
    }
    headroom_plus_one = tfedge_clz32((uint32_t)sum);
    shifted_sum = (int32_t)((((int64_t)sum << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
    reciprocal = tfedge_int16_lut((int16_t)tfedge_clamp_i32(shifted_sum - ((1 << 15) + (1 << 16)), -32768, 32767),
                                  p->one_over_one_plus_x_lut);
    right_shift = 31 - headroom_plus_one;
    for (c = 0; c < p->depth; ++c) {
      const int32_t r = (int32_t)(((int64_t)out[c] * reciprocal + ((int64_t)1 << (right_shift - 1))) >> right_shift);
      out[c] = (int16_t)tfedge_clamp_i32(r, 0, 32767);
    }
  }
}
