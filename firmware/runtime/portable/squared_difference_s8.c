/* SQUARED_DIFFERENCE, int8, with broadcasting (TFLM squared_difference.cc): both inputs shifted left by
 * left_shift (7) and brought to a common scale, the difference squared, rescaled to the output. */
#include "tfedge_broadcast.h"
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

static int32_t squared_difference_one(const tfedge_binary_params *p, int32_t x1, int32_t x2) {
  const int32_t a = tfedge_mbqm((x1 + p->input1_offset) * (1 << p->left_shift), p->input1_mult, p->input1_shift);
  const int32_t b = tfedge_mbqm((x2 + p->input2_offset) * (1 << p->left_shift), p->input2_mult, p->input2_shift);
  const int32_t out = tfedge_mbqm((a - b) * (a - b), p->output_mult, p->output_shift) + p->output_offset;
  return tfedge_clamp_i32(out, p->act_min, p->act_max);
}

void squared_difference_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  TFEDGE_BROADCAST_4D(p, input1, input2, output, squared_difference_one(p, x1, x2));
}
