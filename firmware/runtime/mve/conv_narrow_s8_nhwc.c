/* CONV_2D of few output channels over short windows, int8 NHWC, Helium (Cortex-M55): out_c <= 8 and
 * K = k_h * k_w * in_c <= 32 with dil_w = 1 (the first layers of 3-7 channel nets, their 1x1 convs). Same
 * contract and bit-exact results as portable/conv_s8_nhwc.c; mve/conv_s8_nhwc.c calls it for the layers
 * tfedge_mve_conv_narrow_applies() accepts when model.h names MVE_CONV_NARROW (variants_mve.conv2d_paths).
 *
 * Why a kernel of its own: the weights-stationary path streams 4 pixels past one channel's weights, so with 3-7
 * channels each pixel's im2col column is built once for very few dot products (narrow_c3's 3x3 3 -> 3 first
 * layer: 13 instructions per pixel for the column, ~40 at the image's border, 53 in all for 81 MACs).
 * Here an output row's k_h input rows are interleaved once into a row buffer, column-major
 * (row[j][ky][c], kc = k_h * in_c bytes per column): each output pixel's window is then K contiguous bytes at
 * ox * stride_w * kc, read in place with 1-2 vector loads, in the filter's order [kx][ky][c] (the weights are
 * gathered into that order once per call). The buffer is built by scatter stores of 16 input bytes (16 / in_c
 * pixels) per row, padding columns are the zero point. Per pixel then 1-2 loads and, for up to 3 channels
 * whose weight vectors stay in registers, one or two VMLADAVs per output; the sums are requantized per channel
 * 4 pixels at a time (the channel's scalar multiplier, as requant4 in conv_s8_nhwc.c). */
#include "tfedge_kernels.h"
#include "tfedge_uses.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_fixedpoint.h"
#include "tfedge_mve.h"

#define NARROW_MAX_K 32      /* window bytes: two vectors */
#define NARROW_MAX_C 8       /* output channels */
#define NARROW_ROW_MAX 2048  /* row buffer bytes (ncols * kc) */
#define NARROW_ACC_MAX 1024  /* int32 sums of one block of pixels, every channel */
#define NARROW_G 3           /* channels per pass: 2 x 3 weight vectors + 2 input vectors fill the 8 Q registers */

/* Where it wins (measured on narrow_c3/c5/c7, mps3-an547, against the weights-stationary path): rows of >= 16
 * outputs (the per-row and per-call set-up: narrow_c3's 12x12 3x3 3 -> 3 lost 25 %), up to 6 channels (two passes
 * over the row; 7 channels' third pass made the 48x48 3 -> 7 break even) and, on 1x1 windows, which that path reads
 * in place or in pixel pairs without building columns, one pass of up to 3 channels (narrow_c3's 1x1 3 -> 3 on 24x24
 * 22,894 -> 19,318 instructions; narrow_c5's 5 -> 5 lost 2 %). */
#define NARROW_WIN_C 6
#define NARROW_MIN_W 16
int tfedge_mve_conv_narrow_applies(const tfedge_conv_params *p) {
  const int32_t kc = p->k_h * p->in_c, ncols = (p->out_w - 1) * p->stride_w + p->k_w;
  /* the scatter's byte offsets: lane i of a chunk goes to (i / in_c) * kc + i % in_c <= 255 */
  return kc * p->k_w <= NARROW_MAX_K && p->out_c <= NARROW_WIN_C && p->dil_w == 1 && ncols * kc <= NARROW_ROW_MAX &&
         (15 / p->in_c) * kc + 15 % p->in_c <= 255 && p->out_w >= NARROW_MIN_W &&
         (p->k_h * p->k_w > 1 || p->out_c <= NARROW_G);
}

/* The image columns [jl, jh) of the row buffer for output row y0 (its first input row): per kernel row one
 * scatter of 16 input bytes per 16 / in_c pixels; rows outside the image get the zero point. A chunk's lanes past
 * its whole pixels belong to the next pixel and land where the next chunk writes the same bytes, so every chunk is
 * unpredicated but the row's last, which might write past jh or read past the image. */
