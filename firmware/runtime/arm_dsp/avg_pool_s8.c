/* AVERAGE_POOL_2D, int8; Cortex-M4/M7/M33 DSP extension. Same arithmetic as portable/avg_pool_s8.c:
 * channels a multiple of 4 and windows of at most 256 taps sum 4 channels per word in 16-bit lanes
 * (SXTAB16: |sum| <= 256 * 128 fits int16), then widen and divide like TFLM. Else the portable loop, linked only
 * where a layer needs it (AVG_POOL_REF, ops/pool.py). */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/avg_pool_s8.c"
#else
#include "tfedge_dsp.h"
#include "tfedge_fixedpoint.h"

#if TFEDGE_USES(AVG_POOL_REF)
#define avg_pool_s8 avg_pool_s8_ref
#include "../portable/avg_pool_s8.c"
#undef avg_pool_s8
#endif

static inline int32_t avg_div(int32_t acc, int32_t count) {
  return acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
}

void avg_pool_s8(const tfedge_pool_params *p, const int8_t *input, int8_t *output) {
  const int32_t c_n = p->channels;
  int32_t b, oy, ox, c, y, x;
#if TFEDGE_USES(AVG_POOL_REF)
  if ((c_n & 3) || p->k_h * p->k_w > 256) {
    avg_pool_s8_ref(p, input, output);
    return;
  }
#else
  if ((c_n & 3) || p->k_h * p->k_w > 256) __builtin_trap(); /* not reached: model.h names AVG_POOL_REF for such layers */
#endif
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * c_n;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      const int32_t y_start = tfedge_max_i32(0, y0), y_end = tfedge_min_i32(p->in_h, y0 + p->k_h);
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        const int32_t x_start = tfedge_max_i32(0, x0), x_end = tfedge_min_i32(p->in_w, x0 + p->k_w);
        const int32_t count = (y_end - y_start) * (x_end - x_start);
        for (c = 0; c < c_n; c += 4) {
          uint32_t even = 0, odd = 0; /* [c0 c2], [c1 c3] in 16-bit lanes */
          int32_t s0, s1, s2, s3;
          for (y = y_start; y < y_end; ++y) {
            const int8_t *q = in_b + (y * p->in_w + x_start) * c_n + c;
            for (x = x_start; x < x_end; ++x, q += c_n) {
              const uint32_t v = tfedge_ld32(q);
              even = __sxtab16(even, v);
              odd = tfedge_sxtab16_ror8(odd, v);
            }
          }
          s0 = (int16_t)(even & 0xffffu), s2 = (int16_t)(even >> 16);
          s1 = (int16_t)(odd & 0xffffu), s3 = (int16_t)(odd >> 16);
          if (count == 0) s0 = s1 = s2 = s3 = 0; /* TFLM refuses such pools; never divide by zero */
          else s0 = avg_div(s0, count), s1 = avg_div(s1, count), s2 = avg_div(s2, count), s3 = avg_div(s3, count);
          output[0] = (int8_t)tfedge_clamp_i32(s0, p->act_min, p->act_max);
          output[1] = (int8_t)tfedge_clamp_i32(s1, p->act_min, p->act_max);
          output[2] = (int8_t)tfedge_clamp_i32(s2, p->act_min, p->act_max);
          output[3] = (int8_t)tfedge_clamp_i32(s3, p->act_min, p->act_max);
          output += 4;
        }
      }
    }
  }
}
#endif
