/* ADD, int8, with broadcasting; Cortex-M4/M7/M33 DSP extension. Same arithmetic as portable/add_s8.c
 * (TFLM reference_integer_ops::Add): x_i = MultiplyByQuantizedMultiplier((in_i + offset_i) << 20, m_i, s_i),
 * out = MultiplyByQuantizedMultiplier(x1 + x2, m, s) + zp.
 * The input with the larger scale has the ratio 1/2 exactly (m = 2^30, s = 0: TFLM rescales both to twice
 * the larger scale), and then x = (in + offset) << 19 exactly. The other input's x depends on its byte alone:
 * a 256-entry table evaluated with TFLM's two steps, kept for the next calls with the same quantization
 * (residual blocks run by rows call it once per row). The output requantization is one SMLAL on a
 * preset accumulator (the conv records' form, docs/kernels.md). Per element two loads, a shift, a table
 * load, the requantization and a store. A first call on few elements (the table costs 256 evaluations) and
 * other quantizations run the portable loops, linked only where a layer needs them (ADD_REF: the compiler's
 * ops/elementwise.add_dsp_fast mirrors add_fast); without them a first call builds the table whatever its size. */
#if !defined(__ARM_FEATURE_DSP)
#include "../portable/add_s8.c"
#else
#include "tfedge_dsp.h"
#include "tfedge_fixedpoint.h"

#include "tfedge_elementwise.h"
#include "tfedge_uses.h"

#if TFEDGE_USES(ADD_REF)
#define add_s8 add_s8_ref
TFEDGE_COLD_BEGIN /* the fallback for other quantizations */
#include "../portable/add_s8.c"
TFEDGE_COLD_END
#undef add_s8
#endif

#define ADD_TABLE_MIN 64 /* fewer elements in a first call: the table would cost more than it saves */

static int32_t add_table[256];     /* x of the table input for each byte */
static int32_t add_table_key[4];   /* what add_table was built for: offset, multiplier, shift, left shift */
static int add_table_valid;

/* n contiguous elements of both inputs, the full int8 range (residual blocks): its own function, so the loop keeps
 * every constant in a register (15 instructions per element against 17 in the strided loop). */
static __attribute__((noinline)) void add_dense(const int8_t *a, const int8_t *b, int8_t *output, int32_t n,
                                                const int32_t *table, const int32_t k[5]) {
  const int32_t off_x = k[0], ls_x = k[1], mult = k[2], k_hi = k[3], shift = k[4];
  const int8_t *end = a + n;
  while (a < end) {
    const int32_t acc = ((*a++ + off_x) << ls_x) + table[(uint8_t)*b++];
    uint32_t l = 0x40000000u | ((uint32_t)acc & 0x80000000u);
    int32_t h = k_hi + (acc >> 31);
    __asm__("smlal %0, %1, %2, %3" : "+r"(l), "+r"(h) : "r"(acc), "r"(mult));
    *output++ = (int8_t)__ssat(h >> shift, 8);
  }
}

static inline __attribute__((always_inline)) void run(const tfedge_binary_params *p, const int8_t *in_x,
                                                      const int8_t *in_t, const int32_t sx[4], const int32_t st[4],
                                                      int32_t off_x, int32_t ls_x, const int32_t *table, int8_t *output,
                                                      int32_t k_hi, int clamp) {
  const int32_t mult = p->output_mult, shift = -p->output_shift - 1, lo = p->act_min, hi = p->act_max;
  const int32_t n = p->dims[3], sa = sx[3], sb = st[3];
  int32_t i0, i1, i2, i;
  for (i0 = 0; i0 < p->dims[0]; ++i0)
    for (i1 = 0; i1 < p->dims[1]; ++i1)
      for (i2 = 0; i2 < p->dims[2]; ++i2) {
        const int8_t *a = in_x + i0 * sx[0] + i1 * sx[1] + i2 * sx[2];
        const int8_t *b = in_t + i0 * st[0] + i1 * st[1] + i2 * st[2];
        if (!clamp && sa == 1 && sb == 1) {
          const int32_t k[5] = {off_x, ls_x, mult, k_hi, shift};
          add_dense(a, b, output, n, table, k);
          output += n;
          continue;
        }
        for (i = 0; i < n; ++i, a += sa, b += sb) {
          const int32_t acc = ((*a + off_x) << ls_x) + table[(uint8_t)*b];
          uint32_t l = 0x40000000u | ((uint32_t)acc & 0x80000000u);
          int32_t h = k_hi + (acc >> 31), v;
          __asm__("smlal %0, %1, %2, %3" : "+r"(l), "+r"(h) : "r"(acc), "r"(mult));
          v = __ssat(h >> shift, 8);
          if (clamp) {
            v = v < lo ? lo : v;
            v = v > hi ? hi : v;
          }
          *output++ = (int8_t)v;
        }
      }
}

