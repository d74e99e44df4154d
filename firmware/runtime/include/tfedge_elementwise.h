/* Loops shared by the int8 and int16 kernels of one op (the arithmetic is TFLM's for both types; only
 * the element type and the clamp range differ, and the clamp range is a parameter). */
#ifndef TFEDGE_ELEMENTWISE_H
#define TFEDGE_ELEMENTWISE_H

#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

/* ADD / SUB (TFLM reference Add/Sub): both inputs to a common scale with left_shift bits of headroom. */
static inline int32_t tfedge_add_one(const tfedge_binary_params *p, int32_t a, int32_t b) {
  const int32_t x1 = tfedge_mbqm(tfedge_shl_wrap(a + p->input1_offset, p->left_shift), p->input1_mult, p->input1_shift);
  const int32_t x2 = tfedge_mbqm(tfedge_shl_wrap(b + p->input2_offset, p->left_shift), p->input2_mult, p->input2_shift);
  return tfedge_clamp_i32(tfedge_mbqm(x1 + x2, p->output_mult, p->output_shift) + p->output_offset, p->act_min, p->act_max);
}

static inline int32_t tfedge_sub_one(const tfedge_binary_params *p, int32_t a, int32_t b) {
  const int32_t x1 = tfedge_mbqm(tfedge_shl_wrap(a + p->input1_offset, p->left_shift), p->input1_mult, p->input1_shift);
  const int32_t x2 = tfedge_mbqm(tfedge_shl_wrap(b + p->input2_offset, p->left_shift), p->input2_mult, p->input2_shift);
  return tfedge_clamp_i32(tfedge_mbqm(x1 - x2, p->output_mult, p->output_shift) + p->output_offset, p->act_min, p->act_max);
}

static inline int32_t tfedge_mul_one(const tfedge_binary_params *p, int32_t a, int32_t b) {
  const int32_t out = tfedge_mbqm((a + p->input1_offset) * (b + p->input2_offset), p->output_mult, p->output_shift);
  return tfedge_clamp_i32(out + p->output_offset, p->act_min, p->act_max);
}

/* PRELU (TFLM reference_ops::BroadcastPrelu4DSlow, int8 and int16): x >= 0 rescaled by input1_mult/shift,
 * x < 0 multiplied by alpha (input2) and rescaled by input2_mult/shift. */
static inline int32_t tfedge_prelu_one(const tfedge_binary_params *p, int32_t x, int32_t alpha) {
  const int32_t v = x + p->input1_offset;
  const int32_t out = v >= 0 ? tfedge_mbqm(v, p->input1_mult, p->input1_shift)
                             : tfedge_mbqm(v * (alpha + p->input2_offset), p->input2_mult, p->input2_shift);
  return tfedge_clamp_i32(out + p->output_offset, p->act_min, p->act_max);
}

/* The 4-D broadcast loop of a binary kernel whose input1 and output are of type T and input2 of type T2
 * (int16 PRELU reads an int8 alpha; strides 0 broadcast). */
#define TFEDGE_BINARY_LOOP2(T, T2, ONE)                                                                      \
  do {                                                                                                      \
    int32_t i0, i1, i2, i3;                                                                                 \
    for (i0 = 0; i0 < p->dims[0]; ++i0)                                                                     \
      for (i1 = 0; i1 < p->dims[1]; ++i1)                                                                   \
        for (i2 = 0; i2 < p->dims[2]; ++i2) {                                                               \
          const T *a_ = input1 + i0 * p->in1_strides[0] + i1 * p->in1_strides[1] + i2 * p->in1_strides[2]; \
          const T2 *b_ = input2 + i0 * p->in2_strides[0] + i1 * p->in2_strides[1] + i2 * p->in2_strides[2]; \
          for (i3 = 0; i3 < p->dims[3]; ++i3)                                                               \
            *output++ = (T)ONE(p, a_[i3 * p->in1_strides[3]], b_[i3 * p->in2_strides[3]]);                  \
        }                                                                                                   \
  } while (0)
#define TFEDGE_BINARY_LOOP(T, ONE) TFEDGE_BINARY_LOOP2(T, T, ONE)

