/* Compact requantization tables expanded into the arena before a layer runs (portable/requant_expand.c;
 * the format: tfedge/compiler/variants.py compact_tables, docs/kernels.md). */
#ifndef TFEDGE_REQUANT_EXPAND_H
#define TFEDGE_REQUANT_EXPAND_H

#include <stdint.h>
#include "tfedge_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The packed kernels' records (rq, n_pad records) from n compact channels; zp: the output zero point. */
void tfedge_requant_expand_records(const int32_t *compact, int32_t n, int32_t n_pad, int32_t zp,
                                   tfedge_requant_ch *rq);
/* The same for a per-tensor quantized layer: n biases (NULL: 0) and the layer's one multiplier and shift. */
void tfedge_requant_expand_records_tensor(const int32_t *bias, int32_t n, int32_t n_pad, int32_t mult,
                                          int32_t shift, int32_t zp, tfedge_requant_ch *rq);
/* The plain kernels' bias, mult and shift arrays (n entries each) from n compact channels. */
void tfedge_requant_expand_arrays(const int32_t *compact, int32_t n, int32_t *bias, int32_t *mult, int32_t *shift);
/* A per-tensor quantized convolution's per-channel mult and shift arrays (its bias stays in flash). */
void tfedge_requant_fill_arrays(int32_t n, int32_t mult_value, int32_t shift_value, int32_t *mult, int32_t *shift);

/* bias[c] = eb[c] - input_offset * the sum of output channel c's weights (mod 2^32), for the layer of params p: a
 * CONV_2D ([out_c][k_h][k_w][in_c]) or, depthwise != 0, a DEPTHWISE_CONV_2D ([k_h][k_w][out_c]). */
void tfedge_requant_derive_bias(const int32_t *eb, const tfedge_conv_params *p, int32_t depthwise, int32_t *bias);
/* The Helium conv/depthwise tables of layer p (portable/requant_expand_prepared.c): mult, shift, arch_prep
 * {0, eb[out_c]} and bias from out_c compact channels (eb << 5 | code, mult), or per tensor (_tensor) from
 * eb[out_c] and the layer's one mult and shift. need_bias: the layer's Helium path reads bias (the mve/ file). */
void tfedge_requant_expand_prepared(const int32_t *compact, const tfedge_conv_params *p, int32_t depthwise,
                                    int32_t need_bias, int32_t *bias, int32_t *mult, int32_t *shift, int32_t *prep);
void tfedge_requant_expand_prepared_tensor(const int32_t *eb, int32_t mult_value, int32_t shift_value,
                                           const tfedge_conv_params *p, int32_t depthwise, int32_t need_bias,
                                           int32_t *bias, int32_t *mult, int32_t *shift, int32_t *prep);

#ifdef __cplusplus
}
#endif
#endif
