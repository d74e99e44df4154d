/* MINIMUM, int16, with broadcasting: maximum_s8's raw comparison (TFLM MaximumMinimumBroadcastSlow<int16_t>;
 * inputs and output share one quantization, the compiler checks), on the binary loop the int16 ADD/SUB/MUL
 * kernels share. */
#include "tfedge_elementwise.h"

static inline int32_t min_one(const tfedge_binary_params *p, int32_t a, int32_t b) {
  (void)p;
  return tfedge_min_i32(a, b);
}

void minimum_s16(const tfedge_binary_params *p, const int16_t *input1, const int16_t *input2, int16_t *output) {
  TFEDGE_BINARY_LOOP(int16_t, min_one);
}