static __attribute__((noinline)) void narrow_row(const tfedge_conv_params *p, const int8_t *in_b, int32_t y0,
                                                 int32_t x0, int32_t jl, int32_t jh, uint8x16_t offs, int8_t *row) {
  const int32_t in_c = p->in_c, in_w = p->in_w, in_h = p->in_h, k_h = p->k_h, dil_h = p->dil_h;
  const int32_t kc = k_h * in_c, P = 16 / in_c, n_full = (jh - jl - 1) / P;
  const mve_pred16_t tail = vctp8q((uint32_t)((jh - jl - n_full * P) * in_c));
  const int8x16_t zv = vdupq_n_s8((int8_t)(-p->input_offset));
  int32_t ky, j;
  for (ky = 0; ky < k_h; ++ky) {
    const int32_t y = y0 + ky * dil_h;
    int8_t *dst = row + jl * kc + ky * in_c;
    if (y < 0 || y >= in_h) {
      for (j = 0; j < n_full; ++j, dst += P * kc) vstrbq_scatter_offset_s8(dst, offs, zv);
      vstrbq_scatter_offset_p_s8(dst, offs, zv, tail);
    } else {
      const int8_t *src = in_b + (y * in_w + x0 + jl) * in_c;
      for (j = 0; j < n_full; ++j, src += P * in_c, dst += P * kc) vstrbq_scatter_offset_s8(dst, offs, vldrbq_s8(src));
      vstrbq_scatter_offset_p_s8(dst, offs, vldrbq_z_s8(src, tail), tail);
    }
  }
}

/* acc[c * stride + q] = sum over the window of pixel q (at win + q * step, K bytes) times the G channels'
 * weight vectors w[2 c], w[2 c + 1] (lanes past K zero), q < n; S vectors per window. */
static inline __attribute__((always_inline)) void narrow_dots(const int8_t *win, int32_t step, int32_t n,
                                                              const int8x16_t *w, int32_t *acc, int32_t stride,
                                                              int G, int S) {
  const int8x16_t w00 = w[0], w01 = w[1];
  const int8x16_t w10 = G > 1 ? w[2] : w00, w11 = G > 1 ? w[3] : w01;
  const int8x16_t w20 = G > 2 ? w[4] : w00, w21 = G > 2 ? w[5] : w01;
  int32_t *a0 = acc, *a1 = acc + stride, *a2 = acc + 2 * stride;
  int32_t q;
  for (q = 0; q < n; ++q, win += step) {
    const int8x16_t x0 = vldrbq_s8(win);
    if (S > 1) {
      const int8x16_t x1 = vldrbq_s8(win + 16);
      *a0++ = vmladavaq_s8(vmladavq_s8(x0, w00), x1, w01);
      if (G > 1) *a1++ = vmladavaq_s8(vmladavq_s8(x0, w10), x1, w11);
      if (G > 2) *a2++ = vmladavaq_s8(vmladavq_s8(x0, w20), x1, w21);
    } else {
      *a0++ = vmladavq_s8(x0, w00);
      if (G > 1) *a1++ = vmladavq_s8(x0, w10);
      if (G > 2) *a2++ = vmladavq_s8(x0, w20);
    }
  }
}

#define NARROW_DOTS(G, S)                                                                                    \
  static __attribute__((noinline)) void narrow_dots_##G##_##S(const int8_t *win, int32_t step, int32_t n,    \
                                                              const int8x16_t *w, int32_t *acc, int32_t st) { \
    narrow_dots(win, step, n, w, acc, st, G, S);                                                             \
  }
NARROW_DOTS(1, 1)
NARROW_DOTS(2, 1)
NARROW_DOTS(3, 1)
NARROW_DOTS(1, 2)
NARROW_DOTS(2, 2)
NARROW_DOTS(3, 2)
typedef void (*narrow_dots_fn)(const int8_t *, int32_t, int32_t, const int8x16_t *, int32_t *, int32_t);
static const narrow_dots_fn narrow_dots_of[2][NARROW_G] = {{narrow_dots_1_1, narrow_dots_2_1, narrow_dots_3_1},
                                                          {narrow_dots_1_2, narrow_dots_2_2, narrow_dots_3_2}};

