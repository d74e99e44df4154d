/* DEPTHWISE_CONV_2D, depth multiplier 1, any channel count, widened weights; Cortex-M4/M7/M33 DSP extension.
 *
 * 4 channels at a time, four 16x16 MACs (SMLABB/SMLATT) per tap against the widened weights ([c0 c2][c1 c3],
 * sequential per channel group), the 4 results requantized and stored as one word. Dilation 1 and windows up to
 * 7x7 (band_path, the common case): the band path (band_run below), input rows widened once into a ring of zero-
 * padded rows, every tap at a fixed offset. Otherwise per pixel: per tap one word of input widened with the offset
 * (SXTAB16 and SXTAB16 ROR 8); 3x3 windows unrolled, also over the border, their outside taps reading a scratch row
 * of input zero points (which contribute exactly 0, as TFLM's skipped taps); other kernel sizes loop over the taps
 * inside the image. int8 weights (the default storage) are widened into that layout once per call into scratch,
 * or on the band path per channel group and output row on its stack. */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/depthwise_conv_packed_s8_nhwc.c"
#else
#include "tfedge_dsp.h"

/* No fallback to the portable loops: the compiler always gives these variants records and scratch. */

/* 4 channels of one tap: the input word v (4 channels) widened with the offset, times the widened weights wp. */
#define TAP_WORD(v, wp)                                                     \
  do {                                                                      \
    const uint32_t v_ = (v);                                                \
    const uint32_t xe_ = __sxtab16(off2, v_), xo_ = tfedge_sxtab16_ror8(off2, v_); \
    const uint32_t we_ = (wp)[0], wo_ = (wp)[1];                            \
    a0 = __smlabb(xe_, we_, a0);                                            \
    a2 = __smlatt(xe_, we_, a2);                                            \
    a1 = __smlabb(xo_, wo_, a1);                                            \
    a3 = __smlatt(xo_, wo_, a3);                                            \
  } while (0)
#define TAP(ptr, wp) TAP_WORD(tfedge_ld32(ptr), wp)

/* One output pixel of a 3x3 depthwise convolution, all channel groups, requantized and stored.
 * Hand-scheduled (14 registers): per tap and 4 channels one LDR of the tap's pointer, one LDR of 4 input
 * channels, one LDRD of widened weights, 2 SXTAB16 and 4 SMLABB/SMLATT; then per channel the one-SMLAL
 * requantization (tfedge_requant_ch) and SSAT, the 4 bytes packed (BFI) and clamped to the activation
 * range with SSUB8/SEL, one STR. */
typedef struct {
  const int8_t *const *taps;   /* 9 pointers to the tap's input pixel (channel 0), or to a zero-point row */
  const uint32_t *w;           /* widened weights [group][tap][2 words] */
  const tfedge_requant_ch *rq; /* records */
  int8_t *out;                 /* the pixel's output channels */
  int32_t groups;              /* channels / 4 */
  uint32_t off2;               /* input offset in both halfwords */
  uint32_t lo4, hi4;           /* activation range, 4 bytes each */
} dw_args;

#define DW_TAP(t)                              \
  "ldr r8, [r1, #" #t "*4]\n\t"                \
  "ldr r8, [r8, r11]\n\t"                      \
  "ldrd r9, r10, [r2], #8\n\t"                 \
  "sxtab16 r12, r0, r8\n\t"                    \
  "sxtab16 r8, r0, r8, ror #8\n\t"             \
  "smlabb r4, r12, r9, r4\n\t"                 \
  "smlatt r6, r12, r9, r6\n\t"                 \
  "smlabb r5, r8, r10, r5\n\t"                 \
  "smlatt r7, r8, r10, r7\n\t"

/* requantize accumulator register A with the record at r3 + OFF (bias, mult, k_hi, shift) */
#define DW_RQ(A, OFF)                          \
  "ldr r9, [r3, #" #OFF "+4]\n\t"              \
  "ldr r10, [r3, #" #OFF "+8]\n\t"             \
  "ldr r12, [r3, #" #OFF "+12]\n\t"            \
  "and r8, " A ", #0x80000000\n\t"             \
  "orr r8, r8, #0x40000000\n\t"                \
  "add r10, r10, " A ", asr #31\n\t"           \
  "smlal r8, r10, " A ", r9\n\t"               \
  "asr r10, r10, r12\n\t"                      \
  "ssat " A ", #8, r10\n\t"

/* r4..r7 (4 int8 results) packed into r4 with BFI, clamped to the activation range (lo4 / hi4 at [sp, #LO] /
 * [sp, #HI]) with SSUB8/SEL; r8, r9 scratch */
#define DW_PACK_CLAMP(LO, HI)                  \
  "and r4, r4, #255\n\t"                      \
  "bfi r4, r5, #8, #8\n\t"                    \
  "bfi r4, r6, #16, #8\n\t"                   \
  "bfi r4, r7, #24, #8\n\t"                   \
  "ldr r9, [sp, #" #LO "]\n\t"                \
  "ssub8 r8, r4, r9\n\t"                      \
  "sel r4, r4, r9\n\t"     /* max(x, act_min) per byte */ \
  "ldr r9, [sp, #" #HI "]\n\t"                \
  "ssub8 r8, r4, r9\n\t"                      \
  "sel r4, r9, r4\n\t"     /* min(x, act_max) per byte */

__attribute__((naked, noinline)) static void dw_pixel3x3(__attribute__((unused)) const dw_args *a) {
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "sub sp, sp, #16\n\t"
      "ldr r1, [r0, #12]\n\t"
      "str r1, [sp, #0]\n\t"   /* out */
      "ldr r1, [r0, #24]\n\t"
      "str r1, [sp, #4]\n\t"   /* lo4 */
      "ldr r1, [r0, #28]\n\t"
      "str r1, [sp, #8]\n\t"   /* hi4 */
      "ldr r1, [r0, #0]\n\t"   /* taps */
      "ldr r2, [r0, #4]\n\t"   /* w */
      "ldr r3, [r0, #8]\n\t"   /* rq */
      "ldr lr, [r0, #16]\n\t"  /* groups */
      "ldr r0, [r0, #20]\n\t"  /* off2 */
      "mov r11, #0\n\t"        /* channel offset */
      "1:\n\t"
      "ldr r4, [r3, #0]\n\t"
      "ldr r5, [r3, #16]\n\t"
      "ldr r6, [r3, #32]\n\t"
      "ldr r7, [r3, #48]\n\t"
      DW_TAP(0) DW_TAP(1) DW_TAP(2) DW_TAP(3) DW_TAP(4) DW_TAP(5) DW_TAP(6) DW_TAP(7) DW_TAP(8)
      DW_RQ("r4", 0) DW_RQ("r5", 16) DW_RQ("r6", 32) DW_RQ("r7", 48)
      "add r3, r3, #64\n\t"
      DW_PACK_CLAMP(4, 8)
      "ldr r12, [sp, #0]\n\t"
      "str r4, [r12, r11]\n\t"
      "add r11, r11, #4\n\t"
      "subs lr, lr, #1\n\t"
      "bne 1b\n\t"
      "add sp, sp, #16\n\t"
      "pop {r4-r11, pc}\n\t");
}

