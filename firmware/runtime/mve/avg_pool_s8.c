/* AVERAGE_POOL_2D, int8, Helium (Cortex-M55). Same contract and bit-exact results as
 * portable/avg_pool_s8.c (TFLM reference_integer_ops::AveragePool).
 *
 * The window sums are vectorised over channels (4 int32 lanes, widening byte loads, one add per tap);
 * the rounding division by the number of taps inside the image (half away from zero) stays scalar,
 * once per output. */
#include "tfedge_kernels.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_fixedpoint.h"
#include "tfedge_mve.h"

void avg_pool_s8(const tfedge_pool_params *p, const int8_t *input, int8_t *output) {
  const int32_t C = p->channels;
  int32_t sums[4] __attribute__((aligned(16)));
  int32_t b, oy, ox, c, y, x, l;
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
        const int32_t count = (y_end - y_start) * (x_end - x_start);
        for (c = 0; c < C; c += 4) {
          const mve_pred16_t pr = vctp32q((uint32_t)(C - c));
          int32x4_t acc = vdupq_n_s32(0);
          for (y = y_start; y < y_end; ++y) {
            const int8_t *px = in_b + (y * p->in_w + x_start) * C + c;
            for (x = x_start; x < x_end; ++x, px += C) acc = vaddq_s32(acc, vldrbq_z_s32(px, pr));
          }
          vstrwq_s32(sums, acc);
          for (l = 0; l < 4 && c + l < C; ++l) {
            int32_t a = sums[l];
            if (count == 0) a = 0; /* TFLM refuses such pools; never divide by zero */
            else a = a > 0 ? (a + count / 2) / count : (a - count / 2) / count;
            output[c + l] = (int8_t)tfedge_clamp_i32(a, p->act_min, p->act_max);
          }
        }
      }
    }
  }
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/avg_pool_s8.c"
#endif
