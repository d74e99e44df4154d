/* CONV_2D with packed weights, Cortex-M4/M7/M33 DSP extension.
 *
 * For two output pixels at a time the im2col vectors are gathered into scratch, widened to int16 with
 * the input offset added (SXTAB16, padding = 0) in the order SXTB16 gives: [x0 x2][x1 x3] per 4 values,
 * the two pixels interleaved 16 bytes at a time. The weights were widened to int16 in the same order at
 * compile time, so each SMLAD pairs matching values: a block of 2 output channels x 2 pixels costs per
 * 4 values 1 LDM, 2 LDRD and 8 SMLAD. The accumulators of all channels
 * are requantized in the same pass (dot_pairs_rq), or kept in scratch and requantized in a C loop (odd
 * channel counts, a last single pixel, layers with channels on the two-step requantization). */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/conv_packed_s8_nhwc.c"
#else
#include "tfedge_dsp.h"

/* No fallback to the portable loops: the compiler always gives these variants records and scratch. */

/* n bytes from src to dst by words (the last one ending at n, overlapping), nothing outside either range. */
static inline __attribute__((always_inline)) void copy_bytes(int8_t *dst, const int8_t *src, int32_t n) {
  int32_t j;
  if (n < 4) {
    dst[0] = src[0];
    if (n > 1) dst[1] = src[1];
    if (n > 2) dst[2] = src[2];
    return;
  }
  for (j = 0; j + 4 < n; j += 4) tfedge_st32(dst + j, tfedge_ld32(src + j));
  tfedge_st32(dst + n - 4, tfedge_ld32(src + n - 4));
}

/* copy_bytes for the row gather's window rows: with the CONV_PAIR path, rows of 4-12 bytes (3x3 on 3 or 4
 * channels) straight-line, no loop. */
static inline __attribute__((always_inline)) void copy_row(int8_t *dst, const int8_t *src, int32_t n) {
  if (TFEDGE_USES(CONV_PAIR) && n >= 4 && n <= 12) {
    if (n > 8) tfedge_st32(dst, tfedge_ld32(src)), tfedge_st32(dst + 4, tfedge_ld32(src + 4));
    else if (n > 4) tfedge_st32(dst, tfedge_ld32(src));
    tfedge_st32(dst + n - 4, tfedge_ld32(src + n - 4));
  } else {
    copy_bytes(dst, src, n);
  }
}

/* The gathered bytes [0, k_padded) widened with the input offset into slot dst (SXTAB16 / ROR 8: [x0 x2][x1 x3]
 * per 4 values), 8 per iteration (a last 4 alone). The bytes [k, k_padded) meet zero weights: whatever they hold adds 0 (run
 * fills them with zero points once per call, so the scratch is never read uninitialised). */
static __attribute__((noinline)) void stage_widen(const int8_t *stage, int32_t k_padded, uint32_t off2, uint32_t *dst) {
  int32_t j;
  for (j = 0; j + 8 <= k_padded; j += 8, dst += 8) {
    const uint32_t v = tfedge_ld32(stage + j), u = tfedge_ld32(stage + j + 4);
    dst[0] = __sxtab16(off2, v);
    dst[1] = tfedge_sxtab16_ror8(off2, v);
    dst[4] = __sxtab16(off2, u);
    dst[5] = tfedge_sxtab16_ror8(off2, u);
  }
  if (j < k_padded) { /* k_padded % 8 == 4: the last group */
    const uint32_t v = tfedge_ld32(stage + j);
    dst[0] = __sxtab16(off2, v);
    dst[1] = tfedge_sxtab16_ror8(off2, v);
  }
}

/* The im2col vector of output pixel (oy, ox) on whole channel groups (in_c % 4 == 0), widened straight from the
 * input into slot `dst` (stride 4 words per group): every pixel of such layers but the 1x1 pairs comes here, so it
 * keeps the build's level. */
static void gather_groups(const tfedge_conv_params *p, const int8_t *in_b, int32_t oy, int32_t ox, uint32_t *dst) {
  const uint32_t off2 = ((uint32_t)(uint16_t)p->input_offset << 16) | (uint16_t)p->input_offset;
  const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
  const int32_t in_c = p->in_c;
  int32_t ky, kx, g;
  for (ky = 0; ky < p->k_h; ++ky) {
    const int32_t y = y0 + ky * p->dil_h;
    for (kx = 0; kx < p->k_w; ++kx) {
      const int32_t x = x0 + kx * p->dil_w;
      if (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w) {
        for (g = 0; g < in_c; g += 4, dst += 4) dst[0] = dst[1] = 0;
      } else {
        const int8_t *src = in_b + (y * p->in_w + x) * in_c;
        for (g = 0; g < in_c; g += 4, dst += 4) {
          const uint32_t v = tfedge_ld32(src + g);
          dst[0] = __sxtab16(off2, v);
          dst[1] = tfedge_sxtab16_ror8(off2, v);
        }
      }
    }
  }
}

/* The same for in_c % 4 != 0, bytewise: only the windows the row gathers do not take (edges, dilation) come
 * here: compiled for size (-250 B; ResNet-8's RGB layer, in bands of 4 rows, +120 k instructions). */
TFEDGE_COLD_BEGIN
static void gather_bytes(const tfedge_conv_params *p, const int8_t *in_b, int32_t oy, int32_t ox, int8_t *stage,
                         uint32_t *dst, int32_t k_padded) {
  const uint32_t off2 = ((uint32_t)(uint16_t)p->input_offset << 16) | (uint16_t)p->input_offset;
  const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
  const int32_t in_c = p->in_c;
  int32_t ky, kx;
  { /* any channel count: gather bytes (padding = the input zero point), then widen. Bytes are moved a word at a
     * time: a count that is not a multiple of 4 ends with the word that ends at it (overlapping the one before) or,
     * under 4 bytes, byte by byte, so nothing past a pixel is read; zero-point words may write up to 3 bytes past
     * the value they pad, which the next values overwrite (the stage has 4 bytes of slack after k_padded). */
    const uint32_t zp4 = (uint32_t)(uint8_t)(-p->input_offset) * 0x01010101u;
    const int32_t span = p->k_w * in_c; /* one window row, contiguous in the input when dil_w == 1 */
    int8_t *s = stage;
    int32_t j;
    if (p->dil_w == 1) { /* per window row: zero points for the taps left and right of the image, one move between */
      int32_t lo = x0 < 0 ? -x0 : 0, hi = p->in_w - x0;
      lo = lo > p->k_w ? p->k_w : lo;
      hi = hi > p->k_w ? p->k_w : hi < lo ? lo : hi;
      for (ky = 0; ky < p->k_h; ++ky, s += span) {
        const int32_t y = y0 + ky * p->dil_h, left = lo * in_c, mid = (hi - lo) * in_c;
        if (y < 0 || y >= p->in_h) {
          for (j = 0; j < span; j += 4) tfedge_st32(s + j, zp4);
          continue;
        }
        for (j = 0; j < left; j += 4) tfedge_st32(s + j, zp4); /* (spills into mid, written next) */
        if (mid) copy_bytes(s + left, in_b + (y * p->in_w + x0 + lo) * in_c, mid);
        for (j = left + mid; j < span; j += 4) tfedge_st32(s + j, zp4);
      }
    } else {
      for (ky = 0; ky < p->k_h; ++ky) {
        const int32_t y = y0 + ky * p->dil_h;
        if (y < 0 || y >= p->in_h) {
          for (j = 0; j < span; j += 4) tfedge_st32(s + j, zp4);
          s += span;
          continue;
        }
        for (kx = 0; kx < p->k_w; ++kx, s += in_c) {
          const int32_t x = x0 + kx * p->dil_w;
          if (x < 0 || x >= p->in_w) {
            for (j = 0; j < in_c; j += 4) tfedge_st32(s + j, zp4);
          } else {
            copy_bytes(s, in_b + (y * p->in_w + x) * in_c, in_c);
          }
        }
      }
    }
    stage_widen(stage, k_padded, off2, dst);
  }
}
TFEDGE_COLD_END