static inline uint32_t bytes4(int32_t v) { return (uint32_t)(uint8_t)v * 0x01010101u; }

/* The n < 4 channels of a last partial group as one word (bytewise: never past the tensor's end). */
static inline uint32_t ld_part(const int8_t *q, int32_t n) {
  uint32_t v = (uint8_t)q[0];
  if (n > 1) v |= (uint32_t)(uint8_t)q[1] << 8;
  if (n > 2) v |= (uint32_t)(uint8_t)q[2] << 16;
  return v;
}

#define TAP_PART(ptr, wp, n) TAP_WORD(ld_part(ptr, n), wp)

static inline __attribute__((always_inline)) int32_t out1(int32_t acc, const tfedge_requant_ch *r, int clamp,
                                                          int32_t lo, int32_t hi, int general, int32_t zp) {
  int32_t v = __ssat(general ? tfedge_dsp_requant_any(acc, r, zp) : tfedge_dsp_requant(acc, r), 8);
  if (clamp) {
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
  }
  return v;
}

/* The last c_n % 4 channels of one output pixel (lanes a0..a2; bytewise loads and stores, so nothing past
 * the tensor is read or written): base, w and r point at the partial group. */
static __attribute__((noinline)) void dw_part(const tfedge_conv_params *p, const int8_t *base, const uint32_t *w,
                                              const tfedge_requant_ch *r, int8_t *out, const int32_t win[4],
                                              int32_t part, const int8_t *end) {
  const uint32_t off2 = ((uint32_t)(uint16_t)p->input_offset << 16) | (uint16_t)p->input_offset;
  const int32_t dx = p->dil_w * p->in_c, dy = p->dil_h * p->in_w * p->in_c;
  const int general = p->rq_general != 0;
  int32_t a0 = r[0].bias, a1 = r[1].bias, a2 = r[2].bias, a3 = 0, ky, kx;
  /* the lanes past `part` have zero weights, so a whole word may be read wherever its 4 bytes lie inside the
   * input (end: the tensor's end): the last tap of the window decides for all */
  if (win[0] < win[1] && win[2] < win[3] && base + (win[1] - 1) * dy + (win[3] - 1) * dx + 4 <= end) {
    for (ky = win[0]; ky < win[1]; ++ky) {
      const int8_t *q = base + ky * dy;
      const uint32_t *wr = w + 2 * ky * p->k_w;
      for (kx = win[2]; kx < win[3]; ++kx) TAP(q + kx * dx, wr + 2 * kx);
    }
  } else {
    for (ky = win[0]; ky < win[1]; ++ky) {
      const int8_t *q = base + ky * dy;
      const uint32_t *wr = w + 2 * ky * p->k_w;
      for (kx = win[2]; kx < win[3]; ++kx) TAP_PART(q + kx * dx, wr + 2 * kx, part);
    }
  }
  (void)a3;
  out[0] = (int8_t)out1(a0, r, 1, p->act_min, p->act_max, general, p->output_offset);
  if (part > 1) out[1] = (int8_t)out1(a1, r + 1, 1, p->act_min, p->act_max, general, p->output_offset);
  if (part > 2) out[2] = (int8_t)out1(a2, r + 2, 1, p->act_min, p->act_max, general, p->output_offset);
}

/* 4 int8 results in v clamped to the activation range bytewise (SSUB8 sets the GE flags, SEL picks): 4
 * instructions, a no-op for the full int8 range, so one copy of the loop serves every activation. */
static inline uint32_t clamp4(uint32_t v, uint32_t lo4, uint32_t hi4) {
  uint32_t t;
  __asm__("ssub8 %1, %0, %2\n\tsel %0, %0, %2\n\tssub8 %1, %0, %3\n\tsel %0, %3, %0"
          : "+r"(v), "=&r"(t) : "r"(lo4), "r"(hi4) : "cc");
  return v;
}

/* Channels in groups of 4; a last partial group (channels % 4) goes through dw_part, its padding lanes having
 * zero weights. Layers with channels on the two-step requantization (rq_general) run the C loop, which checks
 * each record. */
static __attribute__((noinline)) void run(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t c_n = p->in_c, taps = p->k_h * p->k_w, full = c_n & ~3;
  const int32_t row = p->in_w * c_n, dx = p->dil_w * c_n, dy = p->dil_h * row;
  const uint32_t off2 = ((uint32_t)(uint16_t)p->input_offset << 16) | (uint16_t)p->input_offset;
  const int32_t lo = p->act_min, hi = p->act_max;
  const uint32_t lo4 = bytes4(lo), hi4 = bytes4(hi);
  const int general = p->rq_general != 0;
  const int k3 = p->k_h == 3 && p->k_w == 3 && !general && full;
  int8_t *zrow = (int8_t *)p->scratch; /* c_n bytes: the input zero point, for taps outside the image */
  int32_t b, oy, ox, c, ky, kx;
  if (zrow) memset(zrow, -p->input_offset, (size_t)c_n);
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * row;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      int32_t ky0 = 0, ky1 = p->k_h;
      while (ky0 < ky1 && y0 + ky0 * p->dil_h < 0) ++ky0;
      while (ky1 > ky0 && y0 + (ky1 - 1) * p->dil_h >= p->in_h) --ky1;
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        int32_t kx0 = 0, kx1 = p->k_w;
        const uint32_t *w = (const uint32_t *)(const void *)p->weights;
        const tfedge_requant_ch *r = p->rq;
        const int8_t *base = in_b + y0 * row + x0 * c_n; /* tap (0, 0), possibly outside */
        while (kx0 < kx1 && x0 + kx0 * p->dil_w < 0) ++kx0;
        while (kx1 > kx0 && x0 + (kx1 - 1) * p->dil_w >= p->in_w) --kx1;
        if (k3 && zrow) {
          /* 3x3: taps outside the image read a row of input zero points (x + offset = 0) */
          const int8_t *tap[9];
          dw_args args;
          int32_t ty, tx;
          if (ky0 == 0 && ky1 == 3 && kx0 == 0 && kx1 == 3) { /* inside the image: no tests per tap */
            for (ty = 0; ty < 3; ++ty) {
              const int8_t *q = base + ty * dy;
              tap[3 * ty] = q, tap[3 * ty + 1] = q + dx, tap[3 * ty + 2] = q + 2 * dx;
            }
          } else {
            for (ty = 0; ty < 3; ++ty)
              for (tx = 0; tx < 3; ++tx)
                tap[3 * ty + tx] = ty >= ky0 && ty < ky1 && tx >= kx0 && tx < kx1 ? base + ty * dy + tx * dx : zrow;
          }
          args.taps = tap, args.w = w, args.rq = r, args.out = output, args.groups = full >> 2, args.off2 = off2;
          args.lo4 = lo4, args.hi4 = hi4;
          dw_pixel3x3(&args);
        } else {
          for (c = 0; c < full; c += 4, r += 4, w += 2 * taps) {
            const int32_t zp = p->output_offset;
            int32_t a0 = r[0].bias, a1 = r[1].bias, a2 = r[2].bias, a3 = r[3].bias;
            for (ky = ky0; ky < ky1; ++ky) {
              const int8_t *q = base + c + ky * dy;
              const uint32_t *wr = w + 2 * ky * p->k_w;
              for (kx = kx0; kx < kx1; ++kx) TAP(q + kx * dx, wr + 2 * kx);
            }
            tfedge_st32(output + c, clamp4(tfedge_pack4(out1(a0, r, 0, lo, hi, general, zp),
                                                        out1(a1, r + 1, 0, lo, hi, general, zp),
                                                        out1(a2, r + 2, 0, lo, hi, general, zp),
                                                        out1(a3, r + 3, 0, lo, hi, general, zp)), lo4, hi4));
          }
        }
        if (c_n != full) {
          const int32_t win[4] = {ky0, ky1, kx0, kx1};
          dw_part(p, base + full, (const uint32_t *)(const void *)p->weights + 2 * taps * (full >> 2), p->rq + full,
                  output + full, win, c_n - full, in_b + p->in_h * row);
        }
        output += c_n;
      }
    }
  }
}

