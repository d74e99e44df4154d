/* DEPTHWISE_CONV_2D, int8 NHWC, Helium (Cortex-M55). Same contract and bit-exact results as
 * portable/depthwise_conv_s8_nhwc.c (TFLM reference_integer_ops::DepthwiseConvPerChannel).
 *
 * Channels are the vector lanes (NHWC keeps them contiguous): 4 channels per int32x4 accumulator,
 * inputs and weights widened by VLDRB.S32, multiplied and added.
 * - Depth multiplier 1 (<= DW_MAX_C channels, <= DW_MAX_TAPS taps): four output pixels share each
 *   weight load; the input zero-point term is folded into an "effective bias" computed once per call
 *   (bias + input_offset * sum of the channel's weights), and taps outside the image read a row of zero
 *   points, which then contribute exactly nothing - so borders take the same path as the interior.
 * - 3x3, stride 1 or 2, dilation 1, depth multiplier 1, channels % 4 == 0 (the common MobileNet/DS-CNN
 *   layer): input rows are copied once into a ring of 3 rows padded with zero points, so the N (<= 5)
 *   pixels of a group in one output row read tap (r, k) of pixel j at padded row r + (j + k) * C: no
 *   tap pointer table, no bounds checks (see dw3x3()). Measured on KWS: 4.32 -> 3.71 est. cycles/MAC.
 * - 5x5 / 7x7 windows, depth multipliers > 1, channels % 4 != 0 and wide rows: the window path below; where
 *   its chunks hold whole 4-channel groups and no channel shifts left, its loops of 4 channels as lanes
 *   (win_lanes_*: one VMLADAV per channel and pixel, 4 channels requantized as one vector), which on small
 *   maps' short rows cost a third of the per-channel loops' setup and 4-pixel groups.
 * - Otherwise (no other path applies): one pixel at a time over the taps
 *   inside the image with the offset added to each input; depth multiplier > 1 gathers input channel
 *   oc / multiplier with VLDRB gather loads.
 * Requantization is tfedge_mve_mbqm on the 4 channel lanes.
 * With a model.h (tfedge_uses.h) only the paths its layers take are compiled: the window path
 * (MVE_DW_WINDOW) and its channel loops (MVE_DW_LANES*, MVE_DW_WIN*), the 3x3 ring (MVE_DW_RING) and its assembly passes, the tap table
 * (MVE_DW_TAPS), the per-pixel loop (MVE_DW_PIXEL) and the per-call preparation (MVE_DW_UNPREP). A pass or
 * channel loop left out sends the layer to another exact path (the ring's to the tap table, the window's
 * specific loops to the general one); the per-pixel loop, which takes any layer, traps when left out, and
 * variants_mve.depthwise_paths names it for every layer whose call reaches it. */
#include "tfedge_kernels.h"
#include "tfedge_uses.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_fixedpoint.h"
#include "tfedge_mve.h"
#include <string.h>

#define DW_MAX_C 512  /* effective bias (2 KB) and a row of zero points on the stack */
#define DW_MAX_TAPS 64 /* per-pixel tap pointer table: 1 KB */

/* acc + x * w (MVE has no vector-by-vector VMLA: VMUL then VADD) */
static inline int32x4_t vmla4(int32x4_t acc, int32x4_t x, int32x4_t w) { return vaddq_s32(acc, vmulq_s32(x, w)); }

/* Output-stage constants, read once per call (int8 stores may alias the parameter struct, so reading
 * them through `p` next to the stores would reload them every time). */
typedef struct {
  int32x4_t lo, hi;
  int32_t out_off, left;
} out_stage;

static inline out_stage out_stage_of(const tfedge_conv_params *p, int32_t left) {
  out_stage o;
  o.lo = vdupq_n_s32(p->act_min);
  o.hi = vdupq_n_s32(p->act_max);
  o.out_off = p->output_offset;
  o.left = left;
  return o;
}

/* clamp(mbqm(acc) + output_offset) stored to 4 output channels (fewer: predicate, unless `full`) */
static inline __attribute__((always_inline)) void store4(out_stage o, int32x4_t acc, int32x4_t m, int32x4_t s,
                                                         int8_t *out, mve_pred16_t pr, int full) {
  acc = o.left ? tfedge_mve_mbqm_left(acc, m, s) : tfedge_mve_mbqm(acc, m, s);
  acc = vminq_s32(vmaxq_s32(vaddq_n_s32(acc, o.out_off), o.lo), o.hi);
  if (full) vstrbq_s32(out, acc);
  else vstrbq_p_s32(out, acc, pr);
}

TFEDGE_COLD_BEGIN
/* One output pixel, channels [c0, out_c), any depth multiplier, taps outside the image skipped: the layers
 * no other path takes (none of the corpus's), calls without prepared data when a model.h leaves out
 * MVE_DW_UNPREP, and the channel tail (out_c % 4) of the tap-table path's pixels: built for size, and only
 * compiled when a layer takes it (MVE_DW_PIXEL, variants_mve.depthwise_paths: 454 B). */
static __attribute__((noinline)) void dw_pixel(const tfedge_conv_params *p, const int8_t *in_b, int32_t oy, int32_t ox, out_stage o,
                     int8_t *out, int32_t c0) {
  if (!TFEDGE_USES(MVE_DW_PIXEL)) __builtin_trap(); /* not reached: model.h names it for every layer that takes it */
  {
    const int32_t y0 = oy * p->stride_h - p->pad_top;
    const int32_t x0 = ox * p->stride_w - p->pad_left;
    const int32_t dm = p->depth_multiplier;
    int32_t c, ky, kx, l;
    for (c = c0; c < p->out_c; c += 4) {
      const mve_pred16_t pr = vctp32q((uint32_t)(p->out_c - c));
      int32x4_t acc = p->bias ? vldrwq_z_s32(p->bias + c, pr) : vdupq_n_s32(0);
      uint32x4_t in_ch = vdupq_n_u32(0);
      if (dm != 1) { /* input channel of each lane: (c + lane) / dm */
        uint32_t idx[4];
        for (l = 0; l < 4; ++l) idx[l] = (uint32_t)((c + l) / dm);
        in_ch = vldrwq_u32(idx);
      }
      for (ky = 0; ky < p->k_h; ++ky) {
        const int32_t y = y0 + ky * p->dil_h;
        if (y < 0 || y >= p->in_h) continue;
        for (kx = 0; kx < p->k_w; ++kx) {
          const int32_t x = x0 + kx * p->dil_w;
          const int8_t *px;
          int32x4_t xv;
          if (x < 0 || x >= p->in_w) continue;
          px = in_b + (y * p->in_w + x) * p->in_c;
          xv = dm == 1 ? vldrbq_z_s32(px + c, pr) : vldrbq_gather_offset_z_s32(px, in_ch, pr);
          acc = vmla4(acc, vaddq_n_s32(xv, p->input_offset),
                          vldrbq_z_s32(p->weights + (ky * p->k_w + kx) * p->out_c + c, pr));
        }
      }
      store4(o, acc, vldrwq_z_s32(p->mult + c, pr), vldrwq_z_s32(p->shift + c, pr), out + c, pr, 0);
    }
  }
}
TFEDGE_COLD_END

/* N (1, 2 or 4) output pixels, depth multiplier 1, the whole 4-channel groups (the tail: dw_pixel). tap[t][j]
 * points at pixel j's input for tap t, or at a row of zero points where the tap lies outside the image:
 * (zero point + input_offset) * w = 0, so with the effective bias (which holds input_offset * sum(w) over
 * all taps) the result equals skipping the tap. Unpredicated: no VPST before each load. */
