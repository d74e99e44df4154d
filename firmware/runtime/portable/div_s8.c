/* DIV, int8, with broadcasting (TFLM reference_ops::DivElementwise): the divisor's reciprocal in fixed
 * point (GetReciprocal), the dividend normalised by its leading sign bits, one rescale at the end. */
#include "tfedge_broadcast.h"
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

static int8_t div_one(const tfedge_binary_params *p, int32_t x1, int32_t x2) {
  int32_t headroom, recip_shift, inv, quotient, e, out;
  if (x2 == 0) return (int8_t)(x1 >= 0 ? p->act_max : p->act_min); /* undefined in TFLM (a DCHECK) */
  if (x2 < 0) { /* the reciprocal must be positive */
    x1 = -x1;
    x2 = -x2;
  }
  headroom = tfedge_clz32((uint32_t)x2);
  recip_shift = 31 - headroom;
  inv = tfedge_one_over_one_plus_x((int32_t)(((uint32_t)x2 << headroom) - 0x80000000u));
  headroom = (x1 >= 0 ? tfedge_clz32((uint32_t)x1) : tfedge_clz32(~(uint32_t)x1)) - 1; /* CountLeadingSignBits */
  quotient = tfedge_srdhm(tfedge_shl_wrap(x1, headroom), inv);
  e = -(p->output_shift - recip_shift - headroom);
  quotient = tfedge_srdhm(quotient, p->output_mult);
  /* A tiny dividend (|x1| < a few LSB) asks TFLM for a rounding shift of 32 or more, undefined in C++: on
   * x86 TFLM and LiteRT then return about the largest quotient instead of 0 (a plainly wrong output);
   * here the shift saturates and the quotient rounds to 0 as the arithmetic means. */
  out = e < 32 ? tfedge_rdivpot(quotient, e > 0 ? e : 0) : 0;
  out += p->output_offset;
  return (int8_t)tfedge_clamp_i32(out, p->act_min, p->act_max);
}

void div_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  TFEDGE_BROADCAST_4D(p, input1, input2, output, div_one(p, x1 + p->input1_offset, x2 + p->input2_offset));
}
