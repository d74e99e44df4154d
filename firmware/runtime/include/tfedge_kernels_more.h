/* The int8 kernels of the common builtin ops beyond the CNN set (data movement, elementwise math,
 * reductions); included by tfedge_kernels.h. Same conventions: a const parameter struct, then data. */
#ifndef TFEDGE_KERNELS_MORE_H
#define TFEDGE_KERNELS_MORE_H
#include <stdint.h>

/* STRIDED_SLICE, SLICE, TRANSPOSE: output element (i0..i5) = input[start + sum(i_k * strides[k])]. */
typedef struct {
  int32_t dims[6];    /* output dimensions, leading ones unused (1) */
  int32_t strides[6]; /* input elements per output index step (negative: backwards) */
  int32_t start;      /* input element of output element 0 */
} tfedge_slice_params;
void strided_slice_s8(const tfedge_slice_params *p, const int8_t *input, int8_t *output);

/* SPLIT, SPLIT_V, UNPACK: for each of `outer` input rows, sizes[i] bytes to output i in turn. */
typedef struct {
  int32_t outer, num_outputs;
  const int32_t *sizes;
  int8_t *const *outputs;
} tfedge_split_params;
void split_s8(const tfedge_split_params *p, const int8_t *input);

/* GATHER (constant indices): input (outer, axis_size, inner) -> output (outer, num_indices, inner). */
typedef struct {
  int32_t outer, num_indices, axis_size, inner;
  const int32_t *indices;
} tfedge_gather_params;
void gather_s8(const tfedge_gather_params *p, const int8_t *input, int8_t *output);
/* GATHER with run-time int32 indices (`indices` field unused); an index out of range gives zero bytes. */
void gather_indices_s8(const tfedge_gather_params *p, const int8_t *input, const int32_t *indices, int8_t *output);

/* ARG_MAX (is_min 0) / ARG_MIN (is_min 1) over the middle axis of (outer, axis_size, inner), int32 indices. */
typedef struct {
  int32_t outer, axis_size, inner, is_min;
} tfedge_arg_params;
void arg_max_s8(const tfedge_arg_params *p, const int8_t *input, int32_t *output);

/* CAST at run time: `size` elements from type code `from` to `to` (enum tfedge_type: 0 int8, 1 uint8,
 * 2 int16, 3 int32, 4 float32; from is never float32). */
typedef struct {
  int32_t size, from, to;
} tfedge_cast_params;
void cast(const tfedge_cast_params *p, const void *input, void *output);

/* QUANTIZE uint8 <-> int8 (tfedge_quant_params, as requantize_s8): the uint8 model inputs/outputs. */
void requantize_u8_s8(const tfedge_quant_params *p, const uint8_t *input, int8_t *output);
void requantize_s8_u8(const tfedge_quant_params *p, const int8_t *input, uint8_t *output);

/* Elementwise int8 -> int8 through a table: output[i] = table[(uint8_t)input[i]] (256 entries). */
typedef struct {
  int32_t size;
  const int8_t *table;
} tfedge_lut_params;
void lut_s8(const tfedge_lut_params *p, const int8_t *input, int8_t *output);
/* ABS / RSQRT int16 (tfedge_quant_params: input/output offsets, mult/shift; ABS of equal scales: 2^30, 1). */
void abs_s16(const tfedge_quant_params *p, const int16_t *input, int16_t *output);
void rsqrt_s16(const tfedge_quant_params *p, const int16_t *input, int16_t *output);

/* Binary ops with broadcasting over 4 dimensions (tfedge_binary_params of tfedge_kernels.h):
 *   maximum_s8, minimum_s8: raw values (one quantization for inputs and output)
 *   prelu_s8:       input1 = x, input2 = alpha; input1_mult/shift for x >= 0, input2_mult/shift for x * alpha
 *   prelu_s16:      the same on int16 x and output with an int8 alpha (act_min/act_max: the int16 range)
 *   squared_difference_s8: left_shift, input1/2_mult/shift to the common scale, output_mult/shift
 *   div_s8:         output_mult/shift of s1 / (s2 * s_out), the reciprocal computed per element */
void maximum_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void minimum_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void maximum_s16(const tfedge_binary_params *p, const int16_t *input1, const int16_t *input2, int16_t *output);
void minimum_s16(const tfedge_binary_params *p, const int16_t *input1, const int16_t *input2, int16_t *output);
void prelu_s8(const tfedge_binary_params *p, const int8_t *input, const int8_t *alpha, int8_t *output);
void prelu_s16(const tfedge_binary_params *p, const int16_t *input, const int8_t *alpha, int16_t *output);
void squared_difference_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void squared_difference_s16(const tfedge_binary_params *p, const int16_t *input1, const int16_t *input2,
                            int16_t *output); /* left_shift 0 */
void div_s8(const tfedge_binary_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

/* REDUCE_MIN over one contiguous block of axes (tfedge_reduce_params; same quantization in and out).
 * SUM runs mean_s8 with requant = 1 and the plain input/output multiplier. */
void reduce_min_s8(const tfedge_reduce_params *p, const int8_t *input, int8_t *output);

/* RESIZE_BILINEAR (NHWC, same quantization in and out): per output row the two source rows and the
 * weight of the second in 1/1024 (wy), per output column likewise (x0, x1, wx). */
typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  const int32_t *y0, *y1, *wy;
  const int32_t *x0, *x1, *wx;
} tfedge_resize_bilinear_params;
void resize_bilinear_s8(const tfedge_resize_bilinear_params *p, const int8_t *input, int8_t *output);

/* TRANSPOSE_CONV on tfedge_conv_params (of tfedge_kernels.h; dil_*, depth_multiplier and the fast-kernel
 * fields unused): weights [out_c][k_h][k_w][in_c], pad_top/pad_left as TFLM's Prepare computes them. */
void transpose_conv_s8(const tfedge_conv_params *p, const int8_t *input, int8_t *output);

/* BATCH_MATMUL: (rows x depth) x (depth x cols) per batch; element strides carry adj_x/adj_y. */
typedef struct {
  int32_t batch_dims[3], lhs_batch_strides[3], rhs_batch_strides[3];
  int32_t rows, cols, depth;
  int32_t lhs_row_stride, lhs_k_stride, rhs_k_stride, rhs_col_stride;
  int32_t lhs_offset, rhs_offset, output_offset, mult, shift;
  void *scratch; /* mve/batch_matmul_s8.c: packed operands and column sums (tfedge/compiler/variants_mve.py); NULL elsewhere */
} tfedge_batch_matmul_params;
void batch_matmul_s8(const tfedge_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs, int8_t *output);
void batch_matmul_s16(const tfedge_batch_matmul_params *p, const int16_t *lhs, const int16_t *rhs, int16_t *output);

#endif /* TFEDGE_KERNELS_MORE_H */
