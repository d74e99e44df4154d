/* CONV_2D, int8 NHWC, Helium (Cortex-M55). Same contract and bit-exact results as
 * portable/conv_s8_nhwc.c (TFLM reference_integer_ops::ConvPerChannel).
 *
 * How: im2col + matrix multiply. Four output pixels' receptive fields are copied into four columns of
 * K = k_h * k_w * in_c bytes (padding filled with the input zero point, so it contributes exactly
 * nothing once the zero-point term is added back); then for each output channel one weight vector
 * load feeds four VMLADAVs (16 MACs each). The input offset is not added per MAC: sum((x + off) * w)
 * = sum(x * w) + off * sum(w), and off * sum(w) + bias is computed once per call ("effective bias").
 * A 1x1 window (or a 1-row window with dil_w = 1) that lies inside the image is used in place.
 * Accumulators are requantized four lanes at a time (tfedge_mve_requant_row).
 * With a model.h (tfedge_uses.h) only the paths its layers take are compiled: weights stationary
 * (MVE_CONV_WS, K <= 64), the im2col matmul (MVE_CONV_MM) and the direct loop (MVE_CONV_DIRECT, K > 1024).
 * Without the direct loop the matmul takes any K (exact, a larger stack); without one of WS / MM the
 * other takes the K <= 64 layers. */
#include "tfedge_kernels.h"
#include "tfedge_uses.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_fixedpoint.h"
#include "tfedge_mve.h"

#define PIX 4          /* output pixels per im2col group */
#define OC_CHUNK 64    /* output channels whose effective bias and accumulators live on the stack */
#define IM2COL_MAX 1024 /* bytes per column (4 columns <= 4 KB of stack); larger K takes conv_direct() */

TFEDGE_COLD_BEGIN /* set-up and per-pixel copies, -Os: a few % of the layer, a third of the code */
/* eb[i] = bias[c0 + i] + input_offset * sum(weights row i), i < n, summed into eb; or the compile-time
 * prepared array (variants_mve.py: arch_prep + 1 holds it for every channel), used in place (the patch
 * stage and the by-rows loops call a layer many times). Returns where the values are. */
static const int32_t *effective_bias(const tfedge_conv_params *p, const int8_t *weights, int32_t K, int32_t c0,
                                     int32_t n, int32_t *eb) {
  const int32_t k_main = K & ~15;
  const mve_pred16_t tail = vctp8q((uint32_t)(K - k_main));
  int32_t i, k;
  if (p->arch_prep) return p->arch_prep + 1 + c0;
  for (i = 0; i < n; ++i) {
    const int8_t *w = weights + i * K;
    int32_t sum = 0;
    for (k = 0; k < k_main; k += 16) sum = vaddvaq_s8(sum, vldrbq_s8(w + k));
    if (k_main < K) sum = vaddvaq_s8(sum, vldrbq_z_s8(w + k_main, tail));
    eb[i] = (p->bias ? p->bias[c0 + i] : 0) + p->input_offset * sum;
  }
  return eb;
}
TFEDGE_COLD_END

/* Pointer to pixel (oy, ox)'s K input bytes: in place when the window is one contiguous run inside the
 * image, else gathered into col (padding = the zero point). */
static __attribute__((noinline)) const int8_t *column(const tfedge_conv_params *p, const int8_t *in_b, int32_t oy, int32_t ox, int8_t *col) {
  const int32_t y0 = oy * p->stride_h - p->pad_top;
  const int32_t x0 = ox * p->stride_w - p->pad_left;
  const int8_t zp = (int8_t)(-p->input_offset);
  const int32_t in_c = p->in_c;
  int32_t ky, kx;
  int8_t *dst = col;
  if (p->k_h == 1 && (p->dil_w == 1 || p->k_w == 1) && y0 >= 0 && y0 < p->in_h && x0 >= 0 &&
      x0 + p->k_w - 1 < p->in_w)
    return in_b + (y0 * p->in_w + x0) * in_c;
  for (ky = 0; ky < p->k_h; ++ky) {
    const int32_t y = y0 + ky * p->dil_h;
    if (y < 0 || y >= p->in_h) {
      tfedge_mve_fill(dst, zp, p->k_w * in_c);
      dst += p->k_w * in_c;
      continue;
    }
    if (p->dil_w == 1) { /* one run: zero point left of the image, the pixels, zero point right of it */
      const int32_t lo = x0 < 0 ? -x0 : 0;
      const int32_t hi = x0 + p->k_w > p->in_w ? p->in_w - x0 : p->k_w;
      if (hi <= lo) {
        tfedge_mve_fill(dst, zp, p->k_w * in_c);
      } else {
        tfedge_mve_fill(dst, zp, lo * in_c);
        tfedge_mve_copy(dst + lo * in_c, in_b + (y * p->in_w + x0 + lo) * in_c, (hi - lo) * in_c);
        tfedge_mve_fill(dst + hi * in_c, zp, (p->k_w - hi) * in_c);
      }
      dst += p->k_w * in_c;
      continue;
    }
    for (kx = 0; kx < p->k_w; ++kx, dst += in_c) {
      const int32_t x = x0 + kx * p->dil_w;
      if (x < 0 || x >= p->in_w) tfedge_mve_fill(dst, zp, in_c);
      else tfedge_mve_copy(dst, in_b + (y * p->in_w + x) * in_c, in_c);
    }
  }
  return col;
}

/* 4 columns x `steps` 16-byte steps (steps % 3 == 0; 9 per LE when steps % 9 == 0 and model.h names MM9_TAIL: K =
 * 144 m + 1..15, as K = 144 m without the partial step takes mm4_channels): pointers and sums in and out. */
#define MM4_STEP                                                                                               \
  "vldrb.u8 %q[wv], [%[w]], #16\n\tvldrb.u8 %q[x0], [%[c0]], #16\n\tvldrb.u8 %q[x1], [%[c1]], #16\n\t"         \
  "vldrb.u8 %q[x2], [%[c2]], #16\n\tvldrb.u8 %q[x3], [%[c3]], #16\n\tvmlava.s8 %[a0], %q[x0], %q[wv]\n\t"      \
  "vmlava.s8 %[a1], %q[x1], %q[wv]\n\tvmlava.s8 %[a2], %q[x2], %q[wv]\n\tvmlava.s8 %[a3], %q[x3], %q[wv]\n\t"
#define MM4_ASM(BODY)                                                                                          \
  __asm volatile("dls lr, lr\n1:\n\t" BODY "le lr, 1b"                                                         \
                 : [w] "+r"(wp), [c0] "+r"(p0), [c1] "+r"(p1), [c2] "+r"(p2), [c3] "+r"(p3), [a0] "+Te"(s0),     \
                   [a1] "+Te"(s1), [a2] "+Te"(s2), [a3] "+Te"(s3), [n] "+r"(n), [wv] "=&w"(wv), [x0] "=&w"(x0),  \
                   [x1] "=&w"(x1), [x2] "=&w"(x2), [x3] "=&w"(x3)                                               \
                 :                                                                                              \
                 : "memory")
