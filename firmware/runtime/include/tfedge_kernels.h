/* The int8 kernel library: one function per op, each in its own file under portable/.
 *
 * Every kernel takes a pointer to a const parameter struct (generated into model.c, lives in
 * flash) and its data pointers. Architecture-specific paths (arm_dsp/, mve/) implement the same
 * signatures, so the generated code does not change when a faster path is linked instead.
 * Tensors are NHWC; weights are the .tflite layout (conv: [out_c][k_h][k_w][in_c],
 * depthwise: [k_h][k_w][out_c], fully connected: [out][in]). */
#ifndef TFEDGE_KERNELS_H
#define TFEDGE_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Requantization of one output channel prepared at compile time for the DSP kernels. Where the channel's
 * shift is a right shift e >= 2 and |k_hi| < 2^30 (the compiler checks):
 *   out = (acc * mult + 2^30 - 2^31 [acc < 0] + 2^32 k_hi) >> (32 + shift),  acc including bias,
 *   k_hi = 2^(e-2) + output_offset * 2^(e-1), shift = e - 1,
 * which equals MultiplyByQuantizedMultiplier(acc, mult, -e) + output_offset bit for bit. A channel whose
 * output is provably constant c has mult 0, k_hi 2c + 1, shift 1. Any other channel has
 * shift >= TFEDGE_RQ_GENERAL and k_hi = TFLite's shift: MultiplyByQuantizedMultiplier(acc, mult, k_hi)
 * + output_offset, the two-step form (the params' rq_general counts these channels). */
#define TFEDGE_RQ_GENERAL 32
typedef struct tfedge_requant_ch {
  int32_t bias, mult, k_hi, shift;
} tfedge_requant_ch;

/* CONV_2D and DEPTHWISE_CONV_2D (dilated convolutions included). Per-output-channel requantization;
 * a per-tensor model simply repeats its multiplier. */
typedef struct {
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
  int32_t k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left;
  int32_t depth_multiplier; /* depthwise only */
  int32_t input_offset, output_offset, act_min, act_max;
  const int8_t *weights;
  const int32_t *bias; /* may be NULL */
  const int32_t *mult;
  const int32_t *shift;
  /* Optional compile-time prepared data of the fast kernels (NULL/0 elsewhere; see docs/kernels.md). */
  const struct tfedge_requant_ch *rq; /* packed kernels: per output channel, the one copy of bias/mult/shift
                                       * (then NULL); NULL elsewhere: requantize with bias/mult/shift */
  void *scratch;                      /* im2col / widened-input buffer, sized by the compiler */
  /* Clustered weights (the _c4 kernels; NULL elsewhere): 4-bit indices, two per byte, low nibble first,
   * one byte-padded row per output channel; codebook + oc * codebook_stride = its 16 values. */
  const uint8_t *indices;
  const int8_t *codebook;
  int32_t codebook_stride; /* 16: a codebook per output channel, 0: one for the layer */
  /* Packed kernels: channels of rq on the two-step form; and, when const_row is not NULL, the output
   * channels computed (live_c, at output positions live_map; weights and rq hold only these), every other
   * channel being the constant const_row[c] (out_c bytes). */
  int32_t rq_general;
  int32_t live_c;
  const uint16_t *live_map;
  const int8_t *const_row;
  int32_t weights_i8; /* conv/depthwise packed: weights int8 in the same order, 4 per word ([k0 k1 k2 k3]) */
  /* Compile-time prepared data of one architecture's kernel (NULL elsewhere): on mve, the depthwise
   * window path's effective biases and weight vectors (tfedge/compiler/variants_mve.py). */
  const int32_t *arch_prep;
} tfedge_conv_params;
void conv_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output);
void depthwise_conv_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output);
/* Clustered weights (<= 16 values per channel or layer) as 4-bit codebook indices, decoded in the kernel.
 * A channel's filter is decoded into a stack buffer of TFEDGE_C4_MAX_K bytes (the compiler checks the size). */
#define TFEDGE_C4_MAX_K 1024
void conv_s8_nhwc_c4(const tfedge_conv_params *p, const int8_t *input, int8_t *output);
void depthwise_conv_s8_nhwc_c4(const tfedge_conv_params *p, const int8_t *input, int8_t *output);
void tfedge_decode_c4(const uint8_t *indices, const int8_t *codebook, int32_t n, int8_t *out);
/* CONV_2D with packed weights, widened to int16 at compile time (p->weights points at them): output
 * channels in pairs (an odd last one paired with zeros), each pair's rows of k_h*k_w*in_c weights
 * zero-padded to k_padded, a multiple of 4, and interleaved 4 values at a time: [pair][group of 4]
 * [channel 0, 1][k0 k2 k1 k3]; rq padded to an even count. scratch: 4 * k_padded + 8 * (out_c rounded
 * up to even) + k_padded bytes. */
