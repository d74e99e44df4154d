/* DEPTHWISE_CONV_2D, int8 NHWC, tuned for Cortex-M0/M0+ (Armv6-M, Thumb-1). Same contract and bit-exact
 * results as portable/depthwise_conv_s8_nhwc.c (TFLM reference_integer_ops::DepthwiseConvPerChannel).
 *
 * - Every parameter is copied to a local once: byte stores may alias the parameter struct, so the
 *   compiler would otherwise reload p->... after each output byte (and Thumb-1 has few registers);
 * - the valid tap range of each output pixel is computed once (not tested per MAC and per channel) and
 *   the taps are walked with pointer increments (no multiplications in the MAC loop);
 * - depth multiplier 1, <= DW_MAX_C channels, <= DW_MAX_TAPS taps: the channel loop is outermost within
 *   the pixel, over a table of the taps' input pointers (a row of zero points for taps outside the image),
 *   raw inputs are multiplied and the input offset enters through an "effective bias" (bias +
 *   input_offset * sum(w), once per call), 3x3 fully unrolled;
 * - requantization uses tfedge_v6m_mbqm (no __aeabi_lmul). */
#include "tfedge_armv6m.h"
#include "tfedge_kernels.h"

#define DW_MAX_C 128  /* effective biases on the stack: 512 B */
#define DW_MAX_TAPS 25

/* acc[c] = eb[c] + sum_t tap[t][c] * w[t * C + c] for the C channels of one pixel (depth multiplier 1),
 * then requantized and stored. tap[t] is the tap's input pixel, or a row of zero points where it lies
 * outside the image: with the effective bias (input_offset * sum of all taps' weights) the zero point's
 * product -input_offset * w cancels exactly, as skipping the tap would. TAPS > 0: a constant (unrolled). */
static inline __attribute__((always_inline)) void dw_taps(const int8_t *const *tap, const int8_t *weights, int32_t taps,
                                                         int32_t C, const int32_t *eb, const int32_t *mult,
                                                         const int32_t *shift, int32_t out_off, int32_t act_min,
                                                         int32_t act_max, int8_t *out, int TAPS) {
  const int32_t n = TAPS ? TAPS : taps;
  int32_t c, t;
  for (c = 0; c < C; ++c) {
    const int8_t *w = weights + c;
    int32_t acc = eb[c];
#pragma GCC unroll 9
    for (t = 0; t < n; ++t, w += C) acc += tap[t][c] * *w;
    out[c] = (int8_t)tfedge_clamp_i32(tfedge_v6m_mbqm(acc, mult[c], shift[c]) + out_off, act_min, act_max);
  }
}

static __attribute__((noinline)) void dw_taps9(const int8_t *const *tap, const int8_t *weights, int32_t C,
                                               const int32_t *eb, const int32_t *mult, const int32_t *shift,
                                               int32_t out_off, int32_t act_min, int32_t act_max, int8_t *out) {
  dw_taps(tap, weights, 9, C, eb, mult, shift, out_off, act_min, act_max, out, 9);
}

static __attribute__((noinline)) void dw_taps_any(const int8_t *const *tap, const int8_t *weights, int32_t taps,
                                                  int32_t C, const int32_t *eb, const int32_t *mult,
                                                  const int32_t *shift, int32_t out_off, int32_t act_min,
                                                  int32_t act_max, int8_t *out) {
  dw_taps(tap, weights, taps, C, eb, mult, shift, out_off, act_min, act_max, out, 0);
}

void depthwise_conv_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t dm = p->depth_multiplier, in_c = p->in_c, out_c = p->out_c, off = p->input_offset;
  const int32_t in_h = p->in_h, in_w = p->in_w, k_h = p->k_h, k_w = p->k_w, dil_h = p->dil_h, dil_w = p->dil_w;
  const int32_t out_off = p->output_offset, act_min = p->act_min, act_max = p->act_max;
  const int32_t row = in_w * in_c, x_step = dil_w * in_c, y_step = dil_h * row, w_row = k_w * out_c;
  const int8_t *weights = p->weights;
  const int32_t *bias = p->bias, *mult = p->mult, *shift = p->shift;
  int32_t b, oy, ox, ic, m, ky, kx;
  const int32_t taps = k_h * k_w;
  const int fast = dm == 1 && out_c <= DW_MAX_C && taps <= DW_MAX_TAPS;
  int32_t eb[DW_MAX_C];
  int8_t zero_points[DW_MAX_C];
  const int8_t *tap[DW_MAX_TAPS];
  if (fast) {
    for (ic = 0; ic < in_c; ++ic) zero_points[ic] = (int8_t)-off;
    for (ic = 0; ic < out_c; ++ic) {
      int32_t sum = 0, t;
      for (t = 0; t < taps; ++t) sum += weights[t * out_c + ic];
      eb[ic] = (int32_t)((uint32_t)(bias ? bias[ic] : 0) + (uint32_t)off * (uint32_t)sum); /* wraps like TFLM */
    }
  }
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * in_h * row;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      int32_t ky0 = 0, ky1 = k_h;
      while (ky0 < ky1 && y0 + ky0 * dil_h < 0) ++ky0;
      while (ky1 > ky0 && y0 + (ky1 - 1) * dil_h >= in_h) --ky1;
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        int32_t kx0 = 0, kx1 = k_w;
        while (kx0 < kx1 && x0 + kx0 * dil_w < 0) ++kx0;
        while (kx1 > kx0 && x0 + (kx1 - 1) * dil_w >= in_w) --kx1;
        if (fast) {
          const int8_t *x = in_b + y0 * row + x0 * in_c;
          for (ky = 0; ky < k_h; ++ky)
            for (kx = 0; kx < k_w; ++kx)
              tap[ky * k_w + kx] = ky >= ky0 && ky < ky1 && kx >= kx0 && kx < kx1 ? x + ky * y_step + kx * x_step
                                                                                   : zero_points;
          if (taps == 9) dw_taps9(tap, weights, out_c, eb, mult, shift, out_off, act_min, act_max, output);
          else dw_taps_any(tap, weights, taps, out_c, eb, mult, shift, out_off, act_min, act_max, output);
          output += out_c;
          continue;
        }
        {
          /* first valid tap of channel 0, for input and weights */
          const int8_t *in0 = in_b + (y0 + ky0 * dil_h) * row + (x0 + kx0 * dil_w) * in_c;
          const int8_t *w0 = weights + ky0 * w_row + kx0 * out_c;
          const int32_t rows = ky1 - ky0, cols = kx1 - kx0;
          for (ic = 0; ic < in_c; ++ic) {
            for (m = 0; m < dm; ++m) {
              const int32_t oc = ic * dm + m;
              const int8_t *px_row = in0 + ic, *w_row_p = w0 + oc;
              int32_t acc = bias ? bias[oc] : 0;
              for (ky = 0; ky < rows; ++ky, px_row += y_step, w_row_p += w_row) {
                const int8_t *px = px_row, *w = w_row_p;
                for (kx = 0; kx < cols; ++kx, px += x_step, w += out_c) acc += (*px + off) * *w;
              }
              acc = tfedge_v6m_mbqm(acc, mult[oc], shift[oc]) + out_off;
              *output++ = (int8_t)tfedge_clamp_i32(acc, act_min, act_max);
            }
          }
        }
      }
    }
  }
}
