/* MAX_POOL_2D, int8, Helium (Cortex-M55). Same contract and bit-exact results as
 * portable/max_pool_s8.c (TFLM reference_integer_ops::MaxPool): 16 channels per VMAX over the taps
 * inside the image, then the activation clamp, stored with a tail predicate. */
#include "tfedge_kernels.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_fixedpoint.h"
#include "tfedge_mve.h"

void max_pool_s8(const tfedge_pool_params *p, const int8_t *input, int8_t *output) {
  const int32_t C = p->channels;
  const int8x16_t lo = vdupq_n_s8((int8_t)tfedge_clamp_i32(p->act_min, -128, 127));
  const int8x16_t hi = vdupq_n_s8((int8_t)tfedge_clamp_i32(p->act_max, -128, 127));
  int32_t b, oy, ox, c, y, x;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * C;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      const int32_t y_start = tfedge_max_i32(0, y0);
      const int32_t y_end = tfedge_min_i32(p->in_h, y0 + p->k_h);
      for (ox = 0; ox < p->out_w; ++ox, output += C) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        const int32_t x_start = tfedge_max_i32(0, x0);
        const int32_t x_end = tfedge_min_i32(p->in_w, x0 + p->k_w);
        for (c = 0; c < C; c += 16) {
          const mve_pred16_t pr = vctp8q((uint32_t)(C - c));
          int8x16_t m = vdupq_n_s8(-128);
          for (y = y_start; y < y_end; ++y) {
            const int8_t *px = in_b + (y * p->in_w + x_start) * C + c;
            for (x = x_start; x < x_end; ++x, px += C) m = vmaxq_s8(m, vldrbq_z_s8(px, pr));
          }
          vstrbq_p_s8(output + c, vminq_s8(vmaxq_s8(m, lo), hi), pr);
        }
      }
    }
  }
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/max_pool_s8.c"
#endif