void conv_packed_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output);
/* DEPTHWISE_CONV_2D, depth multiplier 1, any channel count, packed weights per [channel group of 4][k_h*k_w
 * taps]: int8 [c0 c1 c2 c3] (weights_i8, widened per call into scratch) or int16 [c0 c2 c1 c3] (widened at
 * compile time). scratch: in_c rounded up to 4 bytes, + 2 bytes per packed weight with weights_i8. */
void depthwise_conv_packed_s8_nhwc(const tfedge_conv_params *p, const int8_t *input, int8_t *output);

/* A convolution kernel of the signature above, and the by-rows in-place loop that wraps one: the output
 * overwrites the input in `buf` (the input from byte in_offset, the output from 0), `rows` output rows per
 * kernel call; `ring` ((lag + 1) * rows output rows) is scratch in the arena. */
typedef void (*tfedge_conv_fn)(const tfedge_conv_params *p, const int8_t *input, int8_t *output);
void tfedge_conv_rows_inplace_s8(const tfedge_conv_params *p, tfedge_conv_fn fn, int8_t *buf, int8_t *ring,
                                 int32_t lag, int32_t rows, int32_t in_offset);

/* FULLY_CONNECTED. bias already holds bias + input_offset * sum(weights) (folded at compile time). */
typedef struct {
  int32_t batches, in_features, out_features;
  int32_t output_offset, act_min, act_max;
  int32_t per_channel; /* 1: mult/shift have out_features entries */
  const int8_t *weights;
  const int32_t *bias; /* holds the folded zero-point term; NULL with rq (packed) */
  const int32_t *mult;
  const int32_t *shift;
  const tfedge_requant_ch *rq; /* optional, as for convolutions (bias = the folded bias) */
  void *scratch;               /* packed kernel: 2 * in_features rounded up to 4 bytes */
  const uint8_t *indices;      /* fully_connected_s8_c4: as for convolutions, one row per output */
  const int8_t *codebook;
  int32_t codebook_stride;
  int32_t rq_general;          /* packed kernel: as for convolutions */
  int32_t live_c;
  const uint16_t *live_map;
  const int8_t *const_row;
  int32_t weights_i8;          /* packed kernel: weights int8 in the same order, 4 per word */
} tfedge_fc_params;
void fully_connected_s8(const tfedge_fc_params *p, const int8_t *input, int8_t *output);
void fully_connected_s8_c4(const tfedge_fc_params *p, const int8_t *input, int8_t *output);
/* FULLY_CONNECTED with packed weights, widened to int16 at compile time (p->weights points at them): rows
 * in groups of 4 (zero rows pad the last group), each row zero-padded to a multiple of 4 and interleaved
 * 4 values at a time: [group][in/4][row 0..3][k0 k2 k1 k3]; rq padded to a multiple of 4. */
void fully_connected_packed_s8(const tfedge_fc_params *p, const int8_t *input, int8_t *output);

/* AVERAGE_POOL_2D and MAX_POOL_2D (same quantization in and out). */
typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  int32_t k_h, k_w, stride_h, stride_w, pad_top, pad_left;
  int32_t act_min, act_max;
} tfedge_pool_params;
void avg_pool_s8(const tfedge_pool_params *p, const int8_t *input, int8_t *output);
void max_pool_s8(const tfedge_pool_params *p, const int8_t *input, int8_t *output);

/* Elementwise binary ops with numpy broadcasting over at most 4 dimensions (strides 0 broadcast). */
typedef struct {
  int32_t dims[4];
  int32_t in1_strides[4], in2_strides[4];
  int32_t input1_offset, input2_offset, output_offset;
  int32_t input1_mult, input1_shift, input2_mult, input2_shift, output_mult, output_shift;
  int32_t left_shift; /* ADD/SUB: 20 */
  int32_t act_min, act_max;
} tfedge_binary_params;
void add_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void sub_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void mul_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

/* A residual block conv1 (x -> B), conv2 (B -> C), ADD(x, C) -> x run row by row: B lives only as a ring
 * of the rows conv2 reads, C as one row (`row`); the sums overwrite x. x_first: x is ADD's first input. */
typedef void (*tfedge_binary_fn)(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2,
                                 int8_t *output);
