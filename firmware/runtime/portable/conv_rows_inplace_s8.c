/* A convolution run in place, one output row at a time (see tfedge/compiler/inplace.py).
 *
 * `buf` holds the input and receives the output (from its start). Output row j is computed by the
 * layer's own kernel `fn` from the input rows it reads, straight from `buf`, into slot j % (lag+1)
 * of `ring`; row j - lag is then copied to its final place. The compiler only emits this call when
 * no input row still to be read can lie under a row already written back, so the result is
 * bit-identical to running `fn` on separate buffers. Works with any kernel of this signature (portable
 * or an architecture path), because each call is just a 1-row convolution with adjusted geometry. */
#include <string.h>

#include "tfedge_kernels.h"

void tfedge_conv_rows_inplace_s8(const tfedge_conv_params *p, tfedge_conv_fn fn, int8_t *buf, int8_t *ring,
                                 int32_t lag) {
  tfedge_conv_params r = *p;
  const int32_t in_row = p->in_w * p->in_c, out_row = p->out_w * p->out_c;
  const int32_t eff = (p->k_h - 1) * p->dil_h + 1;
  const int32_t slots = lag + 1;
  int32_t j;
  r.batches = 1;
  r.out_h = 1;
  for (j = 0; j < p->out_h; ++j) {
    const int32_t top = j * p->stride_h - p->pad_top;
    const int32_t first = top < 0 ? 0 : top;
    const int32_t end = top + eff < p->in_h ? top + eff : p->in_h;
    r.in_h = end > first ? end - first : 0;
    r.pad_top = first - top; /* rows of the kernel above the window: padding (or skipped) */
    fn(&r, buf + first * in_row, ring + (j % slots) * out_row);
    if (j >= lag) memcpy(buf + (j - lag) * out_row, ring + ((j - lag) % slots) * out_row, (size_t)out_row);
  }
  for (j = p->out_h - lag; j < p->out_h; ++j) {
    if (j >= 0) memcpy(buf + j * out_row, ring + (j % slots) * out_row, (size_t)out_row);
  }
}
