/* The by-rows residual block of portable/residual_rows_s8.c with a Helium move of the ring rows
 * (tfedge_mve_move_down: 1 KB per output row of ResNet-8's first block). */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_mve.h"
#define TFEDGE_ROWS_MOVE(dst, src, n) tfedge_mve_move_down((dst), (src), (n))
#endif
#include "../portable/residual_rows_s8.c"
