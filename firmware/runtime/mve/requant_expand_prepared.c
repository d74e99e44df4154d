/* portable/requant_expand_prepared.c for the Helium kernels: bias[] is derived only where the layer's Helium
 * path reads it (p->bias in the arena: the per-pixel depthwise loop, the direct conv of K > 1024; variants_mve.bias_read);
 * every other path of mve/conv_s8_nhwc.c and mve/depthwise_conv_s8_nhwc.c takes eb from arch_prep, so the
 * weight sums are not recomputed per inference. The 2-word channels are split 4 at a time (VLD20/VLD21). */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>
#include <stdint.h>

#define TFEDGE_EXPAND_WORDS_HEAD(compact, n, eb, mult, shift) expand_words4((compact), (n), (eb), (mult), (shift))

/* eb, mult and shift of the first n & ~3 channels of the 2-word form; returns that count. */
static int32_t expand_words4(const int32_t *compact, int32_t n, int32_t *eb, int32_t *mult, int32_t *shift) {
  int32_t c;
  for (c = 0; c + 4 <= n; c += 4) {
    const int32x4x2_t w = vld2q_s32(compact + 2 * c); /* val[0]: bias << 6 | code, val[1]: mult */
    vstrwq_s32(eb + c, vshrq_n_s32(w.val[0], 6));
    vstrwq_s32(shift + c, vnegq_s32(vandq_s32(w.val[0], vdupq_n_s32(63))));
    vstrwq_s32(mult + c, w.val[1]);
  }
  return c;
}
#endif
#include "../portable/requant_expand_prepared.c"