static inline __attribute__((always_inline)) void dw_px_c(const tfedge_conv_params *p, const int8_t *const (*tap)[4],
                                                          int32_t taps, const int32_t *eb, out_stage o,
                                                          int8_t *const out[4], int32_t c, int N) {
  const int32_t C = p->in_c;
  int32x4_t a0, a1, a2, a3;
  const int8_t *w = p->weights + c;
  int32_t t;
  a0 = vldrwq_s32(eb + c);
  a1 = a0, a2 = a0, a3 = a0;
  for (t = 0; t < taps; ++t, w += C) {
    const int32x4_t wv = vldrbq_s32(w);
    a0 = vmla4(a0, vldrbq_s32(tap[t][0] + c), wv);
    if (N > 1) a1 = vmla4(a1, vldrbq_s32(tap[t][1] + c), wv);
    if (N > 2) a2 = vmla4(a2, vldrbq_s32(tap[t][2] + c), wv);
    if (N > 2) a3 = vmla4(a3, vldrbq_s32(tap[t][3] + c), wv);
  }
  {
    const int32x4_t m = vldrwq_s32(p->mult + c), s = vldrwq_s32(p->shift + c);
    store4(o, a0, m, s, out[0] + c, 0, 1);
    if (N > 1) store4(o, a1, m, s, out[1] + c, 0, 1);
    if (N > 2) store4(o, a2, m, s, out[2] + c, 0, 1);
    if (N > 2) store4(o, a3, m, s, out[3] + c, 0, 1);
  }
}

/* 4 output pixels, or the last 1-3 of a call as 2 and 1 (a 3-pixel copy would cost ~0.9 KB of code for 3
 * = 2 + 1's one extra weight load per tap). One out-of-line copy per N keeps each loop's registers its own. */
#define DW_PX(N)                                                                                             \
  static __attribute__((noinline)) void dw_px##N(const tfedge_conv_params *p, const int8_t *const (*tap)[4], \
                                                 int32_t taps, const int32_t *eb, out_stage o,               \
                                                 int8_t *const out[4]) {                                     \
    int32_t c = 0;                                                                                           \
    for (; c + 4 <= p->in_c; c += 4) dw_px_c(p, tap, taps, eb, o, out, c, N);                                \
  }
DW_PX(1)
DW_PX(2)
DW_PX(4)

/* 3x3 stride-1 fast path over a ring of padded input rows stored channel-group major: slot row
 * [channel group g][padded column q][4 channels], so for one group of 4 channels the columns of a row are
 * 4 bytes apart and every tap of the N (<= 5) pixels of a pass is a load at a small constant offset from
 * one of 3 row pointers (immediate addressing, no per-tap address arithmetic; with the NHWC layout the
 * taps were C bytes apart, beyond VLDRB's 7-bit offsets). Per call, each group's constants are gathered
 * into one table entry read in order: tab[g] = {eb[4], w[tap 0..8][4 channels], mult[4], shift[4],
 * act_min x 4, act_max x 4} (DW3_TAB bytes; the clamp bounds are repeated per group because the assembly
 * loop below has no core register left for them). Accumulators start from the effective bias, so the zero points in the padding
 * contribute exactly what skipping those taps would. */
#define DW3_TAB 116

/* Assembly form for N = 3, 4 or 5 pixels and no left shift, all groups in one LE loop: per group 9 weight
 * loads + 3 N (load, VMUL, VADD), then per pixel 12 to requantize (tfedge_mve_mbqm), clamp and store.
 * GCC 12 spilled the 5 accumulators and re-derived the pointers around every tap (195 k instructions per
 * KWS layer against 154 k for the NHWC ring). */
#define DT_W "vldrb.s32 %q[w], [%[tp]], #4\n\t"
#define DT_MAC(a, r, off) "vldrb.s32 %q[x], [%[" #r "], #" #off "]\n\tvmul.i32 %q[x], %q[x], %q[w]\n\tvadd.i32 %q[" #a "], %q[" #a "], %q[x]\n\t"
#define DT_TAP3(r, o0, o1, o2) DT_W DT_MAC(a0, r, o0) DT_MAC(a1, r, o1) DT_MAC(a2, r, o2)
#define DT_TAP4(r, o0, o1, o2, o3) DT_TAP3(r, o0, o1, o2) DT_MAC(a3, r, o3)
#define DT_ROW3(r) DT_TAP3(r, 0, 4, 8) DT_TAP3(r, 4, 8, 12) DT_TAP3(r, 8, 12, 16)
#define DT_TAP5(r, o0, o1, o2, o3, o4) DT_TAP4(r, o0, o1, o2, o3) DT_MAC(a4, r, o4)
#define DT_ROW4(r) DT_TAP4(r, 0, 4, 8, 12) DT_TAP4(r, 4, 8, 12, 16) DT_TAP4(r, 8, 12, 16, 20)
#define DT_ROW5(r) DT_TAP5(r, 0, 4, 8, 12, 16) DT_TAP5(r, 4, 8, 12, 16, 20) DT_TAP5(r, 8, 12, 16, 20, 24)
/* stride 2: pixel j's tap k is padded column 2 j + k */
#define DT2_ROW3(r) DT_TAP3(r, 0, 8, 16) DT_TAP3(r, 4, 12, 20) DT_TAP3(r, 8, 16, 24)
#define DT2_ROW4(r) DT_TAP4(r, 0, 8, 16, 24) DT_TAP4(r, 4, 12, 20, 28) DT_TAP4(r, 8, 16, 24, 32)
#define DT2_ROW5(r) DT_TAP5(r, 0, 8, 16, 24, 32) DT_TAP5(r, 4, 12, 20, 28, 36) DT_TAP5(r, 8, 16, 24, 32, 40)
#define DT_REQ(a)                                                                                                \
  "vqrdmulh.s32 %q[" #a "], %q[" #a "], %q[w]\n\tvand %q[t], %q[" #a "], %q[x]\n\tvshr.s32 %q[t], %q[t], #31\n\t" \
  "vqadd.s32 %q[" #a "], %q[" #a "], %q[t]\n\tvrshl.s32 %q[" #a "], %q[" #a "], %q[x]\n\t"                         \
  "vadd.i32 %q[" #a "], %q[" #a "], %[off]\n\tvldrw.u32 %q[t], [%[tp]]\n\tvmax.s32 %q[" #a "], %q[" #a "], %q[t]\n\t" \
  "vldrw.u32 %q[t], [%[tp], #16]\n\tvmin.s32 %q[" #a "], %q[" #a "], %q[t]\n\tvstrb.32 %q[" #a "], [%[op]]\n\t"
#define DT_NEXT "add %[op], %[op], %[C]\n\t"
#define DT_ASM(INIT, ROW, REQ)                                                                                   \
  __asm volatile("dls lr, lr\n"                                                                                \
                 "1:\n\tvldrw.u32 %q[a0], [%[tp]], #16\n\t" INIT ROW(r0) ROW(r1) ROW(r2)                        \
                 "vldrw.u32 %q[w], [%[tp]], #16\n\tvldrw.u32 %q[x], [%[tp]], #16\n\t" REQ                         \
                 "add %[tp], %[tp], #32\n\tadd %[r0], %[r0], %[gs]\n\tadd %[r1], %[r1], %[gs]\n\t"              \
                 "add %[r2], %[r2], %[gs]\n\tle lr, 1b"                                                           \
                 : [r0] "+l"(r0), [r1] "+l"(r1), [r2] "+l"(r2), [tp] "+l"(tab), [op] "+l"(out), [n] "+r"(n),     \
                   [a0] "=&w"(a0), [a1] "=&w"(a1), [a2] "=&w"(a2), [a3] "=&w"(a3), [a4] "=&w"(a4), [w] "=&w"(w),  \
                   [x] "=&w"(x), [t] "=&w"(t)                                                                     \
                 : [C] "r"(C), [gs] "r"(gs), [off] "r"(o.out_off)                                                 \
                 : "memory")

