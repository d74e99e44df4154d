/* The interface every generated model.c implements (tfedge compile writes model.c/model.h).
 *
 * The firmware harness and the host runner are written against this header only, so any
 * compiled model links with any harness. See docs/model_api.md. */
#ifndef TFEDGE_MODEL_H
#define TFEDGE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum tfedge_type { TFEDGE_INT8 = 0, TFEDGE_UINT8 = 1, TFEDGE_INT16 = 2, TFEDGE_INT32 = 3, TFEDGE_FLOAT32 = 4 };

typedef struct {
  const char *name;       /* sanitised tensor name (printable ASCII only) */
  int type;               /* enum tfedge_type */
  int rank;
  const int32_t *dims;    /* rank entries, batch first */
  size_t bytes;           /* size of one input/output buffer */
  float scale;            /* quantization; 0 when not quantized */
  int32_t zero_point;
} tfedge_io_info;

/* Once after boot: sets up whatever invoke needs (nothing allocated: the arena is static). 0 = ok. */
int tfedge_model_init(void);
/* One inference on the current input buffers. 0 = ok. */
int tfedge_model_invoke(void);

int tfedge_model_num_inputs(void);
int tfedge_model_num_outputs(void);
void *tfedge_model_input(int index);
void *tfedge_model_output(int index);
const tfedge_io_info *tfedge_model_input_info(int index);
const tfedge_io_info *tfedge_model_output_info(int index);

/* Input streaming (models compiled with stream_input / --stream-input; see docs/memory.md): invoke pulls
 * input 0 through `fn`, rows in order, each once: fn(first_row, n_rows, dst, user) writes rows
 * first_row .. first_row + n_rows - 1 (NHWC, batch 1) at dst. Such a model has no input buffer:
 * tfedge_model_input(0) is NULL and tfedge_model_input_streamed(0) is 1. Other models ignore fn. */
typedef void (*tfedge_input_rows_fn)(int32_t first_row, int32_t n_rows, int8_t *dst, void *user);
void tfedge_model_set_input_rows(tfedge_input_rows_fn fn, void *user);
int tfedge_model_input_streamed(int index);

/* Number of layer calls in invoke (after graph passes; aliases such as RESHAPE are not layers). */
int tfedge_model_num_layers(void);
/* Bytes of the static activation arena (the symbol `tfedge_arena`, in section .bss.tfedge_arena). */
size_t tfedge_model_arena_bytes(void);

/* Per-layer profiling hook. Compiled out unless model.c is built with -DTFEDGE_PROFILE_LAYERS;
 * then invoke calls tfedge_layer_boundary(i) right before layer i and tfedge_layer_boundary(n)
 * after the last layer (n = number of layers). The harness (or host runner) defines it. */
#ifdef TFEDGE_PROFILE_LAYERS
void tfedge_layer_boundary(int layer_index);
#endif

#ifdef __cplusplus
}
#endif
#endif /* TFEDGE_MODEL_H */