static inline __attribute__((always_inline)) void mm4_steps(const int8_t **w, const int8_t **c0, const int8_t **c1,
                                                            const int8_t **c2, const int8_t **c3, int32_t *a0,
                                                            int32_t *a1, int32_t *a2, int32_t *a3, int32_t steps) {
  const int8_t *wp = *w, *p0 = *c0, *p1 = *c1, *p2 = *c2, *p3 = *c3;
  int32_t s0 = *a0, s1 = *a1, s2 = *a2, s3 = *a3;
  int8x16_t wv, x0, x1, x2, x3;
  if (TFEDGE_USES(MVE_CONV_MM9_TAIL) && steps % 9 == 0) { /* (K = 144 m without a partial step: mm4_channels) */
    register int32_t n __asm("lr") = steps / 9;
    MM4_ASM(MM4_STEP MM4_STEP MM4_STEP MM4_STEP MM4_STEP MM4_STEP MM4_STEP MM4_STEP MM4_STEP);
  } else {
    register int32_t n __asm("lr") = steps / 3;
    MM4_ASM(MM4_STEP MM4_STEP MM4_STEP);
  }
  *w = wp, *c0 = p0, *c1 = p1, *c2 = p2, *c3 = p3;
  *a0 = s0, *a1 = s1, *a2 = s2, *a3 = s3;
}

/* The whole channel loop of the 4-column matmul in assembly, for K a multiple of 144 (3x3 layers of 16 k
 * input channels): 9 steps per inner iteration. Registers are fixed so that LDM reloads the 4 column
 * pointers and STM stores the 4 sums in one instruction each; acc[4 i] holds eb[i] on entry (one pointer
 * for both). Per channel: 81 + 2 per 9 steps and 8 around them (the C loop: 82 and ~30). */
static __attribute__((noinline)) void mm4_channels(const int8_t *w, int32_t steps, const int8_t *const col[PIX],
                                                   int32_t n, int32_t *acc) {
  register int32_t a0 __asm("r0"), a1 __asm("r2"), a2 __asm("r4"), a3 __asm("r6");
  register const int8_t *c0 __asm("r1"), *c1 __asm("r3"), *c2 __asm("r5"), *c3 __asm("r7");
  register const int8_t *wp __asm("r8") = w;
  register int32_t *ap __asm("r9") = acc;
  register const int8_t *const *cp __asm("r10") = col;
  register int32_t inner __asm("r11"), iters __asm("r12") = steps / 9;
  int8x16_t wv, x0, x1, x2, x3;
  /* the channel count goes to LR from memory: LR is clobbered, not bound to a variable (GCC reused LR as
   * a loop counter in between) */
  __asm volatile("ldr lr, %[n]\n\tdls lr, lr\n"
                 "1:\n\tldr r0, [r9]\n\tmov r2, r0\n\tmov r4, r0\n\tmov r6, r0\n\tldm r10, {r1, r3, r5, r7}\n\t"
                 "mov r11, r12\n"
                 "2:\n\t" MM4_STEP MM4_STEP MM4_STEP MM4_STEP MM4_STEP MM4_STEP MM4_STEP MM4_STEP MM4_STEP
                 "subs r11, r11, #1\n\tbne 2b\n\t"
                 "stm r9!, {r0, r2, r4, r6}\n\t"
                 "le lr, 1b"
                 : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [c0] "=&r"(c0), [c1] "=&r"(c1),
                   [c2] "=&r"(c2), [c3] "=&r"(c3), [w] "+r"(wp), "+r"(ap), "=&r"(inner), [wv] "=&w"(wv),
                   [x0] "=&w"(x0), [x1] "=&w"(x1), [x2] "=&w"(x2), [x3] "=&w"(x3)
                 : "r"(cp), "r"(iters), [n] "m"(n)
                 : "memory", "cc", "lr");
}

/* acc[4 * i + j] = eb[i] + sum_k col[j][k] * w[i][k] for N (1..4, a constant after inlining) columns
 * and n channels: one weight load feeds N VMLADAVs; pointers advance with the loads (post-increment
 * addressing, no index arithmetic in the loop). */
static inline __attribute__((always_inline)) void matmul_n(const int8_t *w, int32_t K, const int8_t *const col[PIX],
                                                           const int32_t *eb, int32_t n, int32_t *acc, int N) {
  const int32_t steps = K >> 4, rest = K & 15;
  const mve_pred16_t tail = vctp8q((uint32_t)rest);
  int32_t i, k;
  if (K <= 16) { /* one vector per column: the columns stay in registers for every channel */
    /* not reached without MM16 (model.h names it for every K <= 16 layer on the matmul): the trap keeps K > 16
     * known below (with the branch just left out, the loops' steps == 0 checks cost mbv2_035's 1x1 112 -> 1280
     * on a 3x3 map 7.7 k instructions) */
    if (!TFEDGE_USES(MVE_CONV_MM16)) __builtin_trap();
    const mve_pred16_t pr = vctp8q((uint32_t)K);
    const int8x16_t x0 = vldrbq_z_s8(col[0], pr), x1 = vldrbq_z_s8(col[N > 1 ? 1 : 0], pr);
    const int8x16_t x2 = vldrbq_z_s8(col[N > 2 ? 2 : 0], pr), x3 = vldrbq_z_s8(col[N > 3 ? 3 : 0], pr);
    for (i = 0; i < n; ++i, acc += 4, w += K) {
      const int8x16_t wv = vldrbq_z_s8(w, pr);
      acc[0] = vmladavaq_s8(eb[i], x0, wv);
      if (N > 1) acc[1] = vmladavaq_s8(eb[i], x1, wv);
      if (N > 2) acc[2] = vmladavaq_s8(eb[i], x2, wv);
      if (N > 3) acc[3] = vmladavaq_s8(eb[i], x3, wv);
    }
    return;
  }
  if (TFEDGE_USES(MVE_CONV_MM9) && N == 4 && rest == 0 && steps % 9 == 0) {
    for (i = 0; i < n; ++i) acc[4 * i] = eb[i];
    mm4_channels(w, steps, col, n, acc);
    return;
  }
  for (i = 0; i < n; ++i, acc += 4) {
    const int8_t *c0 = col[0], *c1 = col[N > 1 ? 1 : 0], *c2 = col[N > 2 ? 2 : 0], *c3 = col[N > 3 ? 3 : 0];
    int32_t a0 = eb[i], a1 = a0, a2 = a0, a3 = a0;
    if (N == 4 && steps % 3 == 0) { /* whole loop in asm, unrolled: LE was 1 of every 10 instructions */
      mm4_steps(&w, &c0, &c1, &c2, &c3, &a0, &a1, &a2, &a3, steps);
    }
    for (k = N == 4 && steps % 3 == 0 ? steps : 0; k < steps; ++k) {
      const int8x16_t wv = vldrbq_s8(w);
      w += 16;
      a0 = vmladavaq_s8(a0, vldrbq_s8(c0), wv);
      c0 += 16;
      if (N > 1) { a1 = vmladavaq_s8(a1, vldrbq_s8(c1), wv); c1 += 16; }
      if (N > 2) { a2 = vmladavaq_s8(a2, vldrbq_s8(c2), wv); c2 += 16; }
      if (N > 3) { a3 = vmladavaq_s8(a3, vldrbq_s8(c3), wv); c3 += 16; }
    }
    if (rest) { /* zeroed weight lanes make the products of the tail's extra lanes 0 */
      const int8x16_t wv = vldrbq_z_s8(w, tail);
      w += rest;
      a0 = vmladavaq_s8(a0, vldrbq_z_s8(c0, tail), wv);
      if (N > 1) a1 = vmladavaq_s8(a1, vldrbq_z_s8(c1, tail), wv);
      if (N > 2) a2 = vmladavaq_s8(a2, vldrbq_z_s8(c2, tail), wv);
      if (N > 3) a3 = vmladavaq_s8(a3, vldrbq_z_s8(c3, tail), wv);
    }
    acc[0] = a0;
    if (N > 1) acc[1] = a1;
    if (N > 2) acc[2] = a2;
    if (N > 3) acc[3] = a3;
  }
}

