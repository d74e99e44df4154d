/* The by-rows in-place loop of portable/conv_rows_inplace_s8.c with a Helium write-back copy (16 bytes per
 * VLDRB/VSTRB pair; newlib-nano's memcpy is built for size). The driver is set-up per row call around the
 * kernel's work: -Os (TFEDGE_COLD), the copy loop stays 16 bytes per step. */
#include "tfedge_uses.h"
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_mve.h"
#define TFEDGE_ROWS_COPY(dst, src, n) tfedge_mve_copy((dst), (src), (n))
#endif
TFEDGE_COLD_BEGIN
#include "../portable/conv_rows_inplace_s8.c"
TFEDGE_COLD_END
