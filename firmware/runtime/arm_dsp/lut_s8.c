/* Elementwise int8 -> int8 through a 256-entry table (HARD_SWISH, ABS, RSQRT, GELU, ...); Cortex-M4/M7/M33.
 * Same result as portable/lut_s8.c: 4 elements per pass, one word loaded, each byte's table entry loaded
 * (UXTB with rotation indexes it), the 4 entries packed and stored as one word. */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/lut_s8.c"
#else
#include "tfedge_dsp.h"

void lut_s8(const tfedge_lut_params *p, const int8_t *input, int8_t *output) {
  const uint8_t *t = (const uint8_t *)p->table;
  const int32_t n = p->size;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) { /* in place is fine: each word is read before it is written */
    const uint32_t v = tfedge_ld32(input + i);
    tfedge_st32(output + i, (uint32_t)t[v & 0xff] | (uint32_t)t[(v >> 8) & 0xff] << 8 |
                                (uint32_t)t[(v >> 16) & 0xff] << 16 | (uint32_t)t[v >> 24] << 24);
  }
  for (; i < n; ++i) output[i] = (int8_t)t[(uint8_t)input[i]];
}
#endif
