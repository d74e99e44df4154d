/* Macros of the kernel bodies in tfedge_<kernel>_body.h (see tfedge_conv_s8_nhwc_body.h). */
#ifndef TFEDGE_BODY_H
#define TFEDGE_BODY_H

#if defined(__GNUC__) || defined(__clang__)
#define TFEDGE_ALWAYS_INLINE __attribute__((always_inline))
#else
#define TFEDGE_ALWAYS_INLINE
#endif

/* The dot-product loops unrolled by 4 where a body is specialised to a layer (constant trip counts:
 * 1.2-1.5x fewer instructions); the plain kernels (the files in portable/ define TFEDGE_PLAIN_LOOPS
 * before the include) keep the reference loops as they are. */
#if !defined(TFEDGE_PLAIN_LOOPS) && defined(__GNUC__) && !defined(__clang__)
#define TFEDGE_UNROLL_DOT_PRODUCT _Pragma("GCC unroll 4")
#else
#define TFEDGE_UNROLL_DOT_PRODUCT
#endif

#endif
