/* The patch stage driver of portable/patch_stage_s8.c with a Helium move of the kept rows
 * (tfedge_mve_move_down). The driver is set-up per band around the kernels' work: -Os (TFEDGE_COLD). */
#include "tfedge_uses.h"
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_mve.h"
#define TFEDGE_ROWS_MOVE(dst, src, n) tfedge_mve_move_down((int8_t *)(dst), (const int8_t *)(src), (int32_t)(n))
#endif
TFEDGE_COLD_BEGIN
#include "../portable/patch_stage_s8.c"
TFEDGE_COLD_END
