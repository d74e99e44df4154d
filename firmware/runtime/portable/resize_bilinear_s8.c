/* RESIZE_BILINEAR, int8 (TFLM ResizeBilinearInteger): 10-bit fixed-point source positions precomputed per
 * output row (y0, y1, wy) and column (x0, x1, wx) by the compiler; the four-tap sum in 20 fractional bits
 * (fits int32: |x| <= 128 and the weights' absolute sum <= 2^22), rounded half away from zero. */
#include "tfedge_kernels.h"

void resize_bilinear_s8(const tfedge_resize_bilinear_params *p, const int8_t *input, int8_t *output) {
  const int32_t c_n = p->channels, row = p->in_w * c_n;
  int32_t b, y, x, c;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *image = input + b * p->in_h * row;
    for (y = 0; y < p->out_h; ++y) {
      const int8_t *r0 = image + p->y0[y] * row, *r1 = image + p->y1[y] * row;
      const int32_t wy1 = p->wy[y], wy0 = 1024 - wy1;
      for (x = 0; x < p->out_w; ++x) {
        const int32_t a = p->x0[x] * c_n, d = p->x1[x] * c_n;
        const int32_t wx1 = p->wx[x], wx0 = 1024 - wx1;
        for (c = 0; c < c_n; ++c) {
          const int32_t sum = r0[a + c] * wy0 * wx0 + r1[a + c] * wy1 * wx0 + r0[d + c] * wy0 * wx1 + r1[d + c] * wy1 * wx1;
          *output++ = (int8_t)((sum + (sum > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20));
        }
      }
    }
  }
}
