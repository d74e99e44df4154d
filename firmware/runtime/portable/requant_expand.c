/* Requantization tables kept compact in flash and expanded into the arena once per inference, right before
 * a layer's first kernel call (model.c; docs/kernels.md "Compact requantization tables"). The expanded
 * copies have exactly the layout the kernels read, so no kernel changes. The compact channels: see
 * tfedge_compact_channel (tfedge_requant_expand.h). */
#include "tfedge_kernels.h"
#include "tfedge_requant_expand.h"

/* tfedge/compiler/variants.py channel_record: the one-SMLAL form where it is exact (right shift e >= 2,
 * mult >= 2^30, |k_hi| < 2^30 with k_hi = (2 zp + 1) 2^(e-2)), else TFLM's two-step form (GENERAL). */
static inline void record(int32_t bias, int32_t mult, int32_t e, int32_t zp, tfedge_requant_ch *r) {
  const int32_t odd = 2 * zp + 1; /* |odd| <= 255: exact below 2^30 for every e <= 24 */
  r->bias = bias;
  r->mult = mult;
  if (e >= 2 && mult >= (1 << 30) && (e <= 24 || (odd < (1 << (32 - e)) && -odd < (1 << (32 - e))))) {
    r->k_hi = (int32_t)((uint32_t)odd << (e - 2));
    r->shift = e - 1;
  } else {
    r->k_hi = -e;
    r->shift = TFEDGE_RQ_GENERAL;
  }
}

static void zero_records(tfedge_requant_ch *r, int32_t n) {
  for (; n > 0; --n, ++r) r->bias = r->mult = r->k_hi = r->shift = 0;
}

void tfedge_requant_expand_records(const int32_t *compact, int32_t n, int32_t bias_bits, int32_t n_pad, int32_t zp,
                                   tfedge_requant_ch *rq) {
  int32_t c;
  for (c = 0; c < n; ++c) {
    const tfedge_compact_ch ch = tfedge_compact_channel(compact, n, bias_bits, c);
    if (ch.code == TFEDGE_CODE_CONST) { /* the preset alone gives the constant */
      rq[c].bias = rq[c].mult = 0;
      rq[c].k_hi = 2 * ch.bias + 1;
      rq[c].shift = 1;
    } else {
      record(ch.bias, ch.mult, ch.code, zp, rq + c);
    }
  }
  zero_records(rq + n, n_pad - n);
}

void tfedge_requant_expand_records_tensor(const int32_t *bias, int32_t n, int32_t n_pad, int32_t mult,
                                          int32_t shift, int32_t zp, tfedge_requant_ch *rq) {
  int32_t c;
  record(bias ? bias[0] : 0, mult, -shift, zp, rq); /* the layer's one multiplier: k_hi and shift once */
  for (c = 1; c < n; ++c) {
    rq[c] = rq[0];
    rq[c].bias = bias ? bias[c] : 0;
  }
  zero_records(rq + n, n_pad - n);
}

void tfedge_requant_expand_arrays(const int32_t *compact, int32_t n, int32_t bias_bits, int32_t *bias, int32_t *mult,
                                  int32_t *shift) {
  int32_t c;
  for (c = 0; c < n; ++c) {
    const tfedge_compact_ch ch = tfedge_compact_channel(compact, n, bias_bits, c);
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
