/* Which optional kernel code paths a build compiles in. A firmware built with a generated model.h (its
 * TFEDGE_MODEL_USES_* lines, from the compiler's per-layer choices) gets only the paths its layers call, so
 * the unused ones cost no flash; a build without it (the host runner's shared objects, kernel tests) gets
 * every path. TFEDGE_USES(X) is a constant: `if (TFEDGE_USES(W16) && !p->weights_i8)` drops the branch. */
#ifndef TFEDGE_USES_H
#define TFEDGE_USES_H

#if defined(__has_include)
#if __has_include("model.h")
#include "model.h"
#endif
#endif

#ifndef TFEDGE_MODEL_USES_W16
#define TFEDGE_MODEL_USES_W16 1        /* packed weights widened to int16 at compile time (--weights int16) */
#endif
#ifndef TFEDGE_MODEL_USES_CONV_PAIR
#define TFEDGE_MODEL_USES_CONV_PAIR 1  /* conv, bytewise gather (in_c % 4): two inside windows per call, short rows unrolled */
#endif
#ifndef TFEDGE_MODEL_USES_CONV_K27
#define TFEDGE_MODEL_USES_CONV_K27 1   /* conv, bytewise gather of 3 window rows of 9 bytes (3x3 on 3 channels) straight-line */
#endif
#ifndef TFEDGE_MODEL_USES_CONV_1X1W
#define TFEDGE_MODEL_USES_CONV_1X1W 1  /* conv 1x1 without padding on in_c % 4 == 0: a pixel pair widened in one loop */
#endif
#ifndef TFEDGE_MODEL_USES_CONV_1X1N
#define TFEDGE_MODEL_USES_CONV_1X1N 1  /* conv 1x1 without padding on 1-7 input channels (not 4), int8 weights: per pixel pair in registers */
#endif
#ifndef TFEDGE_MODEL_USES_CONV_ODD
#define TFEDGE_MODEL_USES_CONV_ODD 1   /* conv, odd computed channel count: the last channel by a 1-channel x 2-pixel pass */
#endif
#ifndef TFEDGE_MODEL_USES_CONV_PX1
#define TFEDGE_MODEL_USES_CONV_PX1 1   /* conv, int8 weights, odd out_w: a single last pixel by a 2-channel x 1-pixel pass */
#endif
#ifndef TFEDGE_MODEL_USES_CONV_ACC
#define TFEDGE_MODEL_USES_CONV_ACC 1   /* conv: the accumulating passes + C requantization (two-step channels, int16 single pixels) */
#endif
#ifndef TFEDGE_MODEL_USES_DW_PIXEL
#define TFEDGE_MODEL_USES_DW_PIXEL 1   /* depthwise: the per-pixel loops (dilation, two-step channels, windows > 7) */
#endif
#ifndef TFEDGE_MODEL_USES_DW_BAND3
#define TFEDGE_MODEL_USES_DW_BAND3 1   /* depthwise band path: 3x3 windows' full channel groups (band_row3x3) */
#endif
#ifndef TFEDGE_MODEL_USES_DW_BANDK
#define TFEDGE_MODEL_USES_DW_BANDK 1   /* depthwise band path: other windows and partial channel groups (band_rowk) */
#endif
#ifndef TFEDGE_MODEL_USES_FC_BLOCKED
#define TFEDGE_MODEL_USES_FC_BLOCKED 1 /* FULLY_CONNECTED: inputs longer than TFEDGE_FC_BLOCK */
#endif
#ifndef TFEDGE_MODEL_USES_FC_WHOLE
#define TFEDGE_MODEL_USES_FC_WHOLE 1   /* FULLY_CONNECTED: inputs up to TFEDGE_FC_BLOCK, widened whole */
#endif
#ifndef TFEDGE_MODEL_USES_FC_GENERAL
#define TFEDGE_MODEL_USES_FC_GENERAL 1 /* FULLY_CONNECTED: rows on the two-step requantization (rq_general) */
#endif
/* arm_dsp elementwise kernels: the portable fallback for quantizations off the fast path (ops/elementwise.py) */
#ifndef TFEDGE_MODEL_USES_ADD_REF
#define TFEDGE_MODEL_USES_ADD_REF 1    /* ADD: no input at half the common scale, shifts out of range, first call < 64 */
#endif
#ifndef TFEDGE_MODEL_USES_MUL_REF
#define TFEDGE_MODEL_USES_MUL_REF 1    /* MUL: output shift < 2 or > 31, multiplier < 2^30, zero point too large */
#endif
/* their loops' copies: without an activation (the full int8 range) and clamped to a narrower one */
#ifndef TFEDGE_MODEL_USES_ADD_FULL
#define TFEDGE_MODEL_USES_ADD_FULL 1
#endif
#ifndef TFEDGE_MODEL_USES_ADD_CLAMP
#define TFEDGE_MODEL_USES_ADD_CLAMP 1
#endif
#ifndef TFEDGE_MODEL_USES_MUL_FULL
#define TFEDGE_MODEL_USES_MUL_FULL 1
#endif
#ifndef TFEDGE_MODEL_USES_MUL_CLAMP
#define TFEDGE_MODEL_USES_MUL_CLAMP 1
#endif
#ifndef TFEDGE_MODEL_USES_MEAN_REF
#define TFEDGE_MODEL_USES_MEAN_REF 1   /* MEAN / SUM: fewer than 4 inner elements */
#endif
#ifndef TFEDGE_MODEL_USES_AVG_POOL_REF
#define TFEDGE_MODEL_USES_AVG_POOL_REF 1 /* AVERAGE_POOL_2D: channels % 4 or windows over 256 taps */
#endif
/* Helium (mve) depthwise paths (variants_mve.depthwise_paths mirrors the kernel's choice) */
#ifndef TFEDGE_MODEL_USES_MVE_DW_WINDOW
#define TFEDGE_MODEL_USES_MVE_DW_WINDOW 1 /* the window path: one VMLADAV per output over prepared weight vectors */
#endif
/* the window path's channel loops (win_channels_of: the most specific compiled in is taken) */
#ifndef TFEDGE_MODEL_USES_MVE_DW_WIN3
#define TFEDGE_MODEL_USES_MVE_DW_WIN3 1   /* 1 row group, window step 3 (3x3 stride 1) */
#endif
#ifndef TFEDGE_MODEL_USES_MVE_DW_WIN6
#define TFEDGE_MODEL_USES_MVE_DW_WIN6 1   /* 1 row group, window step 6 (3x3 stride 2) */
#endif
#ifndef TFEDGE_MODEL_USES_MVE_DW_WIN5
#define TFEDGE_MODEL_USES_MVE_DW_WIN5 1   /* 2 row groups, window step 3 (5x5 stride 1) */
#endif
#ifndef TFEDGE_MODEL_USES_MVE_DW_WIN_G1
#define TFEDGE_MODEL_USES_MVE_DW_WIN_G1 1 /* 1 row group, any step */
#endif
#ifndef TFEDGE_MODEL_USES_MVE_DW_WIN_G4
#define TFEDGE_MODEL_USES_MVE_DW_WIN_G4 1 /* 4 row groups (7x7), any step */
#endif
#ifndef TFEDGE_MODEL_USES_MVE_DW_WIN_ANY
#define TFEDGE_MODEL_USES_MVE_DW_WIN_ANY 1 /* any group count and step (5x5 stride 2, 7x7) */
#endif
/* the window path's loops with 4 output channels as lanes (in_c % 4 == 0, no left shift; taken before the
 * per-channel loops) */
