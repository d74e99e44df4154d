/* ADD, int8, with broadcasting, Helium (Cortex-M55). Same contract and bit-exact results as
 * portable/add_s8.c (TFLM reference_integer_ops::Add).
 *
 * TFEDGE_MVE_BINARY (tfedge_mve.h) walks the broadcast; each of the three MultiplyByQuantizedMultiplier steps is
 * tfedge_mve_mbqm with the positive part of the shift applied first as a plain left shift (folded into
 * the 20-bit input shift: (x << 20) << l = x << (20 + l), both wrapping). */
#include "tfedge_kernels.h"
#include "tfedge_uses.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_elementwise.h"
#include "tfedge_mve.h"

/* The parameters in registers: int8 stores may alias *p, so reading p-> next to them would reload
 * every field after every store. A positive shift is a wrapping left shift before the high multiply. */
typedef struct {
  int32_t off1, off2, out_off, shift_in, l1, l2, lo_out;
  int32x4_t m1, r1, m2, r2, mo, ro, lo, hi;
} add_consts;

static inline add_consts add_consts_of(const tfedge_binary_params *p) {
  add_consts k;
  k.off1 = p->input1_offset;
  k.off2 = p->input2_offset;
  k.out_off = p->output_offset;
  k.shift_in = p->left_shift;
  k.l1 = p->input1_shift > 0 ? p->input1_shift : 0;
  k.l2 = p->input2_shift > 0 ? p->input2_shift : 0;
  k.lo_out = p->output_shift > 0 ? p->output_shift : 0;
  k.m1 = vdupq_n_s32(p->input1_mult);
  k.r1 = vdupq_n_s32(p->input1_shift > 0 ? 0 : p->input1_shift);
  k.m2 = vdupq_n_s32(p->input2_mult);
  k.r2 = vdupq_n_s32(p->input2_shift > 0 ? 0 : p->input2_shift);
  k.mo = vdupq_n_s32(p->output_mult);
  k.ro = vdupq_n_s32(p->output_shift > 0 ? 0 : p->output_shift);
  k.lo = vdupq_n_s32(p->act_min);
  k.hi = vdupq_n_s32(p->act_max);
  return k;
}

static inline __attribute__((always_inline)) int32x4_t add4(const add_consts k, int32x4_t a, int32x4_t b) {
  /* VSHL by a register amount of 0 is the identity, so the left shifts need no branch */
  const int32x4_t x1 = tfedge_mve_mbqm(vshlq_r_s32(vaddq_n_s32(a, k.off1), k.shift_in + k.l1), k.m1, k.r1);
  const int32x4_t x2 = tfedge_mve_mbqm(vshlq_r_s32(vaddq_n_s32(b, k.off2), k.shift_in + k.l2), k.m2, k.r2);
  const int32x4_t out = vaddq_n_s32(tfedge_mve_mbqm(vshlq_r_s32(vaddq_s32(x1, x2), k.lo_out), k.mo, k.ro), k.out_off);
  return vminq_s32(vmaxq_s32(out, k.lo), k.hi);
}

#if TFEDGE_USES(MVE_ADD_RUN)
/* the per-row function keeps add4's constants in registers (GCC 12 reloads them otherwise) */
static __attribute__((noinline)) void add_run(const add_consts k, const tfedge_binary_params *p, const int8_t *input1,
                                              const int8_t *input2, int8_t *output) {
  TFEDGE_MVE_BINARY(p, input1, input2, output, k, add4, tfedge_add_one);
}
#endif

/* Dense inputs (a residual ADD) in the usual quantization: TFLM rescales both inputs to twice the larger
 * input scale, so the larger one has multiplier 2^30 and shift 0, and SaturatingRoundingDoublingHighMul of
 * (x + off) << 20 (even) by 2^30 is exactly (x + off) << 19: one VMLAS (x * 2^19 + (off << 19), the
 * int32 arithmetic of TFLM's shift). The other input (`a` below) and the output need a right shift
 * (shift < 0), so tfedge_mve_mbqm's fix-up is x + (x >> 31), no VAND, and VQRDMULH/VRSHL take their
 * scalar forms (GCC spilled add_run's vector constants): 18 instructions per 4 outputs, against 34. */