static inline __attribute__((always_inline)) void dw3_asm(const int8_t *r0, const int8_t *r1, const int8_t *r2,
                                                          int32_t gs, const int8_t *tab, out_stage o, int8_t *out,
                                                          int32_t cn, int32_t C, int N, int S) {
  register int32_t n __asm("lr") = cn >> 2;
  int32x4_t a0, a1, a2, a3, a4, w, x, t;
  /* op back to the next group's first pixel: pixel N - 1 was stored at + (N - 1) C */
#define DT_INIT5 "vmov %q[a1], %q[a0]\n\tvmov %q[a2], %q[a0]\n\tvmov %q[a3], %q[a0]\n\tvmov %q[a4], %q[a0]\n\t"
#define DT_REQ5 DT_REQ(a0) DT_NEXT DT_REQ(a1) DT_NEXT DT_REQ(a2) DT_NEXT DT_REQ(a3) DT_NEXT DT_REQ(a4) \
  "sub %[op], %[op], %[C], lsl #2\n\tadd %[op], %[op], #4\n\t"
#define DT_INIT3 "vmov %q[a1], %q[a0]\n\tvmov %q[a2], %q[a0]\n\t"
#define DT_REQ3 DT_REQ(a0) DT_NEXT DT_REQ(a1) DT_NEXT DT_REQ(a2) "sub %[op], %[op], %[C], lsl #1\n\tadd %[op], %[op], #4\n\t"
#define DT_INIT4 "vmov %q[a1], %q[a0]\n\tvmov %q[a2], %q[a0]\n\tvmov %q[a3], %q[a0]\n\t"
#define DT_REQ4 DT_REQ(a0) DT_NEXT DT_REQ(a1) DT_NEXT DT_REQ(a2) DT_NEXT DT_REQ(a3) \
  "sub %[op], %[op], %[C], lsl #1\n\tsub %[op], %[op], %[C]\n\tadd %[op], %[op], #4\n\t"
  if (N == 5 && S == 1) DT_ASM(DT_INIT5, DT_ROW5, DT_REQ5);
  else if (N == 5) DT_ASM(DT_INIT5, DT2_ROW5, DT_REQ5);
  else if (N == 3 && S == 1) DT_ASM(DT_INIT3, DT_ROW3, DT_REQ3); /* rows of 3 or 6 = 3 + 3 (MobileNetV2's maps) */
  else if (N == 3) DT_ASM(DT_INIT3, DT2_ROW3, DT_REQ3);
  else if (S == 1) DT_ASM(DT_INIT4, DT_ROW4, DT_REQ4);
  else DT_ASM(DT_INIT4, DT2_ROW4, DT_REQ4);
  (void)a4;
}

/* N (3, 4, 5) pixels at stride S (1, 2) starting at the ring rows' pointers (gs = bytes per channel group in a
 * row): the cn channels of the ring (a chunk of the layer's C; C is the output pixel stride). One out-of-line
 * copy per N and S, each compiled only for the models whose rows take it (MVE_DW_RING3/4/5, MVE_DW_RING_S2_3/4/5). */
#define DW3(NAME, N, S)                                                                                         \
  static __attribute__((noinline)) void NAME(const int8_t *const row[3], int32_t gs, const int8_t *tab,          \
                                             int32_t cn, int32_t C, out_stage o, int8_t *out) {                  \
    dw3_asm(row[0], row[1], row[2], gs, tab, o, out, cn, C, N, S);                                               \
  }
DW3(dw3_px3, 3, 1)
DW3(dw3_px4, 4, 1)
DW3(dw3_px5, 5, 1)
DW3(dw3s2_px3, 3, 2)
DW3(dw3s2_px4, 4, 2)
DW3(dw3s2_px5, 5, 2)

/* The row's next pass from `rem` pixels left of out_w >= 3: 5 while a multiple of 5 is left (rows of 10 = 5 + 5:
 * fewer passes, and one pass size), 6 = 3 + 3, else 4 until 3-5 are left (so 1-2 never remain);
 * variants_mve.ring_passes mirrors it. */
static inline int32_t dw3_pass(int32_t rem) { return rem % 5 == 0 ? 5 : rem == 6 || rem == 3 ? 3 : 4; }

/* The assembly pass of n pixels at this stride is compiled in (its MVE_DW_RING* flag) */
static inline int dw3_has(int32_t n, int32_t stride) {
  if (stride == 1) return n == 3 ? TFEDGE_USES(MVE_DW_RING3) : n == 4 ? TFEDGE_USES(MVE_DW_RING4) : TFEDGE_USES(MVE_DW_RING5);
  return n == 3 ? TFEDGE_USES(MVE_DW_RING_S2_3) : n == 4 ? TFEDGE_USES(MVE_DW_RING_S2_4) : TFEDGE_USES(MVE_DW_RING_S2_5);
}

/* The ring runs a layer only in assembly passes (it has no C pass loop): rows of >= 3 pixels, no left shift
 * (the passes requantize right shifts only) and every pass of the row compiled in; other layers take the tap
 * table or the per-pixel loop (variants_mve.depthwise_paths names the tap table for rows of 1-2 pixels). */
static int dw3_ring_runs(const tfedge_conv_params *p, out_stage o) {
  int32_t ox, n;
  if (o.left || p->out_w < 3) return 0;
  for (ox = 0; ox < p->out_w; ox += n)
    if (!dw3_has(n = dw3_pass(p->out_w - ox), p->stride_w)) return 0;
  return 1;
}

/* One pass of n pixels: its assembly copy (dw3_ring_runs checked that it is compiled in) */
static inline void dw3_run(const int8_t *const at[3], int32_t gs, const int8_t *tab, int32_t cn, int32_t C, out_stage o,
                           int8_t *out, int32_t n, int32_t stride) {
  if (stride == 1 && n == 5 && TFEDGE_USES(MVE_DW_RING5)) dw3_px5(at, gs, tab, cn, C, o, out);
  else if (stride == 1 && n == 4 && TFEDGE_USES(MVE_DW_RING4)) dw3_px4(at, gs, tab, cn, C, o, out);
  else if (stride == 1 && TFEDGE_USES(MVE_DW_RING3)) dw3_px3(at, gs, tab, cn, C, o, out);
  else if (n == 5 && TFEDGE_USES(MVE_DW_RING_S2_5)) dw3s2_px5(at, gs, tab, cn, C, o, out);
  else if (n == 4 && TFEDGE_USES(MVE_DW_RING_S2_4)) dw3s2_px4(at, gs, tab, cn, C, o, out);
  else if (TFEDGE_USES(MVE_DW_RING_S2_3)) dw3s2_px3(at, gs, tab, cn, C, o, out);
}

#define DW3_MAX_RING 3072 /* bytes of stack for the 3 padded rows: dw3_width * min(C, DW3_CHUNK) each */
/* Channels in chunks of DW3_CHUNK: the ring and the table hold one chunk (stack: 3 padded rows of 32
 * channels and 8 table entries; VWW's 256-channel layers took 7.9 KB of stack in one piece). */
#define DW3_CHUNK 32

/* padded columns of a ring row: the windows of out_w pixels at stride_w */
static inline int32_t dw3_width(const tfedge_conv_params *p) { return (p->out_w - 1) * p->stride_w + 3; }

/* 3x3, strides 1-2 (the pass offsets are immediates per stride), no dilation, whole channel groups */
static int dw3x3_applies(const tfedge_conv_params *p) {
  return p->depth_multiplier == 1 && p->k_h == 3 && p->k_w == 3 && p->stride_h >= 1 && p->stride_h <= 2 &&
         p->stride_w >= 1 && p->stride_w <= 2 && p->dil_h == 1 && p->dil_w == 1 && p->in_c % 4 == 0 &&
         p->in_c <= DW_MAX_C && 3 * dw3_width(p) * tfedge_min_i32(p->in_c, DW3_CHUNK) <= DW3_MAX_RING;
}