/* The im2col vector of pixel (oy, ox) for any window: whole channel groups straight, else bytewise. */
static inline __attribute__((always_inline)) void gather_any(const tfedge_conv_params *p, const int8_t *in_b,
                                                             int32_t oy, int32_t ox, int8_t *stage, uint32_t *dst,
                                                             int32_t k_padded) {
  if ((p->in_c & 3) == 0) gather_groups(p, in_b, oy, ox, dst);
  else gather_bytes(p, in_b, oy, ox, stage, dst, k_padded);
}

/* The bytewise gather of a window inside the image with dil_w == 1 (every window row span contiguous bytes,
 * rows dy apart): one word move per 4 bytes (the last word of a row ends at its end, overlapping the
 * one before), the zero-point tail, then widened: the per-tap tests and the generic loop's bookkeeping were
 * most of the cost of narrow layers (in_c 3: ~300 instructions per pixel, ~110 here). */
typedef struct {
  int32_t k_h, span, dy, k, k_padded;
  uint32_t off2, zp4;
  const int8_t *in_b; /* (gather_px) the batch's input */
  int8_t *stage;      /* (gather_px) the byte row in scratch */
  int32_t oy_lo, oy_hi, ox_lo, ox_hi; /* (gather_pair) pixels whose window lies inside the image */
  int pw;             /* (run) 1x1 without padding on whole channel groups: gather_pair_1x1 */
} rows_plan;

/* gather_rows for 3 window rows of 9 bytes (3x3 on 3 channels: RGB first layers; k 27, k_padded 32): the 8 words
 * of k built straight from the input rows, no byte row: the words that straddle two rows take the bytes before the
 * next row's start (inside the input: that row starts at least 9 bytes after the first) and replace them (BFI /
 * PKHBT), the last word is shifted so nothing past the window is read (its top byte, k 27, meets a zero weight);
 * widened in place (k_padded 28). ~40 instructions per pixel instead of ~150 through the byte row. */
static inline __attribute__((always_inline)) void gather_k27(const int8_t *r0, int32_t dy, uint32_t off2,
                                                             uint32_t *dst) {
  const int8_t *r1 = r0 + dy, *r2 = r1 + dy;
  const uint32_t g0 = tfedge_ld32(r0), g1 = tfedge_ld32(r0 + 4);
  const uint32_t g2 = (tfedge_ld32(r1 - 1) & ~0xffu) | (uint8_t)r0[8];
  const uint32_t g3 = tfedge_ld32(r1 + 3);
  const uint32_t g4 = (tfedge_ld32(r1 + 7) & 0xffffu) | (tfedge_ld32(r2 - 2) & 0xffff0000u);
  const uint32_t g5 = tfedge_ld32(r2 + 2), g6 = tfedge_ld32(r2 + 5) >> 8;
  dst[0] = __sxtab16(off2, g0), dst[1] = tfedge_sxtab16_ror8(off2, g0);
  dst[4] = __sxtab16(off2, g1), dst[5] = tfedge_sxtab16_ror8(off2, g1);
  dst[8] = __sxtab16(off2, g2), dst[9] = tfedge_sxtab16_ror8(off2, g2);
  dst[12] = __sxtab16(off2, g3), dst[13] = tfedge_sxtab16_ror8(off2, g3);
  dst[16] = __sxtab16(off2, g4), dst[17] = tfedge_sxtab16_ror8(off2, g4);
  dst[20] = __sxtab16(off2, g5), dst[21] = tfedge_sxtab16_ror8(off2, g5);
  dst[24] = __sxtab16(off2, g6), dst[25] = tfedge_sxtab16_ror8(off2, g6);
}

static __attribute__((noinline)) void gather_rows(const rows_plan *g, const int8_t *src, uint32_t *dst) {
  int8_t *s = g->stage;
  int32_t ky;
  if (TFEDGE_USES(CONV_K27) && g->k == 27 && g->k_h == 3) { /* (span 9) */
    gather_k27(src, g->dy, g->off2, dst);
    return;
  }
  for (ky = 0; ky < g->k_h; ++ky, src += g->dy, s += g->span) copy_row(s, src, g->span);
  stage_widen(g->stage, g->k_padded, g->off2, dst);
}

/* Pixel (oy, ox) of the batch at rp->in_b into slot dst: gather_rows where it applies (rp->span: 0 when never),
 * else gather (out of line: one copy for the 4 specialisations of run). */
static __attribute__((noinline)) void gather_px(const tfedge_conv_params *p, const rows_plan *rp, int32_t oy,
                                                int32_t ox, uint32_t *dst) {
  const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
  if (rp->span && y0 >= 0 && y0 + (p->k_h - 1) * p->dil_h < p->in_h && x0 >= 0 && x0 + p->k_w <= p->in_w)
    gather_rows(rp, rp->in_b + (y0 * p->in_w + x0) * p->in_c, dst);
  else
    gather_any(p, rp->in_b, oy, ox, rp->stage, dst, rp->k_padded);
}

/* Pixels (oy, ox) and (oy, ox + 1) into slots dst and dst + 2 by the row gather when both windows lie inside the
 * image (the ranges pair_ranges found for this call; returns 1, else 0 with nothing written): one call and one
 * test for the pair, the second window stride_w taps right of the first (narrow_c3: -150 k instructions, mostly
 * its first layer). Out of line, the test too: one copy for the 4 specialisations of run. */
static __attribute__((noinline)) int gather_pair(const tfedge_conv_params *p, const rows_plan *rp, int32_t oy,
                                                 int32_t ox, uint32_t *dst) {
  const int8_t *src;
  if (oy < rp->oy_lo || oy > rp->oy_hi || ox < rp->ox_lo || ox >= rp->ox_hi) return 0;
  src = rp->in_b + ((oy * p->stride_h - p->pad_top) * p->in_w + ox * p->stride_w - p->pad_left) * p->in_c;
  if (TFEDGE_USES(CONV_K27) && rp->k == 27 && rp->k_h == 3) { /* both 27-value windows inline (no calls) */
    gather_k27(src, rp->dy, rp->off2, dst);
    gather_k27(src + p->stride_w * 3, rp->dy, rp->off2, dst + 2);
    return 1;
  }
  gather_rows(rp, src, dst);
  gather_rows(rp, src + p->stride_w * p->in_c, dst + 2);
  return 1;
}

/* A 1x1 convolution without padding on in_c % 4 == 0: pixels (oy, ox) and the next one (on the next row after the
 * last column) widened into slots dst and dst + 2 in one loop, per 4 channels 2 LDR, 4 SXTAB16 and one 16-byte
 * store: gather's per-tap bounds tests and loops, twice per pair, cost about twice this (mbv2_035's 1x1 layers). The
 * slots hold exactly in_c = k_padded values. in_c >= 4. */
/* The loop: groups (>= 1) of 4 channels of s0 and s1, per group 2 LDR, 4 SXTAB16 with the offsets off2, one STM. */
__attribute__((naked, noinline)) static void widen_pair_groups(__attribute__((unused)) const int8_t *s0,
                                                               __attribute__((unused)) const int8_t *s1,
                                                               __attribute__((unused)) uint32_t *dst,
                                                               __attribute__((unused)) int32_t groups,
                                                               __attribute__((unused)) uint32_t off2) {
  __asm__ volatile(
      "push {r4-r7}\n\t"
      "ldr r12, [sp, #16]\n\t"       /* off2 */
      "1:\n\t"
      "ldr r4, [r0], #4\n\t"
      "ldr r6, [r1], #4\n\t"
      "sxtab16 r5, r12, r4, ror #8\n\t"
      "sxtab16 r4, r12, r4\n\t"
      "sxtab16 r7, r12, r6, ror #8\n\t"
      "sxtab16 r6, r12, r6\n\t"
      "stmia r2!, {r4-r7}\n\t"
      "subs r3, r3, #1\n\t"
      "bne 1b\n\t"
      "pop {r4-r7}\n\t"
      "bx lr\n\t");
}

static __attribute__((noinline)) void gather_pair_1x1(const tfedge_conv_params *p, const int8_t *in_b, int32_t oy,
                                                      int32_t ox, uint32_t off2, uint32_t *dst) {
  const int32_t ox1 = ox + 1 == p->out_w ? 0 : ox + 1, oy1 = ox1 ? oy : oy + 1;
  const int8_t *s0 = in_b + (oy * p->stride_h * p->in_w + ox * p->stride_w) * p->in_c;
  const int8_t *s1 = in_b + (oy1 * p->stride_h * p->in_w + ox1 * p->stride_w) * p->in_c;
  widen_pair_groups(s0, s1, dst, p->in_c >> 2, off2);
}