#ifndef TFEDGE_MODEL_USES_MVE_DW_LANES3
#define TFEDGE_MODEL_USES_MVE_DW_LANES3 1  /* 1 row group, window step 3 */
#endif
#ifndef TFEDGE_MODEL_USES_MVE_DW_LANES6
#define TFEDGE_MODEL_USES_MVE_DW_LANES6 1  /* 1 row group, window step 6 */
#endif
#ifndef TFEDGE_MODEL_USES_MVE_DW_LANES_G2
#define TFEDGE_MODEL_USES_MVE_DW_LANES_G2 1 /* 2 row groups (5x5), any step */
#endif
#ifndef TFEDGE_MODEL_USES_MVE_DW_RING
#define TFEDGE_MODEL_USES_MVE_DW_RING 1   /* 3x3 stride 1-2: the ring of 3 padded input rows */
#endif
/* the ring's passes of 3, 4, 5 pixels in assembly (dw3_pass: rows of 3, 6 = 3 + 3, 5 k = 5 + ... + 5, 4k + 3 ...);
 * the ring runs a layer only when every pass of its rows is compiled in (else the tap table) */
#ifndef TFEDGE_MODEL_USES_MVE_DW_RING3
#define TFEDGE_MODEL_USES_MVE_DW_RING3 1
#endif
#ifndef TFEDGE_MODEL_USES_MVE_DW_RING4
#define TFEDGE_MODEL_USES_MVE_DW_RING4 1
#endif
#ifndef TFEDGE_MODEL_USES_MVE_DW_RING5
#define TFEDGE_MODEL_USES_MVE_DW_RING5 1
#endif
#ifndef TFEDGE_MODEL_USES_MVE_DW_RING_S2_3 /* the same at stride 2 */
#define TFEDGE_MODEL_USES_MVE_DW_RING_S2_3 1
#endif
#ifndef TFEDGE_MODEL_USES_MVE_DW_RING_S2_4
#define TFEDGE_MODEL_USES_MVE_DW_RING_S2_4 1
#endif
#ifndef TFEDGE_MODEL_USES_MVE_DW_RING_S2_5
#define TFEDGE_MODEL_USES_MVE_DW_RING_S2_5 1
#endif
#ifndef TFEDGE_MODEL_USES_MVE_DW_TAPS
#define TFEDGE_MODEL_USES_MVE_DW_TAPS 1   /* depth multiplier 1: 4 pixels through the tap pointer table */
#endif
/* depthwise calls without the compiler's prepared data (clustered layers' c4 kernel, kernel tests): the window
 * weight vectors and effective biases built per call; without it such calls take the per-pixel loop */