/* Outputs of n pixels (out_c bytes apart from out) from acc[c * stride + q] + eb[c]: per channel 4 pixels as the
 * lanes of one vector with its scalar multiplier and shift (TFLM's MultiplyByQuantizedMultiplier, as requant4);
 * whole groups unpredicated, the last 1-3 pixels by one predicated store. A right shift without a left one (nearly
 * every channel of a trained model) takes the short loop; a left or zero shift the general one, whose rounding
 * fix-up is masked by the shift (tfedge_mve_mbqm). */
static __attribute__((noinline)) void narrow_requant(const tfedge_conv_params *p, const int32_t *acc, int32_t stride,
                                                     const int32_t *eb, int32_t n, int8_t *out) {
  const int32_t out_c = p->out_c, out_off = p->output_offset, groups = n >> 2, ostep = 4 * out_c;
  const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
  const uint32x4_t offs = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)out_c);
  const mve_pred16_t tail = vctp32q((uint32_t)(n & 3));
  const int32_t *mult = p->mult, *shift = p->shift;
  int32_t c, q;
  for (c = 0; c < out_c; ++c, acc += stride) {
    const int32_t e = eb[c], m = mult[c], s = shift[c];
    const int32_t *a = acc;
    int8_t *o = out + c;
    int32x4_t x;
    if (s < 0) {
#define NARROW_RQ(v) (x = vqrdmulhq_n_s32(vaddq_n_s32((v), e), m),                                            \
                      vminq_s32(vmaxq_s32(vaddq_n_s32(vrshlq_n_s32(vqaddq_s32(x, vshrq_n_s32(x, 31)), s), out_off), lo), hi))
      for (q = 0; q < groups; ++q, a += 4, o += ostep) vstrbq_scatter_offset_s32(o, offs, NARROW_RQ(vldrwq_s32(a)));
      if (n & 3) vstrbq_scatter_offset_p_s32(o, offs, NARROW_RQ(vldrwq_s32(a)), tail);
#undef NARROW_RQ
    } else {
      const int32_t ls = s > 0 ? s : 0;
      const int32x4_t rs = vdupq_n_s32(s > 0 ? 0 : s);
      for (q = 0; q < n; q += 4, a += 4, o += ostep) {
        x = vqrdmulhq_n_s32(vshlq_r_s32(vaddq_n_s32(vldrwq_s32(a), e), ls), m);
        x = vrshlq_s32(vqaddq_s32(x, vshrq_n_s32(vandq_s32(x, rs), 31)), rs);
        vstrbq_scatter_offset_p_s32(o, offs, vminq_s32(vmaxq_s32(vaddq_n_s32(x, out_off), lo), hi),
                                    vctp32q((uint32_t)(n - q)));
      }
    }
  }
}

TFEDGE_COLD_BEGIN
/* Without prepared data (tests, clustered-free layers whose tables live in the arena): the weight rows gathered
 * into window order [kx][ky][c] (lanes past K zero), and the effective biases eb[c] = bias + input_offset * sum of
 * the channel's weights (wrapping as int32) unless arch_prep holds them. */
static void narrow_weights(const tfedge_conv_params *p, int32_t K, int8x16_t *w, int32_t *eb) {
  const int32_t in_c = p->in_c, k_h = p->k_h, k_w = p->k_w;
  uint8_t perm[32] __attribute__((aligned(16)));
  int32_t c, ky, kx;
  memset(perm, 0, sizeof perm);
  for (kx = 0; kx < k_w; ++kx)
    for (ky = 0; ky < k_h; ++ky)
      for (c = 0; c < in_c; ++c) perm[(kx * k_h + ky) * in_c + c] = (uint8_t)((ky * k_w + kx) * in_c + c);
  for (c = 0; c < p->out_c; ++c) {
    const int8_t *wc = p->weights + c * K;
    w[2 * c] = vldrbq_gather_offset_z_s8(wc, vldrbq_u8(perm), vctp8q((uint32_t)K));
    w[2 * c + 1] = vldrbq_gather_offset_z_s8(wc, vldrbq_u8(perm + 16), vctp8q((uint32_t)(K > 16 ? K - 16 : 0)));
    eb[c] = (int32_t)((uint32_t)(p->bias ? p->bias[c] : 0) +
                      (uint32_t)p->input_offset * (uint32_t)vaddvaq_s8(vaddvq_s8(w[2 * c]), w[2 * c + 1]));
  }
}
TFEDGE_COLD_END