/* First and last output index whose window lies inside [0, in) (lead: the padding before; last < first when none). */
static void interior(int32_t in, int32_t eff, int32_t stride, int32_t lead, int32_t *first, int32_t *last) {
  *first = (lead + stride - 1) / stride;
  *last = in - eff + lead >= 0 ? (in - eff + lead) / stride : -1;
}

/* gather_pair's output ranges for this call (out of line: one copy for the 4 specialisations of run). */
static __attribute__((noinline)) void pair_ranges(const tfedge_conv_params *p, rows_plan *rp) {
  interior(p->in_h, (p->k_h - 1) * p->dil_h + 1, p->stride_h, p->pad_top, &rp->oy_lo, &rp->oy_hi);
  interior(p->in_w, p->k_w, p->stride_w, p->pad_left, &rp->ox_lo, &rp->ox_hi);
  if (rp->ox_hi > p->out_w - 1) rp->ox_hi = p->out_w - 1; /* (an explicitly cropped output ends before the image) */
}

/* All channel pairs for one pixel pair: acc[4j..4j+3] = {px0 ch 2j, px0 ch 2j+1, px1 ch 2j, px1 ch 2j+1},
 * starting from the biases. Hand-scheduled because the block needs 13 live registers plus 4 loop values
 * (kept on the stack): per group of 4 values 4 LDRD back to back (pixels, then the first channel's weights:
 * the later loads pipeline behind the first) and 8 SMLAD; 4 groups per loop iteration. */
typedef struct {
  const uint32_t *x;            /* the two widened pixels, interleaved */
  const int16_t *w;             /* packed int16 weights */
  const tfedge_requant_ch *rq;  /* biases (records padded to an even count) */
  int32_t *acc;                 /* 4 per channel pair */
  int32_t groups;               /* k_padded / 4 */
  int32_t pairs;                /* output channel pairs */
  int8_t *out;                  /* dot_pairs_rq: pixel 0's outputs (pixel 1's follow out_c later) */
  int32_t out_c;
  uint32_t lo4, hi4;            /* activation range, 4 bytes each */
  int32_t odd;                  /* the requantizing passes (CONV_ODD): groups when a last single channel follows the
                                 * pairs (its pair's other row zero weights), else 0 */
} dot_args;

/* The pair passes' loop over a channel pair's groups of 4 values: 4 groups per iteration, entered at the group
 * that leaves whole iterations ([sp] the iterations, [sp, #ENTRY] the entry address): k is padded to 4, not 8
 * (RGB 3x3: 28 values, not 32), and the entry costs one load instead of tests of the count. */
#define GROUP_LOOP(G, ENTRY)                 \
  "ldr r12, [sp, #0]\n\t"                    \
  "ldr pc, [sp, #" #ENTRY "]\n\t"            \
  "5:\n\t" G                                 \
  "6:\n\t" G                                 \
  "7:\n\t" G                                 \
  "8:\n\t" G                                 \
  "subs r12, r12, #1\n\t"                    \
  "bne 5b\n\t"

/* GROUP_LOOP's frame words from the args at r0 (r1, r6 free): ceil(groups / 4) at [sp], the entry for groups % 4
 * at [sp, #ENTRY], read from the table GROUP_ENTRIES after the function's code (Thumb addresses: + 1). */
#define GROUP_FRAME(ENTRY)                   \
  "ldr r1, [r0, #16]\n\t"                    \
  "add r6, r1, #3\n\t"                       \
  "lsr r6, r6, #2\n\t"                       \
  "str r6, [sp, #0]\n\t"                     \
  "and r1, r1, #3\n\t"                       \
  "adr.w r6, 9f\n\t"                         \
  "ldr r1, [r6, r1, lsl #2]\n\t"             \
  "str r1, [sp, #" #ENTRY "]\n\t"
#define GROUP_ENTRIES                        \
  ".align 2\n\t"                             \
  "9: .word 5b + 1, 8b + 1, 7b + 1, 6b + 1\n\t"

/* One group of 4 values for the channel pair, int16 weights: the two pixels' LDRD, two LDRD of weights, 8 SMLAD. */
#define G16                                  \
  "ldrd r8, r9, [r1], #8\n\t"                \
  "ldrd r10, r11, [r1], #8\n\t"              \
  "ldrd r6, r7, [r0], #8\n\t"                \
  "smlad r2, r8, r6, r2\n\t"                 \
  "smlad r4, r10, r6, r4\n\t"                \
  "smlad r2, r9, r7, r2\n\t"                 \
  "smlad r4, r11, r7, r4\n\t"                \
  "ldrd r6, r7, [r0], #8\n\t"                \
  "smlad r3, r8, r6, r3\n\t"                 \
  "smlad r5, r10, r6, r5\n\t"                \
  "smlad r3, r9, r7, r3\n\t"                 \
  "smlad r5, r11, r7, r5\n\t"

/* The int16 passes' channel pair: biases from the records (lr, running), then GROUP_LOOP. */
#define PAIR16(ENTRY)                        \
  "ldr r2, [lr], #16\n\t"                    \
  "ldr r3, [lr], #16\n\t"                    \
  "mov r4, r2\n\t"                           \
  "mov r5, r3\n\t"                           \
  "ldr r1, [sp, #8]\n\t"                     \
  GROUP_LOOP(G16, ENTRY)

/* The accumulating passes' stack frame ([sp] iterations, pairs left, x, acc; [sp, #20] the loop entry) and the
 * end of their pair loop (the pair's 4 sums stored, the next pair). */
#define ACC_FRAME           \
  "ldr r1, [r0, #20]\n\t"   \
  "str r1, [sp, #4]\n\t"    \
  "ldr r1, [r0, #0]\n\t"    \
  "str r1, [sp, #8]\n\t"    \
  "ldr r1, [r0, #12]\n\t"   \
  "str r1, [sp, #12]\n\t"   \
  GROUP_FRAME(20)
#define ACC_STORE           \
  "ldr r1, [sp, #12]\n\t"   \
  "stmia r1!, {r2-r5}\n\t"  \
  "str r1, [sp, #12]\n\t"   \
  "ldr r1, [sp, #4]\n\t"    \
  "subs r1, r1, #1\n\t"     \
  "str r1, [sp, #4]\n\t"    \
  "bne 2b\n\t"

__attribute__((naked, noinline)) static void dot_pairs(__attribute__((unused)) const dot_args *a) {
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "sub sp, sp, #24\n\t"
      ACC_FRAME
      "ldr lr, [r0, #8]\n\t"          /* rq */
      "ldr r0, [r0, #4]\n\t"          /* w */
      "2:\n\t"
      PAIR16(20)
      ACC_STORE
      "add sp, sp, #24\n\t"
      "pop {r4-r11, pc}\n\t"
      GROUP_ENTRIES);
}

/* The stack frame of the requantizing passes: [sp] iterations, pairs left, x, out (running), out_c (pixel 1 =
 * pixel 0 + out_c), lo4, hi4; [sp, #28] free (dot_pairs8_rq: rq), [sp, #32] the loop entry, [sp, #36] odd. */
#define RQ_FRAME            \
  "push {r4-r11, lr}\n\t"   \
  "sub sp, sp, #40\n\t"     \
  "ldr r1, [r0, #24]\n\t"   \
  "str r1, [sp, #12]\n\t"   \
  "ldr r1, [r0, #28]\n\t"   \
  "str r1, [sp, #16]\n\t"   \
  "ldr r1, [r0, #32]\n\t"   \
  "str r1, [sp, #20]\n\t"   \
  "ldr r1, [r0, #36]\n\t"   \
  "str r1, [sp, #24]\n\t"   \
  "ldr r1, [r0, #20]\n\t"   \
  "str r1, [sp, #4]\n\t"    \
  "ldr r1, [r0, #0]\n\t"    \
  "str r1, [sp, #8]\n\t"    \
  RQ_FRAME_ODD              \
  GROUP_FRAME(32)
