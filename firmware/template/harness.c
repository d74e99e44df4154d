/* Model harness: runs a compiled model (tfedge_model.h) on inputs streamed from a host file.
 *
 * Input file  (tfedge_in.bin):  "TFEI", u32 count, u32 bytes per sample, then count samples, each the
 *                               model's inputs back to back.
 * Output file (tfedge_out.bin): count samples, each the model's outputs back to back.
 * Without an input file it runs one inference on zeroed inputs (a boot check).
 *
 * Console lines the host parses: "tfedge: boot", "tfedge: sample <i>", "tfedge: arena_bytes <n>",
 * "tfedge: stack_used <n> of <size>", "tfedge: done <count>". */
#include <stdint.h>
#include <string.h>

#include "console.h"
#include "semihosting.h"
#include "tfedge_firmware.h"
#include "tfedge_model.h"

/* The QEMU plugin snapshots its counters when these execute; noinline + an asm barrier keep each a
 * real, distinct function. */
__attribute__((noinline)) void tfedge_invoke_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void tfedge_invoke_end(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void tfedge_layer_boundary(int layer_index) { __asm__ volatile("" ::"r"(layer_index) : "memory"); }

static void report(const char *key, uint32_t value) {
  console_puts("tfedge: ");
  console_puts(key);
  console_puts(" ");
  console_put_u32(value);
  console_puts("\n");
}

static uint32_t sample_bytes(int (*count)(void), const tfedge_io_info *(*info)(int)) {
  uint32_t total = 0;
  for (int i = 0; i < count(); i++) total += (uint32_t)info(i)->bytes;
  return total;
}

static int invoke_once(void) {
  tfedge_invoke_begin();
  int status = tfedge_model_invoke();
  tfedge_invoke_end();
  return status;
}

/* Models compiled before input streaming (or written by hand against tfedge_model.h) lack these two:
 * weak defaults say "not streamed"; a generated model.c defines them. */
__attribute__((weak)) int tfedge_model_input_streamed(int index) { (void)index; return 0; }
__attribute__((weak)) void tfedge_model_set_input_rows(tfedge_input_rows_fn fn, void *user) { (void)fn; (void)user; }

/* A streamed input (tfedge_model.h: the model pulls its input rows during invoke): rows come straight from
 * the input file, in order, so the input is never resident; without a file they are zero. */
typedef struct {
  int file;            /* semihosting handle, or -1 */
  uint32_t row_bytes;
  uint32_t read_bytes; /* this sample so far (checked against the sample size) */
} stream_state;

static void stream_rows(int32_t first_row, int32_t n_rows, int8_t *dst, void *user) {
  stream_state *st = (stream_state *)user;
  uint32_t n = (uint32_t)n_rows * st->row_bytes;
  (void)first_row; /* rows arrive in order, each once */
  if (st->file < 0 || sh_read(st->file, dst, n) != n) memset(dst, 0, n);
  st->read_bytes += n;
}

static stream_state stream;

static void stream_setup(int file) {
  const tfedge_io_info *info = tfedge_model_input_info(0);
  stream.file = file;
  stream.row_bytes = (uint32_t)(info->bytes / (size_t)info->dims[1]);
  tfedge_model_set_input_rows(stream_rows, &stream);
}

static int run_file(int in) {
  uint32_t header[3];
  uint32_t in_bytes = sample_bytes(tfedge_model_num_inputs, tfedge_model_input_info);
  if (sh_read(in, header, sizeof header) != sizeof header || memcmp(header, "TFEI", 4) != 0 || header[2] != in_bytes) {
    console_puts("tfedge: bad input file header (expected bytes per sample ");
    console_put_u32(in_bytes);
    console_puts(")\n");
    return TFEDGE_EXIT_INPUT_FILE;
  }
  int out = sh_open("tfedge_out.bin", SH_MODE_WB);
  if (out < 0) return TFEDGE_EXIT_OUTPUT_FILE;
  for (uint32_t n = 0; n < header[1]; n++) {
    for (int i = 0; i < tfedge_model_num_inputs(); i++) {
      size_t bytes = tfedge_model_input_info(i)->bytes;
      if (tfedge_model_input_streamed(i)) continue; /* read by the model during invoke */
      if (sh_read(in, tfedge_model_input(i), bytes) != bytes) return TFEDGE_EXIT_INPUT_FILE;
    }
    stream.read_bytes = 0;
    if (invoke_once() != 0) return TFEDGE_EXIT_MODEL_INVOKE;
    if (tfedge_model_input_streamed(0) && stream.read_bytes != tfedge_model_input_info(0)->bytes) return TFEDGE_EXIT_INPUT_FILE;
    for (int i = 0; i < tfedge_model_num_outputs(); i++) {
      size_t bytes = tfedge_model_output_info(i)->bytes;
      if (sh_write(out, tfedge_model_output(i), bytes) != bytes) return TFEDGE_EXIT_OUTPUT_FILE;
    }
    report("sample", n);
  }
  sh_close(out);
  return TFEDGE_EXIT_OK;
}

int main(void) {
  console_puts("tfedge: boot\n");
  if (tfedge_model_init() != 0) return TFEDGE_EXIT_MODEL_INIT;
  report("layers", (uint32_t)tfedge_model_num_layers());
  report("arena_bytes", (uint32_t)tfedge_model_arena_bytes());
  int in = sh_open("tfedge_in.bin", SH_MODE_RB);
  int status;
  if (tfedge_model_input_streamed(0)) stream_setup(in);
  if (in >= 0) {
    status = run_file(in);
    sh_close(in);
  } else {
    for (int i = 0; i < tfedge_model_num_inputs(); i++)
      if (!tfedge_model_input_streamed(i)) memset(tfedge_model_input(i), 0, tfedge_model_input_info(i)->bytes);
    status = invoke_once() == 0 ? TFEDGE_EXIT_OK : TFEDGE_EXIT_MODEL_INVOKE;
  }
  console_puts("tfedge: stack_used ");
  console_put_u32(tfedge_stack_used());
  console_puts(" of ");
  console_put_u32(tfedge_stack_size());
  console_puts("\n");
  if (status == TFEDGE_EXIT_OK) console_puts("tfedge: done\n");
  return status;
}