#ifndef TFEDGE_MODEL_USES_MVE_DW_UNPREP
#define TFEDGE_MODEL_USES_MVE_DW_UNPREP 1
#endif
/* depthwise: the per-pixel loop (layers no other path takes, the tap table's channel tail, calls without
 * prepared data when MVE_DW_UNPREP is left out); without it such a call traps, which model.h rules out */
#ifndef TFEDGE_MODEL_USES_MVE_DW_PIXEL
#define TFEDGE_MODEL_USES_MVE_DW_PIXEL 1
#endif
/* Helium ADD / MUL: the general broadcast walker (variants_mve.binary_paths; without it the kernel traps on a call
 * that would take it, which model.h rules out) */
#ifndef TFEDGE_MODEL_USES_MVE_ADD_RUN
#define TFEDGE_MODEL_USES_MVE_ADD_RUN 1
#endif
#ifndef TFEDGE_MODEL_USES_MVE_MUL_RUN
#define TFEDGE_MODEL_USES_MVE_MUL_RUN 1
#endif
/* Helium (mve) conv paths (variants_mve.conv_paths) */
#ifndef TFEDGE_MODEL_USES_MVE_CONV_WS
#define TFEDGE_MODEL_USES_MVE_CONV_WS 1     /* K <= 64: weights stationary */
#endif
#ifndef TFEDGE_MODEL_USES_MVE_CONV_MM
#define TFEDGE_MODEL_USES_MVE_CONV_MM 1     /* im2col + 4-pixel matmul */
#endif
/* the matmul's form for K's 16-byte steps a multiple of 9 (3x3 layers of 16 k channels: the channel loop in
 * assembly); without it the generic loop (exact, slower) */
#ifndef TFEDGE_MODEL_USES_MVE_CONV_MM9
#define TFEDGE_MODEL_USES_MVE_CONV_MM9 1
#endif
/* the matmul's copies for a call's last group of 1, 2, 3 pixels (pixels % 4: variants_mve.matmul_count_paths); without
 * one that group runs the 4-pixel copy over its last column repeated (exact, slower) */