/* After a channel pair's sums (r2-r5, records at lr - 32): 4 one-SMLAL requantizations, BFI packing, SSUB8/SEL
 * clamp, one halfword per pixel; counts the pair down (flags set for the loop branch). */
#define RQ_PAIR_STORE \
  "ldrd r6, r7, [lr, #-28]\n\t" \
  "ldr r8, [lr, #-20]\n\t" \
  "and r9, r2, #0x80000000\n\t" \
  "orr r9, r9, #0x40000000\n\t" \
  "add r10, r7, r2, asr #31\n\t" \
  "smlal r9, r10, r2, r6\n\t" \
  "asr r10, r10, r8\n\t" \
  "ssat r2, #8, r10\n\t" \
  "and r9, r4, #0x80000000\n\t" \
  "orr r9, r9, #0x40000000\n\t" \
  "add r10, r7, r4, asr #31\n\t" \
  "smlal r9, r10, r4, r6\n\t" \
  "asr r10, r10, r8\n\t" \
  "ssat r4, #8, r10\n\t" \
  "ldrd r6, r7, [lr, #-12]\n\t" \
  "ldr r8, [lr, #-4]\n\t" \
  "and r9, r3, #0x80000000\n\t" \
  "orr r9, r9, #0x40000000\n\t" \
  "add r10, r7, r3, asr #31\n\t" \
  "smlal r9, r10, r3, r6\n\t" \
  "asr r10, r10, r8\n\t" \
  "ssat r3, #8, r10\n\t" \
  "and r9, r5, #0x80000000\n\t" \
  "orr r9, r9, #0x40000000\n\t" \
  "add r10, r7, r5, asr #31\n\t" \
  "smlal r9, r10, r5, r6\n\t" \
  "asr r10, r10, r8\n\t" \
  "ssat r5, #8, r10\n\t" \
  "and r2, r2, #255\n\t" \
  "bfi r2, r3, #8, #8\n\t" \
  "bfi r2, r4, #16, #8\n\t" \
  "bfi r2, r5, #24, #8\n\t" \
  "ldr r6, [sp, #20]\n\t" \
  "ssub8 r7, r2, r6\n\t" \
  "sel r2, r2, r6\n\t" \
  "ldr r6, [sp, #24]\n\t" \
  "ssub8 r7, r2, r6\n\t" \
  "sel r2, r6, r2\n\t" \
  "ldr r1, [sp, #12]\n\t" \
  "ldr r6, [sp, #16]\n\t" \
  "lsr r7, r2, #16\n\t" \
  "strh r7, [r1, r6]\n\t" \
  "strh r2, [r1], #2\n\t" \
  "str r1, [sp, #12]\n\t" \
  "ldr r1, [sp, #4]\n\t" \
  "subs r1, r1, #1\n\t" \
  "str r1, [sp, #4]\n\t"

#define ONE_G8                               \
  "ldrd r8, r9, [r1], #8\n\t"                \
  "ldrd r10, r11, [r1], #8\n\t"              \
  "ldr r6, [r2], #8\n\t"                     \
  "sxtb16 r7, r6\n\t"                        \
  "sxtb16 r6, r6, ror #8\n\t"                \
  "smlad r4, r8, r7, r4\n\t"                 \
  "smlad r5, r10, r7, r5\n\t"                \
  "smlad r4, r9, r6, r4\n\t"                 \
  "smlad r5, r11, r6, r5\n\t"
#define ONE_G16                              \
  "ldrd r8, r9, [r1], #8\n\t"                \
  "ldrd r10, r11, [r1], #8\n\t"              \
  "ldrd r6, r7, [r2], #16\n\t"               \
  "smlad r4, r8, r6, r4\n\t"                 \
  "smlad r5, r10, r6, r5\n\t"                \
  "smlad r4, r9, r7, r4\n\t"                 \
  "smlad r5, r11, r7, r5\n\t"
#define ONE_RQ(ACC)                          \
  "and r9, " ACC ", #0x80000000\n\t"         \
  "orr r9, r9, #0x40000000\n\t"              \
  "add r10, r7, " ACC ", asr #31\n\t"        \
  "smlal r9, r10, " ACC ", r6\n\t"           \
  "asr r10, r10, r8\n\t"                     \
  "ssat " ACC ", #8, r10\n\t"
/* r12 groups of 4 values (>= 1), two per iteration: an odd count enters at the second. */
#define GROUPS2(GROUP)                       \
  "lsrs r12, r12, #1\n\t"                    \
  "bcc 1f\n\t"                               \
  "add r12, r12, #1\n\t"                     \
  "b 3f\n\t"                                 \
  "1:\n\t" GROUP                             \
  "3:\n\t" GROUP                             \
  "subs r12, r12, #1\n\t"                    \
  "bne 1b\n\t"
/* One channel x 2 pixels from r1 (the pixels), r2 (the channel's weights), r3 (its record), r12 (groups): the dot
 * products, 2 one-SMLAL requantizations, SSUB8/SEL clamp and one byte per pixel; lo4, hi4, out and out_c at
 * [BASE, #LO], [BASE, #HI], [BASE, #OUT], [BASE, #OUTC] (the args, or the pair passes' frame). */
#define ONE_CHANNEL(GROUP, BASE, LO, HI, OUT, OUTC) \
  "ldr r4, [r3]\n\t"                         \
  "mov r5, r4\n\t"                           \
  GROUPS2(GROUP)                             \
  "ldrd r6, r7, [r3, #4]\n\t"                \
  "ldr r8, [r3, #12]\n\t"                    \
  ONE_RQ("r4") ONE_RQ("r5")                  \
  "and r4, r4, #255\n\t"                     \
  "bfi r4, r5, #8, #8\n\t"                   \
  "ldr r6, [" BASE ", #" LO "]\n\t"          \
  "ssub8 r7, r4, r6\n\t"                     \
  "sel r4, r4, r6\n\t"                       \
  "ldr r6, [" BASE ", #" HI "]\n\t"          \
  "ssub8 r7, r4, r6\n\t"                     \
  "sel r4, r6, r4\n\t"                       \
  "ldr r1, [" BASE ", #" OUT "]\n\t"         \
  "ldr r6, [" BASE ", #" OUTC "]\n\t"        \
  "strb r4, [r1]\n\t"                        \
  "lsr r4, r4, #8\n\t"                       \
  "strb r4, [r1, r6]\n\t"

/* The requantizing passes' last single channel (odd, CONV_ODD: [sp, #36] its groups, else 0) after the pairs: the
 * weights (r0) and the records (RQLOAD into r3), outputs and pixels run on from the pair loop; per group of 4 values
 * the two pixels' LDRD, the channel's weights, 4 SMLAD, then 2 one-SMLAL requantizations, SSUB8/SEL clamp, one
 * byte per pixel. In the same call as the pairs: a narrow layer's second call per pixel pair cost ~50 instructions. */
#if TFEDGE_MODEL_USES_CONV_ODD
#define RQ_FRAME_ODD        \
  "ldr r1, [r0, #40]\n\t"   \
  "str r1, [sp, #36]\n\t"
#define ODD_TAIL(GROUP, RQLOAD)              \
  "ldr r12, [sp, #36]\n\t"                   \
  "cmp r12, #0\n\t"                          \
  "beq 0f\n\t"                               \
  RQLOAD                                     \
  "ldr r1, [sp, #8]\n\t"                     \
  "mov r2, r0\n\t"                           \
  ONE_CHANNEL(GROUP, "sp", "20", "24", "12", "16") \
  "0:\n\t"
#else
#define RQ_FRAME_ODD
#define ODD_TAIL(GROUP, RQLOAD)
#endif

/* The same, requantizing in place of storing accumulators (even channel counts, two pixels): per channel
 * pair the records' multiplier / k_hi / shift (LDRD + LDR), 4 one-SMLAL requantizations, the 4 bytes packed
 * (BFI), clamped with SSUB8/SEL and stored as one halfword per pixel. */
__attribute__((naked, noinline)) static void dot_pairs_rq(__attribute__((unused)) const dot_args *a) {
  __asm__ volatile(
      RQ_FRAME
      "ldr lr, [r0, #8]\n\t"          /* rq */
      "ldr r0, [r0, #4]\n\t"          /* w */
      "2:\n\t"
      PAIR16(32)
      RQ_PAIR_STORE
      "bne 2b\n\t"
      ODD_TAIL(ONE_G16, "mov r3, lr\n\t")
      "add sp, sp, #40\n\t"
      "pop {r4-r11, pc}\n\t"
      GROUP_ENTRIES);
}