/* Requantizes acc[4 * i + j] (channel c0 + i of pixel j) for `count` pixels whose outputs are out_c
 * bytes apart: the 4 pixels of one channel are the lanes (one multiplier), stored with a scatter. */
static __attribute__((noinline)) void requant4(const tfedge_conv_params *p, const int32_t *acc, int32_t c0, int32_t n,
                                               int32_t count, int32_t left, int8_t *out) {
  /* everything read once: the byte stores below may alias *p, so p-> in the loop would be reloaded */
  const mve_pred16_t pr = vctp32q((uint32_t)count);
  const uint32x4_t offs = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)p->out_c);
  const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
  const int32_t out_off = p->output_offset;
  const int32_t *mult = p->mult + c0, *shift = p->shift + c0;
  int32_t i;
  out += c0;
  if (count == 4) {
    for (i = 0; i < n; ++i, acc += 4, ++out) {
      /* scalar multiplier and shift (VQRDMULH / VRSHL by a register); a zero right shift needs no
       * rounding fix-up, so tfedge_mve_mbqm's per-lane mask becomes one branch per channel */
      const int32_t s = shift[i], rs = s > 0 ? 0 : s;
      int32x4_t x = vshlq_r_s32(vldrwq_s32(acc), left && s > 0 ? s : 0);
      x = vqrdmulhq_n_s32(x, mult[i]);
      if (rs) x = vrshlq_n_s32(vqaddq_s32(x, vshrq_n_s32(x, 31)), rs); /* ties away from zero, as TFLM */
      vstrbq_scatter_offset_s32(out, offs, vminq_s32(vmaxq_s32(vaddq_n_s32(x, out_off), lo), hi));
    }
    return;
  }
  for (i = 0; i < n; ++i, acc += 4, ++out) {
    int32x4_t x = vldrwq_s32(acc);
    const int32_t s = shift[i];
    if (left && s > 0) x = vshlq_r_s32(x, s);
    x = tfedge_mve_mbqm(x, vdupq_n_s32(mult[i]), vdupq_n_s32(s > 0 ? 0 : s));
    x = vminq_s32(vmaxq_s32(vaddq_n_s32(x, out_off), lo), hi);
    vstrbq_scatter_offset_p_s32(out, offs, x, pr);
  }
}

/* One out-of-line copy per column count keeps each inner loop's registers its own (no spills). The counts 1-3
 * are a call's last group (pixels % 4): model.h links only those its layers' calls end on (MVE_CONV_MM1..3). */
#define MATMUL_N(N)                                                                                          \
  static __attribute__((noinline)) void matmul##N(const int8_t *w, int32_t K, const int8_t *const col[PIX],   \
                                                  const int32_t *eb, int32_t n, int32_t *acc) {              \
    matmul_n(w, K, col, eb, n, acc, N);                                                                      \
  }
MATMUL_N(1)
MATMUL_N(2)
MATMUL_N(3)
MATMUL_N(4)

/* acc for `count` (1-4) columns. A count whose copy model.h leaves out takes matmul4 over the last column repeated:
 * the spare lanes' sums are computed and never stored (requant4 writes `count` pixels), so the result is exact. */
static void matmul(const int8_t *w, int32_t K, const int8_t *const col[PIX], const int32_t *eb, int32_t n,
                   int32_t *acc, int32_t count) {
  const int linked = count == 3 ? TFEDGE_USES(MVE_CONV_MM3) : count == 2 ? TFEDGE_USES(MVE_CONV_MM2)
                     : count == 1 ? TFEDGE_USES(MVE_CONV_MM1) : 1;
  if (!linked) { /* constant 1 (no code) when model.h links all three */
    const int8_t *cols4[PIX] = {col[0], col[count > 1 ? 1 : 0], col[count > 2 ? 2 : 0], col[0]};
    cols4[3] = cols4[count - 1];
    matmul4(w, K, cols4, eb, n, acc);
    return;
  }
  switch (count) {
    case 4: matmul4(w, K, col, eb, n, acc); break;
    case 3: if (TFEDGE_USES(MVE_CONV_MM3)) matmul3(w, K, col, eb, n, acc); break;
    case 2: if (TFEDGE_USES(MVE_CONV_MM2)) matmul2(w, K, col, eb, n, acc); break;
    default: if (TFEDGE_USES(MVE_CONV_MM1)) matmul1(w, K, col, eb, n, acc); break;
  }
}

TFEDGE_COLD_BEGIN
/* Windows too large for the im2col buffer: one pixel at a time, tap by tap, padding skipped. */
static void conv_direct(const tfedge_conv_params *p, const int8_t *input, int8_t *output, int32_t left) {
  const int32_t K = p->k_h * p->k_w * p->in_c;
  int32_t acc[OC_CHUNK];
  int32_t b, oy, ox, c0, i, ky, kx, k;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox, output += p->out_c) {
        const int32_t y0 = oy * p->stride_h - p->pad_top;
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        for (c0 = 0; c0 < p->out_c; c0 += OC_CHUNK) {
          const int32_t n = tfedge_min_i32(OC_CHUNK, p->out_c - c0);
          for (i = 0; i < n; ++i) {
            const int8_t *w_oc = p->weights + (c0 + i) * K;
            int32_t a = p->bias ? p->bias[c0 + i] : 0;
            for (ky = 0; ky < p->k_h; ++ky) {
              const int32_t y = y0 + ky * p->dil_h;
              if (y < 0 || y >= p->in_h) continue;
              for (kx = 0; kx < p->k_w; ++kx) {
                const int32_t x = x0 + kx * p->dil_w;
                const int8_t *in_px = in_b + (y * p->in_w + x) * p->in_c;
                const int8_t *w_px = w_oc + (ky * p->k_w + kx) * p->in_c;
                if (x < 0 || x >= p->in_w) continue;
                for (k = 0; k < p->in_c; k += 16) {
                  const mve_pred16_t pr = vctp8q((uint32_t)(p->in_c - k));
                  const int8x16_t wv = vldrbq_z_s8(w_px + k, pr);
                  a = vmladavaq_s8(a, vldrbq_z_s8(in_px + k, pr), wv);
                  a += p->input_offset * vaddvq_s8(wv);
                }
              }
            }
            acc[i] = a;
          }
          tfedge_mve_requant_row(acc, p->mult + c0, p->shift + c0, n, left, p->output_offset, p->act_min,
                                 p->act_max, output + c0);
        }
      }
    }
  }
}
TFEDGE_COLD_END

