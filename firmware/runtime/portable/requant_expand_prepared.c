/* The Helium conv/depthwise kernels' tables from compact flash words (tfedge/compiler/variants_mve.py
 * prepared_compact): per channel word 0 = eb << 5 | code (eb = bias + input_offset * the channel's weight sum,
 * 27-bit signed; code = -TFLite's shift), word 1 = mult; or, per tensor, eb alone with one mult and shift.
 * Written into the arena once per inference: mult[], shift[], the arch_prep array {0, eb[out_c]} the Helium
 * kernels read, and bias[] = eb - input_offset * sum, which the portable kernels read (the mve/ file of this
 * name skips it where the layer's Helium path reads only eb: need_bias 0). */
#include "tfedge_requant_expand.h"

#ifndef TFEDGE_EXPAND_BIAS_ALWAYS
#define TFEDGE_EXPAND_BIAS_ALWAYS 1 /* the portable kernels read bias whatever the layer's Helium path */
#endif

void tfedge_requant_expand_prepared(const int32_t *compact, const tfedge_conv_params *p, int32_t depthwise,
                                    int32_t need_bias, int32_t *bias, int32_t *mult, int32_t *shift, int32_t *prep) {
  int32_t c;
  prep[0] = 0;
  for (c = 0; c < p->out_c; ++c, compact += 2) {
    prep[1 + c] = compact[0] >> 5;
    shift[c] = -(compact[0] & 31);
    mult[c] = compact[1];
  }
  if (TFEDGE_EXPAND_BIAS_ALWAYS || need_bias) tfedge_requant_derive_bias(prep + 1, p, depthwise, bias);
}

void tfedge_requant_expand_prepared_tensor(const int32_t *eb, int32_t mult_value, int32_t shift_value,
                                           const tfedge_conv_params *p, int32_t depthwise, int32_t need_bias,
                                           int32_t *bias, int32_t *mult, int32_t *shift, int32_t *prep) {
  int32_t c;
  prep[0] = 0;
  for (c = 0; c < p->out_c; ++c) {
    prep[1 + c] = eb[c];
    mult[c] = mult_value;
    shift[c] = shift_value;
  }
  if (TFEDGE_EXPAND_BIAS_ALWAYS || need_bias) tfedge_requant_derive_bias(eb, p, depthwise, bias);
}
