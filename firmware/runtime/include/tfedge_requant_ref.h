/* The portable reading of a requantization record (tfedge_requant_ch, tfedge_kernels.h): what the packed
 * kernels' references compute, so the records are the one copy of a layer's bias, multiplier and shift
 * (the fast kernels read the same records with their one-SMLAL form, exact by docs/kernels.md).
 * Record kinds (tfedge/compiler/variants.py channel_record):
 *   general   shift >= TFEDGE_RQ_GENERAL, k_hi = TFLite's shift;
 *   constant  mult 0: the output is k_hi >> 1 for every input (zero records of padding give 0);
 *   one-SMLAL shift = e - 1 for TFLite's right shift e, i.e. TFLite's shift is -(shift + 1). */
#ifndef TFEDGE_REQUANT_REF_H
#define TFEDGE_REQUANT_REF_H

#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

/* The output of accumulator acc (bias not included) before clamping, exactly as TFLM: MBQM(acc + bias) + zp. */
static inline int32_t tfedge_requant_ref(int32_t acc, const tfedge_requant_ch *r, int32_t zp) {
  const int32_t x = tfedge_add_wrap(acc, r->bias);
  if (r->shift >= TFEDGE_RQ_GENERAL) return tfedge_add_wrap(tfedge_mbqm(x, r->mult, r->k_hi), zp);
  if (r->mult == 0) return r->k_hi >> 1;
  return tfedge_add_wrap(tfedge_mbqm(x, r->mult, -(r->shift + 1)), zp);
}

#endif