/* ---- K <= 64: weights stationary ---------------------------------------------------------------------
 * A channel's S = ceil(K / 16) weight vectors (lanes past K zeroed) stay in registers while the pixels
 * stream past, 4 at a time: per output S loads + S VMLADAVs, the 4 sums requantized as the lanes of one
 * vector (the channel's scalar multiplier and shift) and scattered to the 4 pixels' outputs. Pixel q's
 * K bytes are at x + q * 16 S: the input itself for a 1x1 stride-1 layer covering the whole map, else a
 * block of im2col columns (WS_PIX, or WS_BLOCK / (16 S) for S <= 2). Bytes a load reads past K meet zero weights. */
#define WS_MAX_K 64
/* im2col block: 32 columns of 48-64 bytes, 2 KB of shorter ones (each ws_run call costs ~20 instructions per
 * channel: mbv2_035's 1x1 8 -> 48 on 24x24 took 18 calls of 32 pixels, 5,808 k -> 5,685 k instructions for the
 * model; no more stack than 32 columns of 64 bytes, KWS's 48-byte ones keep theirs) */
#define WS_PIX 32
#define WS_BLOCK 2048

typedef struct {
  int32x4_t lo, hi;
  uint32x4_t offs;   /* 4 pixels' output offsets */
  uint32x4_t offs_t; /* the tail group's (ws_tail) */
  const int8_t *tail; /* its columns */
  int32_t out_off, out_c;
} ws_out;
/* the assembly reads offs_t at #48 and tail at #64 */
_Static_assert(__builtin_offsetof(ws_out, offs_t) == 48 && __builtin_offsetof(ws_out, tail) == 64, "ws_out layout");

/* `groups` groups of 4 pixels of one channel in assembly: what the C tail below does for 1-3 pixels,
 * without its spills (GCC 12 kept the clamp bounds and strides on the stack). Pixel q's S vectors are
 * read with post-increment from x + 16 S q (the im2col block, 1x1 layers of 16 k channels read in place);
 * its sum goes straight into lane q (one accumulator). Per group: 4 S loads + 4 S VMLADAVs, 4 lane moves, 10-13 to requantize, clamp, store and
 * loop (LE). (The two-lane VMOV would save 2, but which lane gets which register is not something the
 * emulator can be trusted to get right for silicon, so it is not used.) */
#define WS_LD(t) "vldrb.u8 %q[" #t "], [%[x]], #16\n\t"
#define WS_MLA(op, a, t, w) #op ".s8 %[" #a "], %q[" #t "], %q[" #w "]\n\t"
#define WS_PIX1(a) WS_LD(t0) WS_MLA(vmlav, a, t0, w0)
#define WS_PIX2(a) WS_LD(t0) WS_LD(t1) WS_MLA(vmlav, a, t0, w0) WS_MLA(vmlava, a, t1, w1)
#define WS_PIX3(a) WS_LD(t0) WS_LD(t1) WS_MLA(vmlav, a, t0, w0) WS_LD(t0) WS_MLA(vmlava, a, t1, w1) \
  WS_MLA(vmlava, a, t0, w2)
#define WS_PIX4(a) WS_LD(t0) WS_LD(t1) WS_MLA(vmlav, a, t0, w0) WS_LD(t0) WS_MLA(vmlava, a, t1, w1) WS_LD(t1) \
  WS_MLA(vmlava, a, t0, w2) WS_MLA(vmlava, a, t1, w3)
#define WS_FIX "vshr.s32 %q[t0], %q[v], #31\n\tvqadd.s32 %q[v], %q[v], %q[t0]\n\tvrshl.s32 %q[v], %[rs]\n\t"
/* the group count lives in LR (a register variable: LE counts it down) */
/* clamp: bounds in the Q registers S leaves free (2 for S <= 2, 1 for S = 3), the others loaded from the
 * ws_out (lo at offset 0, hi at 16; the core registers are short for S >= 3) */
#define WS_CLAMP_Q "vmax.s32 %q[v], %q[v], %q[qlo]\n\tvmin.s32 %q[v], %q[v], %q[qhi]\n\t"
#define WS_CLAMP_M "vldrw.u32 %q[t0], [%[o]]\n\tvmax.s32 %q[v], %q[v], %q[t0]\n\tvmin.s32 %q[v], %q[v], %q[qhi]\n\t"
#define WS_CLAMP_R "vldrw.u32 %q[t0], [%[o]]\n\tvmax.s32 %q[v], %q[v], %q[t0]\n\tvldrw.u32 %q[t0], [%[o], #16]\n\t" \
  "vmin.s32 %q[v], %q[v], %q[t0]\n\t"
/* the 4 pixels' sums into the lanes of v: each pixel's S steps, or (S = 0, K <= 8) a pair of 8-byte pixels per load
 * against w0 = (weights, 0) and w1 = (0, weights) */
#define WS_SUMS(PIX) PIX(a) "vdup.32 %q[v], %[a]\n\t" PIX(a) "vmov.32 %q[v][1], %[a]\n\t" PIX(a)                  \
  "vmov.32 %q[v][2], %[a]\n\t" PIX(a) "vmov.32 %q[v][3], %[a]\n\t"
#define WS_SUMS_PAIRS WS_LD(t0) WS_MLA(vmlav, a, t0, w0) "vdup.32 %q[v], %[a]\n\t" WS_MLA(vmlav, a, t0, w1)          \
  "vmov.32 %q[v][1], %[a]\n\t" WS_LD(t0) WS_MLA(vmlav, a, t0, w0) "vmov.32 %q[v][2], %[a]\n\t"                    \
  WS_MLA(vmlav, a, t0, w1) "vmov.32 %q[v][3], %[a]\n\t"
/* WLS skips the groups when there are none; after them, a tail group (nt = 1) runs the body once more from
 * o->tail with o->offs_t (LE with LR = 1 falls through) */
