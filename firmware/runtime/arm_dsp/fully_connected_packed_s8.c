/* FULLY_CONNECTED with packed weights, Cortex-M4/M7/M33 DSP extension.
 *
 * The input row is widened once into scratch ([x0 x2][x1 x3] per 4 values; the input offset is
 * already folded into the bias), then 4 output rows are computed per pass over it: per 4 inputs one
 * LDRD of input, 2 LDM of the compile-time widened weights (4 rows interleaved), 8 SMLAD. An input longer
 * than TFEDGE_FC_BLOCK is widened a block at a time (scratch: one block and the rows' accumulators, not the
 * whole widened input). */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/fully_connected_packed_s8.c"
#else
#include "tfedge_dsp.h"

/* No fallback to the portable loops: the compiler always gives these variants records and scratch. */

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

/* Whole row groups, requantized in the same pass (layers without TFEDGE_RQ_GENERAL channels): per group of 4
 * rows the biases from the records, the dot products 4 input groups per loop iteration (FC_LOOP), 4 one-SMLAL requantizations, BFI packing, SSUB8/SEL clamp, one STR of 4 bytes.
 * Registers: r0 input, r1 weights (they run on from one row group to the next), r2 count, r3 temp / records,
 * r4-r7 accumulators, r8/r9 input pairs, r10-r12/lr weights. */
typedef struct {
  const uint32_t *x;      /* 0: widened input */
  const void *w;          /* 4: packed weights */
  int32_t groups;         /* 8: input groups of 4 */
  const tfedge_requant_ch *rq; /* 12 */
  int8_t *out;            /* 16 */
  int32_t quads;          /* 20: row groups (>= 1) */
  uint32_t lo4, hi4;      /* 24, 28: act_min / act_max in every byte */
} fc_args;

/* One input group of 4 for 4 rows: int8 weights (1 LDM, SXTB16 / ROR 8 into r3 and the word) or int16 (2 LDM). */
#define FC_GROUP8                                     \
  "ldrd r8, r9, [r0], #8\n\t"                         \
  "ldm r1!, {r10-r12, lr}\n\t"                        \
  ROW8("r4", "r10") ROW8("r5", "r11") ROW8("r6", "r12") ROW8("r7", "lr")
#define FC_GROUP16                                    \
  "ldrd r8, r9, [r0], #8\n\t"                         \
  "ldm r1!, {r10-r12, lr}\n\t"                        \
  "smlad r4, r8, r10, r4\n\t"                         \
  "smlad r4, r9, r11, r4\n\t"                         \
  "smlad r5, r8, r12, r5\n\t"                         \
  "smlad r5, r9, lr, r5\n\t"                          \
  "ldm r1!, {r10-r12, lr}\n\t"                        \
  "smlad r6, r8, r10, r6\n\t"                         \
  "smlad r6, r9, r11, r6\n\t"                         \
  "smlad r7, r8, r12, r7\n\t"                         \
  "smlad r7, r9, lr, r7\n\t"

/* acc (ACC) with the record at r3 + OFF: preset, SMLAL, shift, SSAT. */
#define FC_RQ(ACC, OFF)                               \
  "ldrd r8, r9, [r3, #" OFF "+4]\n\t"                 \
  "ldr r10, [r3, #" OFF "+12]\n\t"                    \
  "and r11, " ACC ", #0x80000000\n\t"                 \
  "orr r11, r11, #0x40000000\n\t"                     \
  "add r9, r9, " ACC ", asr #31\n\t"                  \
  "smlal r11, r9, " ACC ", r8\n\t"                    \
  "asr r9, r9, r10\n\t"                               \
  "ssat " ACC ", #8, r9\n\t"

/* A row group's loop over its input groups: 4 per iteration, entered at the group that leaves whole iterations
 * (r2 the iterations, [sp, #8] the entry address, FC_ENTER): one load instead of tests of the count per row group,
 * and 4 copies of the group instead of 7 (int8) in the code. */
