/* CONV_2D, int8 NHWC, packed weights (layout in tfedge_kernels.h): the reference for the fast
 * paths in arm_dsp/ and mve/. Same arithmetic as conv_s8_nhwc; only the weight addressing differs. */
#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"
#include "tfedge_requant_ref.h"

static inline int32_t packed_weight(const tfedge_conv_params *p, int32_t k_padded, int32_t oc, int32_t k) {
  static const int32_t lane[4] = {0, 2, 1, 3}; /* int16: [k0 k2 k1 k3], the order SXTB16 / ROR 8 give */
  const int32_t at = (oc >> 1) * 2 * k_padded + (k >> 2) * 8 + (oc & 1) * 4;
  if (p->weights_i8) return p->weights[at + (k & 3)]; /* int8: [k0 k1 k2 k3], widened by the kernel */
  return ((const int16_t *)(const void *)p->weights)[at + lane[k & 3]];
}

void conv_packed_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t k_padded = (p->k_h * p->k_w * p->in_c + 3) & ~3;
  const int32_t n = p->const_row ? p->live_c : p->out_c; /* channels in the packed weights */
  int32_t b, oy, ox, j, ky, kx, ic;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      for (ox = 0; ox < p->out_w; ++ox, output += p->out_c) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        if (p->const_row) /* constant channels (the others are overwritten below) */
          for (j = 0; j < p->out_c; ++j) output[j] = p->const_row[j];
        for (j = 0; j < n; ++j) {
          const int32_t oc = p->const_row ? p->live_map[j] : j;
          int32_t acc = 0;
          for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t y = y0 + ky * p->dil_h;
            if (y < 0 || y >= p->in_h) continue; /* padding contributes nothing */
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t x = x0 + kx * p->dil_w;
              const int8_t *in_px;
              const int32_t k0 = (ky * p->k_w + kx) * p->in_c;
              if (x < 0 || x >= p->in_w) continue;
              in_px = in_b + (y * p->in_w + x) * p->in_c;
              for (ic = 0; ic < p->in_c; ++ic)
                acc += (in_px[ic] + p->input_offset) * packed_weight(p, k_padded, j, k0 + ic);
            }
          }
          acc = tfedge_requant_ref(acc, &p->rq[j], p->output_offset); /* the records: bias, mult, shift */
          output[oc] = (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}