#define WS_ASM(SUMS, CLAMP, ...)                                                                                  \
  __asm volatile("wls lr, lr, 2f\n"                                                                             \
                 "1:\n\t" SUMS                                                                                  \
                 "vadd.i32 %q[v], %q[v], %[e]\n\tvqrdmulh.s32 %q[v], %q[v], %[m]\n\t" WS_FIX                     \
                 "vadd.i32 %q[v], %q[v], %[off]\n\t" CLAMP                                                        \
                 "vstrb.32 %q[v], [%[op], %q[offs]]\n\tadd %[op], %[op], %[ostep]\n\t"                            \
                 "le lr, 1b\n"                                                                                     \
                 "2:\n\tcmp %[nt], #0\n\tbeq 3f\n\tmovs %[nt], #0\n\tldr %[x], [%[o], #64]\n\t"                        \
                 "vldrw.u32 %q[offs], [%[o], #48]\n\tmov lr, #1\n\tb 1b\n"                                          \
                 "3:"                                                                                             \
                 : [x] "+r"(xp), [op] "+r"(opp), [n] "+r"(n), [nt] "+r"(nt), [offs] "+w"(offs), [a] "=&Te"(a),   \
                   [t0] "=&w"(t0), [t1] "=&w"(t1), [v] "=&w"(v)                                                   \
                 : [e] "r"(e), [m] "r"(m), [off] "r"(o->out_off), [ostep] "r"(ostep), [rs] "r"(rs), [o] "r"(o),    \
                   "m"(*o), __VA_ARGS__                                                                           \
                 : "memory", "cc")
#define WS_W1 [w0] "w"(w0)
#define WS_W2 WS_W1, [w1] "w"(w1)
#define WS_W3 WS_W2, [w2] "w"(w2)
#define WS_W4 WS_W3, [w3] "w"(w3)
/* Only channels with a right shift (rs < 0: nearly every channel of a trained model) take the assembly; a left
 * or zero shift takes ws_pixels_c (a loop per shift form cost ~0.5 KB per S for channels trained models rarely
 * have) */
#define WS_BQ [qlo] "w"(o->lo), [qhi] "w"(o->hi)
#define WS_BR "m"(*o)
#define WS_BM [qhi] "w"(o->hi)

static inline __attribute__((always_inline)) void ws_groups(const int8_t *xp, int8_t *opp, int32_t groups, int32_t nt,
                                                            int32_t ostep, const ws_out *o, int8x16_t w0, int8x16_t w1,
                                                            int8x16_t w2, int8x16_t w3, int32_t e, int32_t m, int32_t rs,
                                                            int S) {
  register int32_t n __asm("lr") = groups;
  uint32x4_t offs = o->offs;
  int32_t a;
  int8x16_t t0, t1;
  int32x4_t v;
  if (S == 0) WS_ASM(WS_SUMS_PAIRS, WS_CLAMP_Q, WS_W2, WS_BQ);
  else if (S == 1) WS_ASM(WS_SUMS(WS_PIX1), WS_CLAMP_Q, WS_W1, WS_BQ);
  else if (S == 2) WS_ASM(WS_SUMS(WS_PIX2), WS_CLAMP_Q, WS_W2, WS_BQ);
  else if (S == 3) WS_ASM(WS_SUMS(WS_PIX3), WS_CLAMP_M, WS_W3, WS_BM);
  else WS_ASM(WS_SUMS(WS_PIX4), WS_CLAMP_R, WS_W4, WS_BR);
}

TFEDGE_COLD_BEGIN
/* Every pixel of one channel, one dot product and scalar requantization (tfedge_mbqm, TFLM's) per pixel, for
 * any K <= 64 (lanes past K predicated off): channels with a left or zero shift (rare in trained models) and
 * strides without their assembly loop. Out of line and -Os, once for all S. */
static __attribute__((noinline)) void ws_pixels_c(const ws_out *o, const int8_t *x, int32_t xs, int32_t np,
                                                  const int8_t *w, int32_t K, int32_t e, int32_t m, int32_t sh,
                                                  int8_t *op) {
  const int32_t out_c = o->out_c, out_off = o->out_off, lo = vgetq_lane_s32(o->lo, 0), hi = vgetq_lane_s32(o->hi, 0);
  int32_t q, k;
  for (q = 0; q < np; ++q, x += xs, op += out_c) {
    int32_t a = e;
    for (k = 0; k < K; k += 16) {
      const mve_pred16_t pr = vctp8q((uint32_t)(K - k));
      a = vmladavaq_s8(a, vldrbq_z_s8(x + k, pr), vldrbq_z_s8(w + k, pr));
    }
    *op = (int8_t)tfedge_clamp_i32(tfedge_mbqm(a, m, sh) + out_off, lo, hi);
  }
}

/* The last np % 4 pixels as one whole group of 4 for the assembly: their columns (kp bytes, at x0 + q kp) at
 * tail, the last one repeated into the spare columns, and output offsets whose spare lanes repeat the last
 * pixel's: the spare lanes store the same value to the same byte, whatever order the scatter takes. In the
 * im2col block tail is where the columns already are (only the repeats are copied); in place it is a buffer. */
static uint32x4_t ws_tail(const int8_t *x0, int32_t np, int32_t kp, int32_t out_c, int8_t *tail) {
  const int32_t q0 = np & ~3, r = np & 3;
  int32_t j, k;
  for (j = 0; j < 4; ++j) {
    const int8_t *src = x0 + (q0 + (j < r ? j : r - 1)) * kp;
    if (src != tail + j * kp)
      for (k = 0; k < kp; k += 16) vstrbq_s8(tail + j * kp + k, vldrbq_s8(src + k));
  }
  return vmulq_n_u32(vminq_u32(vidupq_n_u32(0, 1), vdupq_n_u32((uint32_t)(r - 1))), (uint32_t)out_c);
}
TFEDGE_COLD_END

/* One out-of-line function for every column stride kp (16 S bytes, S = ceil(K / 16); or 8 for K <= 8, pixels
 * in pairs): channels [0, n) (weight rows w, effective bias eb, multipliers and shifts from mult/shift, outputs
 * at out + channel) of np pixels whose columns are kp bytes apart from x0, the last np % 4 as one group at tail
 * (a buffer of 4 kp + 16 bytes, or the block's columns: ws_tail). Per channel the 4 weight vectors (lanes past
 * K zero; S = 0: w1 = the weights again in lanes 8 .. 8 + K, the pair's second pixel), then S's assembly loop
 * over every group. Step counts model.h leaves out (TFEDGE_MODEL_USES_MVE_CONV_WSn; none with the compiler's
 * model.h; the pairs are WS0) and channels with a left or zero shift take ws_pixels_c. */
