/* PRELU, int8, alpha broadcast against the input (TFLM BroadcastPrelu4DSlow): x >= 0 is rescaled by
 * input1_mult/shift, x < 0 multiplied by alpha and rescaled by input2_mult/shift (input2 = alpha). */
#include "tfedge_broadcast.h"
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

static int32_t prelu_one(const tfedge_binary_params *p, int32_t x, int32_t alpha) {
  const int32_t v = x + p->input1_offset;
  const int32_t out = v >= 0 ? tfedge_mbqm(v, p->input1_mult, p->input1_shift)
                             : tfedge_mbqm(v * (alpha + p->input2_offset), p->input2_mult, p->input2_shift);
  return tfedge_clamp_i32(out + p->output_offset, p->act_min, p->act_max);
}

void prelu_s8(const tfedge_binary_params *p, const int8_t *input, const int8_t *alpha, int8_t *output) {
  TFEDGE_BROADCAST_4D(p, input, alpha, output, prelu_one(p, x1, x2));
}
