/* The by-rows residual block of portable/residual_rows_s8.c with a Helium move of the ring rows: the
 * rows move down by whole rows (>= 16 bytes here, else memmove), so an ascending 16-byte copy reads
 * every chunk before any store reaches it. newlib-nano's memmove is a byte loop: ~4 instructions per
 * byte, 1 KB per output row of ResNet-8's first block. */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <string.h>
#include "tfedge_mve.h"
#define TFEDGE_ROWS_MOVE(dst, src, n)                                                         \
  ((src) - (dst) >= 16 ? tfedge_mve_copy((dst), (src), (n)) : (void)memmove((dst), (src), (size_t)(n)))
#endif
#include "../portable/residual_rows_s8.c"