static __attribute__((noinline)) void ws_run(ws_out *o, const int8_t *x0, int32_t np, int8_t *tail, const int8_t *w,
                                             int32_t K, int32_t kp, const int32_t *eb, const int32_t *mult,
                                             const int32_t *shift, int32_t n, int8_t *out) {
  const int32_t S = kp >> 4, groups = np >> 2, nt = np & 3 ? 1 : 0, ostep = 4 * o->out_c;
  const int uses = S == 0   ? TFEDGE_USES(MVE_CONV_WS0)
                   : S == 1 ? TFEDGE_USES(MVE_CONV_WS1)
                   : S == 2 ? TFEDGE_USES(MVE_CONV_WS2)
                   : S == 3 ? TFEDGE_USES(MVE_CONV_WS3) : TFEDGE_USES(MVE_CONV_WS4);
  /* the last weight vector's lanes (S = 0: w0's; w1's are the same 8 lanes up) */
  const uint32_t pm = (uint32_t)vctp8q((uint32_t)(S ? K - 16 * (S - 1) : K));
  int32_t i;
  if (nt) o->offs_t = ws_tail(x0, np, kp, o->out_c, tail);
  o->tail = tail;
  for (i = 0; i < n; ++i, w += K) {
    const int32_t e = eb[i], m = mult[i], rs = shift[i];
    int8_t *op = out + i;
    int8x16_t w0, w1, w2, w3;
    if (rs >= 0 || !uses) { /* (rare) */
      ws_pixels_c(o, x0, kp, np, w, K, e, m, rs, op);
      continue;
    }
    /* S's weight vectors in assembly: the full ones unpredicated, one VMSR for the last (GCC set VPR per load).
     * VPR is overwritten unannounced (GCC 12 has no clobber name for it): nothing else in this loop is predicated. */
    switch (S) {
      case 0:
        if (!TFEDGE_USES(MVE_CONV_WS0)) break;
        __asm("vmsr p0, %[pm]\n\tvpst\n\tvldrbt.u8 %q[w0], [%[w]]\n\tvmsr p0, %[ph]\n\tvpst\n\t"
              "vldrbt.u8 %q[w1], [%[w], #-8]"
              : [w0] "=&w"(w0), [w1] "=&w"(w1) : [w] "r"(w), [pm] "r"(pm), [ph] "r"(pm << 8), "m"(*(const int8_t(*)[8])w));
        ws_groups(x0, op, groups, nt, ostep, o, w0, w1, w0, w0, e, m, rs, 0);
        break;
      case 1:
        if (!TFEDGE_USES(MVE_CONV_WS1)) break;
        __asm("vmsr p0, %[pm]\n\tvpst\n\tvldrbt.u8 %q[w0], [%[w]]"
              : [w0] "=w"(w0) : [w] "r"(w), [pm] "r"(pm), "m"(*(const int8_t(*)[16])w));
        ws_groups(x0, op, groups, nt, ostep, o, w0, w0, w0, w0, e, m, rs, 1);
        break;
      case 2:
        if (!TFEDGE_USES(MVE_CONV_WS2)) break;
        __asm("vldrb.u8 %q[w0], [%[w]]\n\tvmsr p0, %[pm]\n\tvpst\n\tvldrbt.u8 %q[w1], [%[w], #16]"
              : [w0] "=&w"(w0), [w1] "=&w"(w1) : [w] "r"(w), [pm] "r"(pm), "m"(*(const int8_t(*)[32])w));
        ws_groups(x0, op, groups, nt, ostep, o, w0, w1, w0, w0, e, m, rs, 2);
        break;
      case 3:
        if (!TFEDGE_USES(MVE_CONV_WS3)) break;
        __asm("vldrb.u8 %q[w0], [%[w]]\n\tvldrb.u8 %q[w1], [%[w], #16]\n\tvmsr p0, %[pm]\n\tvpst\n\t"
              "vldrbt.u8 %q[w2], [%[w], #32]"
              : [w0] "=&w"(w0), [w1] "=&w"(w1), [w2] "=&w"(w2) : [w] "r"(w), [pm] "r"(pm), "m"(*(const int8_t(*)[48])w));
        ws_groups(x0, op, groups, nt, ostep, o, w0, w1, w2, w0, e, m, rs, 3);
        break;
      default:
        if (!TFEDGE_USES(MVE_CONV_WS4)) break;
        __asm("vldrb.u8 %q[w0], [%[w]]\n\tvldrb.u8 %q[w1], [%[w], #16]\n\tvldrb.u8 %q[w2], [%[w], #32]\n\t"
              "vmsr p0, %[pm]\n\tvpst\n\tvldrbt.u8 %q[w3], [%[w], #48]"
              : [w0] "=&w"(w0), [w1] "=&w"(w1), [w2] "=&w"(w2), [w3] "=&w"(w3)
              : [w] "r"(w), [pm] "r"(pm), "m"(*(const int8_t(*)[64])w));
        ws_groups(x0, op, groups, nt, ostep, o, w0, w1, w2, w3, e, m, rs, 4);
        break;
    }
  }
}

/* The input itself as the columns: 1x1, stride 1, no padding, output as wide as the input (rows contiguous),
 * in_c a multiple of 16 or 8 (the assembly reads pixels 16 S or, in pairs, 8 bytes apart; other 1x1 layers copy each pixel's
 * steps into the block once, for all channels: mbv2_035's 56 -> 336 on 3x3 76 k instructions either way). */
static int ws_in_place(const tfedge_conv_params *p) {
  return p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 && p->pad_left == 0 &&
         p->out_w == p->in_w && (p->in_c % 16 == 0 || p->in_c == 8);
}

/* 1x1 without padding (the strided shortcuts of residual nets): the columns are a plain copy of each pixel's
 * 16-byte steps, and K <= 16 runs weights stationary too (ResNet-8's 1x1 stride 2, 16 -> 32 on 32x32:
 * 104 k -> 72 k instructions, 32 -> 64 on 16x16: 53 k -> 50 k, against the 4-pixel matmul / column()). */
static int ws_gather(const tfedge_conv_params *p) {
  return p->k_h == 1 && p->k_w == 1 && p->pad_top == 0 && p->pad_left == 0;
}

/* Columns of np pixels from (*oyp, *oxp) on (advanced past them) of a 1x1 layer without padding: each pixel's
 * kp = 16 S bytes copied whole (bytes past K meet zero weights), once for all output channels (strided
 * shortcuts, and stride-1 layers whose in_c is not a multiple of 16: mbv2_035's 1x1 8 -> 48 on 24x24). */
static __attribute__((noinline)) void ws_cols_1x1(const tfedge_conv_params *p, const int8_t *in_b, int32_t *oyp,
                                                  int32_t *oxp, int32_t np, int32_t kp, int8_t *cols) {
  const int32_t px = p->stride_w * p->in_c, row = p->stride_h * p->in_w * p->in_c, out_w = p->out_w;
  int32_t oy = *oyp, ox = *oxp, q, k;
  const int8_t *src = in_b + oy * row + ox * px;
  for (q = 0; q < np; ++q, cols += kp) {
    for (k = 0; k < kp; k += 16) vstrbq_s8(cols + k, vldrbq_s8(src + k));
    src += px;
    if (++ox == out_w) ox = 0, ++oy, src = in_b + oy * row;
  }
  *oyp = oy;
  *oxp = ox;
}

/* Columns of np pixels from (*oy, *ox) on (advanced past them) for kernel rows of one run of <= 16 bytes
 * (dil_w = 1: the first layers of 3-5 input channels). Each row is one 16-byte store: the bytes past the
 * run are junk that the next row, the next column or nothing but zero weights (bytes K .. kp) meet, and the
 * last column's junk lands in the block's 16 spare bytes. Interior windows load 16 bytes unpredicated
 * (predicated where that would read past the input); border windows take their rows' lanes [lo, hi) from
 * the image and the zero point elsewhere (VPSEL). The geometry sits in locals: the byte stores alias *p.
 * narrow_c3's 3x3 3 -> 3 first layer spent ~85 instructions per pixel here (C loop reloading *p, a
 * column() call per border pixel). */
