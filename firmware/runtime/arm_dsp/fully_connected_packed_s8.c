/* FULLY_CONNECTED with packed weights, Cortex-M4/M7/M33 DSP extension.
 *
 * The input row is widened once into scratch ([x0 x2][x1 x3] per 4 values; the input offset is
 * already folded into the bias), then 4 output rows are computed per pass over it: per 4 inputs one
 * LDRD of input, 2 LDM of the compile-time widened weights (4 rows interleaved), 8 SMLAD. */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/fully_connected_packed_s8.c"
#else
#include "tfedge_dsp.h"

#define fully_connected_packed_s8 fully_connected_packed_s8_ref
#include "../portable/fully_connected_packed_s8.c"
#undef fully_connected_packed_s8

/* 4 rows over `groups` groups of 4 inputs: acc[0..3] (holding the biases) += rows . x. Hand-scheduled: 13
 * live registers; per group 1 LDRD of input, 2 LDM of weights (4 words each), 8 SMLAD. */
__attribute__((naked, noinline)) static void dot_rows4(__attribute__((unused)) const uint32_t *x,
                                                        __attribute__((unused)) const int16_t *w,
                                                        __attribute__((unused)) int32_t groups,
                                                        __attribute__((unused)) int32_t *acc) {
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "ldm r3, {r4-r7}\n\t"
      "1:\n\t"
      "ldrd r8, r9, [r0], #8\n\t"
      "ldm r1!, {r10-r12, lr}\n\t"
      "smlad r4, r8, r10, r4\n\t"
      "smlad r4, r9, r11, r4\n\t"
      "smlad r5, r8, r12, r5\n\t"
      "smlad r5, r9, lr, r5\n\t"
      "ldm r1!, {r10-r12, lr}\n\t"
      "smlad r6, r8, r10, r6\n\t"
      "smlad r6, r9, r11, r6\n\t"
      "smlad r7, r8, r12, r7\n\t"
      "smlad r7, r9, lr, r7\n\t"
      "subs r2, r2, #1\n\t"
      "bne 1b\n\t"
      "stm r3, {r4-r7}\n\t"
      "pop {r4-r11, pc}\n\t");
}

/* dot_rows4 with int8 weights (weights_i8: 4 rows x 4 inputs = one LDM of 4 words), widened in the loop with
 * SXTB16 / SXTB16 ROR 8: per group 1 LDRD, 1 LDM, 8 SXTB16, 8 SMLAD. r3 (the accumulators' address) is
 * kept on the stack to free a register for the widening. */
#define ROW8(ACC, W)                      \
  "sxtb16 r3, " W "\n\t"                  \
  "sxtb16 " W ", " W ", ror #8\n\t"       \
  "smlad " ACC ", r8, r3, " ACC "\n\t"    \
  "smlad " ACC ", r9, " W ", " ACC "\n\t"

__attribute__((naked, noinline)) static void dot_rows4_8(__attribute__((unused)) const uint32_t *x,
                                                          __attribute__((unused)) const int8_t *w,
                                                          __attribute__((unused)) int32_t groups,
                                                          __attribute__((unused)) int32_t *acc) {
  __asm__ volatile(
      "push {r3-r11, lr}\n\t"
      "ldm r3, {r4-r7}\n\t"
      "1:\n\t"
      "ldrd r8, r9, [r0], #8\n\t"
      "ldm r1!, {r10-r12, lr}\n\t"
      ROW8("r4", "r10") ROW8("r5", "r11") ROW8("r6", "r12") ROW8("r7", "lr")
      "subs r2, r2, #1\n\t"
      "bne 1b\n\t"
      "ldr r3, [sp]\n\t"
      "stm r3, {r4-r7}\n\t"
      "pop {r3-r11, pc}\n\t");
}

void fully_connected_packed_s8(const tfedge_fc_params *p, const int8_t *input, int8_t *output) {
  const int32_t k_padded = (p->in_features + 3) & ~3, groups = k_padded >> 2;
  const int32_t n = p->in_features, out_f = p->out_features;
  const int compact = p->const_row != NULL;
  const int32_t rows_n = compact ? p->live_c : out_f; /* rows computed */
  const int general = p->rq_general != 0;
  const int32_t zp = p->output_offset, lo = p->act_min, hi = p->act_max;
  const tfedge_requant_ch *rq = p->rq;
  uint32_t *buf = (uint32_t *)p->scratch;
  int8_t *live = (int8_t *)(buf + (k_padded >> 1)); /* compact: the computed rows' outputs */
  int32_t b, o, g;
  if (rq == NULL || buf == NULL) {
    fully_connected_packed_s8_ref(p, input, output);
    return;
  }
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * n;
    const int16_t *w = (const int16_t *)(const void *)p->weights;
    int8_t *dst = compact ? live : output;
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
    for (o = 0; o < rows_n; o += 4) {
      const tfedge_requant_ch *r = rq + o; /* padded to whole groups of 4 */
      const int32_t rows = rows_n - o < 4 ? rows_n - o : 4;
      int32_t acc[4];
      int32_t a0, a1, a2;
      acc[0] = r[0].bias, acc[1] = r[1].bias, acc[2] = r[2].bias, acc[3] = r[3].bias;
      if (p->weights_i8) dot_rows4_8(buf, (const int8_t *)w, groups, acc);
      else dot_rows4(buf, w, groups, acc);
      w += (p->weights_i8 ? 8 : 16) * groups; /* int16 units: 16 weights per group */
      a0 = acc[0], a1 = acc[1], a2 = acc[2];
      if (rows == 4) {
        tfedge_st32(dst, tfedge_pack4(tfedge_dsp_out_any(a0, r, general, zp, lo, hi),
                                      tfedge_dsp_out_any(a1, r + 1, general, zp, lo, hi),
                                      tfedge_dsp_out_any(a2, r + 2, general, zp, lo, hi),
                                      tfedge_dsp_out_any(acc[3], r + 3, general, zp, lo, hi)));
      } else {
        const int32_t acc3[3] = {a0, a1, a2};
        int32_t k;
        for (k = 0; k < rows; ++k) dst[k] = (int8_t)tfedge_dsp_out_any(acc3[k], r + k, general, zp, lo, hi);
      }
      dst += rows;
    }
    if (compact) tfedge_dsp_scatter(p->const_row, p->live_map, out_f, rows_n, live, output, 1);
    output += out_f;
  }
}
#endif
