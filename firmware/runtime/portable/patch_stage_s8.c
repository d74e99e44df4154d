/* The patch stage driver (see tfedge/compiler/patches.py and tfedge_patch.h).
 *
 * Executes the step table the compiler simulated: each call is the layer's own kernel on a band of rows,
 * a convolution with the geometry the in-place row loop uses (in_h, out_h, pad_top: the real padding only
 * at the true image border), an element-wise layer on the band's elements, so the outputs are
 * bit-identical to running the layers whole. No row is computed twice. */
#include <string.h>

#include "tfedge_patch.h"

/* The kept rows' slide down; an arch file may define its own before including this file (mve/). */
#ifndef TFEDGE_ROWS_MOVE
#define TFEDGE_ROWS_MOVE(dst, src, n) memmove((dst), (src), (size_t)(n))
#endif

static void call(const tfedge_patch_layer *l, const tfedge_patch_step *s, uint8_t *arena) {
  const int8_t *in = (const int8_t *)(arena + s->src);
  int8_t *out = (int8_t *)(arena + s->dst);
  if (l->kind == 0) {
    tfedge_conv_params r = *(const tfedge_conv_params *)l->p;
    r.batches = 1;
    r.in_h = s->a;
    r.pad_top = s->pad_top;
    r.out_h = s->out_h;
    l->conv(&r, in, out);
  } else if (l->kind == 1) {
    tfedge_act_params r = *(const tfedge_act_params *)l->p;
    r.size = s->a;
    l->act(&r, in, out);
  } else if (l->kind == 3) {
    tfedge_lut_params r = *(const tfedge_lut_params *)l->p;
    r.size = s->a;
    l->lut(&r, in, out);
  } else {
    tfedge_binary_params r = *(const tfedge_binary_params *)l->p;
    r.dims[0] = r.dims[1] = r.dims[2] = 1; /* same shapes: one run of elements */
    r.dims[3] = s->a;
    l->bin(&r, in, (const int8_t *)(arena + s->src2), out);
  }
}

void tfedge_patch_stage_s8(const tfedge_patch_layer *layers, const tfedge_patch_step *steps, int32_t n_steps,
                           uint8_t *arena, tfedge_input_rows_fn read, void *user) {
  int32_t i;
  for (i = 0; i < n_steps; ++i) {
    const tfedge_patch_step *s = &steps[i];
    if (s->layer >= 0) {
      call(&layers[s->layer], s, arena);
    } else if (s->layer == -1) {
      TFEDGE_ROWS_MOVE(arena + s->dst, arena + s->src, s->a); /* overlapping: the kept rows slide down */
    } else if (read != NULL) {
      read(s->a, s->out_h, (int8_t *)(arena + s->dst), user);
    }
  }
}
