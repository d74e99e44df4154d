/* Patch-based execution of a model's first layers (tfedge/compiler/patches.py): a chain of convolutions
 * run in row bands through small line buffers, as a table of steps the compiler simulated. */
#ifndef TFEDGE_PATCH_H
#define TFEDGE_PATCH_H

#include <stdint.h>

#include "tfedge_kernels.h"
#include "tfedge_model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One stage layer: its kernel (the layer's own: portable, DSP or Helium) and its parameters. */
typedef struct {
  tfedge_conv_fn fn;
  const tfedge_conv_params *p;
} tfedge_patch_layer;

/* One step. layer >= 0: call that layer on `a` input rows at arena + src (top padding `pad_top`) writing
 * `out_h` output rows at arena + dst. layer -1: move `a` bytes from src to dst (a line buffer drops the
 * rows no consumer reads any more). layer -2: the application writes input rows a .. a + out_h - 1 at
 * arena + dst (input streaming). */
typedef struct {
  int32_t layer, a, pad_top, out_h, src, dst;
} tfedge_patch_step;

void tfedge_patch_stage_s8(const tfedge_patch_layer *layers, const tfedge_patch_step *steps, int32_t n_steps,
                           uint8_t *arena, tfedge_input_rows_fn read, void *user);

#ifdef __cplusplus
}
#endif
#endif /* TFEDGE_PATCH_H */
