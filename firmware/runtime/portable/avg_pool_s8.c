/* AVERAGE_POOL_2D, int8 (TFLM reference_integer_ops::AveragePool): the divisor counts only the
 * taps inside the image; the quotient rounds half away from zero. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void avg_pool_s8(const tfedge_pool_params *p, const int8_t *input, int8_t *output) {
  int32_t b, oy, ox, c, y, x;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->channels;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      const int32_t y_start = tfedge_max_i32(0, y0);
      const int32_t y_end = tfedge_min_i32(p->in_h, y0 + p->k_h);
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        const int32_t x_start = tfedge_max_i32(0, x0);
        const int32_t x_end = tfedge_min_i32(p->in_w, x0 + p->k_w);
        const int32_t count = (y_end - y_start) * (x_end - x_start);
        for (c = 0; c < p->channels; ++c) {
          int32_t acc = 0;
          for (y = y_start; y < y_end; ++y)
            for (x = x_start; x < x_end; ++x) acc += in_b[(y * p->in_w + x) * p->channels + c];
          if (count == 0) acc = 0; /* TFLM refuses such pools; never divide by zero */
          else acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          *output++ = (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}