#define FC_LOOP(GROUP)                                \
  "ldr pc, [sp, #8]\n\t"                              \
  "5:\n\t" GROUP                                      \
  "6:\n\t" GROUP                                      \
  "7:\n\t" GROUP                                      \
  "8:\n\t" GROUP                                      \
  "subs r2, r2, #1\n\t"                               \
  "bne 5b\n\t"

/* The row-group loop of the args at r0 (fields 0 x, 4 w, 8 groups, 12 rq or acc, 20 quads): entry ([sp] the args,
 * [sp, #4] FC_LOOP's iterations ceil(groups / 4), [sp, #8] its entry for groups % 4 from the table after the code;
 * r1 the weights, running on; per row group r12 the args, r3 field 12, r0 the input, r2 the iterations) and the
 * step to the next. */
#define FC_ENTER                                      \
  "push {r4-r11, lr}\n\t"                             \
  "sub sp, sp, #12\n\t"                               \
  "str r0, [sp]\n\t"                                  \
  "ldr r2, [r0, #8]\n\t"                              \
  "add r3, r2, #3\n\t"                                \
  "lsr r3, r3, #2\n\t"                                \
  "str r3, [sp, #4]\n\t"                              \
  "and r2, r2, #3\n\t"                                \
  "adr.w r3, 9f\n\t"                                  \
  "ldr r2, [r3, r2, lsl #2]\n\t"                      \
  "str r2, [sp, #8]\n\t"                              \
  "ldr r1, [r0, #4]\n\t"                              \
  "2:\n\t"                                            \
  "ldr r12, [sp]\n\t"                                 \
  "ldr r3, [r12, #12]\n\t"                            \
  "ldr r0, [r12, #0]\n\t"                             \
  "ldr r2, [sp, #4]\n\t"

#define FC_NEXT                                       \
  "ldr r8, [r12, #20]\n\t"                            \
  "subs r8, r8, #1\n\t"                               \
  "str r8, [r12, #20]\n\t"                            \
  "bne 2b\n\t"                                        \
  "add sp, sp, #12\n\t"                               \
  "pop {r4-r11, pc}\n\t"                              \
  ".align 2\n\t"                                      \
  "9: .word 5b + 1, 8b + 1, 7b + 1, 6b + 1\n\t"

#define FC_RQ_BODY(LOOP)                             \
  FC_ENTER                                            \
  "ldr r4, [r3, #0]\n\t"                              \
  "ldr r5, [r3, #16]\n\t"                             \
  "ldr r6, [r3, #32]\n\t"                             \
  "ldr r7, [r3, #48]\n\t"                             \
  LOOP                                                \
  "ldr r12, [sp]\n\t"                                 \
  "ldr r3, [r12, #12]\n\t"                            \
  FC_RQ("r4", "0") FC_RQ("r5", "16") FC_RQ("r6", "32") FC_RQ("r7", "48")                      \
  "add r3, r3, #64\n\t"                               \
  "str r3, [r12, #12]\n\t"                            \
  "and r4, r4, #255\n\t"                              \
  "bfi r4, r5, #8, #8\n\t"                            \
  "bfi r4, r6, #16, #8\n\t"                           \
  "bfi r4, r7, #24, #8\n\t"                           \
  "ldrd r8, r9, [r12, #24]\n\t"                       \
  "ssub8 r10, r4, r8\n\t"                             \
  "sel r4, r4, r8\n\t"                                \
  "ssub8 r10, r4, r9\n\t"                             \
  "sel r4, r9, r4\n\t"                                \
  "ldr r8, [r12, #16]\n\t"                            \
  "str r4, [r8], #4\n\t"                              \
  "str r8, [r12, #16]\n\t"                            \
  FC_NEXT

__attribute__((naked, noinline)) static void fc_rows4_8_rq(__attribute__((unused)) fc_args *a) {
  __asm__ volatile(FC_RQ_BODY(FC_LOOP(FC_GROUP8)));
}

__attribute__((naked, noinline)) static void fc_rows4_rq(__attribute__((unused)) fc_args *a) {
  __asm__ volatile(FC_RQ_BODY(FC_LOOP(FC_GROUP16)));
}

