/* TRANSPOSE_CONV, int8 (TFLM reference_integer_ops::TransposeConv). TFLM scatters each input pixel into
 * an int32 scratch image; here every output element gathers the input pixels that reach it instead
 * (in = (out + pad - k) / stride where that divides exactly): the same integer sums, no scratch.
 * Weights [out_c][k_h][k_w][in_c]; per-channel requantization as CONV_2D. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void transpose_conv_s8(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  int32_t b, oy, ox, oc, ky, kx, ic;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *image = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy)
      for (ox = 0; ox < p->out_w; ++ox)
        for (oc = 0; oc < p->out_c; ++oc) {
          int32_t acc = 0;
          for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t ty = oy + p->pad_top - ky;
            if (ty < 0 || ty % p->stride_h || ty / p->stride_h >= p->in_h) continue;
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t tx = ox + p->pad_left - kx;
              const int8_t *in, *w;
              if (tx < 0 || tx % p->stride_w || tx / p->stride_w >= p->in_w) continue;
              in = image + ((ty / p->stride_h) * p->in_w + tx / p->stride_w) * p->in_c;
              w = p->weights + ((oc * p->k_h + ky) * p->k_w + kx) * p->in_c;
              for (ic = 0; ic < p->in_c; ++ic) acc += (in[ic] + p->input_offset) * w[ic];
            }
          }
          if (p->bias) acc += p->bias[oc];
          acc = tfedge_mbqm(acc, p->mult[oc], p->shift[oc]) + p->output_offset;
          *output++ = (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
        }
  }
}
