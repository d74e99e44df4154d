/* A convolution run in place, a chunk of output rows at a time (see tfedge/compiler/inplace.py).
 *
 * `buf` holds the input (from byte in_offset: > 0 when the output is the larger, whose rows written back
 * then trail the input rows still to be read) and receives the output (from its start). Chunk c (output rows c*rows ..) is
 * computed by the layer's own kernel `fn` from the input rows it reads, straight from `buf`, into slot
 * c % (lag+1) of `ring`; chunk c - lag is then copied to its final place. The compiler only emits this
 * call when no input row still to be read can lie under a chunk already written back, so the result
 * is bit-identical to running `fn` on separate buffers. Works with any kernel of this signature
 * (portable or an architecture path), because each call is just a smaller convolution with adjusted
 * geometry; several rows per call keep the fast kernels' per-call cost small. */
#include <string.h>

#include "tfedge_kernels.h"

/* The write-back copy; an arch file may define its own before including this file (mve/: 16-byte vector
 * copies, 3 k instructions less per in-place KWS layer than newlib-nano's memcpy). */
#ifndef TFEDGE_ROWS_COPY
#define TFEDGE_ROWS_COPY(dst, src, n) memcpy((dst), (src), (size_t)(n))
#endif

static void flush(const tfedge_conv_params *p, int8_t *buf, const int8_t *ring, int32_t c, int32_t rows, int32_t slots) {
  const int32_t out_row = p->out_w * p->out_c;
  const int32_t n = p->out_h - c * rows < rows ? p->out_h - c * rows : rows;
  TFEDGE_ROWS_COPY(buf + c * rows * out_row, ring + (c % slots) * rows * out_row, n * out_row);
}

void tfedge_conv_rows_inplace_s8(const tfedge_conv_params *p, tfedge_conv_fn fn, int8_t *buf, int8_t *ring,
                                 int32_t lag, int32_t rows, int32_t in_offset) {
  tfedge_conv_params r = *p;
  const int32_t in_row = p->in_w * p->in_c, out_row = p->out_w * p->out_c;
  const int32_t eff = (p->k_h - 1) * p->dil_h + 1;
  const int32_t slots = lag + 1, chunks = (p->out_h + rows - 1) / rows;
  int32_t c;
  r.batches = 1;
  for (c = 0; c < chunks; ++c) {
    const int32_t j0 = c * rows;
    const int32_t n = p->out_h - j0 < rows ? p->out_h - j0 : rows;
    const int32_t top = j0 * p->stride_h - p->pad_top;
    const int32_t first = top < 0 ? 0 : top;
    const int32_t last = top + (n - 1) * p->stride_h + eff;
    const int32_t end = last < p->in_h ? last : p->in_h;
    r.out_h = n;
    r.in_h = end > first ? end - first : 0;
    r.pad_top = first - top; /* rows of the kernel above the window: padding (or skipped) */
    fn(&r, buf + in_offset + first * in_row, ring + (c % slots) * rows * out_row);
    if (c >= lag) flush(p, buf, ring, c - lag, rows, slots);
  }
  for (c = chunks - lag; c < chunks; ++c) {
    if (c >= 0) flush(p, buf, ring, c, rows, slots);
  }
}