/* A long input's block (fc_blocked): every row group's sums over `groups` input groups added to acc (4 per row
 * group, loaded and stored around the loop of FC_RQ_BODY); after each row group the weights skip the groups
 * outside the block. */
typedef struct {
  const uint32_t *x;      /* 0: the widened block */
  const void *w;          /* 4: the first row group's weights at the block */
  int32_t groups;         /* 8: input groups of 4 in the block */
  int32_t *acc;           /* 12: 4 sums per row group */
  int32_t skip;           /* 16: weight bytes from one row group's block end to the next one's block */
  int32_t quads;          /* 20: row groups (>= 1) */
} fc_acc_args;

#define FC_ACC_BODY(LOOP)                             \
  FC_ENTER                                            \
  "ldm r3, {r4-r7}\n\t"                               \
  LOOP                                                \
  "ldr r12, [sp]\n\t"                                 \
  "ldr r3, [r12, #12]\n\t"                            \
  "stm r3!, {r4-r7}\n\t"                              \
  "str r3, [r12, #12]\n\t"                            \
  "ldr r8, [r12, #16]\n\t"                            \
  "add r1, r1, r8\n\t"                                \
  FC_NEXT

__attribute__((naked, noinline)) static void fc_acc4_8(__attribute__((unused)) fc_acc_args *a) {
  __asm__ volatile(FC_ACC_BODY(FC_LOOP(FC_GROUP8)));
}

__attribute__((naked, noinline)) static void fc_acc4_16(__attribute__((unused)) fc_acc_args *a) {
  __asm__ volatile(FC_ACC_BODY(FC_LOOP(FC_GROUP16)));
}

/* The C around the assembly passes runs once per call (per block, per last partial row group): compiled for
 * size, the passes keep their hand schedule (-400 B of M4 runtime code). */
TFEDGE_COLD_BEGIN
static inline uint32_t bytes4(int32_t v) { return 0x01010101u * ((uint32_t)v & 0xffu); }

/* n inputs widened into buf ([x0 x2][x1 x3] per 4), a last partial 4 zero-padded (times zero weights). */
static void widen_input(uint32_t *buf, const int8_t *in, int32_t n) {
  int32_t g;
  for (g = 0; g + 4 <= n; g += 4) {
    const uint32_t v = tfedge_ld32(in + g);
    buf[g >> 1] = __sxtb16(v);
    buf[(g >> 1) + 1] = tfedge_sxtb16_ror8(v);
  }
  if (g < n) {
    uint8_t last[4] = {0, 0, 0, 0};
    uint32_t v;
    memcpy(last, in + g, (size_t)(n - g));
    v = tfedge_ld32(last);
    buf[g >> 1] = __sxtb16(v);
    buf[(g >> 1) + 1] = tfedge_sxtb16_ror8(v);
  }
}

/* A long input (k_padded > TFEDGE_FC_BLOCK): per block of inputs, widened into buf, every row group's dot
 * products over it added to acc (rows_n rounded up to 4 accumulators, after the block in scratch); then each
 * row requantized. Integer sums in another order: the same results. */
static void fc_blocked(const tfedge_fc_params *p, const int8_t *in, int8_t *dst, int32_t rows_n, uint32_t *buf,
                       int32_t *acc) {
  const int32_t n = p->in_features, groups = ((n + 3) & ~3) >> 2, quads = (rows_n + 3) >> 2;
  const int32_t unit = !TFEDGE_USES(W16) || p->weights_i8 ? 16 : 32; /* weight bytes per input group of 4 rows */
  const int8_t *w = (const int8_t *)p->weights;
  int32_t k0, q;
  for (q = 0; q < 4 * quads; ++q) acc[q] = p->rq[q].bias; /* rq padded to whole groups of 4 */
  for (k0 = 0; k0 < n; k0 += TFEDGE_FC_BLOCK) {
    const int32_t kn = n - k0 < TFEDGE_FC_BLOCK ? n - k0 : TFEDGE_FC_BLOCK, bg = (kn + 3) >> 2;
    fc_acc_args a;
    widen_input(buf, in + k0, kn);
    a.x = buf, a.w = w + unit * (k0 >> 2), a.groups = bg, a.acc = acc, a.skip = unit * (groups - bg), a.quads = quads;
    if (!TFEDGE_USES(W16) || p->weights_i8) fc_acc4_8(&a);
    else fc_acc4_16(&a);
  }
#pragma GCC unroll 1
  for (q = 0; q < rows_n; ++q)
    dst[q] = (int8_t)tfedge_dsp_out_any(acc[q], p->rq + q, TFEDGE_USES(FC_GENERAL) && p->rq_general != 0,
                                        p->output_offset, p->act_min, p->act_max);
}

