/* ADD, int8, with broadcasting, Helium (Cortex-M55). Same contract and bit-exact results as
 * portable/add_s8.c (TFLM reference_integer_ops::Add).
 *
 * TFEDGE_MVE_BINARY (tfedge_mve.h) walks the broadcast; each of the three MultiplyByQuantizedMultiplier steps is
 * tfedge_mve_mbqm with the positive part of the shift applied first as a plain left shift (folded into
 * the 20-bit input shift: (x << 20) << l = x << (20 + l), both wrapping). */
#include "tfedge_kernels.h"

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

/* the per-row function keeps add4's constants in registers (GCC 12 reloads them otherwise) */
static __attribute__((noinline)) void add_run(const add_consts k, const tfedge_binary_params *p, const int8_t *input1,
                                              const int8_t *input2, int8_t *output) {
  TFEDGE_MVE_BINARY(p, input1, input2, output, k, add4, tfedge_add_one);
}

void add_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  add_run(add_consts_of(p), p, input1, input2, output);
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/add_s8.c"
#endif
