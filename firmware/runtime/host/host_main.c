/* Host runner for a compiled model (used by `tfedge run`): reads N samples (all inputs of a sample,
 * back to back) from a binary file, invokes the model on each, writes all outputs back to back.
 * Usage: host_runner INPUTS.bin OUTPUTS.bin N */
#include <stdio.h>
#include <stdlib.h>

#include "tfedge_model.h"

int main(int argc, char **argv) {
  FILE *in, *out;
  long n, s;
  int i;
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
  for (s = 0; s < n; ++s) {
    for (i = 0; i < tfedge_model_num_inputs(); ++i) {
      const tfedge_io_info *info = tfedge_model_input_info(i);
      if (fread(tfedge_model_input(i), 1, info->bytes, in) != info->bytes) {
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