/* int8 weights (weights_i8): the same blocks with each channel's 4 weights one word, widened in the loop with
 * SXTB16 / SXTB16 ROR 8 into the [k0 k2] [k1 k3] pairs the inputs are in (CMSIS-NN's trick): per group of 4
 * values 3 LDRD, 4 SXTB16 and 8 SMLAD instead of 4 LDRD and 8 SMLAD. lr is the widening temporary, so the
 * records pointer lives on the stack. */
#define G8                                   \
  "ldrd r8, r9, [r1], #8\n\t"                \
  "ldrd r10, r11, [r1], #8\n\t"              \
  "ldrd r6, r7, [r0], #8\n\t"                \
  "sxtb16 lr, r6\n\t"                        \
  "sxtb16 r6, r6, ror #8\n\t"                \
  "smlad r2, r8, lr, r2\n\t"                 \
  "smlad r4, r10, lr, r4\n\t"                \
  "smlad r2, r9, r6, r2\n\t"                 \
  "smlad r4, r11, r6, r4\n\t"                \
  "sxtb16 lr, r7\n\t"                        \
  "sxtb16 r7, r7, ror #8\n\t"                \
  "smlad r3, r8, lr, r3\n\t"                 \
  "smlad r5, r10, lr, r5\n\t"                \
  "smlad r3, r9, r7, r3\n\t"                 \
  "smlad r5, r11, r7, r5\n\t"

/* One channel pair's dot products (biases from the records at [sp, #RQ]; the loop entry at [sp, #ENTRY]). */
#define PAIR8(RQ, ENTRY)                     \
  "ldr lr, [sp, #" #RQ "]\n\t"               \
  "ldr r2, [lr], #16\n\t"                    \
  "ldr r3, [lr], #16\n\t"                    \
  "str lr, [sp, #" #RQ "]\n\t"               \
  "mov r4, r2\n\t"                           \
  "mov r5, r3\n\t"                           \
  "ldr r1, [sp, #8]\n\t"                     \
  GROUP_LOOP(G8, ENTRY)                      \
  "ldr lr, [sp, #" #RQ "]\n\t"

__attribute__((naked, noinline)) static void dot_pairs8(__attribute__((unused)) const dot_args *a) {
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "sub sp, sp, #24\n\t"
      ACC_FRAME
      "ldr r1, [r0, #8]\n\t"
      "str r1, [sp, #16]\n\t"         /* rq */
      "ldr r0, [r0, #4]\n\t"          /* w */
      "2:\n\t"
      PAIR8(16, 20)
      ACC_STORE
      "add sp, sp, #24\n\t"
      "pop {r4-r11, pc}\n\t"
      GROUP_ENTRIES);
}

/* dot_pairs_rq with int8 weights: the requantization tail of dot_pairs_rq after PAIR8 (lr restored). */
__attribute__((naked, noinline)) static void dot_pairs8_rq(__attribute__((unused)) const dot_args *a) {
  __asm__ volatile(
      RQ_FRAME
      "ldr r1, [r0, #8]\n\t"
      "str r1, [sp, #28]\n\t"         /* rq */
      "ldr r0, [r0, #4]\n\t"          /* w */
      "2:\n\t"
      PAIR8(28, 32)
      RQ_PAIR_STORE
      "bne 2b\n\t"
      ODD_TAIL(ONE_G8, "ldr r3, [sp, #28]\n\t")
      "add sp, sp, #40\n\t"
      "pop {r4-r11, pc}\n\t"
      GROUP_ENTRIES);
}

/* One channel x 2 pixels (the last channel of an odd count, its pair's other row zero weights): per group of 4
 * values the two pixels' LDRD, the channel's weights (int8: one LDR, SXTB16 / ROR 8; int16: one LDRD), 4 SMLAD;
 * then the 2 one-SMLAL requantizations, SSUB8/SEL clamp and one byte per pixel. Half the instructions of the
 * pair pass for that channel, and no copy of the pixels out of a cc + 1 row. a->w: the channel's pair, a->rq: its
 * record, a->out: pixel 0's byte (pixel 1's a->out_c later), a->groups: k_padded / 4. */
#define DOT_ONE_RQ(GROUP)                    \
  "push {r4-r11, lr}\n\t"                   \
  "ldrd r1, r2, [r0]\n\t"                    \
  "ldr r3, [r0, #8]\n\t"                     \
  "ldr r12, [r0, #16]\n\t"                   \
  ONE_CHANNEL(GROUP, "r0", "32", "36", "24", "28") \
  "pop {r4-r11, pc}\n\t"

__attribute__((naked, noinline)) static void dot_one8_rq(__attribute__((unused)) const dot_args *a) {
  __asm__ volatile(DOT_ONE_RQ(ONE_G8));
}

__attribute__((naked, noinline)) static void dot_one_rq(__attribute__((unused)) const dot_args *a) {
  __asm__ volatile(DOT_ONE_RQ(ONE_G16));
}

/* A single pixel (the last of an odd pixel count), int8 weights: every channel pair over pixel 0's slots only, per
 * group of 4 values one LDRD of the pixel, one LDRD of the pair's weights, 4 SXTB16, 4 SMLAD (the pair pass on
 * the pixel duplicated: 3 LDRD, 4 SXTB16, 8 SMLAD), then the 2 one-SMLAL requantizations, SSUB8/SEL clamp and one
 * halfword. [sp] holds a (groups, lo4, hi4 are read from it); r11 the pixel's slots, r4 pairs left, r5 out. */
#define PX1_G8                               \
  "ldrd r8, r9, [r1], #16\n\t"               \
  "ldrd r6, r7, [r0], #8\n\t"                \
  "sxtb16 r10, r6\n\t"                       \
  "sxtb16 r6, r6, ror #8\n\t"                \
  "smlad r2, r8, r10, r2\n\t"                \
  "smlad r2, r9, r6, r2\n\t"                 \
  "sxtb16 r10, r7\n\t"                       \
  "sxtb16 r7, r7, ror #8\n\t"                \
  "smlad r3, r8, r10, r3\n\t"                \
  "smlad r3, r9, r7, r3\n\t"

__attribute__((naked, noinline)) static void dot_px1_8_rq(__attribute__((unused)) const dot_args *a) {
  __asm__ volatile(
      "push {r0, r4-r11, lr}\n\t"
      "ldr r11, [r0, #0]\n\t"        /* x */
      "ldr lr, [r0, #8]\n\t"         /* rq */
      "ldr r4, [r0, #20]\n\t"        /* pairs */
      "ldr r5, [r0, #24]\n\t"        /* out */
      "ldr r0, [r0, #4]\n\t"         /* w */
      "2:\n\t"
      "ldr r2, [lr], #16\n\t"
      "ldr r3, [lr], #16\n\t"
      "mov r1, r11\n\t"
      "ldr r12, [sp]\n\t"
      "ldr r12, [r12, #16]\n\t"      /* groups */
      GROUPS2(PX1_G8)
      "ldrd r6, r7, [lr, #-28]\n\t"
      "ldr r8, [lr, #-20]\n\t"
      ONE_RQ("r2")
      "ldrd r6, r7, [lr, #-12]\n\t"
      "ldr r8, [lr, #-4]\n\t"
      ONE_RQ("r3")
      "and r2, r2, #255\n\t"
      "bfi r2, r3, #8, #8\n\t"
      "ldr r12, [sp]\n\t"
      "ldr r6, [r12, #32]\n\t"
      "ssub8 r7, r2, r6\n\t"
      "sel r2, r2, r6\n\t"
      "ldr r6, [r12, #36]\n\t"
      "ssub8 r7, r2, r6\n\t"
      "sel r2, r6, r2\n\t"
      "strh r2, [r5], #2\n\t"
      "subs r4, r4, #1\n\t"
      "bne 2b\n\t"
      "pop {r0, r4-r11, pc}\n\t");
}

