/* ADD, int8, with broadcasting; Cortex-M4/M7/M33 DSP extension. Same arithmetic as portable/add_s8.c
 * (TFLM reference_integer_ops::Add): x_i = MultiplyByQuantizedMultiplier((in_i + offset_i) << 20, m_i, s_i),
 * out = MultiplyByQuantizedMultiplier(x1 + x2, m, s) + zp.
 * The input with the larger scale has the ratio 1/2 exactly (m = 2^30, s = 0: TFLM rescales both to twice
 * the larger scale), and then x = (in + offset) << 19 exactly. The other input's x depends on its byte alone:
 * a 256-entry table evaluated with TFLM's two steps, kept for the next calls with the same quantization
 * (residual blocks run by rows call it once per row). The output requantization is one SMLAL on a
 * preset accumulator (the conv records' form, docs/kernels.md). Contiguous inputs go 4 elements per pass (a word
 * of each, 4 table loads and requantizations, SSUB8/SEL clamp, one store), one loop copy for every activation. A first call on few elements (the table costs 256 evaluations) and
 * other quantizations run the portable loops. */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/add_s8.c"
#else
#include "tfedge_dsp.h"
#include "tfedge_fixedpoint.h"

#include "tfedge_elementwise.h"
#include "tfedge_uses.h"

#define add_s8 add_s8_ref
TFEDGE_COLD_BEGIN /* the fallback for other quantizations */
#include "../portable/add_s8.c"
TFEDGE_COLD_END
#undef add_s8

#define ADD_TABLE_MIN 64 /* fewer elements in a first call: the table would cost more than it saves */

static int32_t add_table[256];     /* x of the table input for each byte */
static int32_t add_table_key[4];   /* what add_table was built for: offset, multiplier, shift, left shift */
static int add_table_valid;

/* One element's sum x + t (|x + t| < 2^28) requantized: one SMLAL on the preset accumulator, saturated to int8. */
static inline __attribute__((always_inline)) int32_t add_rq(int32_t acc, int32_t mult, int32_t k_hi, int32_t shift) {
  uint32_t l = 0x40000000u | ((uint32_t)acc & 0x80000000u);
  int32_t h = k_hi + (acc >> 31);
  __asm__("smlal %0, %1, %2, %3" : "+r"(l), "+r"(h) : "r"(acc), "r"(mult));
  return __ssat(h >> shift, 8);
}

/* 4 int8 results clamped to the activation range bytewise (SSUB8 sets the GE flags, SEL picks): a no-op for the
 * full range, so one copy of the loop serves every activation. */
static inline uint32_t add_clamp4(uint32_t v, uint32_t lo4, uint32_t hi4) {
  uint32_t t;
  __asm__("ssub8 %1, %0, %2\n\tsel %0, %0, %2\n\tssub8 %1, %0, %3\n\tsel %0, %3, %0"
          : "+r"(v), "=&r"(t) : "r"(lo4), "r"(hi4) : "cc");
  return v;
}

/* The constants of one call's rows. */
typedef struct {
  const int32_t *table; /* x of the table input per byte */
  int32_t base, ls;     /* the exact input's x = base + (in << ls) */
  int32_t mult, k_hi, shift, lo, hi;
  uint32_t lo4, hi4;    /* activation range, 4 bytes each */
} add_consts;

/* n elements of one row (strides sa, sb: 0 broadcasts); both strides 1 (residual blocks): 4 elements per pass,
 * one word of each input, 4 sums requantized, packed, clamped with SSUB8/SEL and stored as one word. */
static __attribute__((noinline)) void add_row(const add_consts *q, const int8_t *a, const int8_t *b, int8_t *out,
                                              int32_t n, int32_t sa, int32_t sb) {
  const int32_t *table = q->table;
  const int32_t base = q->base, ls = q->ls, mult = q->mult, k_hi = q->k_hi, shift = q->shift;
  int32_t i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + 4 <= n; i += 4, a += 4, b += 4, out += 4) {
      const uint32_t va = tfedge_ld32(a), vb = tfedge_ld32(b);
      const int32_t v0 = add_rq(base + ((int32_t)(int8_t)va << ls) + table[vb & 255], mult, k_hi, shift);
      const int32_t v1 = add_rq(base + ((int32_t)(int8_t)(va >> 8) << ls) + table[(vb >> 8) & 255], mult, k_hi, shift);
      const int32_t v2 = add_rq(base + ((int32_t)(int8_t)(va >> 16) << ls) + table[(vb >> 16) & 255], mult, k_hi, shift);
      const int32_t v3 = add_rq(base + ((int32_t)(int8_t)(va >> 24) << ls) + table[vb >> 24], mult, k_hi, shift);
      tfedge_st32(out, add_clamp4(tfedge_pack4(v0, v1, v2, v3), q->lo4, q->hi4));
    }
  }
  for (; i < n; ++i, a += sa, b += sb) {
    const int32_t v = add_rq(base + (*a << ls) + table[(uint8_t)*b], mult, k_hi, shift);
    *out++ = (int8_t)(v < q->lo ? q->lo : v > q->hi ? q->hi : v);
  }
}