/* Padded input row y (zero points outside the image, left of x = 0 and right of x = in_w), channels
 * [c0, c0 + cn), into dst in the channel-group-major layout: column q's 16 channels c .. c + 15 go to 4
 * groups by one 4-word scatter. */
static void dw3_pad_row(const tfedge_conv_params *p, const int8_t *in_b, int32_t y, int8_t zp, int32_t c0, int32_t cn,
                        int8_t *dst) {
  const int32_t C = p->in_c, width = dw3_width(p), gs = 4 * width;
  const uint32x4_t offs = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)gs);
  const int32x4_t zv = vreinterpretq_s32_s8(vdupq_n_s8(zp));
  const int8_t *src = in_b + (y * p->in_w - p->pad_left) * C + c0;
  const int inside_row = y >= 0 && y < p->in_h;
  int32_t q, c;
  for (q = 0; q < width; ++q, src += C) {
    const int32_t x = q - p->pad_left;
    int8_t *d = dst + 4 * q;
    if (inside_row && x >= 0 && x < p->in_w) {
      for (c = 0; c + 16 <= cn; c += 16, d += 4 * gs) vstrwq_scatter_offset_s32((int32_t *)d, offs, vldrwq_s32((const int32_t *)(src + c)));
      if (c < cn) vstrwq_scatter_offset_p_s32((int32_t *)d, offs, vldrwq_z_s32((const int32_t *)(src + c), vctp32q((uint32_t)(cn - c) / 4)), vctp32q((uint32_t)(cn - c) / 4));
    } else {
      for (c = 0; c + 16 <= cn; c += 16, d += 4 * gs) vstrwq_scatter_offset_s32((int32_t *)d, offs, zv);
      if (c < cn) vstrwq_scatter_offset_p_s32((int32_t *)d, offs, zv, vctp32q((uint32_t)(cn - c) / 4));
    }
  }
}

static __attribute__((noinline)) void dw3x3(const tfedge_conv_params *p, const int8_t *input, int8_t *output, const int32_t *eb, out_stage o) {
  const int32_t C = p->in_c, S = p->stride_w, gs = 4 * dw3_width(p), cmax = tfedge_min_i32(C, DW3_CHUNK), row_bytes = gs * cmax / 4;
  const int8_t zp = (int8_t)(-p->input_offset);
  int8_t ring[3 * row_bytes] __attribute__((aligned(4)));          /* padded input row y lives in slot y mod 3 */
  int8_t tab[DW3_TAB * (cmax / 4)] __attribute__((aligned(4))); /* per group: eb, weights [tap][4], mult, shift */
  int32_t b, oy, ox, r, n, t, g, c0;
  for (c0 = 0; c0 < C; c0 += DW3_CHUNK) {
    const int32_t cn = tfedge_min_i32(DW3_CHUNK, C - c0);
    for (g = 0; g < cn / 4; ++g) {
      int8_t *e = tab + g * DW3_TAB;
      const int32_t c = c0 + 4 * g;
      const int8_t *w = p->weights + c;
      vstrwq_s32((int32_t *)e, vldrwq_s32(eb + c));
      /* unrolled: one load (post-incremented by C) and one store per tap; the by-rows loop rebuilds this per call */
#pragma GCC unroll 9
      for (t = 0; t < 9; ++t, w += C) memcpy(e + 16 + 4 * t, w, 4);
      vstrwq_s32((int32_t *)(e + 52), vldrwq_s32(p->mult + c));
      vstrwq_s32((int32_t *)(e + 68), vldrwq_s32(p->shift + c));
      vstrwq_s32((int32_t *)(e + 84), vdupq_n_s32(p->act_min));
      vstrwq_s32((int32_t *)(e + 100), vdupq_n_s32(p->act_max));
    }
    for (b = 0; b < p->batches; ++b) {
      const int8_t *in_b = input + b * p->in_h * p->in_w * C;
      int8_t *out = output + b * p->out_h * p->out_w * C + c0;
      int32_t held[3] = {INT32_MIN, INT32_MIN, INT32_MIN}; /* input row in each slot */
      for (oy = 0; oy < p->out_h; ++oy) {
        const int8_t *row[3];
        for (r = 0; r < 3; ++r) {
          const int32_t y = oy * p->stride_h - p->pad_top + r;
          const int32_t slot = ((y % 3) + 3) % 3;
          int8_t *dst = ring + slot * row_bytes;
          if (held[slot] != y) dw3_pad_row(p, in_b, y, zp, c0, cn, dst), held[slot] = y;
          row[r] = dst;
        }
        for (ox = 0; ox < p->out_w; ox += n, out += n * C) {
          const int8_t *const at[3] = {row[0] + 4 * S * ox, row[1] + 4 * S * ox, row[2] + 4 * S * ox};
          n = dw3_pass(p->out_w - ox);
          dw3_run(at, gs, tab, cn, C, o, out, n, S);
        }
      }
    }
  }
}

/* ---- window path: one VMLADAV per output and tap group ------------------------------------------------
 * For each output row, the k_h input rows are copied (channels de-interleaved) into a buffer laid out
 * [channel][group][padded column][row in group], R = min(k_h, 16 / k_w) rows per group: the window of
 * output pixel j in group g is then R * k_w contiguous bytes, which one 16-byte load fetches and one
 * VMLADAV.S8 multiplies with the channel's weights (prepared per call in the same lane order, zeros in
 * the lanes past the window). Columns and rows outside the image hold the zero point, which the
 * effective bias cancels. Any channel count, depth multiplier (output channel oc reads input channel
 * oc / multiplier), stride, padding and dil_h; needs dil_w = 1 and at most WIN_GROUPS groups. The four
 * outputs of one channel and four pixels are requantized together (pixels = lanes, scalar multiplier). */
#define WIN_GROUPS 4
#define WIN_BUF 1536 /* window buffer bytes (stack), channels taken in chunks that fit */
#define WIN_WBUF 1024 /* prepared weight bytes (stack): 16 per output channel and group */
#define WIN_NG 34     /* 8-lane copy groups per channel at most (the plan holds only a call's): channel stride <= 272 bytes */

typedef struct {
  int32_t R, G, P, cs, gs; /* rows per group, groups, padded columns, channel / group stride in the buffer */
  int32_t chunk_in;        /* input channels per chunk */
  int32_t slack;           /* bytes after the buffer that loads may read (their lanes are discarded) */
} win_geom;

static int win_geometry(const tfedge_conv_params *p, win_geom *g) {
  int32_t per_out;
  if (p->dil_w != 1 || p->k_w > 16) return 0;
  g->R = tfedge_min_i32(p->k_h, 16 / p->k_w);
  g->G = (p->k_h + g->R - 1) / g->R;
  g->P = (p->out_w - 1) * p->stride_w + p->k_w;
  g->gs = g->P * g->R;
  g->cs = g->G * g->gs;
  g->slack = 3 * p->stride_w * g->R + 16; /* a row's last 4-pixel group loads up to 3 windows past it */
  if (g->G > WIN_GROUPS || g->cs + g->slack > WIN_BUF || g->cs > 8 * WIN_NG) return 0;
  if ((p->k_h - 1) * p->dil_h * p->in_w * p->in_c + (g->P - 1) * p->in_c > 65535) return 0; /* 16-bit gather offsets */
  per_out = 16 * g->G * p->depth_multiplier; /* prepared weight bytes per input channel */
  g->chunk_in = tfedge_min_i32(p->in_c, (WIN_BUF - g->slack) / g->cs);
  if (!p->arch_prep) g->chunk_in = tfedge_min_i32(g->chunk_in, WIN_WBUF / per_out); /* else prepared in flash */
  if (g->chunk_in < 1) return 0;
  if (g->chunk_in > 8) g->chunk_in &= ~7; /* whole 8-channel scatter blocks */
  else if (g->chunk_in > 4 && g->chunk_in < p->in_c && p->in_c % 4 == 0 && g->G <= 2)
    g->chunk_in &= ~3; /* whole 4-channel groups (the lane loops) */
  return 1;
}

