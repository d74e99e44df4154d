/* MUL, int8, with broadcasting, Helium (Cortex-M55). Same contract and bit-exact results as
 * portable/mul_s8.c (TFLM reference_integer_ops::Mul): (a + off1) * (b + off2) in int32 (exact: both
 * factors are within 9 bits), MultiplyByQuantizedMultiplier (the positive part of the shift a wrapping
 * VSHL first, then tfedge_mve_mbqm), output offset, clamp. 4 lanes per vector; TFEDGE_MVE_BINARY
 * (tfedge_mve.h) walks the broadcast (MobileNetV3's squeeze-excite scale: one vector of channels per
 * pixel). The portable kernel was ~57 instructions per element on the M55. */
#include "tfedge_kernels.h"
#include "tfedge_uses.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_elementwise.h"
#include "tfedge_mve.h"

typedef struct {
  int32_t off1, off2, out_off, left;
  int32x4_t m, r, lo, hi;
} mul_consts;

static inline __attribute__((always_inline)) int32x4_t mul4(const mul_consts k, int32x4_t a, int32x4_t b) {
  const int32x4_t x = vmulq_s32(vaddq_n_s32(a, k.off1), vaddq_n_s32(b, k.off2));
  const int32x4_t y = tfedge_mve_mbqm(vshlq_r_s32(x, k.left), k.m, k.r);
  return vminq_s32(vmaxq_s32(vaddq_n_s32(y, k.out_off), k.lo), k.hi);
}

#if TFEDGE_USES(MVE_MUL_RUN) /* else no MUL of the model takes it (variants_mve.binary_paths): left out */
static __attribute__((noinline)) void mul_run(const mul_consts k, const tfedge_binary_params *p, const int8_t *input1,
                                              const int8_t *input2, int8_t *output) {
  TFEDGE_MVE_BINARY(p, input1, input2, output, k, mul4, tfedge_mul_one);
}
#endif

/* Rows of n elements, `a` dense, `b` either dense (b_step = n) or one row broadcast to all (b_step = 0: a
 * squeeze-excite scale), with a right shift (the usual quantization): the scalar forms of VQRDMULH/VRSHL and
 * the fix-up x + (x >> 31) (no VAND, no vector constants for GCC to spill), 14 instructions per 4 outputs
 * and no per-row stride arithmetic (mul_run: 5.1-8.6 per element on MobileNetV3's gates). */
static inline __attribute__((always_inline)) int32x4_t mul4_rs(int32x4_t a, int32_t off_a, int32x4_t b, int32_t off_b,
                                                                int32_t m, int32_t r, int32_t out_off, int32x4_t lo,
                                                                int32x4_t hi) {
  int32x4_t x = vqrdmulhq_n_s32(vmulq_s32(vaddq_n_s32(a, off_a), vaddq_n_s32(b, off_b)), m);
  x = vaddq_n_s32(vrshlq_n_s32(vqaddq_s32(x, vshrq_n_s32(x, 31)), r), out_off);
  return vminq_s32(vmaxq_s32(x, lo), hi);
}

static __attribute__((noinline)) void mul_rows(const tfedge_binary_params *p, const int8_t *a, int32_t off_a,
                                              const int8_t *b, int32_t off_b, int32_t b_step, int32_t n, int32_t rows,
                                              int8_t *out) {
  const int32_t m = p->output_mult, r = p->output_shift, out_off = p->output_offset, tail = n & 3;
  const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
  const mve_pred16_t pr = vctp32q((uint32_t)tail);
  for (; rows > 0; --rows, b += b_step) {
    const int8_t *bp = b;
    int32_t i;
    for (i = n >> 2; i > 0; --i, a += 4, bp += 4, out += 4)
      vstrbq_s32(out, mul4_rs(vldrbq_s32(a), off_a, vldrbq_s32(bp), off_b, m, r, out_off, lo, hi));
    if (tail) {
      vstrbq_p_s32(out, mul4_rs(vldrbq_z_s32(a, pr), off_a, vldrbq_z_s32(bp, pr), off_b, m, r, out_off, lo, hi), pr);
      a += tail, out += tail;
    }
  }
}

/* 1: input strides dense over dims (the output's layout); 2: inner dimension dense, every outer one
 * broadcast (stride 0); 3: one value broadcast to all (every stride 0: MobileNetV3's x * constant);
 * else 0. Dimensions of size 1 match any. */
static int layout(const tfedge_binary_params *p, const int32_t *strides) {
  int32_t d, n = p->dims[3], dense = strides[3] == 1 || p->dims[3] == 1, bcast = dense;
  int32_t scalar = strides[3] == 0 || p->dims[3] == 1;
  for (d = 2; d >= 0; --d) {
    if (p->dims[d] == 1) continue;
    dense = dense && strides[d] == n;
    bcast = bcast && strides[d] == 0;
    scalar = scalar && strides[d] == 0;
    n *= p->dims[d];
  }
  return dense ? 1 : bcast ? 2 : scalar ? 3 : 0;
}

void mul_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  const int l1 = layout(p, p->in1_strides), l2 = layout(p, p->in2_strides);
  const int32_t n = p->dims[3], rows = p->dims[0] * p->dims[1] * p->dims[2];
  if (p->output_shift < 0 && (l1 == 1 || l2 == 1) && l1 && l2) {
    /* a: a dense input, b: the other (the product is symmetric) */
    const int8_t *a = l1 == 1 ? input1 : input2, *b = l1 == 1 ? input2 : input1;
    const int32_t off_a = l1 == 1 ? p->input1_offset : p->input2_offset;
    const int32_t off_b = l1 == 1 ? p->input2_offset : p->input1_offset, lb = l1 == 1 ? l2 : l1;
    if (lb == 3) { /* one value: a row of 64 copies broadcast to rows of 64 (and the rest as one row) */
      int8_t rep[64] __attribute__((aligned(4)));
      const int32_t all = n * rows, whole = all & ~63;
      vstrbq_s8(rep, vdupq_n_s8(b[0])), vstrbq_s8(rep + 16, vdupq_n_s8(b[0]));
      vstrbq_s8(rep + 32, vdupq_n_s8(b[0])), vstrbq_s8(rep + 48, vdupq_n_s8(b[0]));
      if (whole) mul_rows(p, a, off_a, rep, off_b, 0, 64, whole >> 6, output);
      if (all > whole) mul_rows(p, a + whole, off_a, rep, off_b, 0, all - whole, 1, output + whole);
    } else {
      mul_rows(p, a, off_a, b, off_b, lb == 1 ? n : 0, n, rows, output);
    }
    return;
  }
#if TFEDGE_USES(MVE_MUL_RUN)
  {
    mul_consts k;
    k.off1 = p->input1_offset;
    k.off2 = p->input2_offset;
    k.out_off = p->output_offset;
    k.left = p->output_shift > 0 ? p->output_shift : 0;
    k.m = vdupq_n_s32(p->output_mult);
    k.r = vdupq_n_s32(p->output_shift > 0 ? 0 : p->output_shift);
    k.lo = vdupq_n_s32(p->act_min);
    k.hi = vdupq_n_s32(p->act_max);
    mul_run(k, p, input1, input2, output);
  }
#else
  __builtin_trap(); /* not reached: model.h names MVE_MUL_RUN when a MUL takes the walker (variants_mve.binary_paths) */
#endif
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/mul_s8.c"
#endif