/* The band path's 3x3 row (band_run: 3x3 windows' full channel groups): per output row and channel group, the
 * group's 3 band rows (input widened once with the offset, [c0 c2][c1 c3] per entry like the weights, the padding
 * columns and rows outside the image 0: exactly TFLM's skipped taps); band_row3x3 runs the row's pixels for each
 * group, every tap at a fixed offset: one LDRD of input, one of weights, 4 SMLABB/SMLATT (no per-tap widening, no
 * pointer table, no border cases). At stride 1 or 2 the pixels go in pairs first (n2 pairs, then n single pixels): a
 * pair's neighbouring windows share 2 (stride 1) or 1 (stride 2) of each row's input loads and every weight and
 * record load. */
typedef struct {
  const uint32_t *t0;          /* band row 0 of the first group at the first pixel's left tap */
  const uint32_t *w;           /* the first group's widened weights [tap][2 words]; the next groups follow */
  const tfedge_requant_ch *rq; /* the first group's 4 records; the next groups follow */
  int8_t *out;                 /* the first pixel's 4 outputs of the first group */
  int32_t n;                   /* single pixels (after the pairs) */
  int32_t step;                /* band bytes per pixel (8 x stride) */
  int32_t d1;                  /* band row 1 - band row 0, bytes (the rows are a ring) */
  int32_t out_step;            /* output bytes per pixel (channels) */
  uint32_t lo4, hi4;           /* activation range, 4 bytes each */
  int32_t d2;                  /* band row 2 - band row 0, bytes */
  int32_t groups;              /* channel groups (consecutive) */
  int32_t plane;               /* band bytes per group */
  const uint32_t *w8;          /* int8 weights of the first group [tap][c0 c1 c2 c3] (then w is unused), or NULL */
  int32_t n2;                  /* pixel pairs first (stride 1 or 2: the pair's taps share input columns) */
} band_args;

/* One tap of a single pixel: input (r3 + X) and the widened weights at r1 + W */
#define BAND_TAP(X, W)                        \
  "ldrd r8, r9, [r3, #" #X "]\n\t"            \
  "ldrd r10, r11, [r1, #" #W "]\n\t"          \
  "smlabb r4, r8, r10, r4\n\t"                \
  "smlatt r6, r8, r10, r6\n\t"                \
  "smlabb r5, r9, r11, r5\n\t"                \
  "smlatt r7, r9, r11, r7\n\t"

/* 4 MACs of input r12 / lr ([c0 c2] / [c1 c3]) by weights r1 / r2 into the accumulators A0..A3 (channels 0..3) */
#define PAIR_MAC(A0, A1, A2, A3)              \
  "smlabb " A0 ", r12, r1, " A0 "\n\t"        \
  "smlatt " A2 ", r12, r1, " A2 "\n\t"        \
  "smlabb " A1 ", lr, r2, " A1 "\n\t"         \
  "smlatt " A3 ", lr, r2, " A3 "\n\t"

/* A pair's tap steps (band row base R, weights at sp + W): the tap's weights; an input column X for pixel 0 or 1 (its
 * LDRD and 4 MACs); or pixel 0's MACs on the column loaded last (its neighbour's, shared). */
#define PAIR_W(W) "ldrd r1, r2, [sp, #" #W "]\n\t"
#define PAIR_PX0(R, X) "ldrd r12, lr, [" R ", #" #X "]\n\t" PAIR_MAC("r4", "r5", "r6", "r7")
#define PAIR_PX1(R, X) "ldrd r12, lr, [" R ", #" #X "]\n\t" PAIR_MAC("r8", "r9", "r10", "r11")
#define PAIR_PX0_SHARED PAIR_MAC("r4", "r5", "r6", "r7")

/* One window row of a pixel pair at stride 1 (pixel 0 at input columns 0..2 of base R, pixel 1 at 1..3): 3 weight
 * and 4 input LDRDs for 24 MACs. */
#define PAIR_ROW(R, W) \
  PAIR_W(W) PAIR_PX0(R, 0) PAIR_PX1(R, 8) PAIR_W(W + 8) PAIR_PX0_SHARED PAIR_PX1(R, 16) \
  PAIR_W(W + 16) PAIR_PX0_SHARED PAIR_PX1(R, 24)

/* The same at stride 2 (pixel 0 at columns 0..2, pixel 1 at 2..4): column 2 loaded once for both, taps in the
 * order 0, 2, 1: 3 weight and 5 input LDRDs. */
#define PAIR_ROW_S2(R, W) \
  PAIR_W(W) PAIR_PX0(R, 0) PAIR_PX1(R, 16) PAIR_W(W + 16) PAIR_PX0_SHARED PAIR_PX1(R, 32) \
  PAIR_W(W + 8) PAIR_PX0(R, 8) PAIR_PX1(R, 24)

/* A pair's 3 window rows (ROW: PAIR_ROW or PAIR_ROW_S2) from band row 0 at r0 (d1 at [sp, #120], d2 at [sp, #24]) */
#define PAIR_ROWS(ROW)                        \
  ROW("r0", 48)                               \
  "ldr r3, [sp, #120]\n\t"                    \
  "add r3, r0, r3\n\t"                        \
  ROW("r3", 72)                               \
  "ldr r3, [sp, #24]\n\t"                     \
  "add r3, r0, r3\n\t"                        \
  ROW("r3", 96)

/* The one-SMLAL requantization of accumulator A with mult r1, k_hi r2, shift r12 (r0, lr scratch) */
#define PAIR_RQ1(A)                           \
  "and r0, " A ", #0x80000000\n\t"            \
  "orr r0, r0, #0x40000000\n\t"               \
  "add lr, r2, " A ", asr #31\n\t"            \
  "smlal r0, lr, " A ", r1\n\t"               \
  "asr lr, lr, r12\n\t"                       \
  "ssat " A ", #8, lr\n\t"