void tfedge_mve_conv_narrow(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t in_c = p->in_c, k_h = p->k_h, k_w = p->k_w, kc = k_h * in_c, K = kc * k_w, out_c = p->out_c;
  const int32_t out_w = p->out_w, s_w = p->stride_w, ncols = (out_w - 1) * s_w + k_w;
  const int32_t jl = tfedge_min_i32(p->pad_left, ncols), jh = tfedge_max_i32(jl, tfedge_min_i32(ncols, p->in_w + p->pad_left));
  const int32_t cap = (NARROW_ACC_MAX / (4 * out_c)) & ~3, nb = out_w <= cap ? out_w : cap, stride = (nb + 3) & ~3;
  const int S = K > 16 ? 2 : 1;
  int8_t row[ncols * kc + 32] __attribute__((aligned(16))); /* + the last window's second vector */
  int32_t acc[out_c * stride] __attribute__((aligned(16)));
  int8x16_t w[2 * out_c];
  int32_t eb_sum[NARROW_MAX_C];
  const int32_t *eb = p->arch_prep ? p->arch_prep + 1 : eb_sum;
  /* scat: chunk lane i's byte in the row buffer, (i / in_c) * kc + i % in_c = i + (i / in_c) (kc - in_c); i / in_c
   * counted by compares (<= 15 steps, 3 for 5 channels) */
  const uint8x16_t lane = vidupq_n_u8(0, 1);
  uint8x16_t quot = vdupq_n_u8(0), scat;
  int32_t b, oy, x, c, m;
  for (m = in_c; m < 16; m += in_c) quot = vaddq_m_n_u8(quot, quot, 1, vcmpcsq_n_u8(lane, (uint8_t)m));
  scat = vmlaq_n_u8(lane, quot, (uint8_t)(kc - in_c));
  if (p->arch_prep && p->arch_prep[0] == 1) { /* variants_mve.conv_data: the weights in window order, 16 S bytes a row */
    const int8_t *wn = (const int8_t *)(p->arch_prep + 1 + out_c);
    for (c = 0; c < out_c; ++c, wn += 16 * S) {
      w[2 * c] = vldrbq_s8(wn);
      w[2 * c + 1] = S > 1 ? vldrbq_s8(wn + 16) : vdupq_n_s8(0);
    }
  } else {
    narrow_weights(p, K, w, eb_sum);
  }
  /* the padding columns: the zero point, for every row */
  tfedge_mve_fill(row, (int8_t)(-p->input_offset), jl * kc);
  tfedge_mve_fill(row + jh * kc, (int8_t)(-p->input_offset), (ncols - jh) * kc);
  /* k_h = 1 without padding columns: windows read from the input row itself where their last vector stays inside
   * the input (no copy; the image's last rows take the buffer) */
  const int in_place = k_h == 1 && jl == 0 && jh == ncols;
  const int32_t last = (out_w - 1) * s_w * kc + 16 * S;
  const int8_t *in_end = input + p->batches * p->in_h * p->in_w * in_c, *win0;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * in_c;
    int8_t *out_b = output + b * p->out_h * out_w * out_c;
    for (oy = 0; oy < p->out_h; ++oy, out_b += out_w * out_c) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      const int8_t *src = in_b + y0 * p->in_w * in_c; /* 1x1 rows: the input row is the row buffer's layout */
      if (in_place && y0 >= 0 && y0 < p->in_h && src + last <= in_end) {
        win0 = src;
      } else {
        win0 = row;
        if (jh > jl) narrow_row(p, in_b, y0, -p->pad_left, jl, jh, scat, row);
      }
      for (x = 0; x < out_w; x += nb) {
        const int32_t n = tfedge_min_i32(nb, out_w - x);
        const int8_t *win = win0 + x * s_w * kc;
        for (c = 0; c < out_c; c += NARROW_G)
          narrow_dots_of[S - 1][tfedge_min_i32(NARROW_G, out_c - c) - 1](win, s_w * kc, n, w + 2 * c, acc + c * stride,
                                                                         stride);
        narrow_requant(p, acc, stride, eb, n, out_b + x * out_c);
      }
    }
  }
}
#endif
