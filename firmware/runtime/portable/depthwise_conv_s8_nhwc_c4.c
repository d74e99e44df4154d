/* DEPTHWISE_CONV_2D with clustered weights as 4-bit codebook indices (see conv_s8_nhwc_c4.c): each output
 * channel's k_h*k_w taps are packed in their own index row; decoded once per channel, then every pixel
 * of that channel is computed exactly as depthwise_conv_s8_nhwc does. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void depthwise_conv_s8_nhwc_c4(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  int8_t taps[TFEDGE_C4_MAX_K];
  const int32_t k = p->k_h * p->k_w, row_bytes = (k + 1) / 2;
  int32_t b, oy, ox, oc, ky, kx;
  for (oc = 0; oc < p->out_c; ++oc) {
    const int32_t ic = oc / p->depth_multiplier;
    tfedge_decode_c4(p->indices + oc * row_bytes, p->codebook + oc * p->codebook_stride, k, taps);
    for (b = 0; b < p->batches; ++b) {
      const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
      int8_t *out_b = output + b * p->out_h * p->out_w * p->out_c + oc;
      for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t y0 = oy * p->stride_h - p->pad_top;
        for (ox = 0; ox < p->out_w; ++ox) {
          const int32_t x0 = ox * p->stride_w - p->pad_left;
          int32_t acc = 0;
          for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t y = y0 + ky * p->dil_h;
            if (y < 0 || y >= p->in_h) continue;
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t x = x0 + kx * p->dil_w;
              if (x < 0 || x >= p->in_w) continue;
              acc += (in_b[(y * p->in_w + x) * p->in_c + ic] + p->input_offset) * taps[ky * p->k_w + kx];
            }
          }
          if (p->bias) acc += p->bias[oc];
          acc = tfedge_mbqm(acc, p->mult[oc], p->shift[oc]) + p->output_offset;
          out_b[(oy * p->out_w + ox) * p->out_c] = (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}