/* channel OFF / 16 of both pixels (accumulators A, B) with the record at r3 + OFF: one load of the record */
#define PAIR_RQ(A, B, OFF)                    \
  "ldrd r1, r2, [r3, #" #OFF "+4]\n\t"        \
  "ldr r12, [r3, #" #OFF "+12]\n\t"           \
  PAIR_RQ1(A) PAIR_RQ1(B)

/* 4 int8 weight words at r3 (advanced) widened into 8 words at r1 (advanced), the int16 layout [c0 c2][c1 c3] */
#define BAND_WIDEN4                           \
  "ldm r3!, {r4-r7}\n\t"                      \
  "sxtb16 r8, r4\n\t"                         \
  "sxtb16 r9, r4, ror #8\n\t"                 \
  "sxtb16 r10, r5\n\t"                        \
  "sxtb16 r11, r5, ror #8\n\t"                \
  "sxtb16 r4, r6\n\t"                         \
  "sxtb16 r5, r6, ror #8\n\t"                 \
  "sxtb16 r6, r7\n\t"                         \
  "sxtb16 r7, r7, ror #8\n\t"                 \
  "stm r1!, {r8-r11}\n\t"                     \
  "stm r1!, {r4-r7}\n\t"

/* the 4 accumulators r4..r7 preset with the biases of the records at [sp] (r3 = the records) */
#define BAND_BIASES                           \
  "ldr r3, [sp, #0]\n\t"                     \
  "ldr r4, [r3, #0]\n\t"                     \
  "ldr r5, [r3, #16]\n\t"                    \
  "ldr r6, [r3, #32]\n\t"                    \
  "ldr r7, [r3, #48]\n\t"

/* requantize accumulator A with the record at r3 + OFF (the one-SMLAL form, as DW_RQ) */
#define BAND_RQ(A, OFF)                       \
  "ldrd r9, r10, [r3, #" #OFF "+4]\n\t"       \
  "ldr r11, [r3, #" #OFF "+12]\n\t"           \
  "and r8, " A ", #0x80000000\n\t"            \
  "orr r8, r8, #0x40000000\n\t"               \
  "add r10, r10, " A ", asr #31\n\t"          \
  "smlal r8, r10, " A ", r9\n\t"              \
  "asr r10, r10, r11\n\t"                     \
  "ssat " A ", #8, r10\n\t"

/* One output row of `groups` consecutive channel groups. Stack: [sp] rq, groups left, step, out_step, lo4, hi4, d2,
 * n, t0 of the group, out of the group, plane, the int8 weights of the group (or 0), then 72 B at sp + 48: the
 * group's 9 taps widened (int8 storage: SXTB16 / SXTB16 ROR 8 once per group and row, 26 instructions, where
 * widening in the tap would cost 2 per tap and pixel; int16: copied, so the taps read fixed stack offsets), then
 * at sp + 120: d1, n2, the pairs left, out and t of the pair, the biases twice (8 words, one LDM presets both
 * pixels' accumulators), the int16 weights of the group, the address of the pair's taps for the stride (one LDR PC
 * per pair instead of a test). Per pair: 2 + 3 x 31 instructions of taps (stride 2: 3 x 32 + a branch), 4 x 14 of
 * requantization (each record loaded once for both pixels), ~30 of packing, clamping, stores and loop. */
