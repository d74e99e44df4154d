/* STRIDED_SLICE, SLICE and TRANSPOSE, int8: every output element reads the input at an affine index,
 * start + sum(i_k * strides[k]) over at most 6 output dimensions (the compiler derives start and strides
 * from the op, drops unit dimensions and merges contiguous ones). A unit innermost stride is one copy. */
#include "tfedge_copy.h"
#include "tfedge_kernels.h"

void strided_slice_s8(const tfedge_slice_params *p, const int8_t *input, int8_t *output) {
  const int32_t *d = p->dims, *s = p->strides;
  int32_t i0, i1, i2, i3, i4, i5;
  for (i0 = 0; i0 < d[0]; ++i0) {
    const int8_t *a0 = input + p->start + i0 * s[0];
    for (i1 = 0; i1 < d[1]; ++i1) {
      const int8_t *a1 = a0 + i1 * s[1];
      for (i2 = 0; i2 < d[2]; ++i2) {
        const int8_t *a2 = a1 + i2 * s[2];
        for (i3 = 0; i3 < d[3]; ++i3) {
          const int8_t *a3 = a2 + i3 * s[3];
          for (i4 = 0; i4 < d[4]; ++i4) {
            const int8_t *a4 = a3 + i4 * s[4];
            if (s[5] == 1) {
              tfedge_copy_s8(output, a4, d[5]);
              output += d[5];
            } else {
              for (i5 = 0; i5 < d[5]; ++i5) *output++ = a4[i5 * s[5]];
            }
          }
        }
      }
    }
  }
}