TFEDGE_COLD_BEGIN
/* Prepared weights of output channels [oc0, oc0 + n): wp[(i * G + g) * 16 + kx * R + r] = w[g * R + r][kx][oc0 + i]
 * (other lanes 0), and eb[i] = bias + input_offset * sum of the channel's weights: for calls without the
 * compiler's prepared data (variants_mve.depthwise_data), so built for size. */
static __attribute__((noinline)) void win_weights(const tfedge_conv_params *p, const win_geom *g, int32_t oc0, int32_t n, int8_t *wp, int32_t *eb) {
  const int32_t C = p->out_c, lanes_per_ch = 16 * g->G;
  const uint32x4_t offs = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)lanes_per_ch);
  int32_t i, ky, kx;
  tfedge_mve_fill(wp, 0, n * lanes_per_ch);
  for (i = 0; i < n; i += 4) {
    const mve_pred16_t pr = vctp32q((uint32_t)(n - i));
    const int full = n - i >= 4; /* whole groups without predicates (a VPST per predicated instruction) */
    const int8_t *src = p->weights + oc0 + i;
    int32x4_t sum = vdupq_n_s32(0);
    for (ky = 0; ky < p->k_h; ++ky) {
      int8_t *dst = wp + i * lanes_per_ch + (ky / g->R) * 16 + ky % g->R;
      for (kx = 0; kx < p->k_w; ++kx, src += C, dst += g->R) {
        const int32x4_t w = full ? vldrbq_s32(src) : vldrbq_z_s32(src, pr);
        if (full) vstrbq_scatter_offset_s32(dst, offs, w);
        else vstrbq_scatter_offset_p_s32(dst, offs, w, pr);
        sum = vaddq_s32(sum, w);
      }
    }
    sum = vmulq_n_s32(sum, p->input_offset);
    if (p->bias) sum = vaddq_s32(sum, vldrwq_z_s32(p->bias + oc0 + i, pr));
    vstrwq_p_s32(eb + i, sum, pr);
  }
}
TFEDGE_COLD_END

/* Copy plan of the window buffer, per call: channel c's cs bytes are NG groups of 8 lanes; lane q is
 * padded column xi and row ky (its place in [group][column][row in group]), read from the input at
 * offs = ky * dil_h * row + xi * in_c past the window's top-left input pixel of channel c, when row y0 +
 * ylane and column xi - pad_left lie in the image (pcol: the column part); else the zero point. */
typedef struct {
  uint16x8_t *offs; /* ng of each: arrays on the caller's stack sized per call (narrow layers need few groups) */
  int16x8_t *ylane;
  mve_pred16_t *pcol;
  int32_t ng;
} win_plan;

static inline int32_t win_groups(const win_geom *g) { return (g->cs + 7) / 8; }

/* 8 lanes per step as int16 vectors (lane = group gr, padded column xi, row r in the group), advanced by 8
 * lanes with compare-and-subtract carries: the by-rows loops and the patch stage call a layer once per row
 * or band, and the scalar form (~35 instructions per lane, *p and *g reloaded around the stores) was most of
 * such a call: narrow_c3's 3x3 stride-2 band calls 24 x 5.3 k. Offsets wrap mod 2^16 like the uint16 lanes
 * (win_geometry keeps the true values below 65536). */
static void win_plan_of(const tfedge_conv_params *p, const win_geom *g, win_plan *w) {
  const int32_t R = g->R, P = g->P, k_h = p->k_h, used = g->G * g->gs, ng = win_groups(g);
  const int32_t col_lo = p->pad_left, col_hi = p->pad_left + p->in_w, dil_h = p->dil_h;
  const uint16_t row_dh = (uint16_t)(p->dil_h * p->in_w * p->in_c), in_c = (uint16_t)p->in_c;
  const int16_t step_r = (int16_t)(8 % R), step_x = (int16_t)(8 / R);
  int16_t r0[8], x0[8], g0[8];
  int16x8_t q = vreinterpretq_s16_u16(vidupq_n_u16(0, 1)), r, xi, gr;
  int32_t gi, l;
  for (l = 0; l < 8; ++l) r0[l] = (int16_t)(l % R), x0[l] = (int16_t)((l / R) % P), g0[l] = (int16_t)(l / R / P);
  r = vldrhq_s16(r0), xi = vldrhq_s16(x0), gr = vldrhq_s16(g0);
  w->ng = ng;
  for (gi = 0; gi < ng; ++gi) {
    const int16x8_t ky = vaddq_s16(vmulq_n_s16(gr, (int16_t)R), r);
    const mve_pred16_t valid = vcmpltq_m_n_s16(ky, (int16_t)k_h, vcmpltq_n_s16(q, (int16_t)used));
    const uint16x8_t offs = vmlaq_n_u16(vmulq_n_u16(vreinterpretq_u16_s16(ky), row_dh), vreinterpretq_u16_s16(xi), in_c);
    mve_pred16_t m;
    w->offs[gi] = vpselq_u16(offs, vdupq_n_u16(0), valid);
    w->ylane[gi] = vpselq_s16(vmulq_n_s16(ky, (int16_t)dil_h), vdupq_n_s16(-30000), valid); /* -30000: never inside */
    w->pcol[gi] = vcmpltq_m_n_s16(xi, (int16_t)col_hi, vcmpgeq_m_n_s16(xi, (int16_t)col_lo, valid));
    q = vaddq_n_s16(q, 8);
    r = vaddq_n_s16(r, step_r);
    m = vcmpgeq_n_s16(r, (int16_t)R);
    r = vsubq_m_n_s16(r, r, (int16_t)R, m);
    xi = vaddq_m_n_s16(xi, xi, 1, m);
    xi = vaddq_n_s16(xi, step_x);
    for (m = vcmpgeq_n_s16(xi, (int16_t)P); m; m = vcmpgeq_n_s16(xi, (int16_t)P)) { /* P may be < 9: repeat */
      xi = vsubq_m_n_s16(xi, xi, (int16_t)P, m);
      gr = vaddq_m_n_s16(gr, gr, 1, m);
    }
  }
}