__attribute__((naked, noinline)) static void band_row3x3(__attribute__((unused)) const band_args *a) {
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "sub sp, sp, #184\n\t"
      "ldr r1, [r0, #20]\n\t"
      "cmp r1, #8\n\t"
      "ite eq\n\t"
      "adreq r1, 9f\n\t"
      "adrne r1, 8f\n\t"
      "orr r1, r1, #1\n\t"
      "str r1, [sp, #176]\n\t" /* the pair's taps (Thumb): stride 1 or 2 */
      "ldr r1, [r0, #52]\n\t"
      "str r1, [sp, #44]\n\t"  /* w8 */
      "ldr r1, [r0, #4]\n\t"
      "str r1, [sp, #172]\n\t" /* w (int16) */
      "ldr r1, [r0, #8]\n\t"
      "str r1, [sp, #0]\n\t"   /* rq */
      "ldr r1, [r0, #44]\n\t"
      "str r1, [sp, #4]\n\t"   /* groups */
      "ldr r1, [r0, #20]\n\t"
      "str r1, [sp, #8]\n\t"   /* step */
      "ldr r1, [r0, #28]\n\t"
      "str r1, [sp, #12]\n\t"  /* out_step */
      "ldr r1, [r0, #32]\n\t"
      "str r1, [sp, #16]\n\t"  /* lo4 */
      "ldr r1, [r0, #36]\n\t"
      "str r1, [sp, #20]\n\t"  /* hi4 */
      "ldr r1, [r0, #40]\n\t"
      "str r1, [sp, #24]\n\t"  /* d2 */
      "ldr r1, [r0, #16]\n\t"
      "str r1, [sp, #28]\n\t"  /* n */
      "ldr r1, [r0, #0]\n\t"
      "str r1, [sp, #32]\n\t"  /* t0 of the group */
      "ldr r1, [r0, #12]\n\t"
      "str r1, [sp, #36]\n\t"  /* out of the group */
      "ldr r1, [r0, #48]\n\t"
      "str r1, [sp, #40]\n\t"  /* plane */
      "ldr r1, [r0, #24]\n\t"
      "str r1, [sp, #120]\n\t" /* d1 */
      "ldr r1, [r0, #56]\n\t"
      "str r1, [sp, #124]\n\t" /* n2 */
      "2:\n\t"
      "add r1, sp, #48\n\t"
      "ldr r3, [sp, #44]\n\t"
      "cmp r3, #0\n\t"
      "beq 3f\n\t"
      BAND_WIDEN4 BAND_WIDEN4
      "ldr r4, [r3], #4\n\t"
      "sxtb16 r8, r4\n\t"
      "sxtb16 r9, r4, ror #8\n\t"
      "strd r8, r9, [r1]\n\t"
      "str r3, [sp, #44]\n\t"
      "b 4f\n\t"
      "3:\n\t" /* int16 weights: the group's 18 words copied */
      "ldr r3, [sp, #172]\n\t"
      "ldm r3!, {r4-r9}\n\t"
      "stm r1!, {r4-r9}\n\t"
      "ldm r3!, {r4-r9}\n\t"
      "stm r1!, {r4-r9}\n\t"
      "ldm r3!, {r4-r9}\n\t"
      "stm r1!, {r4-r9}\n\t"
      "str r3, [sp, #172]\n\t"
      "4:\n\t"
      "ldr r0, [sp, #32]\n\t"
      "ldr lr, [sp, #36]\n\t"
      "ldr r12, [sp, #124]\n\t"
      "cmp r12, #0\n\t"
      "beq 6f\n\t"
      /* the pairs */
      "str r12, [sp, #128]\n\t"
      "str lr, [sp, #132]\n\t"
      "ldr r3, [sp, #0]\n\t"
      "ldr r4, [r3, #0]\n\t"
      "ldr r5, [r3, #16]\n\t"
      "ldr r6, [r3, #32]\n\t"
      "ldr r7, [r3, #48]\n\t"
      "add r3, sp, #140\n\t"
      "stm r3!, {r4-r7}\n\t"
      "stm r3, {r4-r7}\n\t"
      "5:\n\t"
      "add r3, sp, #140\n\t"
      "ldm r3, {r4-r11}\n\t"
      "ldr pc, [sp, #176]\n\t" /* the taps of the stride: 8f, or 9f falling through to the requantization */
      "8:\n\t"
      PAIR_ROWS(PAIR_ROW_S2)
      "b 10f\n\t"
      "9:\n\t"
      PAIR_ROWS(PAIR_ROW)
      "10:\n\t"
      "str r0, [sp, #136]\n\t"
      "ldr r3, [sp, #0]\n\t"
      PAIR_RQ("r4", "r8", 0) PAIR_RQ("r5", "r9", 16) PAIR_RQ("r6", "r10", 32) PAIR_RQ("r7", "r11", 48)
      "and r4, r4, #255\n\t"
      "bfi r4, r5, #8, #8\n\t"
      "bfi r4, r6, #16, #8\n\t"
      "bfi r4, r7, #24, #8\n\t"
      "and r8, r8, #255\n\t"
      "bfi r8, r9, #8, #8\n\t"
      "bfi r8, r10, #16, #8\n\t"
      "bfi r8, r11, #24, #8\n\t"
      "ldr r1, [sp, #16]\n\t"
      "ldr r2, [sp, #20]\n\t"
      "ssub8 r0, r4, r1\n\t"
      "sel r4, r4, r1\n\t"     /* max(x, act_min) per byte */
      "ssub8 r0, r4, r2\n\t"
      "sel r4, r2, r4\n\t"     /* min(x, act_max) per byte */
      "ssub8 r0, r8, r1\n\t"
      "sel r8, r8, r1\n\t"
      "ssub8 r0, r8, r2\n\t"
      "sel r8, r2, r8\n\t"
      "ldr lr, [sp, #132]\n\t"
      "ldr r12, [sp, #12]\n\t"
      "str r4, [lr]\n\t"
      "str r8, [lr, r12]\n\t"
      "add lr, lr, r12, lsl #1\n\t"
      "str lr, [sp, #132]\n\t"
      "ldr r0, [sp, #136]\n\t"
      "ldr r12, [sp, #8]\n\t"
      "add r0, r0, r12, lsl #1\n\t" /* 2 pixels */
      "ldr r12, [sp, #128]\n\t"
      "subs r12, r12, #1\n\t"
      "str r12, [sp, #128]\n\t"
      "bne 5b\n\t"
      /* the single pixels left: from the pairs' t (r0) and out (lr) */
      "6:\n\t"
      "ldr r12, [sp, #28]\n\t"
      "cmp r12, #0\n\t"
      "beq 7f\n\t"
      "add r1, sp, #48\n\t"
      "ldr r2, [sp, #120]\n\t"
      "1:\n\t"
      BAND_BIASES
      "mov r3, r0\n\t"
      BAND_TAP(0, 0) BAND_TAP(8, 8) BAND_TAP(16, 16)
      "add r3, r0, r2\n\t"
      BAND_TAP(0, 24) BAND_TAP(8, 32) BAND_TAP(16, 40)
      "ldr r3, [sp, #24]\n\t"
      "add r3, r0, r3\n\t"
      BAND_TAP(0, 48) BAND_TAP(8, 56) BAND_TAP(16, 64)
      "ldr r3, [sp, #0]\n\t"
      BAND_RQ("r4", 0) BAND_RQ("r5", 16) BAND_RQ("r6", 32) BAND_RQ("r7", 48)
      DW_PACK_CLAMP(16, 20)
      "str r4, [lr]\n\t"
      "ldr r9, [sp, #12]\n\t"
      "add lr, lr, r9\n\t"
      "ldr r9, [sp, #8]\n\t"
      "add r0, r0, r9\n\t"
      "subs r12, r12, #1\n\t"
      "bne 1b\n\t"
      /* the next group: its band plane, records and output bytes (the weights' pointers advanced above) */
      "7:\n\t"
      "ldr r9, [sp, #32]\n\t"
      "ldr r8, [sp, #40]\n\t"
      "add r9, r9, r8\n\t"
      "str r9, [sp, #32]\n\t"
      "ldr r9, [sp, #36]\n\t"
      "add r9, r9, #4\n\t"
      "str r9, [sp, #36]\n\t"
      "ldr r9, [sp, #0]\n\t"
      "add r9, r9, #64\n\t"
      "str r9, [sp, #0]\n\t"
      "ldr r9, [sp, #4]\n\t"
      "subs r9, r9, #1\n\t"
      "str r9, [sp, #4]\n\t"
      "bne 2b\n\t"
      "add sp, sp, #184\n\t"
      "pop {r4-r11, pc}\n\t");
}

/* int8 weights [group][tap][c0 c1 c2 c3] -> the int16 layout [group][tap][c0 c2][c1 c3], `words` words: 4 per pass
 * (one LDM, 8 SXTB16, 2 STM: 13 instructions against ~30 for GCC's loop), the last words % 4 one by one. */
__attribute__((naked, noinline)) static void widen_weights(__attribute__((unused)) const uint32_t *w8,
                                                           __attribute__((unused)) uint32_t *w16,
                                                           __attribute__((unused)) int32_t words) {
  __asm__ volatile(
      "push {r4-r10}\n\t"
      "subs r2, r2, #4\n\t"
      "blt 2f\n\t"
      "1:\n\t"
      "ldm r0!, {r3-r6}\n\t"
      "sxtb16 r7, r3\n\t"
      "sxtb16 r8, r3, ror #8\n\t"
      "sxtb16 r9, r4\n\t"
      "sxtb16 r10, r4, ror #8\n\t"
      "stm r1!, {r7-r10}\n\t"
      "sxtb16 r7, r5\n\t"
      "sxtb16 r8, r5, ror #8\n\t"
      "sxtb16 r9, r6\n\t"
      "sxtb16 r10, r6, ror #8\n\t"
      "stm r1!, {r7-r10}\n\t"
      "subs r2, r2, #4\n\t"
      "bge 1b\n\t"
      "2:\n\t"
      "adds r2, r2, #4\n\t"
      "beq 4f\n\t"
      "3:\n\t"
      "ldr r3, [r0], #4\n\t"
      "sxtb16 r7, r3\n\t"
      "sxtb16 r8, r3, ror #8\n\t"
      "strd r7, r8, [r1], #8\n\t"
      "subs r2, r2, #1\n\t"
      "bne 3b\n\t"
      "4:\n\t"
      "pop {r4-r10}\n\t"
      "bx lr\n\t");
}

