/* Patch-based execution of a model's first layers (tfedge/compiler/patches.py): convolutions, element-wise
 * activations and residual ADDs run in row bands through small line buffers, as a table of steps the
 * compiler simulated. */
#ifndef TFEDGE_PATCH_H
#define TFEDGE_PATCH_H

#include <stdint.h>

#include "tfedge_kernels.h"
#include "tfedge_model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*tfedge_patch_act_fn)(const tfedge_act_params *p, const int8_t *input, int8_t *output);
typedef void (*tfedge_patch_lut_fn)(const tfedge_lut_params *p, const int8_t *input, int8_t *output);

/* One stage layer: its kernel (the layer's own: portable, DSP or Helium) and its parameters.
 * kind 0: convolution (conv, tfedge_conv_params), 1: element-wise activation (act, tfedge_act_params),
 * 2: ADD of two same-shape tensors (bin, tfedge_binary_params), 3: element-wise through a 256-entry table
 * (lut, tfedge_lut_params: HARD_SWISH and the other activations the compiler tabulates). */
typedef struct {
  int32_t kind;
  tfedge_conv_fn conv;
  tfedge_patch_act_fn act;
  tfedge_binary_fn bin;
  tfedge_patch_lut_fn lut;
  const void *p;
} tfedge_patch_layer;

/* One step. layer >= 0: call that layer writing `out_h` output rows at arena + dst from arena + src (and
 * arena + src2, an ADD's second input); a: a convolution's input rows (top padding `pad_top`), an
 * element-wise layer's elements. layer -1: move `a` bytes from src to dst (a line buffer drops the rows
 * no reader needs any more). layer -2: the application writes input rows a .. a + out_h - 1 at arena + dst
 * (input streaming). */
typedef struct {
  int32_t layer, a, pad_top, out_h, src, dst, src2;
} tfedge_patch_step;

void tfedge_patch_stage_s8(const tfedge_patch_layer *layers, const tfedge_patch_step *steps, int32_t n_steps,
                           uint8_t *arena, tfedge_input_rows_fn read, void *user);

#ifdef __cplusplus
}
#endif
#endif /* TFEDGE_PATCH_H */
