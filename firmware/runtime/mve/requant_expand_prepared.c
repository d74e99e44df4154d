/* portable/requant_expand_prepared.c for the Helium kernels: bias[] is derived only where the layer's Helium
 * path reads it (need_bias: the per-pixel depthwise loop, the direct conv of K > 1024; variants_mve.bias_read);
 * every other path of mve/conv_s8_nhwc.c and mve/depthwise_conv_s8_nhwc.c takes eb from arch_prep, so the
 * weight sums are not recomputed per inference. */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define TFEDGE_EXPAND_BIAS_ALWAYS 0
#endif
#include "../portable/requant_expand_prepared.c"
