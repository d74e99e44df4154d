/* ADD, int8, with broadcasting, Helium (Cortex-M55). Same contract and bit-exact results as
 * portable/add_s8.c (TFLM reference_integer_ops::Add).
 *
 * The innermost dimension is vectorised 4 lanes at a time when it is contiguous in both inputs, or
 * contiguous in one and broadcast (stride 0) in the other (the scalar is splat into a vector); other
 * layouts take the scalar path. Each of the three MultiplyByQuantizedMultiplier steps is
 * tfedge_mve_mbqm with the positive part of the shift applied first as a plain left shift (folded into
 * the 20-bit input shift: (x << 20) << l = x << (20 + l), both wrapping). */
#include "tfedge_kernels.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_fixedpoint.h"
#include "tfedge_mve.h"

static int8_t add_one(const tfedge_binary_params *p, int32_t a, int32_t b) {
  const int32_t x1 = tfedge_mbqm(tfedge_shl_wrap(a + p->input1_offset, p->left_shift), p->input1_mult, p->input1_shift);
  const int32_t x2 = tfedge_mbqm(tfedge_shl_wrap(b + p->input2_offset, p->left_shift), p->input2_mult, p->input2_shift);
  const int32_t out = tfedge_mbqm(x1 + x2, p->output_mult, p->output_shift) + p->output_offset;
  return (int8_t)tfedge_clamp_i32(out, p->act_min, p->act_max);
}

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

/* n outputs from a (step sa: 1 or 0) and b (step sb: 1 or 0). */
static __attribute__((noinline)) void add_row(const add_consts k, const int8_t *a, int32_t sa, const int8_t *b,
                                              int32_t sb, int8_t *out, int32_t n) {
  const int32x4_t a_splat = vdupq_n_s32(a[0]), b_splat = vdupq_n_s32(b[0]);
  int32_t i = 0;
  if (sa && sb)
    for (; i + 4 <= n; i += 4) vstrbq_s32(out + i, add4(k, vldrbq_s32(a + i), vldrbq_s32(b + i)));
  else
    for (; i + 4 <= n; i += 4)
      vstrbq_s32(out + i, add4(k, sa ? vldrbq_s32(a + i) : a_splat, sb ? vldrbq_s32(b + i) : b_splat));
  if (i < n) {
    const mve_pred16_t pr = vctp32q((uint32_t)(n - i));
    vstrbq_p_s32(out + i, add4(k, sa ? vldrbq_z_s32(a + i, pr) : a_splat, sb ? vldrbq_z_s32(b + i, pr) : b_splat), pr);
  }
}

void add_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  const int32_t s1 = p->in1_strides[3], s2 = p->in2_strides[3], n = p->dims[3];
  const int vector = (s1 == 1 || s1 == 0) && (s2 == 1 || s2 == 0) && (s1 | s2);
  const add_consts k = add_consts_of(p);
  int32_t i0, i1, i2, i3;
  for (i0 = 0; i0 < p->dims[0]; ++i0)
    for (i1 = 0; i1 < p->dims[1]; ++i1)
      for (i2 = 0; i2 < p->dims[2]; ++i2, output += n) {
        const int8_t *a = input1 + i0 * p->in1_strides[0] + i1 * p->in1_strides[1] + i2 * p->in1_strides[2];
        const int8_t *b = input2 + i0 * p->in2_strides[0] + i1 * p->in2_strides[1] + i2 * p->in2_strides[2];
        if (vector) add_row(k, a, s1, b, s2, output, n);
        else
          for (i3 = 0; i3 < n; ++i3) output[i3] = add_one(p, a[i3 * s1], b[i3 * s2]);
      }
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/add_s8.c"
#endif
