/* FULLY_CONNECTED with packed weights, Cortex-M4/M7/M33 DSP extension.
 *
 * The input row is widened once into scratch ([x0 x2][x1 x3] per 4 values; the input offset is
 * already folded into the bias), then 4 output rows are computed per pass over it: per 4 inputs
 * 2 loads of input, 2 LDRD of weights (4 rows interleaved 4 bytes at a time), 8 SXTB16, 8 SMLAD. */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/fully_connected_packed_s8.c"
#else
#include "tfedge_dsp.h"

#define fully_connected_packed_s8 fully_connected_packed_s8_ref
#include "../portable/fully_connected_packed_s8.c"
#undef fully_connected_packed_s8

static inline int32_t dot2(uint32_t w, uint32_t xe, uint32_t xo, int32_t acc) {
  acc = __smlad(xe, __sxtb16(w), acc);
  return __smlad(xo, tfedge_sxtb16_ror8(w), acc);
}

void fully_connected_packed_s8(const tfedge_fc_params *p, const int8_t *input, int8_t *output) {
  const int32_t k_padded = (p->in_features + 3) & ~3, groups = k_padded >> 2;
  const int32_t n = p->in_features, out_f = p->out_features;
  const tfedge_requant_ch *rq = p->rq;
  uint32_t *buf = (uint32_t *)p->scratch;
  int32_t b, o, g;
  if (rq == NULL || buf == NULL) {
    fully_connected_packed_s8_ref(p, input, output);
    return;
  }
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * n;
    const uint32_t *w = (const uint32_t *)p->weights;
    for (g = 0; g + 4 <= n; g += 4) {
      const uint32_t v = tfedge_ld32(in_b + g);
      buf[g >> 1] = __sxtb16(v);
      buf[(g >> 1) + 1] = tfedge_sxtb16_ror8(v);
    }
    if (g < n) { /* tail: zero-padded (times zero weights) */
      uint8_t last[4] = {0, 0, 0, 0};
      memcpy(last, in_b + g, (size_t)(n - g));
      {
        const uint32_t v = tfedge_ld32(last);
        buf[g >> 1] = __sxtb16(v);
        buf[(g >> 1) + 1] = tfedge_sxtb16_ror8(v);
      }
    }
    for (o = 0; o < out_f; o += 4) {
      const tfedge_requant_ch *r = rq + o;
      const int32_t rows = out_f - o < 4 ? out_f - o : 4;
      int32_t a0 = r[0].bias, a1 = rows > 1 ? r[1].bias : 0, a2 = rows > 2 ? r[2].bias : 0,
              a3 = rows > 3 ? r[3].bias : 0;
      const uint32_t *x = buf;
      for (g = 0; g < groups; ++g) {
        const uint32_t xe = x[0], xo = x[1];
        x += 2;
        a0 = dot2(w[0], xe, xo, a0);
        a1 = dot2(w[1], xe, xo, a1);
        a2 = dot2(w[2], xe, xo, a2);
        a3 = dot2(w[3], xe, xo, a3);
        w += 4;
      }
      if (rows == 4) {
        tfedge_st32(output, tfedge_pack4(tfedge_dsp_out(a0, r, p->act_min, p->act_max),
                                         tfedge_dsp_out(a1, r + 1, p->act_min, p->act_max),
                                         tfedge_dsp_out(a2, r + 2, p->act_min, p->act_max),
                                         tfedge_dsp_out(a3, r + 3, p->act_min, p->act_max)));
      } else {
        const int32_t acc[3] = {a0, a1, a2};
        int32_t k;
        for (k = 0; k < rows; ++k) output[k] = (int8_t)tfedge_dsp_out(acc[k], r + k, p->act_min, p->act_max);
      }
      output += rows;
    }
  }
}
#endif
