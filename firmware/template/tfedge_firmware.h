/* Shared by the firmware template's files: exit codes the host side decodes, the stack paint and
 * the measurement markers the QEMU plugin watches. */
#ifndef TFEDGE_FIRMWARE_H
#define TFEDGE_FIRMWARE_H

#include <stdint.h>

#define TFEDGE_STACK_PAINT 0xC5AC5AC5u

/* Exit codes (kept in sync with tfedge/emulate/qemu.py EXIT_CODES). */
enum {
  TFEDGE_EXIT_OK = 0,
  TFEDGE_EXIT_MODEL_INIT = 10,
  TFEDGE_EXIT_MODEL_INVOKE = 11,
  TFEDGE_EXIT_INPUT_FILE = 12,
  TFEDGE_EXIT_OUTPUT_FILE = 13,
  TFEDGE_EXIT_FAULT = 100,
  TFEDGE_EXIT_STACK_OVERFLOW = 101,
};

uint32_t tfedge_stack_used(void); /* high-water mark of the painted stack, bytes */
uint32_t tfedge_stack_size(void);

/* Markers: noinline functions whose first instruction the QEMU plugin watches. */
void tfedge_invoke_begin(void);
void tfedge_invoke_end(void);

#endif