/* The buffer for output row oy: input channels [ic0, ic0 + n), one gather of 8 bytes per lane group. */
static void win_rows(const tfedge_conv_params *p, const win_geom *g, const win_plan *w, const int8_t *in_b, int32_t oy,
                     int32_t ic0, int32_t n, int8_t *buf) {
  const int32_t y0 = oy * p->stride_h - p->pad_top, in_h = p->in_h, ng = w->ng, cs = g->cs;
  const int16x8_t zp = vdupq_n_s16((int16_t)-p->input_offset);
  /* top-left input pixel of the padded window row (outside the image when padded: only lanes inside are read) */
  const int8_t *base = in_b + (y0 * p->in_w - p->pad_left) * p->in_c + ic0;
  mve_pred16_t pr_rows[ng];
  const mve_pred16_t *pr = w->pcol; /* all k_h rows inside the image: the column part alone */
  int32_t gi, c;
  if (y0 < 0 || y0 + (p->k_h - 1) * p->dil_h >= in_h) {
    for (gi = 0; gi < ng; ++gi) {
      const int16x8_t y = vaddq_n_s16(w->ylane[gi], (int16_t)y0);
      pr_rows[gi] = vcmpltq_m_n_s16(y, (int16_t)in_h, vcmpgeq_m_n_s16(y, 0, w->pcol[gi]));
    }
    pr = pr_rows;
  }
  /* group outer: its offsets and predicate stay in registers over the channels. Descending: the last
   * group's lanes past cs land on the next channel's first bytes, which its group 0 then overwrites. */
  for (gi = ng - 1; gi >= 0; --gi) {
    const uint16x8_t offs = w->offs[gi];
    const mve_pred16_t pg = pr[gi];
    const int8_t *src = base;
    int8_t *dst = buf + 8 * gi;
    if (pg == 0xffff)
      for (c = 0; c < n; ++c, ++src, dst += cs) vstrbq_s16(dst, vldrbq_gather_offset_s16(src, offs));
    else
      for (c = 0; c < n; ++c, ++src, dst += cs)
        vstrbq_s16(dst, vpselq_s16(vldrbq_gather_offset_z_s16(src, offs, pg), zp, pg));
  }
}

/* Per-call output constants (read once: the byte stores may alias *p). */
typedef struct {
  int32x4_t lo, hi;
  uint32x4_t offs; /* 4 pixels' output offsets */
  int32_t out_off, out_c, left;
} win_out;

/* Output channel oc of one output row: `x` is its input channel's window buffer, wv its G weight vectors;
 * 4 pixels at a time, requantized as 4 lanes with the channel's scalar multiplier and shift. STEP =
 * stride_w * R (bytes between consecutive pixels' windows), a constant when > 0 (immediate offsets). */
static inline __attribute__((always_inline)) void win_channel(const int8_t *x, const int8x16_t *wv, int32_t G, int32_t gs,
                                                              int32_t step_rt, int32_t out_w, int32_t e, int32_t m,
                                                              int32_t s, int32_t left, int32x4_t lo, int32x4_t hi,
                                                              uint32x4_t offs, int32_t out_off, int32_t out_c,
                                                              int8_t *out, int STEP) {
  const int32_t step = STEP ? STEP : step_rt;
  const int32_t ls = left && s > 0 ? s : 0, rs = s > 0 ? 0 : s;
  const int32x4_t rneg = vdupq_n_s32(rs);
  int32_t j, g;
  for (j = 0; j < out_w; j += 4, x += 4 * step, out += 4 * out_c) {
    int32_t a0 = vmladavq_s8(vldrbq_s8(x), wv[0]);
    int32_t a1 = vmladavq_s8(vldrbq_s8(x + step), wv[0]);
    int32_t a2 = vmladavq_s8(vldrbq_s8(x + 2 * step), wv[0]);
    int32_t a3 = vmladavq_s8(vldrbq_s8(x + 3 * step), wv[0]);
    int32x4_t v;
    for (g = 1; g < G; ++g) {
      const int8_t *xg = x + g * gs;
      a0 = vmladavaq_s8(a0, vldrbq_s8(xg), wv[g]);
      a1 = vmladavaq_s8(a1, vldrbq_s8(xg + step), wv[g]);
      a2 = vmladavaq_s8(a2, vldrbq_s8(xg + 2 * step), wv[g]);
      a3 = vmladavaq_s8(a3, vldrbq_s8(xg + 3 * step), wv[g]);
    }
    v = vsetq_lane_s32(a1, vdupq_n_s32(a0), 1);
    v = vsetq_lane_s32(a2, v, 2);
    v = vsetq_lane_s32(a3, v, 3);
    v = vshlq_r_s32(vaddq_n_s32(v, e), ls); /* ls = 0 unless the layer has left shifts: no branch */
    v = vqrdmulhq_n_s32(v, m);
    v = vqaddq_s32(v, vshrq_n_s32(vandq_s32(v, rneg), 31));
    v = vrshlq_n_s32(v, rs);
    v = vminq_s32(vmaxq_s32(vaddq_n_s32(v, out_off), lo), hi);
    if (out_w - j >= 4) vstrbq_scatter_offset_s32(out, offs, v);
    else vstrbq_scatter_offset_p_s32(out, offs, v, vctp32q((uint32_t)(out_w - j)));
  }
}

/* -funswitch-loops (not in -O2): the per-channel left-shift test leaves the pixel loop */
#define WIN_CHANNELS(NAME, G1, STEP) /* G1: the group count when > 0 */                                                                            \
  static __attribute__((noinline, optimize("unswitch-loops"))) void NAME(const win_out *o, const win_geom *g, const int8_t *buf,            \
                                             const int8_t *wp, const int32_t *eb, const int32_t *mult,          \
                                             const int32_t *shift, int32_t n, int32_t dm, int32_t step,         \
                                             int32_t out_w, int8_t *out) {                                      \
    const int32_t G = G1 ? G1 : g->G, gs = g->gs, cs = g->cs;                                                    \
    const int32x4_t lo = o->lo, hi = o->hi;                                                                     \
    const uint32x4_t offs = o->offs;                                                                            \
    const int32_t out_off = o->out_off, out_c = o->out_c, left = o->left;                                       \
    int32_t i, k;                                                                                               \
    for (i = 0; i < n; ++i, wp += 16 * G) {                                                                     \
      int8x16_t wv[WIN_GROUPS];                                                                                 \
      for (k = 0; k < G; ++k) wv[k] = vldrbq_s8(wp + 16 * k);                                                   \
      win_channel(buf + (i / dm) * cs, wv, G, gs, step, out_w, eb[i], mult[i], shift[i], left, lo, hi, offs,     \
                  out_off, out_c, out + i, STEP);                                                               \
    }                                                                                                           \
  }
WIN_CHANNELS(win_channels_3, 1, 3) /* 3x3 (or 3xN, N <= 5) stride 1 */
WIN_CHANNELS(win_channels_6, 1, 6) /* 3x3 stride 2 */
WIN_CHANNELS(win_channels_g1, 1, 0)
WIN_CHANNELS(win_channels_5, 2, 3) /* 5x5 (or 4-6 x 5) stride 1: R = 3, 2 groups */
WIN_CHANNELS(win_channels_g4, 4, 0) /* 7x7 (or 7-8 x 7): R = 2, 4 groups */
WIN_CHANNELS(win_channels_any, 0, 0)

/* The channel loop with 4 output channels as the lanes (in_c % 4 == 0, chunks of 4 m channels): per pixel one
 * VMLADAV per channel and row group, the 4 sums requantized as one vector with the channels' own multipliers
 * and shifts and stored as 4 contiguous bytes. The per-channel loop above pays a channel's setup and a 4-pixel
 * group per row, which on the small maps' rows (3 or 6 pixels, in-place layers called once per row) cost
 * ~26 instructions per output (mbv2_035 3x3x336: 37); here ~8. Same sums and requantization (mbqm with
 * the left shift as tfedge_mve_mbqm_left), so the same bytes. wv stays in registers for G = 1; G > 1 reloads
 * each group's 4 weight vectors per pixel. */
