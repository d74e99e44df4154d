/* HARD_SWISH, int8, Helium (Cortex-M55). Same contract and bit-exact results as
 * portable/hard_swish_s8.c (TFLite reference_ops::HardSwish).
 *
 * The output depends only on the input byte, so for a layer of more than LUT_MIN elements the portable
 * kernel itself computes all 256 outputs once per call (about 83 instructions each) into a table, and
 * the layer is 16 gather loads per VLDRB (byte offsets = the input bytes) and one store: ~0.2
 * instructions per element instead of ~83. Smaller layers run the portable loop. */
#include "tfedge_kernels.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_mve.h"

#define hard_swish_s8 tfedge_portable_hard_swish_s8
#include "../portable/hard_swish_s8.c"
#undef hard_swish_s8

#define LUT_MIN 512

void hard_swish_s8(const tfedge_act_params *p, const int8_t *input, int8_t *output) {
  int8_t bytes[256] __attribute__((aligned(16))), table[256] __attribute__((aligned(16)));
  tfedge_act_params all = *p;
  int32_t i;
  if (p->size < LUT_MIN) {
    tfedge_portable_hard_swish_s8(p, input, output);
    return;
  }
  for (i = 0; i < 256; i += 16) vstrbq_u8((uint8_t *)bytes + i, vidupq_n_u8((uint32_t)i, 1)); /* byte j = j */
  all.size = 256;
  tfedge_portable_hard_swish_s8(&all, bytes, table); /* table[j] = hard_swish((int8_t)j) */
  tfedge_mve_lut(table, input, output, p->size);
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/hard_swish_s8.c"
#endif
