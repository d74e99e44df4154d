/* Elementwise int8 -> int8 ops through a 256-entry table indexed by the input byte (ABS, RSQRT, GELU):
 * the compiler evaluates the reference arithmetic (TFLM's integer code, or LiteRT's float
 * LUTPopulate) on every input value and ships the table. One load per element. */
#include "tfedge_kernels.h"

void lut_s8(const tfedge_lut_params *p, const int8_t *input, int8_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) output[i] = p->table[(uint8_t)input[i]];
}