typedef struct {
  int32x4_t ca, lo, hi;
  int32_t oa, ma, ra, cb, ob, mo, ro, out_off;
} add_dense_consts;

static inline __attribute__((always_inline)) int32x4_t add4_dense(const add_dense_consts *k, int32x4_t a,
                                                                  int32x4_t b) {
  a = vqrdmulhq_n_s32(vmlasq_n_s32(a, k->ca, k->oa), k->ma);
  a = vrshlq_n_s32(vqaddq_s32(a, vshrq_n_s32(a, 31)), k->ra);
  a = vaddq_n_s32(vmlaq_n_s32(a, b, k->cb), k->ob);
  a = vqrdmulhq_n_s32(a, k->mo);
  a = vaddq_n_s32(vrshlq_n_s32(vqaddq_s32(a, vshrq_n_s32(a, 31)), k->ro), k->out_off);
  return vminq_s32(vmaxq_s32(a, k->lo), k->hi);
}

/* a: the input with the right shift; b: the one with multiplier 2^30, shift 0. */
static __attribute__((noinline)) void add_dense(const add_dense_consts *kp, const int8_t *a, const int8_t *b,
                                               int8_t *out, int32_t n) {
  const add_dense_consts k = *kp;
  for (; n >= 4; n -= 4, a += 4, b += 4, out += 4) vstrbq_s32(out, add4_dense(&k, vldrbq_s32(a), vldrbq_s32(b)));
  if (n > 0) {
    const mve_pred16_t pr = vctp32q((uint32_t)n);
    vstrbq_p_s32(out, add4_dense(&k, vldrbq_z_s32(a, pr), vldrbq_z_s32(b, pr)), pr);
  }
}

/* Number of elements when both inputs are dense over all four dimensions, else 0. */
static int32_t dense_count(const tfedge_binary_params *p) {
  int32_t n = 1, d;
  for (d = 3; d >= 0; --d) {
    if (p->dims[d] != 1 && (p->in1_strides[d] != n || p->in2_strides[d] != n)) return 0;
    n *= p->dims[d];
  }
  return n;
}

static int is_half(int32_t mult, int32_t shift) { return mult == (1 << 30) && shift == 0; }

void add_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  const int32_t n = dense_count(p), ls = p->left_shift;
  const int b_is_2 = is_half(p->input2_mult, p->input2_shift) && p->input1_shift < 0;
  const int b_is_1 = is_half(p->input1_mult, p->input1_shift) && p->input2_shift < 0;
  if (n && (b_is_1 || b_is_2) && p->output_shift < 0 && ls >= 1 && ls <= 22) {
    add_dense_consts k;
    const int32_t off_a = b_is_2 ? p->input1_offset : p->input2_offset;
    const int32_t off_b = b_is_2 ? p->input2_offset : p->input1_offset;
    k.ca = vdupq_n_s32(1 << ls), k.oa = (int32_t)((uint32_t)off_a << ls);
    k.ma = b_is_2 ? p->input1_mult : p->input2_mult, k.ra = b_is_2 ? p->input1_shift : p->input2_shift;
    k.cb = 1 << (ls - 1), k.ob = (int32_t)((uint32_t)off_b << (ls - 1));
    k.mo = p->output_mult, k.ro = p->output_shift, k.out_off = p->output_offset;
    k.lo = vdupq_n_s32(p->act_min), k.hi = vdupq_n_s32(p->act_max);
    if (b_is_2)
      add_dense(&k, input1, input2, output, n);
    else
      add_dense(&k, input2, input1, output, n);
  } else if (TFEDGE_USES(MVE_ADD_RUN)) {
    add_run(add_consts_of(p), p, input1, input2, output);
  } else {
    /* not reached: model.h names MVE_ADD_RUN when an ADD takes the walker (variants_mve.binary_paths mirrors the
     * test above); without it the walker (1.8 KB) and a portable fallback (0.6 KB) are left out */
    __builtin_trap();
  }
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/add_s8.c"
#endif
