/* ABS, int16 (TFLM elementwise.cc AbsEvalQuantized<int16_t>): |x - zp_in| (32768 for -32768 with zero point
 * 0: int32 arithmetic, as TFLM), rescaled by mult/shift, + zp_out, clamped to int16. Where TFLM skips the
 * rescale (equal scales) the compiler passes the identity multiplier (2^30, shift 1), exact for every int16. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void abs_s16(const tfedge_quant_params *p, const int16_t *input, int16_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    int32_t v = input[i] + p->input_offset;
    v = v < 0 ? -v : v;
    output[i] = (int16_t)tfedge_clamp_i32(tfedge_mbqm(v, p->mult, p->shift) + p->output_offset, -32768, 32767);
  }
}