/* Any other band (k_h, k_w <= TFEDGE_DW_BAND_K, any stride, a last partial channel group): one output row of
 * `groups` consecutive channel groups, per pixel the k_h x k_w taps from the band rows (a ring: row ky at
 * doff[ky] words), per tap 2 words of input, 2 of weights and 4 16x16 MACs. int8 weights are widened into band_run's
 * stack buffer: once per chunk where band_rowk runs one group of it (then passed as w; wide maps, large windows: the
 * common case), else per group and row (3 instructions per tap, against 2 per tap and pixel if widened in the tap).
 * The last group stores `last` (< 4: the channels % 4) bytes, so nothing past the channel count is written. */
typedef struct {
  const uint32_t *t0;          /* the first group's band (slot 0) at the first pixel's left tap */
  const uint32_t *w;           /* int16 weights of the first group [tap][2 words], or NULL (then w8) */
  const uint32_t *w8;          /* int8 weights of the first group [tap][c0 c1 c2 c3] */
  const tfedge_requant_ch *rq; /* the first group's 4 records; the next groups follow */
  int8_t *out;                 /* the first pixel's outputs of the first group */
  int32_t n, step, out_step;   /* pixels, band words per pixel (2 x stride), output bytes per pixel */
  int32_t kh, kw, plane;       /* window, band words per group */
  int32_t ky0, rows;           /* the window rows inside the image: from ky0, `rows` of them (the others add 0) */
  int32_t groups, last;        /* groups, channels of the last one (1..4) */
  uint32_t lo4, hi4;           /* activation range, 4 bytes each */
  int32_t doff_bytes[TFEDGE_DW_BAND_K]; /* bytes from slot 0 to the band row of window row ky */
  uint32_t *wbuf;              /* 2 x TFEDGE_DW_BAND_K^2 words (band_run's): a group's int8 taps widened per row */
} bandk_args;

/* The pixels of one output row for one channel group (band_rowk's inner loop). */
typedef struct {
  const uint32_t *t;           /* the group's band (slot 0) at the first pixel's left tap */
  const uint32_t *w;           /* its widened weights [tap][2 words] */
  const tfedge_requant_ch *rq; /* its 4 records */
  int8_t *out;                 /* the first pixel's outputs of the group */
  int32_t n, step, out_step;   /* pixels, band bytes per pixel, output bytes per pixel */
  uint32_t lo4, hi4;           /* activation range, 4 bytes each */
  int32_t last;                /* output bytes per pixel of this group (4, or channels % 4) */
  int32_t kh;                  /* window rows */
  int32_t kw24;                /* 24 x window columns: the bytes of kw taps of the unrolled row */
  const int32_t *doff;         /* bytes from slot 0 to the band row of window row ky */
} bandk_px_args;

/* One tap: 2 words of widened input (r3, post-incremented), 2 of weights (r1), 4 16x16 MACs; 24 bytes of code
 * (6 32-bit instructions), which the computed entry of a window row relies on. */
#define BANDK_TAP                              \
  "ldrd r8, r9, [r3], #8\n\t"                  \
  "ldrd r10, r11, [r1], #8\n\t"                \
  "smlabb r4, r8, r10, r4\n\t"                 \
  "smlatt r6, r8, r10, r6\n\t"                 \
  "smlabb r5, r9, r11, r5\n\t"                 \
  "smlatt r7, r9, r11, r7\n\t"

/* Hand-scheduled: per pixel the biases, then per window row one LDR of its band offset and a jump (lr) into 7
 * unrolled taps at the row's k_w-th last (6 instructions per tap, 5 per row); the one-SMLAL requantizations,
 * BFI packing, SSUB8/SEL clamp and one STR (bytewise for a partial group). Stack: [sp] rq, out, n, step,
 * out_step, lo4, hi4, last, w, kh, doff. */
__attribute__((naked, noinline)) static void band_pixk(__attribute__((unused)) const bandk_px_args *a) {
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "sub sp, sp, #48\n\t"
      "ldm r0, {r1-r12}\n\t"   /* t w rq out n step out_step lo4 hi4 last kh kw24 */
      "str r3, [sp, #0]\n\t"   /* rq */
      "str r4, [sp, #4]\n\t"   /* out */
      "str r5, [sp, #8]\n\t"   /* n */
      "str r6, [sp, #12]\n\t"  /* step */
      "str r7, [sp, #16]\n\t"  /* out_step */
      "str r8, [sp, #20]\n\t"  /* lo4 */
      "str r9, [sp, #24]\n\t"  /* hi4 */
      "str r10, [sp, #28]\n\t" /* last */
      "str r2, [sp, #32]\n\t"  /* w */
      "str r11, [sp, #36]\n\t" /* kh */
      "ldr r3, [r0, #48]\n\t"
      "str r3, [sp, #40]\n\t"  /* doff */
      "mov r0, r1\n\t"         /* t */
      "adr lr, 5f\n\t"
      "sub lr, lr, r12\n\t"
      "orr lr, lr, #1\n\t"     /* the row's first tap (Thumb) */
      "1:\n\t"
      BAND_BIASES
      "ldr r1, [sp, #32]\n\t"
      "ldr r2, [sp, #40]\n\t"
      "ldr r12, [sp, #36]\n\t"
      "4:\n\t"
      "ldr r3, [r2], #4\n\t"
      "add r3, r3, r0\n\t"
      "bx lr\n\t"
      BANDK_TAP BANDK_TAP BANDK_TAP BANDK_TAP BANDK_TAP BANDK_TAP BANDK_TAP
      "5:\n\t"
      "subs r12, r12, #1\n\t"
      "bne 4b\n\t"
      "ldr r3, [sp, #0]\n\t"
      BAND_RQ("r4", 0) BAND_RQ("r5", 16) BAND_RQ("r6", 32) BAND_RQ("r7", 48)
      DW_PACK_CLAMP(20, 24)
      "ldr r9, [sp, #4]\n\t"
      "ldr r8, [sp, #28]\n\t"
      "cmp r8, #4\n\t"
      "bne 6f\n\t"
      "str r4, [r9]\n\t"
      "7:\n\t"
      "ldr r8, [sp, #16]\n\t"
      "add r9, r9, r8\n\t"
      "str r9, [sp, #4]\n\t"
      "ldr r8, [sp, #12]\n\t"
      "add r0, r0, r8\n\t"
      "ldr r8, [sp, #8]\n\t"
      "subs r8, r8, #1\n\t"
      "str r8, [sp, #8]\n\t"
      "bne 1b\n\t"
      "add sp, sp, #48\n\t"
      "pop {r4-r11, pc}\n\t"
      "6:\n\t" /* a partial group: its `last` bytes */
      "strb r4, [r9]\n\t"
      "cmp r8, #2\n\t"
      "blt 7b\n\t"
      "lsr r4, r4, #8\n\t"
      "strb r4, [r9, #1]\n\t"
      "beq 7b\n\t"
      "lsr r4, r4, #8\n\t"
      "strb r4, [r9, #2]\n\t"
      "b 7b\n\t");
}