static inline __attribute__((always_inline)) void lanes_group(const int8_t *x0, const int8_t *x1, const int8_t *x2,
                                                              const int8_t *x3, const int8_t *wp, int32_t G, int32_t gs,
                                                              int32_t step, const int32_t *eb, const int32_t *mult,
                                                              const int32_t *shift, int32x4_t lo, int32x4_t hi,
                                                              int32_t out_off, int32_t out_c, int32_t out_w, int8_t *op) {
  const int8x16_t w0 = vldrbq_s8(wp), w1 = vldrbq_s8(wp + 16 * G), w2 = vldrbq_s8(wp + 32 * G), w3 = vldrbq_s8(wp + 48 * G);
  int32_t j;
  for (j = 0; j < out_w; ++j, x0 += step, x1 += step, x2 += step, x3 += step, op += out_c) {
    int32_t a0, a1, a2, a3;
    int32x4_t v;
    if (G == 1) { /* the 4 weight vectors stay in registers */
      a0 = vmladavq_s8(vldrbq_s8(x0), w0), a1 = vmladavq_s8(vldrbq_s8(x1), w1);
      a2 = vmladavq_s8(vldrbq_s8(x2), w2), a3 = vmladavq_s8(vldrbq_s8(x3), w3);
    } else { /* G (a constant) groups: every weight vector loaded per pixel (no registers left to keep them) */
      const int8_t *y0 = x0, *y1 = x1, *y2 = x2, *y3 = x3, *w = wp;
      int32_t gi;
      a0 = a1 = a2 = a3 = 0;
#pragma GCC unroll 2
      for (gi = 0; gi < G; ++gi, y0 += gs, y1 += gs, y2 += gs, y3 += gs, w += 16) {
        a0 = vmladavaq_s8(a0, vldrbq_s8(y0), vldrbq_s8(w));
        a1 = vmladavaq_s8(a1, vldrbq_s8(y1), vldrbq_s8(w + 16 * G));
        a2 = vmladavaq_s8(a2, vldrbq_s8(y2), vldrbq_s8(w + 32 * G));
        a3 = vmladavaq_s8(a3, vldrbq_s8(y3), vldrbq_s8(w + 48 * G));
      }
    }
    v = vsetq_lane_s32(a1, vdupq_n_s32(a0), 1);
    v = vsetq_lane_s32(a2, v, 2);
    v = vsetq_lane_s32(a3, v, 3);
    v = tfedge_mve_mbqm(vaddq_s32(v, vldrwq_s32(eb)), vldrwq_s32(mult), vldrwq_s32(shift));
    vstrbq_s32(op, vminq_s32(vmaxq_s32(vaddq_n_s32(v, out_off), lo), hi));
  }
}

#define WIN_LANES(NAME, G1, STEP) /* G1: the group count when > 0; STEP: stride_w * R when > 0 */                \
  static __attribute__((noinline)) void NAME(const win_out *o, const win_geom *g, const int8_t *buf,             \
                                             const int8_t *wp, const int32_t *eb, const int32_t *mult,           \
                                             const int32_t *shift, int32_t n, int32_t dm, int32_t step_rt,       \
                                             int32_t out_w, int8_t *out) {                                       \
    const int32_t G = G1 ? G1 : g->G, gs = g->gs, cs = g->cs, step = STEP ? STEP : step_rt;                      \
    const int32x4_t lo = o->lo, hi = o->hi;                                                                      \
    const int32_t out_off = o->out_off, out_c = o->out_c;                                                        \
    int32_t i;                                                                                                   \
    for (i = 0; i < n; i += 4, wp += 64 * G) {                                                                   \
      const int8_t *x0 = buf + (i / dm) * cs, *x1 = buf + ((i + 1) / dm) * cs;                                   \
      const int8_t *x2 = buf + ((i + 2) / dm) * cs, *x3 = buf + ((i + 3) / dm) * cs;                             \
      lanes_group(x0, x1, x2, x3, wp, G, gs, step, eb + i, mult + i, shift + i, lo, hi, out_off, out_c, out_w,   \
                  out + i);                                                                                      \
    }                                                                                                            \
  }
WIN_LANES(win_lanes_3, 1, 3) /* 3x3 (or 3xN, N <= 5) stride 1 */
WIN_LANES(win_lanes_6, 1, 6) /* 3x3 stride 2 */
WIN_LANES(win_lanes_g2, 2, 0) /* 5x5 (4-6 x 5) */

typedef void (*win_channels_fn)(const win_out *, const win_geom *, const int8_t *, const int8_t *, const int32_t *,
                                const int32_t *, const int32_t *, int32_t, int32_t, int32_t, int32_t, int8_t *);

/* The channel loop for this geometry: the most specific one compiled in (each behind its MVE_DW_WIN* flag,
 * variants_mve.window_loop names the one a layer takes), else NULL: the kernel's other paths. */
static win_channels_fn win_channels_of(const win_geom *g, int32_t step, int32_t in_c, int32_t left) {
  if (!left && in_c % 4 == 0 && g->chunk_in % 4 == 0) { /* every chunk a multiple of 4 channels: the lane loops */
    if (TFEDGE_USES(MVE_DW_LANES3) && g->G == 1 && step == 3) return win_lanes_3;
    if (TFEDGE_USES(MVE_DW_LANES6) && g->G == 1 && step == 6) return win_lanes_6;
    if (TFEDGE_USES(MVE_DW_LANES_G2) && g->G == 2) return win_lanes_g2;
  }
  if (TFEDGE_USES(MVE_DW_WIN5) && g->G == 2 && step == 3) return win_channels_5;
  if (TFEDGE_USES(MVE_DW_WIN3) && g->G == 1 && step == 3) return win_channels_3;
  if (TFEDGE_USES(MVE_DW_WIN6) && g->G == 1 && step == 6) return win_channels_6;
  if (TFEDGE_USES(MVE_DW_WIN_G1) && g->G == 1) return win_channels_g1;
  if (TFEDGE_USES(MVE_DW_WIN_G4) && g->G == 4) return win_channels_g4;
  return TFEDGE_USES(MVE_DW_WIN_ANY) ? win_channels_any : 0;
}

static void depthwise_window(const tfedge_conv_params *p, const win_geom *g, win_channels_fn fn, int32_t left,
                             const int8_t *input, int8_t *output) {
  const int32_t dm = p->depth_multiplier, step = p->stride_w * g->R;
  /* compile-time prepared (variants_mve.py): eb[out_c] then the weight vectors; else built per chunk */
  const int32_t *prep = p->arch_prep ? p->arch_prep + 1 : 0;
  const int32_t stack_n = prep || !TFEDGE_USES(MVE_DW_UNPREP) ? 1 : g->chunk_in * dm;
  int8_t buf[g->chunk_in * g->cs + g->slack] __attribute__((aligned(16)));
  int8_t wp_stack[stack_n * 16 * g->G] __attribute__((aligned(16)));
  int32_t eb_stack[stack_n];
  const int32_t ng = win_groups(g);
  uint16x8_t plan_offs[ng];
  int16x8_t plan_ylane[ng];
  mve_pred16_t plan_pcol[ng];
  win_out o;
  win_plan plan = {plan_offs, plan_ylane, plan_pcol, ng};
  int32_t b, ic0, oy;
  win_plan_of(p, g, &plan);
  o.lo = vdupq_n_s32(p->act_min);
  o.hi = vdupq_n_s32(p->act_max);
  o.offs = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)p->out_c);
  o.out_off = p->output_offset;
  o.out_c = p->out_c;
  o.left = left;
  for (ic0 = 0; ic0 < p->in_c; ic0 += g->chunk_in) {
    const int32_t n_in = tfedge_min_i32(g->chunk_in, p->in_c - ic0), oc0 = ic0 * dm, n = n_in * dm;
    const int8_t *wp = prep ? (const int8_t *)(prep + p->out_c) + oc0 * 16 * g->G : wp_stack;
    const int32_t *eb = prep ? prep + oc0 : eb_stack;
    if (TFEDGE_USES(MVE_DW_UNPREP) && !prep) win_weights(p, g, oc0, n, wp_stack, eb_stack);
    for (b = 0; b < p->batches; ++b) {
      const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
      int8_t *out_b = output + b * p->out_h * p->out_w * p->out_c + oc0;
      for (oy = 0; oy < p->out_h; ++oy) {
        int8_t *out = out_b + oy * p->out_w * p->out_c;
        win_rows(p, g, &plan, in_b, oy, ic0, n_in, buf);
        fn(&o, g, buf, wp, eb, p->mult + oc0, p->shift + oc0, n, dm, step, p->out_w, out);
      }
    }
  }
}

