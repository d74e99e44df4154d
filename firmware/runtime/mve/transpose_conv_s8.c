/* TRANSPOSE_CONV, int8, Helium (Cortex-M55). Same sums and results as portable/transpose_conv_s8.c (TFLM
 * reference_integer_ops::TransposeConv), with the compile-time data of tfedge/compiler/variants_mve.py
 * (transpose_conv_data) in p->arch_prep:
 *
 *   int32 1, woff[P]          P = stride_h * stride_w phases; woff[f]: byte offset of phase f's weight rows
 *   int32 eb[P][out_c]        bias + input_offset * (sum of the channel's weights over the phase's taps)
 *   int8  rows (as words)     phase f: [out_c][ty][tx][in_c], the taps ky = py + ty * stride_h, kx = px + tx * stride_w
 *
 * An output (oy, ox) is reached by the taps ky = (oy + pad_top) mod stride_h + m * stride_h (likewise kx):
 * its phase f = (py, px). Its input pixels, in the phase's tap order, are copied into one column (scratch,
 * max_taps * in_c bytes); taps outside the image get the input zero point, whose (x + offset) is 0, so
 * every output of a phase is eb + a plain int8 dot product of the column with the phase's weight row: one
 * column load feeds 4 output channels (tfedge_mve_dot4), 4 sums requantized as one vector. Without the
 * prepared data (other callers) the portable kernel runs. */
#include "tfedge_kernels.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_fixedpoint.h"
#include "tfedge_mve.h"
#include "tfedge_mve_dot4.h"

#define transpose_conv_s8 transpose_conv_s8_ref
#include "../portable/transpose_conv_s8.c"
#undef transpose_conv_s8

void transpose_conv_s8(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t *prep = p->arch_prep;
  const int32_t sh = p->stride_h, sw = p->stride_w, k_h = p->k_h, k_w = p->k_w, in_c = p->in_c, out_c = p->out_c;
  const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
  const int32_t pad_top = p->pad_top, pad_left = p->pad_left, out_off = p->output_offset;
  const int32_t *mult = p->mult, *shift = p->shift;
  const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
  const int8_t zp = (int8_t)(-p->input_offset);
  int8_t *col = (int8_t *)p->scratch;
  const int32_t *woff, *eb;
  const int8_t *rows;
  int32_t left, b, oy, ox, oc, ty, tx;
  if (prep == 0 || col == 0) {
    transpose_conv_s8_ref(p, input, output);
    return;
  }
  woff = prep + 1;
  eb = woff + sh * sw;
  rows = (const int8_t *)(eb + sh * sw * out_c);
  left = tfedge_mve_any_left_shift(shift, out_c);
  for (b = 0; b < p->batches; ++b) {
    const int8_t *image = input + b * in_h * in_w * in_c;
    for (oy = 0; oy < out_h; ++oy) {
      const int32_t ry = oy + pad_top, py = ry % sh, ny = py < k_h ? (k_h - py + sh - 1) / sh : 0;
      for (ox = 0; ox < out_w; ++ox) {
        const int32_t rx = ox + pad_left, px = rx % sw, nx = px < k_w ? (k_w - px + sw - 1) / sw : 0;
        const int32_t phase = py * sw + px, k = ny * nx * in_c;
        const int8_t *w = rows + woff[phase];
        const int32_t *e = eb + phase * out_c;
        int8_t *c = col;
        for (ty = 0; ty < ny; ++ty) {
          const int32_t dy = ry - py - ty * sh, iy = dy / sh; /* dy a multiple of sh; < 0: above the image */
          const int row_in = dy >= 0 && iy < in_h;
          for (tx = 0; tx < nx; ++tx, c += in_c) {
            const int32_t dx = rx - px - tx * sw, ix = dx / sw;
            if (row_in && dx >= 0 && ix < in_w) tfedge_mve_copy(c, image + (iy * in_w + ix) * in_c, in_c);
            else tfedge_mve_fill(c, zp, in_c);
          }
        }
        for (oc = 0; oc < out_c; oc += 4) {
          const int32_t count = tfedge_min_i32(4, out_c - oc);
          const mve_pred16_t pr = vctp32q((uint32_t)count);
          int32x4_t acc = vaddq_s32(tfedge_mve_dot4(col, w + oc * k, k, k, count), vldrwq_z_s32(e + oc, pr));
          acc = tfedge_mve_requant4(acc, vldrwq_z_s32(mult + oc, pr), vldrwq_z_s32(shift + oc, pr), left, out_off, lo, hi);
          vstrbq_p_s32(output + oc, acc, pr);
        }
        output += out_c;
      }
    }
  }
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/transpose_conv_s8.c"
#endif