/* The groups of one output row: each group's int8 weights of the window rows inside the image widened onto the
 * stack, then its pixels (band_pixk) over those rows only (rows outside the image would add zeros). */
static __attribute__((noinline)) void band_rowk(const bandk_args *a) {
  uint32_t *wbuf = a->wbuf;
  const int32_t taps = a->kh * a->kw;
  bandk_px_args q;
  int32_t g;
  const int32_t skip = a->kw * a->ky0, used = a->kw * a->rows; /* taps of the rows above the image, taps run */
  q.n = a->n, q.step = 4 * a->step, q.out_step = a->out_step, q.lo4 = a->lo4, q.hi4 = a->hi4, q.kh = a->rows;
  q.kw24 = 24 * a->kw, q.doff = a->doff_bytes;
  for (g = 0; g < a->groups; ++g) {
    q.t = a->t0 + a->plane * g, q.rq = a->rq + 4 * g, q.out = a->out + 4 * g;
    q.last = g == a->groups - 1 ? a->last : 4;
    if (a->w) {
      q.w = a->w + 2 * (taps * g + skip);
    } else {
      widen_weights(a->w8 + taps * g + skip, wbuf, used);
      q.w = wbuf;
    }
    band_pixk(&q);
  }
}

/* n pixels of one channel group (q: the first, c_n bytes apart) widened with the offset into d ([c0 c2][c1 c3] per
 * pixel): 2 pixels per pass (2 LDR, 4 SXTAB16, one STM: 5 instructions per pixel against 9 for GCC's loop). */
__attribute__((naked, noinline)) static void band_widen_row(__attribute__((unused)) uint32_t *d,
                                                            __attribute__((unused)) const int8_t *q,
                                                            __attribute__((unused)) int32_t n,
                                                            __attribute__((unused)) int32_t c_n,
                                                            __attribute__((unused)) uint32_t off2) {
  __asm__ volatile(
      "push {r4-r8}\n\t"
      "ldr r12, [sp, #20]\n\t" /* off2 */
      "subs r2, r2, #2\n\t"
      "blt 2f\n\t"
      "1:\n\t"
      "ldr r4, [r1]\n\t"
      "ldr r7, [r1, r3]\n\t"
      "add r1, r1, r3, lsl #1\n\t"
      "sxtab16 r5, r12, r4\n\t"
      "sxtab16 r6, r12, r4, ror #8\n\t"
      "sxtab16 r8, r12, r7, ror #8\n\t"
      "sxtab16 r7, r12, r7\n\t"
      "stm r0!, {r5-r8}\n\t"
      "subs r2, r2, #2\n\t"
      "bge 1b\n\t"
      "2:\n\t"
      "adds r2, r2, #2\n\t" /* 0 or 1 pixel left */
      "beq 3f\n\t"
      "ldr r4, [r1]\n\t"
      "sxtab16 r5, r12, r4\n\t"
      "sxtab16 r6, r12, r4, ror #8\n\t"
      "strd r5, r6, [r0]\n\t"
      "3:\n\t"
      "pop {r4-r8}\n\t"
      "bx lr\n\t");
}

/* One input row of gn consecutive channel groups (src: the row's first pixel at the first group) widened with
 * the offset into each group's band row (dst: group 0's first image column of the slot; the next group plane
 * words on). */
static __attribute__((noinline)) void band_widen(uint32_t *dst, const int8_t *src, int32_t in_w, int32_t c_n, int32_t gn,
                                                 int32_t plane, uint32_t off2) {
  int32_t x, g;
  if (gn > in_w) { /* short rows, many groups (KWS: 5 x 6): pixel by pixel, the groups' words in turn */
    for (x = 0; x < in_w; ++x, src += c_n, dst += 2) {
      const int8_t *q = src;
      uint32_t *d = dst;
      for (g = 0; g < gn; ++g, q += 4, d += plane) {
        const uint32_t v = tfedge_ld32(q);
        d[0] = __sxtab16(off2, v);
        d[1] = tfedge_sxtab16_ror8(off2, v);
      }
    }
    return;
  }
  for (g = 0; g < gn; ++g, src += 4, dst += plane) band_widen_row(dst, src, in_w, c_n, off2); /* wide rows */
}

/* The tensor's last row of a partial last group (part channels): its last pixel read bytewise (nothing past the
 * tensor), the others as words (the lanes past `part` have zero weights). */
static __attribute__((noinline)) void band_widen_last(uint32_t *dst, const int8_t *src, int32_t in_w, int32_t c_n,
                                                      int32_t part, uint32_t off2) {
  uint32_t v;
  if (in_w > 1) band_widen(dst, src, in_w - 1, c_n, 1, 0, off2);
  v = ld_part(src + (in_w - 1) * c_n, part);
  dst[2 * (in_w - 1)] = __sxtab16(off2, v);
  dst[2 * (in_w - 1) + 1] = tfedge_sxtab16_ror8(off2, v);
}

/* The zero padding columns of `rows` band rows of bw entries (pl left, the rest right of in_w). At most one
 * either side (3x3 windows): entries 0 and bw - 1 of every row, 4 stores (when one is an image column it is
 * widened before any tap reads it); wider pads in loops (which GCC must not turn into a memset call per row). */
static __attribute__((noinline, optimize("no-tree-loop-distribute-patterns"))) void band_zero_pads(
    uint32_t *band, int32_t rows, int32_t bw, int32_t pl, int32_t in_w) {
  const int32_t left = 2 * pl, right = 2 * (bw - pl - in_w);
  int32_t i;
  if (left <= 2 && right <= 2) {
    for (; rows > 0; --rows, band += 2 * bw) band[0] = band[1] = band[2 * bw - 2] = band[2 * bw - 1] = 0;
    return;
  }
  for (; rows > 0; --rows) {
    for (i = 0; i < left; ++i) *band++ = 0;
    band += 2 * in_w;
    for (i = 0; i < right; ++i) *band++ = 0;
  }
}

/* The band path (band_path: dilation 1, k_h, k_w <= TFEDGE_DW_BAND_K, one-SMLAL records): channel groups
 * are taken TFEDGE_DW_BAND_BYTES of band at a time (at least one): for each such chunk every output row, its
 * new input rows widened into a ring of k_h rows per group (each input row widened once while the stride is at
 * most k_h), padded with pad_left zero columns on the left and as many as the last window needs on the right;
 * then the row's pixels: 3x3 full groups by band_row3x3, others (and a partial last group) by band_rowk.
 * variants.dw_band_bytes sizes the scratch the same way. A group's outputs never overwrite another group's inputs
 * (a partial group's bytes stop at the channel count) and a row's input rows are widened before its outputs are
 * written, so the in-place row schemes hold as for the per-pixel loop. */