/* The single last pixel (int8 weights, no two-step channels) into o0: an odd channel count's pairs into the row
 * `row` (cc + 1 bytes), then cc bytes copied out, so nothing past the pixel is written. */
static __attribute__((noinline)) void dot_single_rq(const dot_args *a, int8_t *o0, int32_t cc, int8_t *row) {
  const int odd = TFEDGE_USES(CONV_ODD) && (cc & 1); /* (model.h: CONV_ODD wherever a layer's cc is odd) */
  dot_args one = *a;
  one.out = odd ? row : o0, one.pairs = (cc + 1) >> 1, one.odd = 0;
  dot_px1_8_rq(&one);
  if (odd) copy_bytes(o0, row, cc);
}

/* Requantized accumulator *accp with record r, saturated to int8 and (clamp) clamped: the accumulator and
 * the record's multiplier, k_hi and shift are loaded back to back (one asm block) so the loads pipeline.
 * general: the layer has channels on the two-step form (TFEDGE_RQ_GENERAL), checked per channel. */
static inline __attribute__((always_inline)) int32_t out_ld(const int32_t *accp, const tfedge_requant_ch *r,
                                                            int clamp, int32_t lo, int32_t hi, int general, int32_t zp) {
  int32_t acc, mult, k_hi, shift, v;
  uint32_t l;
  __asm__("ldr %0, [%4]\n\tldrd %1, %2, [%5, #4]\n\tldr %3, [%5, #12]"
          : "=&r"(acc), "=&r"(mult), "=&r"(k_hi), "=r"(shift) : "r"(accp), "r"(r));
  if (general && shift >= TFEDGE_RQ_GENERAL) {
    v = __ssat(tfedge_dsp_requant_general(acc, mult, k_hi, zp), 8);
  } else {
    l = 0x40000000u | ((uint32_t)acc & 0x80000000u);
    k_hi += acc >> 31;
    __asm__("smlal %0, %1, %2, %3" : "+r"(l), "+r"(k_hi) : "r"(acc), "r"(mult));
    v = __ssat(k_hi >> shift, 8);
  }
  if (clamp) {
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
  }
  return v;
}

/* Requantizes one pixel pair's accumulators ([pair][px0 ch0, px0 ch1, px1 ch0, px1 ch1]) of n channels into
 * o0 / o1. */
static inline __attribute__((always_inline)) void requant_pair(const int32_t *acc, const tfedge_requant_ch *r,
                                                               int32_t n, int8_t *o0, int8_t *o1, int two,
                                                               int clamp, int32_t lo, int32_t hi, int general,
                                                               int32_t zp) {
  int32_t oc;
  for (oc = 0; oc + 2 <= n; oc += 2, acc += 4, r += 2) {
    o0[oc] = (int8_t)out_ld(acc, r, clamp, lo, hi, general, zp);
    o0[oc + 1] = (int8_t)out_ld(acc + 1, r + 1, clamp, lo, hi, general, zp);
    if (two) {
      o1[oc] = (int8_t)out_ld(acc + 2, r, clamp, lo, hi, general, zp);
      o1[oc + 1] = (int8_t)out_ld(acc + 3, r + 1, clamp, lo, hi, general, zp);
    }
  }
  if (oc < n) {
    o0[oc] = (int8_t)out_ld(acc, r, clamp, lo, hi, general, zp);
    if (two) o1[oc] = (int8_t)out_ld(acc + 2, r, clamp, lo, hi, general, zp);
  }
}

/* acc requantized with a record's mult / k_hi / shift (the one-SMLAL form, or where the layer has TFEDGE_RQ_GENERAL
 * channels and this is one, the two-step form), saturated to int8 and clamped to [lo, hi]. */