/* The quantizations the table path takes (ops/elementwise.add_dsp_fast mirrors it): one input at exactly half the
 * common scale, a left shift in [1, 23], an output right shift in [2, 31] with a multiplier >= 2^30, and the
 * preset accumulator k_hi (returned) inside +-2^30 (|x1 + x2| < 2^28: the SMLAL stays inside int64). */
static int add_fast(const tfedge_binary_params *p, int first_exact, int32_t *k_hi_out) {
  const int32_t eo = -p->output_shift, ls = p->left_shift;
  const int second_exact = p->input2_mult == (1 << 30) && p->input2_shift == 0;
  int64_t k_hi;
  if ((!first_exact && !second_exact) || ls < 1 || ls > 23 || eo < 2 || eo > 31 || p->output_mult < (1 << 30)) return 0;
  k_hi = ((int64_t)1 << (eo - 2)) + (int64_t)p->output_offset * ((int64_t)1 << (eo - 1));
  *k_hi_out = (int32_t)k_hi;
  return k_hi > -(1 << 30) && k_hi < (1 << 30);
}

/* (memcmp at -Os is a libc call: 96 B more code) */
static inline int same_key(const int32_t a[4], const int32_t b[4]) {
  return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* Per call: the table (256 entries, rebuilt only when the quantization changes), the broadcast walk; the dense
 * loop (add_dense) keeps -O2. Compiled for size: -140 B, a few instructions per call. */
TFEDGE_COLD_BEGIN
void add_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  const int32_t ls = p->left_shift;
  const int first_exact = p->input1_mult == (1 << 30) && p->input1_shift == 0; /* x1 = (in1 + off1) << (ls - 1) */
  const int32_t key[4] = {first_exact ? p->input2_offset : p->input1_offset, first_exact ? p->input2_mult : p->input1_mult,
                          first_exact ? p->input2_shift : p->input1_shift, ls};
  const int cached = add_table_valid && same_key(key, add_table_key);
  int32_t v, k_hi = 0;
#if TFEDGE_USES(ADD_REF)
  const int32_t n = p->dims[0] * p->dims[1] * p->dims[2] * p->dims[3];
  if ((n < ADD_TABLE_MIN && !cached) || !add_fast(p, first_exact, &k_hi)) {
    add_s8_ref(p, input1, input2, output);
    return;
  }
#else
  if (!add_fast(p, first_exact, &k_hi)) __builtin_trap(); /* not reached: every ADD of the model takes it (compiler: no ADD_REF); a wrong model.h faults, never a silent wrong output */
#endif
  {
    /* the exact input is x, the other goes through the table (x1 + x2 = x2 + x1) */
    const int8_t *in_x = first_exact ? input1 : input2, *in_t = first_exact ? input2 : input1;
    const int32_t *sx = first_exact ? p->in1_strides : p->in2_strides, *st = first_exact ? p->in2_strides : p->in1_strides;
    const int32_t off_x = first_exact ? p->input1_offset : p->input2_offset;
    if (!cached) {
      /* |v + offset| <= 255 and ls <= 23: no overflow before the multiplier; a right shift >= 2 (the usual
       * case) by the one-SMLAL form, zero point 0 (exact for |x| < 2^31, k_hi = 2^(e-2) < 2^30) */
      const tfedge_requant_ch r = {0, key[1], key[2] <= -2 && key[2] >= -31 ? 1 << (-key[2] - 2) : 0, -key[2] - 1};
      const int one_smlal = key[2] <= -2 && key[2] >= -31 && key[1] >= (1 << 30);
      for (v = -128; v < 128; ++v)
        add_table[(uint8_t)v] = one_smlal ? tfedge_dsp_requant((v + key[0]) * (1 << ls), &r)
                                          : tfedge_mbqm((v + key[0]) * (1 << ls), key[1], key[2]);
      memcpy(add_table_key, key, sizeof key);
      add_table_valid = 1;
    }
    /* the loop's two copies, each linked only where a layer needs it (ADD_FULL: full int8 range, ADD_CLAMP) */
    if (TFEDGE_USES(ADD_FULL) && (!TFEDGE_USES(ADD_CLAMP) || (p->act_min == -128 && p->act_max == 127)))
      run(p, in_x, in_t, sx, st, off_x, ls - 1, add_table, output, k_hi, 0);
    else
      run(p, in_x, in_t, sx, st, off_x, ls - 1, add_table, output, k_hi, 1);
  }
}
TFEDGE_COLD_END
#endif
