/* Requantization tables kept compact in flash and expanded into the arena once per inference, right before
 * a layer's first kernel call (model.c; docs/kernels.md "Compact requantization tables"). The expanded
 * copies have exactly the layout the kernels read, so no kernel changes. The compact channels: see
 * tfedge_compact_channel (tfedge_requant_expand.h). */
#include "tfedge_kernels.h"
#include "tfedge_requant_expand.h"

/* The largest right shift e with |k_hi| = |2 zp + 1| 2^(e-2) < 2^30 (the one-SMLAL form's limit; 24 for every
 * zero point, up to 31 for small ones). */
static int32_t fast_limit(int32_t zp) {
  const int32_t odd = 2 * zp + 1 < 0 ? -(2 * zp + 1) : 2 * zp + 1;
  int32_t e = 31;
  while (e > 24 && odd >= (1 << (32 - e))) --e;
  return e;
}

/* tfedge/compiler/variants.py channel_record: the one-SMLAL form where it is exact (right shift 2 <= e <= limit,
 * mult >= 2^30, k_hi = (2 zp + 1) 2^(e-2)), else TFLM's two-step form (GENERAL). */
static inline void record(int32_t bias, int32_t mult, int32_t e, int32_t zp, int32_t limit, tfedge_requant_ch *r) {
  r->bias = bias;
  r->mult = mult;
  if ((uint32_t)(e - 2) <= (uint32_t)(limit - 2) && mult >= (1 << 30)) {
    r->k_hi = (int32_t)((uint32_t)(2 * zp + 1) << (e - 2));
    r->shift = e - 1;
  } else {
    r->k_hi = -e;
    r->shift = TFEDGE_RQ_GENERAL;
  }
}

static inline void constant_record(int32_t value, tfedge_requant_ch *r) { /* the preset alone gives the value */
  r->bias = r->mult = 0;
  r->k_hi = 2 * value + 1;
  r->shift = 1;
}

static void zero_records(tfedge_requant_ch *r, int32_t n) {
  for (; n > 0; --n, ++r) r->bias = r->mult = r->k_hi = r->shift = 0;
}

void tfedge_requant_expand_records(const int32_t *compact, int32_t n, int32_t n_pad, int32_t zp, tfedge_requant_ch *rq) {
  const int32_t limit = fast_limit(zp);
  int32_t c;
  for (c = 0; c < n; ++c, compact += 2) { /* 2 words per channel */
    const int32_t code = compact[0] & 63;
    if (code == TFEDGE_CODE_CONST) constant_record(compact[0] >> 6, rq + c);
    else record(compact[0] >> 6, compact[1], code, zp, limit, rq + c);
  }
  zero_records(rq + n, n_pad - n);
}

void tfedge_requant_expand_records_dense(const int32_t *compact, int32_t n, int32_t layout, int32_t n_pad, int32_t zp,
                                         tfedge_requant_ch *rq) {
  const int32_t limit = fast_limit(zp);
  int32_t c;
  for (c = 0; c < n; ++c) {
    const tfedge_compact_ch ch = tfedge_compact_channel(compact, n, layout, c);
    if (ch.code == TFEDGE_CODE_CONST) constant_record(ch.bias, rq + c);
    else record(ch.bias, ch.mult, ch.code, zp, limit, rq + c);
  }
  zero_records(rq + n, n_pad - n);
}

void tfedge_requant_expand_records_tensor(const int32_t *bias, int32_t n, int32_t n_pad, int32_t mult,
                                          int32_t shift, int32_t zp, tfedge_requant_ch *rq) {
  int32_t c;
  record(bias ? bias[0] : 0, mult, -shift, zp, fast_limit(zp), rq); /* the layer's one multiplier: k_hi, shift once */
  for (c = 1; c < n; ++c) {
    rq[c] = rq[0];
    rq[c].bias = bias ? bias[c] : 0;
  }
  zero_records(rq + n, n_pad - n);
}

void tfedge_requant_expand_arrays(const int32_t *compact, int32_t n, int32_t *bias, int32_t *mult, int32_t *shift) {
  int32_t c;
  for (c = 0; c < n; ++c, compact += 2) { /* 2 words per channel (a zero multiplier has code 0) */
    bias[c] = compact[0] >> 6;
    shift[c] = -(compact[0] & 63);
    mult[c] = compact[1];
  }
}

void tfedge_requant_expand_arrays_dense(const int32_t *compact, int32_t n, int32_t layout, int32_t *bias,
                                        int32_t *mult, int32_t *shift) {
  int32_t c;
  for (c = 0; c < n; ++c) {
    const tfedge_compact_ch ch = tfedge_compact_channel(compact, n, layout, c);
    bias[c] = ch.bias;
    mult[c] = ch.mult;
    shift[c] = ch.code == TFEDGE_CODE_ZERO ? 0 : -ch.code;
  }
}

void tfedge_requant_fill_arrays(int32_t n, int32_t mult_value, int32_t shift_value, int32_t *mult, int32_t *shift) {
  int32_t c;
  for (c = 0; c < n; ++c) {
    mult[c] = mult_value;
    shift[c] = shift_value;
  }
}

void tfedge_requant_derive_bias(const int32_t *eb, const tfedge_conv_params *p, int32_t depthwise, int32_t *bias) {
  const int32_t taps = depthwise ? p->k_h * p->k_w : p->k_h * p->k_w * p->in_c;
  const int32_t ch_stride = depthwise ? 1 : taps, tap_stride = depthwise ? p->out_c : 1;
  int32_t c, t;
  for (c = 0; c < p->out_c; ++c) {
    const int8_t *w = p->weights + c * ch_stride;
    int32_t sum = 0;
    for (t = 0; t < taps; ++t, w += tap_stride) sum += *w;
    bias[c] = (int32_t)((uint32_t)eb[c] - (uint32_t)p->input_offset * (uint32_t)sum); /* mod 2^32, as eb */
  }
}
