/* The patch stage driver (see tfedge/compiler/patches.py and tfedge_patch.h).
 *
 * Executes the step table the compiler simulated: each call is the layer's own kernel on a band of rows,
 * with the geometry the in-place row loop uses (in_h, out_h, pad_top: the real padding only at the true
 * image border), so the outputs are bit-identical to running the layers whole. No row is computed twice. */
#include <string.h>

#include "tfedge_patch.h"

void tfedge_patch_stage_s8(const tfedge_patch_layer *layers, const tfedge_patch_step *steps, int32_t n_steps,
                           uint8_t *arena, tfedge_input_rows_fn read, void *user) {
  int32_t i;
  for (i = 0; i < n_steps; ++i) {
    const tfedge_patch_step *s = &steps[i];
    if (s->layer >= 0) {
      const tfedge_patch_layer *l = &layers[s->layer];
      tfedge_conv_params r = *l->p;
      r.batches = 1;
      r.in_h = s->a;
      r.pad_top = s->pad_top;
      r.out_h = s->out_h;
      l->fn(&r, (const int8_t *)(arena + s->src), (int8_t *)(arena + s->dst));
    } else if (s->layer == -1) {
      memmove(arena + s->dst, arena + s->src, (size_t)s->a); /* overlapping: the kept rows slide down */
    } else if (read != NULL) {
      read(s->a, s->out_h, (int8_t *)(arena + s->dst), user);
    }
  }
}