static __attribute__((noinline)) void ws_cols_short(const tfedge_conv_params *p, const int8_t *in_b, int32_t *oyp,
                                                    int32_t *oxp, int32_t np, int32_t kp, int8_t *cols) {
  const int32_t in_w = p->in_w, in_h = p->in_h, in_c = p->in_c, k_h = p->k_h, k_w = p->k_w, run = k_w * in_c;
  const int32_t s_h = p->stride_h, s_w = p->stride_w, pad_t = p->pad_top, pad_l = p->pad_left, out_w = p->out_w;
  const int32_t dil_h = p->dil_h, row_step = dil_h * in_w * in_c, span_h = (k_h - 1) * dil_h, px_step = s_w * in_c;
  /* interior columns: ox in [ox_lo, ox_hi) */
  const int32_t ox_lo = (pad_l + s_w - 1) / s_w;
  const int32_t ox_hi = in_w - k_w + pad_l < 0 ? ox_lo : tfedge_max_i32(ox_lo, (in_w - k_w + pad_l) / s_w + 1);
  const int8_t *in_last = in_b + in_h * in_w * in_c - 16 - span_h * in_w * in_c; /* last window start read whole */
  const int8x16_t zv = vdupq_n_s8((int8_t)(-p->input_offset));
  int32_t oy = *oyp, ox = *oxp, ky, q = 0;
  while (q < np) {
    const int32_t y0 = oy * s_h - pad_t;
    const int8_t *src = in_b + (y0 * in_w + ox * s_w - pad_l) * in_c;
    if (y0 >= 0 && y0 + span_h < in_h && ox >= ox_lo && ox < ox_hi && src <= in_last) {
      /* a run of interior pixels of this output row: a tight loop of 16-byte row copies (the image's last
       * few pixels, whose loads would read past the input, take the border path's predicated loads) */
      const int32_t n = tfedge_min_i32(tfedge_min_i32(np - q, ox_hi - ox), (int32_t)((in_last - src) / px_step) + 1);
      int8_t *dst = cols + q * kp;
      int32_t i;
      if (k_h == 3) {
        const int32_t r2 = 2 * row_step, d2 = 2 * run;
        for (i = 0; i < n; ++i, src += px_step, dst += kp) {
          const int8x16_t a0 = vldrbq_s8(src), a1 = vldrbq_s8(src + row_step), a2 = vldrbq_s8(src + r2);
          vstrbq_s8(dst, a0);
          vstrbq_s8(dst + run, a1);
          vstrbq_s8(dst + d2, a2);
        }
      } else {
        for (i = 0; i < n; ++i, src += px_step, dst += kp) {
          const int8_t *r = src;
          for (ky = 0; ky < k_h; ++ky, r += row_step) vstrbq_s8(dst + ky * run, vldrbq_s8(r));
        }
      }
      q += n;
      ox += n;
    } else { /* a border pixel: its rows' lanes [lo, hi) from the image, the zero point elsewhere */
      const int32_t x0 = ox * s_w - pad_l, lo = x0 < 0 ? -x0 * in_c : 0;
      const int32_t hi = tfedge_max_i32(0, (x0 + k_w > in_w ? in_w - x0 : k_w) * in_c);
      const mve_pred16_t pv = (mve_pred16_t)(vctp8q((uint32_t)hi) & ~vctp8q((uint32_t)lo));
      int8_t *dst = cols + q * kp;
      for (ky = 0; ky < k_h; ++ky, dst += run) {
        const int32_t y = y0 + ky * dil_h;
        /* lanes below lo (left of the image) are inactive: the load never touches them */
        vstrbq_s8(dst, y < 0 || y >= in_h ? zv : vpselq_s8(vldrbq_z_s8(in_b + (y * in_w + x0) * in_c, pv), zv, pv));
      }
      ++q;
      ++ox;
    }
    if (ox == out_w) ox = 0, ++oy;
  }
  *oyp = oy;
  *oxp = ox;
}

TFEDGE_COLD_BEGIN
static __attribute__((noinline)) void conv_ws(const tfedge_conv_params *p, const int8_t *weights, int32_t c_begin,
                                               int32_t c_count, const int8_t *input, int8_t *output) {
  const int gather = ws_gather(p);
  const int32_t K = p->k_h * p->k_w * p->in_c;
  /* 1x1 of K <= 8: 8-byte columns, two pixels per load (mbv2_035's 8 -> 48: ~10 % fewer instructions) */
  const int32_t kp = gather && K <= 8 ? 8 : (K + 15) & ~15;
  const int32_t pixels = p->out_h * p->out_w;
  const int in_place = ws_in_place(p);
  const int short_rows = p->dil_w == 1 && p->k_w * p->in_c <= 16;
  int32_t eb_sum[p->arch_prep ? 1 : c_count];
  const int32_t *eb = p->arch_prep ? p->arch_prep + 1 + c_begin : eb_sum;
  /* pixels per block, no more than the call's rounded up to 4 (the tail group's 4 columns: ws_tail; the stack
   * high-water mark is RAM the model needs) */
  const int32_t bp = tfedge_min_i32((pixels + 3) & ~3, kp > 32 ? WS_PIX : WS_BLOCK / kp);
  /* in place: the last 1-3 pixels' group (ws_tail); a block: its columns, the tail group's within them */
  int8_t cols[in_place ? 4 * kp + 16 : bp * kp + 16] __attribute__((aligned(16)));
  ws_out o;
  int32_t b, g, q, k;
  o.lo = vdupq_n_s32(p->act_min);
  o.hi = vdupq_n_s32(p->act_max);
  o.offs = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)p->out_c);
  o.out_off = p->output_offset;
  o.out_c = p->out_c;
  if (!p->arch_prep)
    for (k = 0; k < c_count; k += OC_CHUNK)
      effective_bias(p, weights + k * K, K, c_begin + k, tfedge_min_i32(OC_CHUNK, c_count - k), eb_sum + k);
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    int8_t *out_b = output + b * pixels * p->out_c + c_begin;
    if (in_place) {
      ws_run(&o, in_b, pixels, cols, weights, K, kp, eb, p->mult + c_begin, p->shift + c_begin, c_count, out_b);
      continue;
    }
    {
      int32_t oy = 0, ox = 0;
      for (g = 0; g < pixels; g += bp) {
        const int32_t np = tfedge_min_i32(bp, pixels - g);
        if (gather) {
          ws_cols_1x1(p, in_b, &oy, &ox, np, kp, cols);
        } else if (short_rows) {
          ws_cols_short(p, in_b, &oy, &ox, np, kp, cols);
        } else
        for (q = 0; q < np; ++q) {
          int8_t *dst = cols + q * kp;
          const int8_t *src;
          if (!TFEDGE_USES(MVE_CONV_COLUMN)) __builtin_trap(); /* not reached: model.h names it for these layers */
          src = column(p, in_b, oy, ox, dst);
          if (src != dst) tfedge_mve_copy(dst, src, K);
          if (++ox == p->out_w) ox = 0, ++oy;
        }
        ws_run(&o, cols, np, cols + (np & ~3) * kp, weights, K, kp, eb, p->mult + c_begin, p->shift + c_begin, c_count,
               out_b + g * p->out_c);
      }
    }
  }
}
TFEDGE_COLD_END

