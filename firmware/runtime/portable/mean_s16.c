/* MEAN, int16 (TFLM's integer mean for int16: the arithmetic of mean_s8, see tfedge_elementwise.h). */
#include "tfedge_elementwise.h"

void mean_s16(const tfedge_reduce_params *p, const int16_t *input, int16_t *output) {
  TFEDGE_MEAN_LOOP(int16_t, -32768, 32767);
}