static void band_run(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t c_n = p->in_c, groups = (c_n + 3) >> 2, part = c_n & 3, in_w = p->in_w, row = in_w * c_n;
  /* without band_rowk (DW_BANDK 0) every band layer is 3x3: constants, the ring and pads folded */
  const int32_t kh = TFEDGE_USES(DW_BANDK) ? p->k_h : 3, kw = TFEDGE_USES(DW_BANDK) ? p->k_w : 3, taps = kh * kw;
  const int32_t pl = p->pad_left;
  const int32_t pr = tfedge_dw_band_pad_right(in_w, kw, p->stride_w, pl, p->out_w), bw = pl + in_w + pr;
  const int32_t plane = 2 * kh * bw; /* words per group: k_h rows x bw entries x 2 */
  const int32_t chunk = tfedge_dw_band_chunk(4 * plane, groups);
  const int k3 = TFEDGE_USES(DW_BAND3) && kh == 3 && kw == 3; /* full groups by band_row3x3 */
  const uint32_t off2 = ((uint32_t)(uint16_t)p->input_offset << 16) | (uint16_t)p->input_offset;
  const int i8 = !TFEDGE_USES(W16) || p->weights_i8;
  uint32_t *band = (uint32_t *)p->scratch;
  band_args args;
  bandk_args ka;
  uint32_t wk[TFEDGE_USES(DW_BANDK) ? 2 * TFEDGE_DW_BAND_K * TFEDGE_DW_BAND_K : 1]; /* band_rowk's widened taps */
  int32_t b, oy, g0, g, r, slot_row[TFEDGE_USES(DW_BANDK) ? TFEDGE_DW_BAND_K : 3];
  band_zero_pads(band, chunk * kh, bw, pl, in_w);
  args.n2 = p->stride_w <= 2 ? p->out_w >> 1 : 0, args.n = p->out_w - 2 * args.n2, ka.n = p->out_w;
  args.step = 8 * p->stride_w, ka.step = 2 * p->stride_w;
  args.out_step = ka.out_step = c_n, args.plane = 4 * plane, ka.plane = plane, ka.kh = kh, ka.kw = kw;
  args.lo4 = ka.lo4 = bytes4(p->act_min), args.hi4 = ka.hi4 = bytes4(p->act_max);
  ka.wbuf = wk;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * row;
    int8_t *out_b = output + b * p->out_h * p->out_w * c_n;
    const int last_batch = b == p->batches - 1;
    for (g0 = 0; g0 < groups; g0 += chunk) {
      const int32_t gn = groups - g0 < chunk ? groups - g0 : chunk;
      const int32_t gpart = part && g0 + gn == groups; /* the chunk ends with the partial group */
      const int32_t n3 = k3 ? gn - gpart : 0;          /* groups band_row3x3 runs, the rest band_rowk */
      const uint32_t *w = (const uint32_t *)(const void *)p->weights;
      int8_t *out = out_b + 4 * g0;
      int32_t slot[TFEDGE_USES(DW_BANDK) ? TFEDGE_DW_BAND_K : 3];
      /* per chunk: the groups' weights and records, band_rowk's from group n3 on */
      args.w = w + (i8 ? taps : 2 * taps) * g0, args.w8 = i8 ? args.w : 0, args.rq = p->rq + 4 * g0, args.groups = n3;
      ka.w8 = w + taps * (g0 + n3), ka.w = i8 ? 0 : w + 2 * taps * (g0 + n3), ka.rq = p->rq + 4 * (g0 + n3);
      ka.t0 = band + plane * n3, ka.groups = gn - n3, ka.last = gpart ? part : 4;
      if (TFEDGE_USES(DW_BANDK) && i8 && ka.groups == 1) { /* one group: its int8 taps widened once per chunk */
        widen_weights(ka.w8, wk, taps);
        ka.w = wk;
      }
      for (r = 0; r < kh; ++r) slot_row[r] = -0x7fffffff; /* nothing widened yet */
      for (oy = 0; oy < p->out_h; ++oy, out += p->out_w * c_n) {
        const int32_t y0 = oy * p->stride_h - p->pad_top;
        for (r = 0; r < kh; ++r) {
          const int32_t y = y0 + r, sl = ((y % kh) + kh) % kh;
          slot[r] = sl;
          if (slot_row[sl] == y) continue;
          slot_row[sl] = y;
          if (y < 0 || y >= p->in_h) {
            for (g = 0; g < gn; ++g) memset(band + g * plane + 2 * (sl * bw + pl), 0, (size_t)(8 * in_w));
          } else {
            uint32_t *dst = band + 2 * (sl * bw + pl);
            const int8_t *src = in_b + y * row + 4 * g0;
            if (TFEDGE_USES(DW_BANDK) && gpart && last_batch && y == p->in_h - 1) { /* the tensor's last word */
              if (gn > 1) band_widen(dst, src, in_w, c_n, gn - 1, plane, off2);
              band_widen_last(dst + plane * (gn - 1), src + 4 * (gn - 1), in_w, c_n, part, off2);
            } else {
              band_widen(dst, src, in_w, c_n, gn, plane, off2);
            }
          }
        }
        /* band column 0 is image column -pad_left: the first pixel's left tap */
        if (n3) {
          args.d1 = 8 * bw * (slot[1] - slot[0]), args.d2 = 8 * bw * (slot[2] - slot[0]);
          args.t0 = band + 2 * bw * slot[0], args.out = out;
          band_row3x3(&args);
          if (n3 == gn) continue;
        }
        if (!TFEDGE_USES(DW_BANDK)) continue; /* (set wherever a layer has groups for it: variants.dw_paths) */
        ka.ky0 = y0 < 0 ? -y0 : 0;
        ka.rows = (y0 + kh > p->in_h ? p->in_h - y0 : kh) - ka.ky0;
        if (ka.rows <= 0) ka.ky0 = 0, ka.rows = 1; /* a window wholly outside: one (zero) band row */
        for (r = 0; r < ka.rows; ++r) ka.doff_bytes[r] = 8 * bw * slot[ka.ky0 + r];
        ka.out = out + 4 * n3;
        band_rowk(&ka);
      }
    }
  }
}

static int band_path(const tfedge_conv_params *p) {
  return p->dil_h == 1 && p->dil_w == 1 && p->k_h <= TFEDGE_DW_BAND_K && p->k_w <= TFEDGE_DW_BAND_K && !p->rq_general;
}

/* The band path reads int8 weights (weights_i8) itself, a group's taps widened per output row on its stack.
 * The other paths get them widened once per call into the start of scratch (2 B per weight; the zero-point row
 * follows them), then run on the int16 layout. */
void depthwise_conv_packed_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  if (!TFEDGE_USES(DW_PIXEL) || band_path(p)) { /* (a model whose layers all take the band: only it is linked) */
    band_run(p, input, output);
  } else if (!TFEDGE_USES(W16) || p->weights_i8) {
    const int32_t words = p->k_h * p->k_w * ((p->in_c + 3) >> 2);
    tfedge_conv_params q = *p;
    widen_weights((const uint32_t *)(const void *)p->weights, (uint32_t *)p->scratch, words);
    q.weights = (const int8_t *)p->scratch;
    q.scratch = (int8_t *)p->scratch + 8 * words;
    q.weights_i8 = 0;
    run(&q, input, output);
  } else {
    run(p, input, output);
  }
}
#endif