/* The 1-4 im2col columns of the pixels from (*oyp, *oxp) on (advanced past them): short kernel rows (first
 * layers) copied by ws_cols_short, 1x1 windows without padding read in place, any other window (model.h's
 * MVE_CONV_COLUMN) copied row by row inside the image and by column() at its borders. With those row copies out of
 * line at -O2: the driver below is -Os, and the copies inlined there cost resnet20 +2.9 % (its 3x3 convs); without
 * them (1x1 and short-row layers) inlined (mcunet_se: 56 B less). */
#if TFEDGE_USES(MVE_CONV_COLUMN)
#define MM_COLS_LINKAGE static __attribute__((noinline))
#else
#define MM_COLS_LINKAGE static inline __attribute__((always_inline))
#endif
MM_COLS_LINKAGE void mm_cols(const tfedge_conv_params *p, const int8_t *in_b, int32_t *oyp, int32_t *oxp,
                                              int32_t count, int8_t *cols, const int8_t *col[PIX]) {
  const int32_t in_c = p->in_c, run = p->k_w * in_c, K = p->k_h * run;
  const int32_t row_step = p->dil_h * p->in_w * in_c, span_h = (p->k_h - 1) * p->dil_h;
  int32_t oy = *oyp, ox = *oxp, j, ky;
  if (p->dil_w == 1 && run <= 16 && p->k_h > 1) { /* 1-row windows of short rows: column() reads them in place */
    ws_cols_short(p, in_b, oyp, oxp, count, K, cols);
    for (j = 0; j < count; ++j) col[j] = cols + j * K;
    return;
  }
  for (j = 0; j < count; ++j) {
    const int32_t y0 = oy * p->stride_h - p->pad_top, x0 = ox * p->stride_w - p->pad_left;
    if (ws_gather(p)) {
      col[j] = in_b + (y0 * p->in_w + x0) * in_c;
    } else if (!TFEDGE_USES(MVE_CONV_COLUMN)) {
      __builtin_trap(); /* not reached: model.h names it for these layers */
    } else if (p->dil_w == 1 && run > 16 && p->k_h > 1 && y0 >= 0 && y0 + span_h < p->in_h && x0 >= 0 &&
               x0 + p->k_w <= p->in_w) {
      /* inside the image: each kernel row is one run, copied without column()'s border logic */
      const int8_t *src = in_b + (y0 * p->in_w + x0) * in_c;
      int8_t *dst = cols + j * K;
      for (ky = 0; ky < p->k_h; ++ky, src += row_step, dst += run) tfedge_mve_copy(dst, src, run);
      col[j] = cols + j * K;
    } else {
      col[j] = column(p, in_b, oy, ox, cols + j * K);
    }
    if (++ox == p->out_w) ox = 0, ++oy;
  }
  *oyp = oy;
  *oxp = ox;
}

/* Output channels [c_begin, c_begin + c_count) through im2col + matmul; row i of `weights` belongs to
 * channel c_begin + i (the layer's weights, or a block of clustered weights decoded by
 * conv_s8_nhwc_c4). Needs K <= IM2COL_MAX. The driver is -Os (its matmulN and requant4 are out of line: a group's
 * own set-up is a few dozen instructions against n channels x K / 16 steps in them). */
TFEDGE_COLD_BEGIN
void tfedge_mve_conv_channels(const tfedge_conv_params *p, const int8_t *weights, int32_t c_begin, int32_t c_count,
                              const int8_t *input, int8_t *output) {
  const int32_t K = p->k_h * p->k_w * p->in_c;
  /* one output pixel of K > 16 on the matmul where it is linked: its 1-column copy does one dot product per channel,
   * the weights-stationary loop a group of 4 repeated pixels (mbv3_small's 1x1x60 -> 240: 23 k instructions) */
  const int single = TFEDGE_USES(MVE_CONV_MM) && K > 16 && p->out_h * p->out_w == 1;
  /* K <= 16 through im2col: the 4-pixel matmul below keeps its columns in registers, measured faster */
  if (K <= WS_MAX_K && !single &&
      ((TFEDGE_USES(MVE_CONV_WS) && (K > 16 || ws_gather(p))) || !TFEDGE_USES(MVE_CONV_MM))) {
    conv_ws(p, weights, c_begin, c_count, input, output);
    return;
  }
  if (!TFEDGE_USES(MVE_CONV_MM)) __builtin_trap(); /* not reached (model.h names MM for every K > 64 layer): a wrong model.h faults, never a silent unwritten output */
  const int32_t left = tfedge_mve_any_left_shift(p->shift + c_begin, c_count);
  const int32_t pixels = p->out_h * p->out_w;
  const int32_t chunk = tfedge_min_i32(OC_CHUNK, c_count);
  int32_t b, c0, g;
  { /* sized to the layer: the stack high-water mark is part of the RAM a model needs */
    int8_t cols[PIX * K + 16] __attribute__((aligned(16))); /* + ws_cols_short's last 16-byte store */
    int32_t eb_sum[p->arch_prep ? 1 : chunk];
    int32_t acc[PIX * chunk];
    for (b = 0; b < p->batches; ++b) {
      const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
      int8_t *out_b = output + b * pixels * p->out_c;
      for (c0 = c_begin; c0 < c_begin + c_count; c0 += OC_CHUNK) {
        const int32_t n = tfedge_min_i32(OC_CHUNK, c_begin + c_count - c0);
        const int8_t *w = weights + (c0 - c_begin) * K;
        int32_t oy = 0, ox = 0;
        const int32_t *eb = effective_bias(p, w, K, c0, n, eb_sum);
        for (g = 0; g < pixels; g += PIX) {
          const int32_t count = tfedge_min_i32(PIX, pixels - g);
          const int8_t *col[PIX];
          mm_cols(p, in_b, &oy, &ox, count, cols, col);
          matmul(w, K, col, eb, n, acc, count);
          requant4(p, acc, c0, n, count, left, out_b + g * p->out_c);
        }
      }
    }
  }
}
TFEDGE_COLD_END

void conv_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  if (TFEDGE_USES(MVE_CONV_NARROW) && tfedge_mve_conv_narrow_applies(p)) /* out_c <= 6 (1x1: 3), K <= 32, rows >= 16 */
    tfedge_mve_conv_narrow(p, input, output);
  else if (TFEDGE_USES(MVE_CONV_DIRECT) && p->k_h * p->k_w * p->in_c > IM2COL_MAX)
    conv_direct(p, input, output, tfedge_mve_any_left_shift(p->shift, p->out_c));
  else
    tfedge_mve_conv_channels(p, p->weights, 0, p->out_c, input, output);
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/conv_s8_nhwc.c"
#endif
