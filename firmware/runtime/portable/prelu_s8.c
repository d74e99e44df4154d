/* PRELU, int8, alpha broadcast against the input (TFLM BroadcastPrelu4DSlow): tfedge_prelu_one per element. */
#include "tfedge_elementwise.h"

void prelu_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output) {
  TFEDGE_BINARY_LOOP(int8_t, tfedge_prelu_one);
}
