/* A residual block run row by row (MCUNetV2-style patch execution; see tfedge/compiler/inplace.py):
 * conv1 (X -> B), conv2 (B -> C), ADD(X, C) -> X, without ever holding B or C whole.
 *
 * `ring` keeps the rows of B that the next row of C reads (contiguous, oldest first), `row` one row of
 * C; each sum row overwrites its X row. Every call is the layer's own kernel (portable or an
 * architecture path) on a 1-row problem, so the result is bit-identical to the three layers run
 * separately. The compiler emits this only when no X row is overwritten before the last B row that
 * reads it has been computed. */
#include <string.h>

#include "tfedge_kernels.h"

/* The ring's move down (dst < src); an arch file may define its own before including this file
 * (mve/: 16-byte vector copies, newlib-nano's memmove is a byte loop). */
#ifndef TFEDGE_ROWS_MOVE
#define TFEDGE_ROWS_MOVE(dst, src, n) memmove((dst), (src), (size_t)(n))
#endif

static void window(const tfedge_conv_params *p, int32_t j, tfedge_conv_params *r, int32_t *first) {
  const int32_t top = j * p->stride_h - p->pad_top;
  const int32_t eff = (p->k_h - 1) * p->dil_h + 1;
  const int32_t end = top + eff < p->in_h ? top + eff : p->in_h;
  *first = top < 0 ? 0 : top;
  r->in_h = end > *first ? end - *first : 0;
  r->pad_top = *first - top;
}

void tfedge_residual_rows_s8(const tfedge_conv_params *p1, tfedge_conv_fn f1, const tfedge_conv_params *p2,
                             tfedge_conv_fn f2, const tfedge_binary_params *pa, tfedge_binary_fn fa, int32_t x_first,
                             int8_t *x, int8_t *ring, int8_t *row) {
  tfedge_conv_params r1 = *p1, r2 = *p2;
  tfedge_binary_params ra = *pa;
  const int32_t x_row = p1->in_w * p1->in_c, b_row = p1->out_w * p1->out_c, c_row = p2->out_w * p2->out_c;
  int32_t rb_first = 0, rb_end = 0, c;
  r1.batches = r2.batches = 1;
  r1.out_h = r2.out_h = 1;
  ra.dims[0] = ra.dims[1] = ra.dims[2] = 1;
  ra.dims[3] = c_row;
  for (c = 0; c < p2->out_h; ++c) {
    int32_t first2, first1, end2;
    window(p2, c, &r2, &first2);
    end2 = first2 + r2.in_h;
    if (first2 > rb_first) { /* drop the rows of B no later row of C reads */
      const int32_t keep = rb_end > first2 ? rb_end - first2 : 0;
      if (keep) TFEDGE_ROWS_MOVE(ring, ring + (first2 - rb_first) * b_row, keep * b_row);
      rb_first = first2;
      if (rb_end < first2) rb_end = first2;
    }
    for (; rb_end < end2; ++rb_end) {
      window(p1, rb_end, &r1, &first1);
      f1(&r1, x + first1 * x_row, ring + (rb_end - rb_first) * b_row);
    }
    f2(&r2, ring, row);
    if (x_first) fa(&ra, x + c * c_row, row, x + c * c_row);
    else fa(&ra, row, x + c * c_row, x + c * c_row);
  }
}
