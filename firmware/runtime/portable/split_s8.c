/* SPLIT, SPLIT_V and UNPACK, int8 (outputs in the input's quantization): the input viewed as `outer`
 * rows; each row hands sizes[i] consecutive bytes to output i in turn (CONCATENATION reversed). */
#include "tfedge_copy.h"
#include "tfedge_kernels.h"

void split_s8(const tfedge_split_params *p, const int8_t *input) {
  int32_t o, i;
  for (o = 0; o < p->outer; ++o)
    for (i = 0; i < p->num_outputs; ++i) {
      tfedge_copy_s8(p->outputs[i] + o * p->sizes[i], input, p->sizes[i]);
      input += p->sizes[i];
    }
}