static inline __attribute__((always_inline)) int32_t rq_value(int32_t acc, int32_t mult, int32_t k_hi, int32_t shift,
                                                             int32_t lo, int32_t hi, int general, int32_t zp) {
  int32_t v;
  if (general && shift >= TFEDGE_RQ_GENERAL) {
    v = tfedge_dsp_requant_general(acc, mult, k_hi, zp);
  } else {
    uint32_t l = 0x40000000u | ((uint32_t)acc & 0x80000000u);
    k_hi += acc >> 31;
    __asm__("smlal %0, %1, %2, %3" : "+r"(l), "+r"(k_hi) : "r"(acc), "r"(mult));
    v = k_hi >> shift;
  }
  v = __ssat(v, 8);
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

/* Up to 8 bytes of the pixel at src as 2 words (bytes past its in_c meet zero weights): straight from the input,
 * or (narrow_px_copy: the last pixels) from a copy where the words would reach past the input's end, so nothing
 * outside it is read. */
static __attribute__((noinline)) void narrow_px_copy(const int8_t *src, int32_t in_c, uint32_t *v) {
  int8_t tmp[8] = {0};
  memcpy(tmp, src, (size_t)in_c);
  v[0] = tfedge_ld32(tmp), v[1] = tfedge_ld32(tmp + 4);
}

static inline __attribute__((always_inline)) void narrow_px_words(const int8_t *src, const int8_t *end,
                                                                  int32_t in_c, int32_t groups, uint32_t *v) {
  if (src + 4 * groups <= end) {
    v[0] = tfedge_ld32(src);
    v[1] = groups > 1 ? tfedge_ld32(src + 4) : 0;
  } else {
    narrow_px_copy(src, in_c, v);
  }
}

/* One computed channel of the pixel pair (x: narrow_args.x) in C, for layers with two-step channels: its weight
 * word(s) wc[0] (and wc[2], group 1), 2-4 SMLAD per pixel, the two requantizations into o0 / o1. */
static inline __attribute__((always_inline)) void narrow_channel(const uint32_t *x, const uint32_t *wc,
                                                                 const tfedge_requant_ch *r, int32_t groups,
                                                                 int32_t lo, int32_t hi, int general, int32_t zp,
                                                                 int8_t *o0, int8_t *o1) {
  const uint32_t wv = wc[0], wl = __sxtb16(wv), wh = tfedge_sxtb16_ror8(wv);
  int32_t s0 = __smlad(x[1], wh, __smlad(x[0], wl, r->bias));
  int32_t s1 = __smlad(x[3], wh, __smlad(x[2], wl, r->bias));
  if (groups > 1) {
    const uint32_t uv = wc[2], ul = __sxtb16(uv), uh = tfedge_sxtb16_ror8(uv);
    s0 = __smlad(x[5], uh, __smlad(x[4], ul, s0));
    s1 = __smlad(x[7], uh, __smlad(x[6], ul, s1));
  }
  { /* the record read once for both pixels (before the byte stores, which could alias it) */
    const int32_t mult = r->mult, k_hi = r->k_hi, shift = r->shift;
    const int32_t v0 = rq_value(s0, mult, k_hi, shift, lo, hi, general, zp);
    const int32_t v1 = rq_value(s1, mult, k_hi, shift, lo, hi, general, zp);
    *o0 = (int8_t)v0, *o1 = (int8_t)v1;
  }
}

/* narrow_1x1's channels and the one-SMLAL requantization, in asm: GCC kept the widened pixels on the stack and
 * reloaded the records after each byte store (~60 instructions per channel and pixel pair; here 37 on 1-3 input
 * channels, 46 on 5-7). Pixel 0's / 1's first group in r4-r7; per channel its weight word(s) (LDR, 2 SXTB16), 4-8
 * SMLAD, the record's LDR / LDRD / LDR, 2 requantizations, both bytes clamped at once with SSUB8/SEL. */
typedef struct {
  uint32_t x[8];               /* pixel 0's [x0 x2] [x1 x3], pixel 1's; then their second group (in_c 5-7) */
  const uint32_t *w;           /* the layer's weights, the pair layout */
  const tfedge_requant_ch *rq; /* its records */
  int8_t *o0, *o1;             /* the pixels' outputs */
  int32_t cc;                  /* channels (>= 1) */
  uint32_t lo4, hi4;           /* the activation range, 4 bytes each */
} narrow_args;

/* The frame: [sp] o0 + cc (the end), [sp, #4] lo4, [sp, #8] hi4, [sp, #16..31] the second groups (G2). */
#define NARROW_FRAME(G2)                     \
  "push {r4-r11, lr}\n\t"                    \
  "sub sp, sp, #32\n\t"                      \
  "ldr r1, [r0, #52]\n\t"                    \
  "str r1, [sp, #4]\n\t"                     \
  "ldr r1, [r0, #56]\n\t"                    \
  "str r1, [sp, #8]\n\t"                     \
  "ldr r2, [r0, #40]\n\t"                    \
  "ldr r1, [r0, #48]\n\t"                    \
  "add r1, r2, r1\n\t"                       \
  "str r1, [sp]\n\t"                         \
  "ldr r3, [r0, #44]\n\t"                    \
  G2                                         \
  "ldrd r4, r5, [r0]\n\t"                    \
  "ldrd r6, r7, [r0, #8]\n\t"                \
  "ldr r1, [r0, #36]\n\t"                    \
  "ldr r0, [r0, #32]\n\t"
#define NARROW_G2_FRAME                      \
  "ldrd r8, r9, [r0, #16]\n\t"               \
  "strd r8, r9, [sp, #16]\n\t"               \
  "ldrd r8, r9, [r0, #24]\n\t"               \
  "strd r8, r9, [sp, #24]\n\t"
/* One channel's first group: weights at [r0, #OFF], bias from the record (r1 steps on), sums s0 r10, s1 r11. */
#define NARROW_G0(OFF)                       \
  "ldr r8, [r0, #" #OFF "]\n\t"              \
  "ldr r10, [r1], #16\n\t"                   \
  "sxtb16 r9, r8\n\t"                        \
  "sxtb16 r8, r8, ror #8\n\t"                \
  "smlad r11, r6, r9, r10\n\t"               \
  "smlad r10, r4, r9, r10\n\t"               \
  "smlad r10, r5, r8, r10\n\t"               \
  "smlad r11, r7, r8, r11\n\t"
/* Its second group: weights at [r0, #OFF], the pixels' second groups from the frame. */
#define NARROW_G1(OFF)                       \
  "ldr r8, [r0, #" #OFF "]\n\t"              \
  "sxtb16 r9, r8\n\t"                        \
  "sxtb16 r8, r8, ror #8\n\t"                \
  "ldrd r12, lr, [sp, #16]\n\t"              \
  "smlad r10, r12, r9, r10\n\t"              \
  "smlad r10, lr, r8, r10\n\t"               \
  "ldrd r12, lr, [sp, #24]\n\t"              \
  "smlad r11, r12, r9, r11\n\t"              \
  "smlad r11, lr, r8, r11\n\t"
/* s0, s1 requantized with the record (r1 - 16), clamped, one byte each into o0 / o1 (r2, r3 step on). */
#define NARROW_RQ                            \
  "ldrd r8, r9, [r1, #-12]\n\t"              \
  "and lr, r10, #0x80000000\n\t"             \
  "orr lr, lr, #0x40000000\n\t"              \
  "add r12, r9, r10, asr #31\n\t"            \
  "smlal lr, r12, r10, r8\n\t"               \
  "ldr r10, [r1, #-4]\n\t"                   \
  "asr r12, r12, r10\n\t"                    \
  "ssat r12, #8, r12\n\t"                    \
  "and lr, r11, #0x80000000\n\t"             \
  "orr lr, lr, #0x40000000\n\t"              \
  "add r9, r9, r11, asr #31\n\t"             \
  "smlal lr, r9, r11, r8\n\t"                \
  "asr r9, r9, r10\n\t"                      \
  "ssat r9, #8, r9\n\t"                      \
  "and r12, r12, #255\n\t"                   \
  "bfi r12, r9, #8, #8\n\t"                  \
  "ldr r8, [sp, #4]\n\t"                     \
  "ssub8 r9, r12, r8\n\t"                    \
  "sel r12, r12, r8\n\t"                     \
  "ldr r8, [sp, #8]\n\t"                     \
  "ssub8 r9, r12, r8\n\t"                    \
  "sel r12, r8, r12\n\t"                     \
  "strb r12, [r2], #1\n\t"                   \
  "lsr r12, r12, #8\n\t"                     \
  "strb r12, [r3], #1\n\t"                   \
  "ldr r8, [sp]\n\t"                         \
  "cmp r2, r8\n\t"

/* 1-3 input channels: channel j's weights the word w[j]. */
__attribute__((naked, noinline)) static void narrow_g1_rq(__attribute__((unused)) const narrow_args *a) {
  __asm__ volatile(
      NARROW_FRAME("")
      "1:\n\t"
      NARROW_G0(0)
      "add r0, r0, #4\n\t"
      NARROW_RQ
      "bne 1b\n\t"
      "add sp, sp, #32\n\t"
      "pop {r4-r11, pc}\n\t");
}

/* 5-7 input channels: a channel pair per iteration, channel 2j's words w[4j], w[4j + 2], 2j + 1's w[4j + 1], w[4j + 3]
 * (an odd count ends after the first). */
__attribute__((naked, noinline)) static void narrow_g2_rq(__attribute__((unused)) const narrow_args *a) {
  __asm__ volatile(
      NARROW_FRAME(NARROW_G2_FRAME)
      "1:\n\t"
      NARROW_G0(0)
      NARROW_G1(8)
      NARROW_RQ
      "beq 2f\n\t"
      NARROW_G0(4)
      NARROW_G1(12)
      "add r0, r0, #16\n\t"
      NARROW_RQ
      "bne 1b\n\t"
      "2:\n\t"
      "add sp, sp, #32\n\t"
      "pop {r4-r11, pc}\n\t");
}

/* A 1x1 convolution without padding on 1-7 (not 4) input channels, int8 weights (CONV_1X1N): per pixel pair its
 * in_c bytes loaded as 1-2 words and widened once, then every computed channel by narrow_g1_rq / narrow_g2_rq (the
 * C loop of narrow_channel where the layer has two-step channels). The pair passes' per-call frame, per-pair
 * requantization of 4 outputs and the bytewise gather through the stage cost ~175 instructions per pixel for 9 MACs
 * on 3 -> 3 channels (narrow nets). A last single pixel is computed as a pair, its twin into `spare`. */
static inline __attribute__((always_inline)) void narrow_1x1_run(const tfedge_conv_params *p, const int8_t *in_b,
                                                                 int8_t *out_b, int32_t cc, int8_t *live, int8_t *spare,
                                                                 int compact, int general, const int32_t groups) {
  const uint32_t off2 = ((uint32_t)(uint16_t)p->input_offset << 16) | (uint16_t)p->input_offset;
  const int32_t in_c = p->in_c, out_c = p->out_c, npx = p->out_h * p->out_w;
  const int32_t stride = compact ? cc : out_c, step_x = p->stride_w * in_c, step_y = p->stride_h * p->in_w * in_c;
  const int32_t lo = p->act_min, hi = p->act_max, zp = p->output_offset;
  const int8_t *end = in_b + p->in_h * p->in_w * in_c, *row = in_b, *src = in_b;
  int32_t i, ox = 0;
  narrow_args na;
  na.w = (const uint32_t *)(const void *)p->weights, na.rq = p->rq, na.cc = cc;
  na.lo4 = (uint32_t)(uint8_t)lo * 0x01010101u, na.hi4 = (uint32_t)(uint8_t)hi * 0x01010101u;
  for (i = 0; i < npx; i += 2) {
    const int two = i + 1 < npx;
    const uint32_t *wc = (const uint32_t *)(const void *)p->weights;
    const tfedge_requant_ch *r = p->rq;
    const int8_t *src1;
    uint32_t v[4];
    int8_t *o0 = compact ? live : out_b + i * out_c, *o1 = two ? o0 + stride : spare;
    int32_t j;
    if (++ox == p->out_w) ox = 0, row += step_y, src1 = row;
    else src1 = src + step_x;
    if (!two) src1 = src;
    narrow_px_words(src, end, in_c, groups, v);
    narrow_px_words(src1, end, in_c, groups, v + 2);
    na.x[0] = __sxtab16(off2, v[0]), na.x[1] = tfedge_sxtab16_ror8(off2, v[0]);
    na.x[2] = __sxtab16(off2, v[2]), na.x[3] = tfedge_sxtab16_ror8(off2, v[2]);
    if (groups > 1) {
      na.x[4] = __sxtab16(off2, v[1]), na.x[5] = tfedge_sxtab16_ror8(off2, v[1]);
      na.x[6] = __sxtab16(off2, v[3]), na.x[7] = tfedge_sxtab16_ror8(off2, v[3]);
    }
    na.o0 = o0, na.o1 = o1;
    if (!general) {
      if (groups > 1) narrow_g2_rq(&na);
      else narrow_g1_rq(&na);
    } else {
      for (j = 0; j < cc; ++j, ++r) { /* channel j's words: pair j / 2, then j % 2 (wc steps 1, then 2 groups - 1) */
        narrow_channel(na.x, wc, r, groups, lo, hi, general, zp, o0 + j, o1 + j);
        wc += (j & 1) ? 2 * groups - 1 : 1;
      }
    }
    if (compact) tfedge_dsp_scatter(p->const_row, p->live_map, out_c, cc, live, out_b + i * out_c, two ? 2 : 1);
    if (++ox == p->out_w) ox = 0, row += step_y, src = row;
    else src = src1 + step_x;
  }
}

/* narrow_1x1_run specialised on the group count (1: in_c 1-3, 2: in_c 5-7). */
static __attribute__((noinline)) void narrow_1x1(const tfedge_conv_params *p, const int8_t *in_b, int8_t *out_b,
                                                 int32_t cc, int8_t *live, int8_t *spare, int compact, int general) {
  if (p->in_c > 4) narrow_1x1_run(p, in_b, out_b, cc, live, spare, compact, general, 2);
  else narrow_1x1_run(p, in_b, out_b, cc, live, spare, compact, general, 1);
}

/* clamp: the activation range is narrower than int8. With constant channels skipped (const_row) only the
 * live_c computed channels go through the dot products, into a 2-pixel row after the byte row in scratch,
 * and each pixel is then written from the constant row and those values. */
static inline __attribute__((always_inline)) void run(const tfedge_conv_params *p, const int8_t *input,
                                                      int8_t *output, const int clamp, const int compact) {
  const int32_t k_padded = (p->k_h * p->k_w * p->in_c + 3) & ~3;
  const int32_t groups = k_padded >> 2;
  const int32_t npx = p->out_h * p->out_w, out_c = p->out_c;
  const int32_t cc = compact ? p->live_c : out_c; /* channels computed */
  const int32_t pairs = (cc + 1) >> 1, stride = compact ? cc : out_c;
  /* two-step channels take the accumulating passes and the C requantization, linked only where a layer has some
   * (CONV_ACC; also int16 single pixels) */
  const int general = TFEDGE_USES(CONV_ACC) && p->rq_general != 0;
  const int32_t lo = p->act_min, hi = p->act_max, zp = p->output_offset;
  uint32_t *buf = (uint32_t *)p->scratch;
  int32_t *accs = (int32_t *)(buf + 4 * groups); /* 4 accumulators per channel pair */
  int8_t *stage = (int8_t *)(accs + 4 * pairs);
  int8_t *live = stage + k_padded + ((p->in_c & 3) ? 4 : 0); /* compact: 2 pixels x cc values (after the stage's slack) */
  const int i8 = !TFEDGE_USES(W16) || p->weights_i8;
  /* 1x1 without padding on 1-7 input channels (not 4) into 1-8 computed ones, int8 weights: narrow_1x1 */
  const int n1 = TFEDGE_USES(CONV_1X1N) && i8 && p->k_h == 1 && p->k_w == 1 && p->pad_top == 0 && p->pad_left == 0 &&
                 (p->in_c & 3) && p->in_c < 8 && cc >= 1 && cc <= 8;
  int32_t b, i;
  rows_plan rp;
  dot_args args;
  rp.k_h = p->k_h, rp.span = p->k_w * p->in_c, rp.dy = p->dil_h * p->in_w * p->in_c, rp.k = p->k_h * rp.span;
  rp.k_padded = k_padded, rp.off2 = ((uint32_t)(uint16_t)p->input_offset << 16) | (uint16_t)p->input_offset;
  rp.zp4 = (uint32_t)(uint8_t)(-p->input_offset) * 0x01010101u;
  if (!(p->in_c & 3) || p->dil_w != 1) rp.span = 0; /* whole groups per tap: gather's own path */
  rp.stage = stage;
  rp.pw = p->k_h == 1 && p->k_w == 1 && p->pad_top == 0 && p->pad_left == 0 && !(p->in_c & 3); /* 1x1 pairs */
  if (TFEDGE_USES(CONV_PAIR) && rp.span) pair_ranges(p, &rp);
  if (p->in_c & 3) /* the bytewise gathers' tail (zero weights), once per call */
    for (i = rp.k; i < k_padded; i += 4) tfedge_st32(stage + i, rp.zp4);
  /* the dot passes' arguments, set once per call (out per pixel pair); an odd computed count (CONV_ODD) runs its
   * whole pairs and then its last channel in one requantizing pass (ODD_TAIL) */
  args.x = buf, args.w = (const int16_t *)(const void *)p->weights, args.rq = p->rq, args.acc = accs;
  args.groups = groups, args.pairs = pairs, args.out_c = stride, args.odd = 0;
  args.lo4 = (uint32_t)(uint8_t)lo * 0x01010101u, args.hi4 = (uint32_t)(uint8_t)hi * 0x01010101u;
  if (TFEDGE_USES(CONV_ODD) && (cc & 1)) args.pairs = cc >> 1, args.odd = groups;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    rp.in_b = in_b;
    int8_t *out_b = output + b * npx * out_c;
    if (n1) {
      narrow_1x1(p, in_b, out_b, cc, live, (int8_t *)accs, compact, general);
      continue;
    }
    int32_t oy = 0, ox = 0; /* pixel i */
    for (i = 0; i < npx; i += 2) {
      const int two = i + 1 < npx;
      int8_t *o0 = compact ? live : out_b + i * out_c;
      if (cc) {
        if (TFEDGE_USES(CONV_1X1W) && two && rp.pw) {
          gather_pair_1x1(p, in_b, oy, ox, rp.off2, buf);
          if (++ox == p->out_w) ox = 0, ++oy;
          if (++ox == p->out_w) ox = 0, ++oy;
        } else if (TFEDGE_USES(CONV_PAIR) && two && rp.span && gather_pair(p, &rp, oy, ox, buf)) {
          ox += 2;
          if (ox == p->out_w) ox = 0, ++oy;
        } else {
          gather_px(p, &rp, oy, ox, buf);
          if (++ox == p->out_w) ox = 0, ++oy;
          if (two) {
            gather_px(p, &rp, oy, ox, buf + 2);
            if (++ox == p->out_w) ox = 0, ++oy;
          } else {
            int32_t g;
            for (g = 0; g < groups; ++g) buf[4 * g + 2] = buf[4 * g], buf[4 * g + 3] = buf[4 * g + 1];
          }
        }
        args.out = o0;
        if (two && !general) {
          if (TFEDGE_USES(CONV_ODD) && cc == 1) { /* a single channel: the one-channel pass alone */
            if (i8) dot_one8_rq(&args);
            else dot_one_rq(&args);
          } else if (i8) {
            dot_pairs8_rq(&args);
          } else {
            dot_pairs_rq(&args);
          }
        } else if (TFEDGE_USES(CONV_PX1) && !general && i8) { /* !two */
          dot_single_rq(&args, o0, cc, (int8_t *)accs);
        } else if (TFEDGE_USES(CONV_ACC)) { /* two-step channels; int16 single pixels: every pair, the C requantization */
          dot_args all = args;
          all.pairs = pairs;
          if (i8) dot_pairs8(&all);
          else dot_pairs(&all);
          requant_pair(accs, p->rq, cc, o0, o0 + stride, two, clamp, lo, hi, general, zp);
        }
      }
      if (compact) tfedge_dsp_scatter(p->const_row, p->live_map, out_c, cc, live, out_b + i * out_c, two ? 2 : 1);
    }
  }
}

/* Per call: the plan, then per row the pixel loop that calls the passes (run is inlined here): compiled for
 * size (-300 B), a few instructions per output row. */
TFEDGE_COLD_BEGIN
void conv_packed_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  run(p, input, output, p->act_min != -128 || p->act_max != 127, p->const_row != NULL);
}
TFEDGE_COLD_END
#endif