#ifndef TFEDGE_MODEL_USES_MVE_CONV_MM1
#define TFEDGE_MODEL_USES_MVE_CONV_MM1 1
#endif
#ifndef TFEDGE_MODEL_USES_MVE_CONV_MM2
#define TFEDGE_MODEL_USES_MVE_CONV_MM2 1
#endif
#ifndef TFEDGE_MODEL_USES_MVE_CONV_MM3
#define TFEDGE_MODEL_USES_MVE_CONV_MM3 1
#endif
/* the 4-column steps' loop of 9 steps per LE for K = 144 m + 1..15, and the matmul's form for K <= 16 (the columns in
 * registers); without them the generic loops (exact, slower) */
#ifndef TFEDGE_MODEL_USES_MVE_CONV_MM9_TAIL
#define TFEDGE_MODEL_USES_MVE_CONV_MM9_TAIL 1
#endif
#ifndef TFEDGE_MODEL_USES_MVE_CONV_MM16
#define TFEDGE_MODEL_USES_MVE_CONV_MM16 1
#endif
#ifndef TFEDGE_MODEL_USES_MVE_CONV_COLUMN
#define TFEDGE_MODEL_USES_MVE_CONV_COLUMN 1 /* im2col of windows other than short rows and unpadded 1x1 (column()) */
#endif
#ifndef TFEDGE_MODEL_USES_MVE_CONV_NARROW
#define TFEDGE_MODEL_USES_MVE_CONV_NARROW 1 /* out_c <= 6 (1x1: 3), K <= 32: row buffer, all channels per pixel (conv_narrow_s8_nhwc.c) */
#endif
#ifndef TFEDGE_MODEL_USES_MVE_CONV_DIRECT
#define TFEDGE_MODEL_USES_MVE_CONV_DIRECT 1 /* K > 1024: one pixel at a time */
#endif
/* the weights-stationary path's unrolled assembly loops, one per K's 16-byte steps (0: the pixel pairs of 1x1
 * layers of K <= 8, 1: K <= 16 ... 4: K <= 64); without its loop a layer runs the path's C loop (exact, slower) */
#ifndef TFEDGE_MODEL_USES_MVE_CONV_WS0
#define TFEDGE_MODEL_USES_MVE_CONV_WS0 1
#endif
#ifndef TFEDGE_MODEL_USES_MVE_CONV_WS1
#define TFEDGE_MODEL_USES_MVE_CONV_WS1 1
#endif
#ifndef TFEDGE_MODEL_USES_MVE_CONV_WS2
#define TFEDGE_MODEL_USES_MVE_CONV_WS2 1
#endif
#ifndef TFEDGE_MODEL_USES_MVE_CONV_WS3
#define TFEDGE_MODEL_USES_MVE_CONV_WS3 1
#endif
#ifndef TFEDGE_MODEL_USES_MVE_CONV_WS4
#define TFEDGE_MODEL_USES_MVE_CONV_WS4 1
#endif

#define TFEDGE_USES(x) (TFEDGE_MODEL_USES_##x != 0)

/* Cold code compiled for size: kernels that run once per inference on a few values (SOFTMAX over the classes,
 * MEAN's global pool) and the portable fallbacks the arch kernels keep for rare quantizations. Between
 * TFEDGE_COLD_BEGIN and TFEDGE_COLD_END functions are built at -Os whatever the build's level: they are a
 * small share of the instructions and a large share of the runtime code (docs/memory.md). GCC only; other
 * compilers (the host runner's may be clang) keep the build's level. */
#if defined(__GNUC__) && !defined(__clang__)
#define TFEDGE_COLD_BEGIN _Pragma("GCC push_options") _Pragma("GCC optimize(\"Os\")")
#define TFEDGE_COLD_END _Pragma("GCC pop_options")
#else
#define TFEDGE_COLD_BEGIN
#define TFEDGE_COLD_END
#endif

#endif /* TFEDGE_USES_H */
