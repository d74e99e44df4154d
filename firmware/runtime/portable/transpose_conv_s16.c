/* TRANSPOSE_CONV, int16x8 (TFLM reference_integer_ops::TransposeConv for int16 input): int16 activations
 * (zero points 0), int8 weights [out_c][k_h][k_w][in_c], int64 bias and accumulators, the int64
 * MultiplyByQuantizedMultiplier. As transpose_conv_s8, each output gathers the input pixels that reach it
 * (TFLM scatters them into an int64 scratch image): the same sums, no scratch. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void transpose_conv_s16(const tfedge_conv_s16_params *p, const int16_t *input, int16_t *output) {
  int32_t b, oy, ox, oc, ky, kx, ic;
  for (b = 0; b < p->batches; ++b) {
    const int16_t *image = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy)
      for (ox = 0; ox < p->out_w; ++ox)
        for (oc = 0; oc < p->out_c; ++oc) {
          int64_t acc = 0;
          int32_t v;
          for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t ty = oy + p->pad_top - ky;
            if (ty < 0 || ty % p->stride_h || ty / p->stride_h >= p->in_h) continue;
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t tx = ox + p->pad_left - kx;
              const int16_t *in;
              const int8_t *w;
              if (tx < 0 || tx % p->stride_w || tx / p->stride_w >= p->in_w) continue;
              in = image + ((ty / p->stride_h) * p->in_w + tx / p->stride_w) * p->in_c;
              w = p->weights + ((oc * p->k_h + ky) * p->k_w + kx) * p->in_c;
              for (ic = 0; ic < p->in_c; ++ic) acc += (int32_t)in[ic] * w[ic];
            }
          }
          if (p->bias) acc += p->bias[oc];
          v = tfedge_mbqm64(acc, p->mult[oc], p->shift[oc]);
          *output++ = (int16_t)tfedge_clamp_i32(v, p->act_min, p->act_max);
        }
  }
}
