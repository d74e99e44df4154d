/* ADD, int8, with broadcasting, Helium (Cortex-M55). Same contract and bit-exact results as
 * portable/add_s8.c (TFLM reference_integer_ops::Add).
 *
 * The innermost dimension is vectorised 4 lanes at a time when it is contiguous in both inputs, or
 * contiguous in one and broadcast (stride 0) in the other (the scalar is splat into a vector); other
 * layouts take the scalar path. Each of the three MultiplyByQuantizedMultiplier steps is
 * tfedge_mve_mbqm with the positive part of the shift applied first as a plain left shift. */
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

/* x * 2^shift requantized: positive shifts are a wrapping left shift before the high multiply. */
static inline int32x4_t rescale(int32x4_t x, int32_t mult, int32_t shift) {
  if (shift > 0) x = vshlq_r_s32(x, shift);
  return tfedge_mve_mbqm(x, vdupq_n_s32(mult), vdupq_n_s32(shift > 0 ? 0 : shift));
}

static inline int32x4_t add4(const tfedge_binary_params *p, int32x4_t a, int32x4_t b) {
  const int32x4_t x1 = rescale(vshlq_r_s32(vaddq_n_s32(a, p->input1_offset), p->left_shift), p->input1_mult,
                               p->input1_shift);
  const int32x4_t x2 = rescale(vshlq_r_s32(vaddq_n_s32(b, p->input2_offset), p->left_shift), p->input2_mult,
                               p->input2_shift);
  const int32x4_t out = vaddq_n_s32(rescale(vaddq_s32(x1, x2), p->output_mult, p->output_shift), p->output_offset);
  return vminq_s32(vmaxq_s32(out, vdupq_n_s32(p->act_min)), vdupq_n_s32(p->act_max));
}

/* n outputs from a (step sa: 1 or 0) and b (step sb: 1 or 0). */
static void add_row(const tfedge_binary_params *p, const int8_t *a, int32_t sa, const int8_t *b, int32_t sb,
                    int8_t *out, int32_t n) {
  const int32x4_t a_splat = vdupq_n_s32(a[0]), b_splat = vdupq_n_s32(b[0]);
  int32_t i = 0;
  for (; i + 4 <= n; i += 4)
    vstrbq_s32(out + i, add4(p, sa ? vldrbq_s32(a + i) : a_splat, sb ? vldrbq_s32(b + i) : b_splat));
  if (i < n) {
    const mve_pred16_t pr = vctp32q((uint32_t)(n - i));
    vstrbq_p_s32(out + i, add4(p, sa ? vldrbq_z_s32(a + i, pr) : a_splat, sb ? vldrbq_z_s32(b + i, pr) : b_splat), pr);
  }
}

void add_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  const int32_t s1 = p->in1_strides[3], s2 = p->in2_strides[3], n = p->dims[3];
  const int vector = (s1 == 1 || s1 == 0) && (s2 == 1 || s2 == 0) && (s1 | s2);
  int32_t i0, i1, i2, i3;
  for (i0 = 0; i0 < p->dims[0]; ++i0)
    for (i1 = 0; i1 < p->dims[1]; ++i1)
      for (i2 = 0; i2 < p->dims[2]; ++i2, output += n) {
        const int8_t *a = input1 + i0 * p->in1_strides[0] + i1 * p->in1_strides[1] + i2 * p->in1_strides[2];
        const int8_t *b = input2 + i0 * p->in2_strides[0] + i1 * p->in2_strides[1] + i2 * p->in2_strides[2];
        if (vector) add_row(p, a, s1, b, s2, output, n);
        else
          for (i3 = 0; i3 < n; ++i3) output[i3] = add_one(p, a[i3 * s1], b[i3 * s2]);
      }
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/add_s8.c"
#endif