/* Per call, not per element: built for size (cold), as the table. */
TFEDGE_COLD_BEGIN
/* The broadcast loop over the outer dimensions, a row per inner run; inputs of the output's own contiguous
 * layout (no broadcasting) as one row. */
static void run(const tfedge_binary_params *p, const int8_t *in_x, const int8_t *in_t, const int32_t sx[4],
                const int32_t st[4], int32_t off_x, int32_t ls_x, const int32_t *table, int8_t *output, int32_t k_hi) {
  const int32_t n = p->dims[3];
  add_consts q;
  int32_t i0, i1, i2;
  q.table = table, q.base = off_x * (1 << ls_x), q.ls = ls_x, q.mult = p->output_mult, q.k_hi = k_hi;
  q.shift = -p->output_shift - 1, q.lo = p->act_min, q.hi = p->act_max;
  q.lo4 = (uint32_t)(uint8_t)p->act_min * 0x01010101u, q.hi4 = (uint32_t)(uint8_t)p->act_max * 0x01010101u;
  if (sx[3] == 1 && st[3] == 1 && sx[2] == n && st[2] == n && sx[1] == n * p->dims[2] && st[1] == sx[1] &&
      sx[0] == sx[1] * p->dims[1] && st[0] == sx[0]) {
    add_row(&q, in_x, in_t, output, n * p->dims[2] * p->dims[1] * p->dims[0], 1, 1);
    return;
  }
  for (i0 = 0; i0 < p->dims[0]; ++i0)
    for (i1 = 0; i1 < p->dims[1]; ++i1)
      for (i2 = 0; i2 < p->dims[2]; ++i2, output += n)
        add_row(&q, in_x + i0 * sx[0] + i1 * sx[1] + i2 * sx[2], in_t + i0 * st[0] + i1 * st[1] + i2 * st[2], output,
                n, sx[3], st[3]);
}

/* add_table for key {offset, multiplier, shift, left shift} of the table input: once per quantization. */
static __attribute__((noinline)) void add_build_table(const int32_t key[4]) {
  /* |v + offset| <= 255 and ls <= 23: no overflow before the multiplier; a right shift >= 2 (the usual case) by
   * the one-SMLAL form, zero point 0 (exact for |x| < 2^31, k_hi = 2^(e-2) < 2^30) */
  const tfedge_requant_ch r = {0, key[1], key[2] <= -2 && key[2] >= -31 ? 1 << (-key[2] - 2) : 0, -key[2] - 1};
  const int one_smlal = key[2] <= -2 && key[2] >= -31 && key[1] >= (1 << 30);
  int32_t v;
  for (v = -128; v < 128; ++v)
    add_table[(uint8_t)v] = one_smlal ? tfedge_dsp_requant((v + key[0]) * (1 << key[3]), &r)
                                      : tfedge_mbqm((v + key[0]) * (1 << key[3]), key[1], key[2]);
  memcpy(add_table_key, key, 4 * sizeof key[0]);
  add_table_valid = 1;
}

void add_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  const int32_t eo = -p->output_shift, ls = p->left_shift;
  const int32_t n = p->dims[0] * p->dims[1] * p->dims[2] * p->dims[3];
  const int first_exact = p->input1_mult == (1 << 30) && p->input1_shift == 0; /* x1 = (in1 + off1) << (ls - 1) */
  const int second_exact = p->input2_mult == (1 << 30) && p->input2_shift == 0;
  const int32_t key[4] = {first_exact ? p->input2_offset : p->input1_offset, first_exact ? p->input2_mult : p->input1_mult,
                          first_exact ? p->input2_shift : p->input1_shift, ls};
  const int cached = add_table_valid && !memcmp(key, add_table_key, sizeof key);
  int64_t k_hi;
  if ((n < ADD_TABLE_MIN && !cached) || (!first_exact && !second_exact) || ls < 1 || ls > 23 || eo < 2 || eo > 31 ||
      p->output_mult < (1 << 30)) {
    add_s8_ref(p, input1, input2, output);
    return;
  }
  k_hi = (int64_t)p->output_offset * (1 << (eo - 1)) + (1 << (eo - 2)); /* eo <= 31: no 64-bit shifts */
  if (k_hi <= -(1 << 30) || k_hi >= (1 << 30)) { /* |x1 + x2| < 2^28: the SMLAL stays inside int64 */
    add_s8_ref(p, input1, input2, output);
    return;
  }
  {
    /* the exact input is x, the other goes through the table (x1 + x2 = x2 + x1) */
    const int8_t *in_x = first_exact ? input1 : input2, *in_t = first_exact ? input2 : input1;
    const int32_t *sx = first_exact ? p->in1_strides : p->in2_strides, *st = first_exact ? p->in2_strides : p->in1_strides;
    const int32_t off_x = first_exact ? p->input1_offset : p->input2_offset;
    if (!cached) add_build_table(key);
    run(p, in_x, in_t, sx, st, off_x, ls - 1, add_table, output, (int32_t)k_hi);
  }
}
TFEDGE_COLD_END
#endif
