/* The patch stage driver of portable/patch_stage_s8.c with a Helium move of the kept rows
 * (tfedge_mve_move_down). */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_mve.h"
#define TFEDGE_ROWS_MOVE(dst, src, n) tfedge_mve_move_down((int8_t *)(dst), (const int8_t *)(src), (int32_t)(n))
#endif
#include "../portable/patch_stage_s8.c"