void tfedge_residual_rows_s8(const tfedge_conv_params *p1, tfedge_conv_fn f1, const tfedge_conv_params *p2,
                             tfedge_conv_fn f2, const tfedge_binary_params *pa, tfedge_binary_fn fa, int32_t x_first,
                             int8_t *x, int8_t *ring, int8_t *row);

/* SOFTMAX over the last dimension (TFLite's integer algorithm, gemmlowp fixed point). */
typedef struct {
  int32_t outer, depth;
  int32_t input_mult, input_left_shift, diff_min;
} tfedge_softmax_params;
void softmax_s8(const tfedge_softmax_params *p, const int8_t *input, int8_t *output);

/* QUANTIZE int8 -> int8 (requantize) and float -> int8; DEQUANTIZE int8 -> float. */
typedef struct {
  int32_t size;
  int32_t input_offset, output_offset; /* input_offset = -input zero point */
  int32_t mult, shift;                 /* requantize */
  float scale;                         /* float -> int8: output scale */
  double dq_scale;                     /* dequantize: input scale */
} tfedge_quant_params;
void requantize_s8(const tfedge_quant_params *p, const int8_t *input, int8_t *output);
void quantize_f32_s8(const tfedge_quant_params *p, const float *input, int8_t *output);
void dequantize_s8_f32(const tfedge_quant_params *p, const int8_t *input, float *output);


/* Elementwise int8 -> int8 activations. Fields each kernel uses:
 *   relu_s8:        input_zp, output_zp, mult, shift, act_min, act_max (requantize, then clamp;
 *                   RELU, RELU6 and RELU_N1_TO_1 differ only in the clamp range)
 *   leaky_relu_s8:  input_zp, output_zp, mult/shift (x >= 0), mult2/shift2 (x < 0, alpha folded in)
 *   logistic_s8, tanh_s8: input_zp, mult, shift (input to Q4.27), range_radius
 *   hard_swish_s8:  input_zp, output_zp, mult (output multiplier, Q15), shift (its exponent),
 *                   mult2 (reluish multiplier, Q15), shift2 (its exponent) */
typedef struct {
  int32_t size;
  int32_t input_zp, output_zp;
  int32_t mult, shift, mult2, shift2;
  int32_t range_radius;
  int32_t act_min, act_max;
} tfedge_act_params;
void relu_s8(const tfedge_act_params *p, const int8_t *input, int8_t *output);
void leaky_relu_s8(const tfedge_act_params *p, const int8_t *input, int8_t *output);
void logistic_s8(const tfedge_act_params *p, const int8_t *input, int8_t *output);
void tanh_s8(const tfedge_act_params *p, const int8_t *input, int8_t *output);
void hard_swish_s8(const tfedge_act_params *p, const int8_t *input, int8_t *output);

/* CONCATENATION (all inputs share the output's quantization): for each of `outer` rows, copy
 * sizes[i] bytes of input i in turn. */
typedef struct {
  int32_t outer, num_inputs;
  const int32_t *sizes;
  const int8_t *const *inputs;
} tfedge_concat_params;
void concat_s8(const tfedge_concat_params *p, int8_t *output);

/* PAD (4-D, constant value). */
typedef struct {
  int32_t in_dims[4], out_dims[4], before[4];
  int32_t value;
} tfedge_pad_params;
void pad_s8(const tfedge_pad_params *p, const int8_t *input, int8_t *output);

/* MEAN and REDUCE_MAX over one contiguous block of axes: input viewed as (outer, reduce, inner).
 * mean_s8: same quantization in and out -> truncating integer mean (requant = 0); otherwise TFLM's
 * QuantizedMeanOrSum: (sum + sum_offset) rescaled by mult/shift, which include 1/reduce. */
typedef struct {
  int32_t outer, reduce, inner;
  int32_t requant;
  int32_t sum_offset; /* -input_zero_point * reduce */
  int32_t mult, shift;
  int32_t output_zp;
} tfedge_reduce_params;
void mean_s8(const tfedge_reduce_params *p, const int8_t *input, int8_t *output);
void reduce_max_s8(const tfedge_reduce_params *p, const int8_t *input, int8_t *output);

/* RESIZE_NEAREST_NEIGHBOR: source row/column of every output row/column precomputed. */
typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  const int32_t *src_y;
  const int32_t *src_x;
} tfedge_resize_params;
void resize_nearest_s8(const tfedge_resize_params *p, const int8_t *input, int8_t *output);

#include "tfedge_kernels_more.h" /* the common builtin ops beyond the CNN set */
#ifdef __cplusplus
}
#endif

#include "tfedge_kernels_s16.h" /* int16x8 kernels */
#endif /* TFEDGE_KERNELS_H */
