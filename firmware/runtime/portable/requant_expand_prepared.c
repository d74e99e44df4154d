/* The Helium conv/depthwise kernels' tables from compact flash words (tfedge/compiler/variants_mve.py
 * prepared_compact): the compact channels of tfedge_requant_expand.h with eb = bias + input_offset * the
 * channel's weight sum in the bias field; or, per tensor, eb alone with one mult and shift.
 * Written into the arena once per inference: mult[], shift[], the arch_prep array {window, eb[out_c], and for
 * the depthwise window path its weight vectors, rebuilt from the int8 filter} the Helium kernels read, and bias[] =
 * eb - input_offset * sum where a kernel reads it (p->bias not NULL). The destinations are the layer's own arrays, p->bias,
 * p->mult, p->shift and p->arch_prep (in the arena: the compiler points them there), so a call names only the
 * compact words and the layer (4 arguments in registers: 9 took ~36 B of model.c per layer). p->bias NULL: the
 * compiler left it out of the arena where the layer's Helium path reads only eb (ops/packed.py mve_prepared_fields):
 * an mve model.c runs on the Helium kernels. */
#include "tfedge_requant_expand.h"

#define EXPAND_DSTS                                                                                               \
  int32_t *bias = (int32_t *)p->bias, *mult = (int32_t *)p->mult, *shift = (int32_t *)p->shift;                    \
  int32_t *prep = (int32_t *)p->arch_prep
#ifndef TFEDGE_EXPAND_WORDS_HEAD
#define TFEDGE_EXPAND_WORDS_HEAD(compact, n, eb, mult, shift) 0 /* channels a faster loop did (mve/: 4 at a time) */
#endif

/* The window path's weight vectors after eb (variants_mve.depthwise_data): wp[oc][g][kx * R + r] =
 * w[g * R + r][kx][oc], other lanes 0, R = min(k_h, 16 / k_w), G = ceil(k_h / R). */
static void window_weights(const tfedge_conv_params *p, int8_t *wp) {
  const int32_t R = p->k_h < 16 / p->k_w ? p->k_h : 16 / p->k_w, G = (p->k_h + R - 1) / R, C = p->out_c;
  const int8_t *w = p->weights;
  int32_t oc, ky, kx, i;
  for (i = 0; i < C * G * 4; ++i) ((int32_t *)(void *)wp)[i] = 0; /* (word-aligned in the arena) */
  for (ky = 0; ky < p->k_h; ++ky)
    for (kx = 0; kx < p->k_w; ++kx, w += C) {
      int8_t *lane = wp + (ky / R) * 16 + kx * R + ky % R;
      for (oc = 0; oc < C; ++oc, lane += 16 * G) *lane = w[oc];
    }
}

void tfedge_requant_expand_prepared(const int32_t *compact, const tfedge_conv_params *p, int32_t depthwise,
                                    int32_t window) {
  EXPAND_DSTS;
  int32_t c;
  prep[0] = window;
  if (window) window_weights(p, (int8_t *)(prep + 1 + p->out_c));
  for (c = TFEDGE_EXPAND_WORDS_HEAD(compact, p->out_c, prep + 1, mult, shift); c < p->out_c; ++c) {
    prep[1 + c] = compact[2 * c] >> 6; /* eb; 2 words per channel (a zero multiplier has code 0) */
    shift[c] = -(compact[2 * c] & 63);
    mult[c] = compact[2 * c + 1];
  }
  if (bias) tfedge_requant_derive_bias(prep + 1, p, depthwise, bias);
}

void tfedge_requant_expand_prepared_dense(const int32_t *compact, int32_t layout, const tfedge_conv_params *p,
                                          int32_t depthwise, int32_t window) {
  EXPAND_DSTS;
  int32_t c;
  prep[0] = window;
  if (window) window_weights(p, (int8_t *)(prep + 1 + p->out_c));
  for (c = 0; c < p->out_c; ++c) {
    const tfedge_compact_ch ch = tfedge_compact_channel(compact, p->out_c, layout, c);
    prep[1 + c] = ch.bias; /* eb */
    mult[c] = ch.mult;
    shift[c] = ch.code == TFEDGE_CODE_ZERO ? 0 : -ch.code;
  }
  if (bias) tfedge_requant_derive_bias(prep + 1, p, depthwise, bias);
}

void tfedge_requant_expand_prepared_tensor(const int32_t *eb, int32_t mult_value, int32_t shift_value,
                                           const tfedge_conv_params *p, int32_t depthwise, int32_t window) {
  EXPAND_DSTS;
  int32_t c;
  prep[0] = window;
  if (window) window_weights(p, (int8_t *)(prep + 1 + p->out_c));
  for (c = 0; c < p->out_c; ++c) {
    prep[1 + c] = eb[c];
    mult[c] = mult_value;
    shift[c] = shift_value;
  }
  if (bias) tfedge_requant_derive_bias(eb, p, depthwise, bias);
}