/* AVERAGE_POOL_2D (IS_AVG 1: TFLM's rounded integer mean over the window) and MAX_POOL_2D (0) over T. */
#define TFEDGE_POOL_LOOP(T, IS_AVG, LOWEST)                                                                 \
  do {                                                                                                      \
    int32_t b, oy, ox, c, y, x;                                                                             \
    for (b = 0; b < p->batches; ++b) {                                                                      \
      const T *in_b = input + b * p->in_h * p->in_w * p->channels;                                          \
      for (oy = 0; oy < p->out_h; ++oy) {                                                                   \
        const int32_t y0 = oy * p->stride_h - p->pad_top;                                                   \
        const int32_t y_start = tfedge_max_i32(0, y0), y_end = tfedge_min_i32(p->in_h, y0 + p->k_h);        \
        for (ox = 0; ox < p->out_w; ++ox) {                                                                 \
          const int32_t x0 = ox * p->stride_w - p->pad_left;                                                \
          const int32_t x_start = tfedge_max_i32(0, x0), x_end = tfedge_min_i32(p->in_w, x0 + p->k_w);      \
          const int32_t count = (y_end - y_start) * (x_end - x_start);                                      \
          for (c = 0; c < p->channels; ++c) {                                                               \
            int32_t acc = IS_AVG ? 0 : (LOWEST);                                                            \
            for (y = y_start; y < y_end; ++y)                                                               \
              for (x = x_start; x < x_end; ++x) {                                                           \
                const int32_t v_ = in_b[(y * p->in_w + x) * p->channels + c];                               \
                acc = IS_AVG ? acc + v_ : tfedge_max_i32(acc, v_);                                          \
              }                                                                                             \
            if (IS_AVG) /* TFLM refuses empty windows; never divide by zero */                              \
              acc = count == 0 ? 0 : acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;       \
            *output++ = (T)tfedge_clamp_i32(acc, p->act_min, p->act_max);                                   \
          }                                                                                                 \
        }                                                                                                   \
      }                                                                                                     \
    }                                                                                                       \
  } while (0)

/* MEAN over T (TFLM EvalIntegerMean): integer sums; requant 0: a truncating mean (the quantization is kept);
 * 1: QuantizedMeanOrSum's rescale (1/n folded into mult); 2: the keep_dims height-and-width mean of a 4-D
 * tensor (reference_integer_ops::Mean: sum + sum_offset rescaled by the plain in/out multiplier, then
 * divided by n rounding half away from zero); clamped to [LO, HI]. */
#define TFEDGE_MEAN_LOOP(T, LO, HI)                                                                          \
  do {                                                                                                      \
    int32_t o, r, i;                                                                                        \
    for (o = 0; o < p->outer; ++o)                                                                          \
      for (i = 0; i < p->inner; ++i) {                                                                      \
        const T *in = input + o * p->reduce * p->inner + i;                                                 \
        int32_t sum = 0;                                                                                    \
        for (r = 0; r < p->reduce; ++r) sum += in[r * p->inner];                                            \
        if (!p->requant) {                                                                                  \
          *output++ = (T)(sum / p->reduce);                                                                 \
        } else if (p->requant == 2) {                                                                       \
          int32_t acc = tfedge_mbqm(sum + p->sum_offset, p->mult, p->shift);                                \
          acc = acc > 0 ? (acc + p->reduce / 2) / p->reduce : (acc - p->reduce / 2) / p->reduce;            \
          *output++ = (T)tfedge_clamp_i32(acc + p->output_zp, LO, HI);                                      \
        } else                                                                                              \
          *output++ = (T)tfedge_clamp_i32(tfedge_mbqm(sum + p->sum_offset, p->mult, p->shift) + p->output_zp, \
                                          LO, HI);                                                          \
      }                                                                                                     \
  } while (0)

/* LEAKY_RELU over T (TFLM QuantizeLeakyRelu<T>): identity or alpha multiplier by the input's sign. */
#define TFEDGE_LEAKY_RELU_LOOP(T, LO, HI)                                                                    \
  do {                                                                                                      \
    int32_t i;                                                                                              \
    for (i = 0; i < p->size; ++i) {                                                                         \
      const int32_t x = input[i] - p->input_zp;                                                             \
      const int32_t v = p->output_zp + (x >= 0 ? tfedge_mbqm(x, p->mult, p->shift) : tfedge_mbqm(x, p->mult2, p->shift2)); \
      output[i] = (T)tfedge_clamp_i32(v, LO, HI);                                                           \
    }                                                                                                       \
  } while (0)

/* QUANTIZE between integer types (TFLM reference_ops::Requantize): (x - zp_in) rescaled, + zp_out, clamped
 * to the output type [LO, HI]; defines the kernel NAME. */
#define TFEDGE_REQUANTIZE(NAME, TIN, TOUT, LO, HI)                                                  \
  void NAME(const tfedge_quant_params *p, const TIN *input, TOUT *output) {                          \
    int32_t i;                                                                                       \
    for (i = 0; i < p->size; ++i) {                                                                  \
      const int32_t v = tfedge_mbqm(input[i] + p->input_offset, p->mult, p->shift) + p->output_offset; \
      output[i] = (TOUT)tfedge_clamp_i32(v, LO, HI);                                                 \
    }                                                                                                \
  }

#endif
