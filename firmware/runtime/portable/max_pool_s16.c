/* MAX_POOL_2D, int16 (same arithmetic as the int8 kernel, see tfedge_elementwise.h). */
#include "tfedge_elementwise.h"

void max_pool_s16(const tfedge_pool_params *p, const int16_t *input, int16_t *output) {
  TFEDGE_POOL_LOOP(int16_t, 0, -32768);
}
