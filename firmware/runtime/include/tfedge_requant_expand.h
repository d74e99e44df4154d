/* Compact requantization tables expanded into the arena before a layer runs (portable/requant_expand.c,
 * requant_expand_prepared.c; the format: tfedge/compiler/variants.py pack_channels, docs/kernels.md). */
#ifndef TFEDGE_REQUANT_EXPAND_H
#define TFEDGE_REQUANT_EXPAND_H

#include <stdint.h>
#include "tfedge_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Compact channels (tfedge/compiler/variants.py pack_channels): a code (right shift 0..31, TFEDGE_CODE_CONST a
 * constant channel whose value is the bias field, TFEDGE_CODE_ZERO a zero multiplier), a bias and the multiplier.
 * 2 words per channel: bias << 6 | code and mult (a zero multiplier: code 0); or, dense, two bit streams: n 30-bit fields mult - 2^30
 * from bit 0 of compact, then from the next word n fields of code_bits + bias_bits bits, the code less the layer's
 * least code and the bias above it, `layout` = bias_bits | code_bits << 8 | least code << 16 (the fewest bits for
 * the layer's range of codes: 1-2 instead of 6 on most layers); one zero word closes the array (reads take 64 bits). */
#define TFEDGE_CODE_CONST 32
#define TFEDGE_CODE_ZERO 33
typedef struct {
  int32_t code, bias, mult;
} tfedge_compact_ch;

static inline uint32_t tfedge_compact_field(const int32_t *words, uint32_t pos, uint32_t width) {
  const uint32_t *w = (const uint32_t *)words + (pos >> 5);
  const uint64_t v = (((uint64_t)w[1] << 32) | w[0]) >> (pos & 31);
  return (uint32_t)(v & (((uint64_t)1 << width) - 1));
}

/* Channel c of n in the dense form (layout above): its code, bias (sign-extended) and multiplier (0 for
 * constants and zero multipliers). The 2-word form is read in place by each expansion's loop. */
static inline tfedge_compact_ch tfedge_compact_channel(const int32_t *compact, int32_t n, int32_t layout, int32_t c) {
  const uint32_t bias_bits = (uint32_t)layout & 255u, code_bits = ((uint32_t)layout >> 8) & 255u;
  const uint32_t width = code_bits + bias_bits;
  uint32_t cb;
  tfedge_compact_ch ch;
  cb = tfedge_compact_field(compact + ((30 * (uint32_t)n + 31) >> 5), width * (uint32_t)c, width);
  ch.code = (int32_t)(((uint32_t)layout >> 16) + (cb & ((1u << code_bits) - 1u)));
  ch.bias = (int32_t)(cb << (32 - width)) >> (32 - bias_bits);
  ch.mult = ch.code >= TFEDGE_CODE_CONST ? 0 : (int32_t)((1u << 30) + tfedge_compact_field(compact, 30 * (uint32_t)c, 30));
  return ch;
}

/* The packed kernels' records (rq, n_pad records) from n compact channels (2 words each; _dense: the bit streams);
 * zp: the output zero point. */
void tfedge_requant_expand_records(const int32_t *compact, int32_t n, int32_t n_pad, int32_t zp, tfedge_requant_ch *rq);
void tfedge_requant_expand_records_dense(const int32_t *compact, int32_t n, int32_t layout, int32_t n_pad, int32_t zp,
                                         tfedge_requant_ch *rq);
/* The same for a per-tensor quantized layer: n biases (NULL: 0) and the layer's one multiplier and shift. */
void tfedge_requant_expand_records_tensor(const int32_t *bias, int32_t n, int32_t n_pad, int32_t mult,
                                          int32_t shift, int32_t zp, tfedge_requant_ch *rq);
/* The plain kernels' bias, mult and shift arrays (n entries each) from n compact channels. */
void tfedge_requant_expand_arrays(const int32_t *compact, int32_t n, int32_t *bias, int32_t *mult, int32_t *shift);
void tfedge_requant_expand_arrays_dense(const int32_t *compact, int32_t n, int32_t layout, int32_t *bias,
                                        int32_t *mult, int32_t *shift);
/* A per-tensor quantized convolution's per-channel mult and shift arrays (its bias stays in flash). */
void tfedge_requant_fill_arrays(int32_t n, int32_t mult_value, int32_t shift_value, int32_t *mult, int32_t *shift);

/* bias[c] = eb[c] - input_offset * the sum of output channel c's weights (mod 2^32), for the layer of params p: a
 * CONV_2D ([out_c][k_h][k_w][in_c]) or, depthwise != 0, a DEPTHWISE_CONV_2D ([k_h][k_w][out_c]). */
void tfedge_requant_derive_bias(const int32_t *eb, const tfedge_conv_params *p, int32_t depthwise, int32_t *bias);
/* The Helium conv/depthwise tables of layer p (portable/requant_expand_prepared.c) into its own arrays p->mult,
 * p->shift, p->arch_prep {window, eb[out_c], window: the depthwise window path's weight vectors} and p->bias (NULL:
 * left out, the layer's Helium path reads eb only) from out_c compact channels (eb in the bias field), or per tensor
 * (_tensor) from eb[out_c] and the layer's one mult and shift. */
void tfedge_requant_expand_prepared(const int32_t *compact, const tfedge_conv_params *p, int32_t depthwise,
                                    int32_t window);
void tfedge_requant_expand_prepared_dense(const int32_t *compact, int32_t layout, const tfedge_conv_params *p,
                                          int32_t depthwise, int32_t window);
void tfedge_requant_expand_prepared_tensor(const int32_t *eb, int32_t mult_value, int32_t shift_value,
                                           const tfedge_conv_params *p, int32_t depthwise, int32_t window);

#ifdef __cplusplus
}
#endif
#endif
