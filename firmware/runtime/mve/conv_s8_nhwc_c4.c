/* CONV_2D with clustered weights (4-bit codebook indices), Helium (Cortex-M55). Same contract and
 * bit-exact results as portable/conv_s8_nhwc_c4.c: blocks of output channels are decoded into a stack
 * buffer (at most C4_BLOCK bytes) and run through the Helium im2col + matmul of conv_s8_nhwc.c, so the
 * decode costs K steps per channel per call, not per MAC. */
#include "tfedge_kernels.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "tfedge_fixedpoint.h"
#include "tfedge_mve.h"

#define C4_BLOCK 4096 /* decoded weight bytes on the stack per block of channels */

/* tfedge_mve_conv_channels takes rows of up to 1024 weights (its im2col bound) */
typedef char tfedge_c4_rows_fit_im2col[TFEDGE_C4_MAX_K <= 1024 ? 1 : -1]; /* C99 static assertion */

/* out[0..n) = codebook[indices], low nibble first (this file replaces the portable one, which also
 * defines the decoder the other _c4 kernels call). */
void tfedge_decode_c4(const uint8_t *indices, const int8_t *codebook, int32_t n, int8_t *out) {
  int32_t i;
  for (i = 0; i + 1 < n; i += 2) {
    const uint8_t b = indices[i >> 1];
    out[i] = codebook[b & 15];
    out[i + 1] = codebook[b >> 4];
  }
  if (i < n) out[i] = codebook[indices[i >> 1] & 15];
}

void conv_s8_nhwc_c4(const tfedge_conv_params *p, const int8_t *input, int8_t *output) {
  const int32_t K = p->k_h * p->k_w * p->in_c, row_bytes = (K + 1) / 2;
  const int32_t block = tfedge_max_i32(1, tfedge_min_i32(p->out_c, C4_BLOCK / K));
  int8_t w[block * K] __attribute__((aligned(16)));
  int32_t c0, i;
  for (c0 = 0; c0 < p->out_c; c0 += block) {
    const int32_t n = tfedge_min_i32(block, p->out_c - c0);
    for (i = 0; i < n; ++i)
      tfedge_decode_c4(p->indices + (c0 + i) * row_bytes, p->codebook + (c0 + i) * p->codebook_stride, K, w + i * K);
    tfedge_mve_conv_channels(p, w, c0, n, input, output);
  }
}

#else /* built for a core without Helium: the portable kernel */
#include "../portable/conv_s8_nhwc_c4.c"
#endif
