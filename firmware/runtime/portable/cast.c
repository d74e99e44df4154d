/* CAST at run time (TFLM cast.cc: a C++ static_cast per element, quantization ignored) between the integer
 * types and from them to float32: int8, uint8, int16, int32 -> int8, uint8, int16, int32, float32.
 * Narrowing keeps the low bits (two's complement, as static_cast on the targets TFLM runs on). Type codes
 * are enum tfedge_type's (tfedge_model.h); the compiler emits only the pairs listed here. */
#include "tfedge_kernels.h"

#define TFEDGE_CAST_LOOP(TIN, TOUT)                                          \
  do {                                                                      \
    const TIN *in = (const TIN *)input;                                     \
    TOUT *out = (TOUT *)output;                                             \
    for (i = 0; i < p->size; ++i) out[i] = (TOUT)in[i];                     \
  } while (0)

#define TFEDGE_CAST_FROM(TIN)                                                \
  switch (p->to) {                                                          \
    case 0: TFEDGE_CAST_LOOP(TIN, int8_t); break;                           \
    case 1: TFEDGE_CAST_LOOP(TIN, uint8_t); break;                          \
    case 2: TFEDGE_CAST_LOOP(TIN, int16_t); break;                          \
    case 3: TFEDGE_CAST_LOOP(TIN, int32_t); break;                          \
    default: TFEDGE_CAST_LOOP(TIN, float); break;                           \
  }

void cast(const tfedge_cast_params *p, const void *input, void *output) {
  int32_t i;
  switch (p->from) {
    case 0: TFEDGE_CAST_FROM(int8_t); break;
    case 1: TFEDGE_CAST_FROM(uint8_t); break;
    case 2: TFEDGE_CAST_FROM(int16_t); break;
    default: TFEDGE_CAST_FROM(int32_t); break;
  }
}
