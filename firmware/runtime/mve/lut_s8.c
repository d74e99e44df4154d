/* Elementwise int8 -> int8 through a 256-entry table (HARD_SWISH, ABS, RSQRT, GELU, SQRT, ...); Cortex-M55.
 * Same result as portable/lut_s8.c: the table the compiler computed is read by byte-offset gather loads,
 * 16 elements per VLDRB (the input bytes are the offsets), the tail predicated. In place is fine. */
#if !(defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1))
#include "../portable/lut_s8.c"
#else
#include "tfedge_kernels.h"
#include "tfedge_mve.h"

void lut_s8(const tfedge_lut_params *p, const int8_t *input, int8_t *output) {
  tfedge_mve_lut(p->table, input, output, p->size);
}
#endif
