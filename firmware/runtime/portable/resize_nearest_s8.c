/* RESIZE_NEAREST_NEIGHBOR, int8: the source coordinates (TFLM GetNearestNeighbor, in float) are
 * tabulated at compile time, so this is a gather of channel vectors. */
#include <string.h>

#include "tfedge_kernels.h"

void resize_nearest_s8(const tfedge_resize_params *p, const int8_t *input, int8_t *output) {
  int32_t b, y, x;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->channels;
    for (y = 0; y < p->out_h; ++y)
      for (x = 0; x < p->out_w; ++x) {
        memcpy(output, in_b + (p->src_y[y] * p->in_w + p->src_x[x]) * p->channels, (size_t)p->channels);
        output += p->channels;
      }
  }
}
