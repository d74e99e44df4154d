/* DEPTHWISE_CONV_2D int16x8, Helium (Cortex-M55). Same results as portable/depthwise_conv_s16_nhwc.c (TFLM
 * reference_integer_ops::DepthwiseConvPerChannel for int16 input). Depth multiplier 1: 4 channels as int32
 * lanes (input widened by VLDRH.S32, weights by VLDRB.S32, VMUL + VADD per tap: MVE has no vector x vector
 * multiply-accumulate), taps outside the image skipped (zero point 0). A product is below 2^22 in magnitude,
 * so up to 511 taps sum exactly in int32; TFLM's int64 sum, the int64 bias and requantization follow per
 * output. Other multipliers and larger windows run the portable loops. */
#include "tfedge_kernels.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_fixedpoint.h"
#include "tfedge_mve.h"

#define depthwise_conv_s16_nhwc depthwise_conv_s16_nhwc_ref
#include "../portable/depthwise_conv_s16_nhwc.c"
#undef depthwise_conv_s16_nhwc

#define MAX_EXACT_TAPS 511 /* 511 * 2^15 * 2^7 < 2^31 */

void depthwise_conv_s16_nhwc(const tfedge_conv_s16_params *p, const int16_t *input, int16_t *output) {
  const int32_t in_h = p->in_h, in_w = p->in_w, c_n = p->out_c, k_h = p->k_h, k_w = p->k_w;
  const int32_t dil_h = p->dil_h, dil_w = p->dil_w, act_min = p->act_min, act_max = p->act_max;
  const int8_t *weights = p->weights;
  const int64_t *bias = p->bias;
  const int32_t *mult = p->mult, *shift = p->shift;
  int32_t sums[4] __attribute__((aligned(16)));
  int32_t b, oy, ox, c, ky, kx, j;
  if (p->depth_multiplier != 1 || k_h * k_w > MAX_EXACT_TAPS) {
    depthwise_conv_s16_nhwc_ref(p, input, output);
    return;
  }
  for (b = 0; b < p->batches; ++b) {
    const int16_t *in_b = input + b * in_h * in_w * c_n;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        for (c = 0; c < c_n; c += 4) {
          const int32_t count = tfedge_min_i32(4, c_n - c);
          const mve_pred16_t pr = vctp32q((uint32_t)count);
          int32x4_t acc = vdupq_n_s32(0);
          for (ky = 0; ky < k_h; ++ky) {
            const int32_t y = y0 + ky * dil_h;
            if (y < 0 || y >= in_h) continue;
            for (kx = 0; kx < k_w; ++kx) {
              const int32_t x = x0 + kx * dil_w;
              if (x < 0 || x >= in_w) continue;
              acc = vaddq_s32(acc, vmulq_s32(vldrhq_z_s32(in_b + (y * in_w + x) * c_n + c, pr),
                                             vldrbq_z_s32(weights + (ky * k_w + kx) * c_n + c, pr)));
            }
          }
          vstrwq_s32(sums, acc);
          for (j = 0; j < count; ++j) {
            const int64_t a = (int64_t)sums[j] + (bias ? bias[c + j] : 0);
            *output++ = (int16_t)tfedge_clamp_i32(tfedge_mbqm64(a, mult[c + j], shift[c + j]), act_min, act_max);
          }
        }
      }
    }
  }
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/depthwise_conv_s16_nhwc.c"
#endif
