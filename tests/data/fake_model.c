/* A hand-written "compiled model" implementing tfedge_model.h, used to test the firmware template,
 * the QEMU runner and the instruction counter without the compiler. Host mirror in
 * tests/test_firmware.py (fake_model_reference):
 *   layer 0 (FULLY_CONNECTED, 32x4): acc[j] = sum_i x[i] * w[j][i],  w[j][i] = ((7 i + 13 j) % 17) - 8
 *   layer 1 (REQUANTIZE):            y[j]   = clamp((acc[j] + 16) >> 5, -128, 127)   (arithmetic shift) */
#include <stdint.h>

#include "tfedge_model.h"

#define IN 32
#define OUT 4

__attribute__((section(".bss.tfedge_arena"), aligned(16))) static int8_t tfedge_arena[64];
static int32_t acc[OUT];
static int8_t weights[OUT][IN];

static const int32_t in_dims[4] = {1, 4, 4, 2};
static const int32_t out_dims[2] = {1, OUT};
static const tfedge_io_info in_info = {"input", TFEDGE_INT8, 4, in_dims, IN, 0.5f, 0};
static const tfedge_io_info out_info = {"output", TFEDGE_INT8, 2, out_dims, OUT, 0.25f, 0};

#ifdef TFEDGE_PROFILE_LAYERS
#define BOUNDARY(i) tfedge_layer_boundary(i)
#else
#define BOUNDARY(i) ((void)0)
#endif

int tfedge_model_init(void) {
  for (int j = 0; j < OUT; j++)
    for (int i = 0; i < IN; i++) weights[j][i] = (int8_t)(((7 * i + 13 * j) % 17) - 8);
  return 0;
}

int tfedge_model_invoke(void) {
  const int8_t *x = tfedge_arena;
  int8_t *y = tfedge_arena + IN;
  BOUNDARY(0);
  for (int j = 0; j < OUT; j++) {
    int32_t sum = 0;
    for (int i = 0; i < IN; i++) sum += x[i] * weights[j][i];
    acc[j] = sum;
  }
  BOUNDARY(1);
  for (int j = 0; j < OUT; j++) {
    int32_t v = (acc[j] + 16) >> 5;
    y[j] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
  }
  BOUNDARY(2);
  return 0;
}

int tfedge_model_num_inputs(void) { return 1; }
int tfedge_model_num_outputs(void) { return 1; }
void *tfedge_model_input(int index) { return index == 0 ? tfedge_arena : 0; }
void *tfedge_model_output(int index) { return index == 0 ? tfedge_arena + IN : 0; }
const tfedge_io_info *tfedge_model_input_info(int index) { return index == 0 ? &in_info : 0; }
const tfedge_io_info *tfedge_model_output_info(int index) { return index == 0 ? &out_info : 0; }
int tfedge_model_num_layers(void) { return 2; }
size_t tfedge_model_arena_bytes(void) { return sizeof tfedge_arena; }
