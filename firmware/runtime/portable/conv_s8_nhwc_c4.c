/* CONV_2D with clustered weights stored as 4-bit indices into a codebook (see docs/compression.md).
 *
 * Each output channel's k_h*k_w*in_c indices are packed two per byte (low nibble first, rows padded to a
 * whole byte); codebook + oc * codebook_stride holds its 16 int8 values (stride 0: one per layer).
 * The filter of one output channel is decoded once into a stack buffer (the compiler guarantees
 * k_h*k_w*in_c <= TFEDGE_C4_MAX_K) and reused for every pixel, so the decode costs K steps per
 * channel instead of per MAC; the arithmetic is conv_s8_nhwc's, bit for bit. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

void tfedge_decode_c4(const uint8_t *indices, const int8_t *codebook, int32_t n, int8_t *out) {
  int32_t i;
  for (i = 0; i + 1 < n; i += 2) {
    const uint8_t b = indices[i >> 1];
    out[i] = codebook[b & 15];
    out[i + 1] = codebook[b >> 4];
  }
  if (i < n) out[i] = codebook[indices[i >> 1] & 15];
}

void conv_s8_nhwc_c4(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  int8_t w_oc[TFEDGE_C4_MAX_K];
  const int32_t k = p->k_h * p->k_w * p->in_c, row_bytes = (k + 1) / 2;
  int32_t b, oy, ox, oc, ky, kx, ic;
  for (oc = 0; oc < p->out_c; ++oc) {
    tfedge_decode_c4(p->indices + oc * row_bytes, p->codebook + oc * p->codebook_stride, k, w_oc);
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
            if (y < 0 || y >= p->in_h) continue; /* padding contributes nothing */
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t x = x0 + kx * p->dil_w;
              const int8_t *in_px;
              const int8_t *w_px;
              if (x < 0 || x >= p->in_w) continue;
              in_px = in_b + (y * p->in_w + x) * p->in_c;
              w_px = w_oc + (ky * p->k_w + kx) * p->in_c;
              for (ic = 0; ic < p->in_c; ++ic) acc += (in_px[ic] + p->input_offset) * w_px[ic];
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