void fully_connected_packed_s8(const tfedge_fc_params *p, const int8_t *input, int8_t *output) {
  const int32_t k_padded = (p->in_features + 3) & ~3, groups = k_padded >> 2;
  const int32_t n = p->in_features, out_f = p->out_features;
  const int compact = p->const_row != NULL;
  const int32_t rows_n = compact ? p->live_c : out_f; /* rows computed */
  const int general = TFEDGE_USES(FC_GENERAL) && p->rq_general != 0; /* (model.h: FC_GENERAL where a layer has any) */
  const int32_t zp = p->output_offset, lo = p->act_min, hi = p->act_max;
  /* a model whose FC inputs are all long (model.h: no FC_WHOLE) links the blocked path alone */
  const int blocked = TFEDGE_USES(FC_BLOCKED) && (!TFEDGE_USES(FC_WHOLE) || k_padded > TFEDGE_FC_BLOCK);
  const int i8 = !TFEDGE_USES(W16) || p->weights_i8;
  const tfedge_requant_ch *rq = p->rq;
  uint32_t *buf = (uint32_t *)p->scratch;
  int32_t *acc = (int32_t *)(buf + (TFEDGE_FC_BLOCK >> 1)); /* blocked: after one widened block */
  /* compact: the computed rows' outputs, after the widened input (or the block and the accumulators) */
  int8_t *live = blocked ? (int8_t *)(acc + ((rows_n + 3) & ~3)) : (int8_t *)(buf + (k_padded >> 1));
  int32_t b, o;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * n;
    const int16_t *w = (const int16_t *)(const void *)p->weights;
    int8_t *dst = compact ? live : output;
    if (blocked) {
      fc_blocked(p, in_b, dst, rows_n, buf, acc);
      if (compact) tfedge_dsp_scatter(p->const_row, p->live_map, out_f, rows_n, live, output, 1);
      output += out_f;
      continue;
    }
    widen_input(buf, in_b, n);
    o = 0;
    if (!general && rows_n >= 4) { /* whole row groups in one asm pass; a last partial group below */
      fc_args a;
      a.x = buf, a.w = w, a.groups = groups, a.rq = rq, a.out = dst, a.quads = rows_n >> 2;
      a.lo4 = bytes4(lo), a.hi4 = bytes4(hi);
      if (i8) fc_rows4_8_rq(&a);
      else fc_rows4_rq(&a);
      o = rows_n & ~3;
      w += (i8 ? 8 : 16) * groups * (o >> 2);
      dst += o;
    }
    for (; o < rows_n; o += 4) { /* the rare rest (a last partial group; layers with general channels): compact */
      const tfedge_requant_ch *r = rq + o; /* padded to whole groups of 4 */
      const int32_t rows = rows_n - o < 4 ? rows_n - o : 4;
      int32_t acc4[4], k;
      for (k = 0; k < 4; ++k) acc4[k] = r[k].bias;
      if (i8) dot_rows4_8(buf, (const int8_t *)w, groups, acc4);
      else dot_rows4(buf, w, groups, acc4);
      w += (i8 ? 8 : 16) * groups; /* int16 units: 16 weights per group */
#pragma GCC unroll 1
      for (k = 0; k < rows; ++k) dst[k] = (int8_t)tfedge_dsp_out_any(acc4[k], r + k, general, zp, lo, hi);
      dst += rows;
    }
    if (compact) tfedge_dsp_scatter(p->const_row, p->live_map, out_f, rows_n, live, output, 1);
    output += out_f;
  }
}
TFEDGE_COLD_END

#endif
