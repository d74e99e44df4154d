/* FULLY_CONNECTED, int8, tuned for Cortex-M0/M0+ (Armv6-M, Thumb-1). Same contract and bit-exact
 * results as portable/fully_connected_s8.c (TFLM reference_integer_ops::FullyConnected).
 *
 * - Two output rows per pass share each input load (LDRSB), halving input loads;
 * - the dot-product loop is unrolled 4x (Thumb-1 has no low-overhead loops: one compare-and-branch per
 *   4 MACs instead of per MAC);
 * - requantization uses tfedge_v6m_mbqm (16-bit partial products instead of libgcc's __aeabi_lmul). */
#include "tfedge_armv6m.h"
#include "tfedge_kernels.h"

static inline int8_t requant(const tfedge_fc_params *p, int32_t acc, int32_t c) {
  acc = tfedge_v6m_mbqm(acc, p->mult[c], p->shift[c]) + p->output_offset;
  return (int8_t)tfedge_clamp_i32(acc, p->act_min, p->act_max);
}

void fully_connected_s8(const tfedge_fc_params *p, const int8_t *input, int8_t *output) {
  const int32_t n = p->in_features;
  const int32_t n4 = n & ~3;
  int32_t b, o, i;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *x = input + b * n;
    for (o = 0; o + 2 <= p->out_features; o += 2) {
      const int8_t *w0 = p->weights + o * n, *w1 = w0 + n;
      int32_t a0 = p->bias[o], a1 = p->bias[o + 1];
      for (i = 0; i < n4; i += 4) {
        int32_t v = x[i];
        a0 += v * w0[i];
        a1 += v * w1[i];
        v = x[i + 1];
        a0 += v * w0[i + 1];
        a1 += v * w1[i + 1];
        v = x[i + 2];
        a0 += v * w0[i + 2];
        a1 += v * w1[i + 2];
        v = x[i + 3];
        a0 += v * w0[i + 3];
        a1 += v * w1[i + 3];
      }
      for (; i < n; ++i) {
        a0 += x[i] * w0[i];
        a1 += x[i] * w1[i];
      }
      *output++ = requant(p, a0, p->per_channel ? o : 0);
      *output++ = requant(p, a1, p->per_channel ? o + 1 : 0);
    }
    if (o < p->out_features) {
      const int8_t *w0 = p->weights + o * n;
      int32_t a0 = p->bias[o];
      for (i = 0; i < n; ++i) a0 += x[i] * w0[i];
      *output++ = requant(p, a0, p->per_channel ? o : 0);
    }
  }
}
