/* MUL, int8, with broadcasting, Helium (Cortex-M55). Same contract and bit-exact results as
 * portable/mul_s8.c (TFLM reference_integer_ops::Mul): (a + off1) * (b + off2) in int32 (exact: both
 * factors are within 9 bits), MultiplyByQuantizedMultiplier (the positive part of the shift a wrapping
 * VSHL first, then tfedge_mve_mbqm), output offset, clamp. 4 lanes per vector; TFEDGE_MVE_BINARY
 * (tfedge_mve.h) walks the broadcast (MobileNetV3's squeeze-excite scale: one vector of channels per
 * pixel). The portable kernel was ~57 instructions per element on the M55. */
#include "tfedge_kernels.h"

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

static __attribute__((noinline)) void mul_run(const mul_consts k, const tfedge_binary_params *p, const int8_t *input1,
                                              const int8_t *input2, int8_t *output) {
  TFEDGE_MVE_BINARY(p, input1, input2, output, k, mul4, tfedge_mul_one);
}

void mul_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
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

#else /* built for a core without Helium: the portable kernel */
#include "../portable/mul_s8.c"
#endif