/* The input pointer of every tap of output pixel (oy, ox) into column j of the table: base + toff[t], or
 * the row of zero points where the tap lies outside the image. */
static inline void dw_tap_column(const tfedge_conv_params *p, const int8_t *in_b, const int32_t *toff,
                                 const int8_t *zero_points, int32_t oy, int32_t ox, const int8_t *(*tap)[4], int32_t j) {
  const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left, taps = p->k_h * p->k_w;
  const int8_t *base = in_b + (y0 * p->in_w + x0) * p->in_c;
  int32_t ky, kx, t;
  if (y0 >= 0 && y0 + (p->k_h - 1) * p->dil_h < p->in_h && x0 >= 0 && x0 + (p->k_w - 1) * p->dil_w < p->in_w) {
    for (t = 0; t < taps; ++t) tap[t][j] = base + toff[t]; /* interior */
    return;
  }
  for (ky = 0, t = 0; ky < p->k_h; ++ky) {
    const int32_t y = y0 + ky * p->dil_h;
    for (kx = 0; kx < p->k_w; ++kx, ++t) {
      const int32_t x = x0 + kx * p->dil_w;
      tap[t][j] = (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w) ? zero_points : base + toff[t];
    }
  }
}

/* The general depth-multiplier-1 path: per group of 4 output pixels (the last 1-3: 2 + 1) a
 * table of their taps' input pointers, the whole channel groups through it, the channel tail by dw_pixel. */
static __attribute__((noinline)) void dw_taps(const tfedge_conv_params *p, const int8_t *input, int8_t *output,
                                              const int32_t *eb, out_stage o) {
  const int32_t taps = p->k_h * p->k_w, pixels = p->out_h * p->out_w, tail = p->out_c & ~3;
  int8_t zero_points[p->in_c];
  const int8_t *tap[taps][4];
  int8_t *out[4];
  int32_t toff[taps]; /* offset of each tap from the window's top-left input pixel */
  int32_t b, g, j, t, n, ky, kx;
  tfedge_mve_fill(zero_points, (int8_t)(-p->input_offset), p->in_c);
  for (ky = 0, t = 0; ky < p->k_h; ++ky)
    for (kx = 0; kx < p->k_w; ++kx, ++t) toff[t] = (ky * p->dil_h * p->in_w + kx * p->dil_w) * p->in_c;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    int8_t *out_b = output + b * pixels * p->out_c;
    for (g = 0; g < pixels; g += n) {
      n = pixels - g >= 4 ? 4 : pixels - g >= 2 ? 2 : 1;
      for (j = 0; j < n; ++j) {
        dw_tap_column(p, in_b, toff, zero_points, (g + j) / p->out_w, (g + j) % p->out_w, tap, j);
        out[j] = out_b + (g + j) * p->out_c;
      }
      if (n == 4) dw_px4(p, (const int8_t *const (*)[4])tap, taps, eb, o, out);
      else if (n == 2) dw_px2(p, (const int8_t *const (*)[4])tap, taps, eb, o, out);
      else dw_px1(p, (const int8_t *const (*)[4])tap, taps, eb, o, out);
      if (tail != p->out_c)
        for (j = 0; j < n; ++j) dw_pixel(p, in_b, (g + j) / p->out_w, (g + j) % p->out_w, o, out[j], tail);
    }
  }
}

TFEDGE_COLD_BEGIN
/* bias + input_offset * sum of each channel's weights, for calls without prepared data (the compiler's
 * variants_mve.effective_bias otherwise) */
static __attribute__((noinline)) void dw_effective_bias(const tfedge_conv_params *p, int32_t *eb) {
  const int32_t taps = p->k_h * p->k_w;
  int32_t c, t;
  for (c = 0; c < p->out_c; c += 4) {
    const mve_pred16_t pr = vctp32q((uint32_t)(p->out_c - c));
    const int8_t *w = p->weights + c;
    int32x4_t sum = vdupq_n_s32(0);
    for (t = 0; t < taps; ++t, w += p->out_c) sum = vaddq_s32(sum, vldrbq_z_s32(w, pr));
    sum = vmulq_n_s32(sum, p->input_offset);
    if (p->bias) sum = vaddq_s32(sum, vldrwq_z_s32(p->bias + c, pr));
    vstrwq_p_s32(eb + c, sum, pr);
  }
}
TFEDGE_COLD_END

/* The path choice and the per-pixel fallback: once per call, built for size */
TFEDGE_COLD_BEGIN
void depthwise_conv_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t left = tfedge_mve_any_left_shift(p->shift, p->out_c); /* some channel shifts left */
  {
    win_geom wg;
    /* measured (docs/kernels_mve.md): the window path wins on depth multipliers > 1, channel counts not
     * multiples of 4, wide rows and big windows (variants_mve.big_window_wins); the 3x3 ring and the tap-table
     * paths on narrow rows of many channels, where its per-row buffer copy and per-call weight preparation weigh more */
    const int win = p->arch_prep ? p->arch_prep[0]
                                 : p->depth_multiplier != 1 || p->in_c % 4 || p->out_w >= 20 || (p->in_c <= 16 && p->out_w >= 8) ||
                                       p->k_h * p->k_w >= 25;
    win_channels_fn fn;
    if (TFEDGE_USES(MVE_DW_WINDOW) && win && (p->arch_prep || TFEDGE_USES(MVE_DW_UNPREP)) && win_geometry(p, &wg) &&
        (fn = win_channels_of(&wg, p->stride_w * wg.R, p->in_c, left))) {
      depthwise_window(p, &wg, fn, left, input, output);
      return;
    }
  }
  const out_stage o = out_stage_of(p, left);
  const int ring = TFEDGE_USES(MVE_DW_RING) && dw3x3_applies(p) && dw3_ring_runs(p, o);
  int32_t b, g;
  /* with prepared data the effective bias is not on the stack: only the zero-point row grows with C. A model.h
   * whose layers all have prepared data (no MVE_DW_UNPREP) leaves calls without it to the per-pixel loop. */
  if (p->depth_multiplier != 1 || p->out_c > (p->arch_prep ? 4 * DW_MAX_C : DW_MAX_C) ||
      p->k_h * p->k_w > DW_MAX_TAPS || (!TFEDGE_USES(MVE_DW_TAPS) && !ring) ||
      (!p->arch_prep && !TFEDGE_USES(MVE_DW_UNPREP))) {
    for (b = 0; b < p->batches; ++b)
      for (g = 0; g < p->out_h * p->out_w; ++g, output += p->out_c)
        dw_pixel(p, input + b * p->in_h * p->in_w * p->in_c, g / p->out_w, g % p->out_w, o, output, 0);
    return;
  }
  {
    /* effective bias: compile-time prepared (variants_mve.py) or here, sized to the layer (the stack
     * high-water mark counts in the RAM a model needs) */
    int32_t eb_stack[p->arch_prep ? 1 : p->out_c];
    const int32_t *eb = p->arch_prep ? p->arch_prep + 1 : eb_stack;
    if (TFEDGE_USES(MVE_DW_UNPREP) && !p->arch_prep) dw_effective_bias(p, eb_stack);
    if (ring) dw3x3(p, input, output, eb, o);
    else if (TFEDGE_USES(MVE_DW_TAPS)) dw_taps(p, input, output, eb, o);
  }
}
TFEDGE_COLD_END

#else /* built for a core without Helium: the portable kernel */
#include "../portable/depthwise_conv_s8_nhwc.c"
#endif
