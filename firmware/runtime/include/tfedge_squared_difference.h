/* The SQUARED_DIFFERENCE element of TFLM squared_difference.cc, shared by squared_difference_s8 (left_shift 7)
 * and squared_difference_s16 (left_shift 0): both inputs shifted and brought to a common scale, the difference
 * squared (at most 2^30 for either type), rescaled to the output, clamped to act_min..act_max. */
#ifndef TFEDGE_SQUARED_DIFFERENCE_H
#define TFEDGE_SQUARED_DIFFERENCE_H

#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

static inline int32_t tfedge_squared_difference_one(const tfedge_binary_params *p, int32_t x1, int32_t x2) {
  const int32_t a = tfedge_mbqm((x1 + p->input1_offset) * (1 << p->left_shift), p->input1_mult, p->input1_shift);
  const int32_t b = tfedge_mbqm((x2 + p->input2_offset) * (1 << p->left_shift), p->input2_mult, p->input2_shift);
  const int32_t out = tfedge_mbqm((a - b) * (a - b), p->output_mult, p->output_shift) + p->output_offset;
  return tfedge_clamp_i32(out, p->act_min, p->act_max);
}

#endif
