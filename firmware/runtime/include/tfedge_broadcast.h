/* The 4-D broadcast loop of the binary kernels (tfedge_binary_params: dims, element strides per input,
 * 0 = broadcast). TFEDGE_BROADCAST_4D(p, input1, input2, output, EXPR) writes, for every output element in
 * order, EXPR evaluated with the int32 values `x1` and `x2` of the two inputs' elements. */
#ifndef TFEDGE_BROADCAST_H
#define TFEDGE_BROADCAST_H
#include <stdint.h>

#define TFEDGE_BROADCAST_4D(p, input1, input2, output, EXPR)                                                     \
  do {                                                                                                         \
    int32_t i0_, i1_, i2_, i3_;                                                                                \
    int8_t *out_ = (output);                                                                                   \
    for (i0_ = 0; i0_ < (p)->dims[0]; ++i0_)                                                                   \
      for (i1_ = 0; i1_ < (p)->dims[1]; ++i1_)                                                                 \
        for (i2_ = 0; i2_ < (p)->dims[2]; ++i2_) {                                                             \
          const int8_t *a_ = (input1) + i0_ * (p)->in1_strides[0] + i1_ * (p)->in1_strides[1] + i2_ * (p)->in1_strides[2]; \
          const int8_t *b_ = (input2) + i0_ * (p)->in2_strides[0] + i1_ * (p)->in2_strides[1] + i2_ * (p)->in2_strides[2]; \
          for (i3_ = 0; i3_ < (p)->dims[3]; ++i3_) {                                                           \
            const int32_t x1 = a_[i3_ * (p)->in1_strides[3]];                                                  \
            const int32_t x2 = b_[i3_ * (p)->in2_strides[3]];                                                  \
            *out_++ = (int8_t)(EXPR);                                                                          \
          }                                                                                                    \
        }                                                                                                      \
  } while (0)

#endif /* TFEDGE_BROADCAST_H */
