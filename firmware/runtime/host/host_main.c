/* Host runner for a compiled model (used by `tfedge run`): reads N samples (all inputs of a sample,
 * back to back) from a binary file, invokes the model on each, writes all outputs back to back.
 * Usage: host_runner INPUTS.bin OUTPUTS.bin N */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tfedge_model.h"

/* Models compiled before input streaming (or written by hand against tfedge_model.h) lack these two:
 * weak defaults say "not streamed"; a generated model.c defines them. */
__attribute__((weak)) int tfedge_model_input_streamed(int index) { (void)index; return 0; }
__attribute__((weak)) void tfedge_model_set_input_rows(tfedge_input_rows_fn fn, void *user) { (void)fn; (void)user; }

/* A streamed input (tfedge_model.h) is read into this buffer and handed out row by row. */
static int8_t *streamed;

static void input_rows(int32_t first_row, int32_t n_rows, int8_t *dst, void *user) {
  size_t row = *(const size_t *)user;
  memcpy(dst, streamed + (size_t)first_row * row, (size_t)n_rows * row);
}

int main(int argc, char **argv) {
  FILE *in, *out;
  long n, s;
  int i;
  size_t row = 0;
  if (argc != 4) {
    fprintf(stderr, "usage: %s INPUTS.bin OUTPUTS.bin N\n", argv[0]);
    return 2;
  }
  in = fopen(argv[1], "rb");
  out = fopen(argv[2], "wb");
  n = strtol(argv[3], NULL, 10);
  if (!in || !out) {
    fprintf(stderr, "cannot open %s or %s\n", argv[1], argv[2]);
    return 2;
  }
  if (tfedge_model_init() != 0) return 3;
  if (tfedge_model_input_streamed(0)) {
    const tfedge_io_info *info = tfedge_model_input_info(0);
    streamed = malloc(info->bytes);
    row = info->bytes / (size_t)info->dims[1];
    if (!streamed) return 3;
    tfedge_model_set_input_rows(input_rows, &row);
  }
  for (s = 0; s < n; ++s) {
    for (i = 0; i < tfedge_model_num_inputs(); ++i) {
      const tfedge_io_info *info = tfedge_model_input_info(i);
      void *dst = tfedge_model_input_streamed(i) ? (void *)streamed : tfedge_model_input(i);
      if (fread(dst, 1, info->bytes, in) != info->bytes) {
        fprintf(stderr, "short input file at sample %ld\n", s);
        return 4;
      }
    }
    if (tfedge_model_invoke() != 0) return 5;
    for (i = 0; i < tfedge_model_num_outputs(); ++i) {
      const tfedge_io_info *info = tfedge_model_output_info(i);
      if (fwrite(tfedge_model_output(i), 1, info->bytes, out) != info->bytes) return 6;
    }
  }
  return fclose(out) == 0 ? 0 : 6;
}
