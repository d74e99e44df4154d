/* The int16x8 kernels (int16 activations with zero point 0, int8 weights, int64 bias) and the
 * type-converting QUANTIZE/DEQUANTIZE kernels. Included by tfedge_kernels.h; the parameter structs of the
 * int8 kernels are reused wherever their fields fit (pooling, binary, activations, softmax, quantize). */
#ifndef TFEDGE_KERNELS_S16_H
#define TFEDGE_KERNELS_S16_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CONV_2D / DEPTHWISE_CONV_2D with int16 input and output (TFLM reference_integer_ops::ConvPerChannel /
 * DepthwiseConvPerChannel with int64 accumulators and bias; the int64 MultiplyByQuantizedMultiplier). */
typedef struct {
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
  int32_t k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left;
  int32_t depth_multiplier; /* depthwise only */
  int32_t act_min, act_max;
  const int8_t *weights;
  const int64_t *bias; /* may be NULL */
  const int32_t *mult;
  const int32_t *shift;
  int16_t *scratch; /* arm_dsp conv: one im2col window (k_h * k_w * in_c int16); NULL elsewhere */
} tfedge_conv_s16_params;
void conv_s16_nhwc(const tfedge_conv_s16_params *p, const int16_t *input, int16_t *output);
void depthwise_conv_s16_nhwc(const tfedge_conv_s16_params *p, const int16_t *input, int16_t *output);
/* TRANSPOSE_CONV, int16x8 (weights [out_c][k_h][k_w][in_c]; dil_*, depth_multiplier and scratch unused). */
void transpose_conv_s16(const tfedge_conv_s16_params *p, const int16_t *input, int16_t *output);

/* FULLY_CONNECTED with int16 input and output, int64 accumulators and bias (NULL: none). */
typedef struct {
  int32_t batches, in_features, out_features;
  int32_t act_min, act_max;
  int32_t per_channel; /* 1: mult/shift have out_features entries */
  const int8_t *weights;
  const int64_t *bias;
  const int32_t *mult;
  const int32_t *shift;
} tfedge_fc_s16_params;
void fully_connected_s16(const tfedge_fc_s16_params *p, const int16_t *input, int16_t *output);

void avg_pool_s16(const tfedge_pool_params *p, const int16_t *input, int16_t *output);
void max_pool_s16(const tfedge_pool_params *p, const int16_t *input, int16_t *output);

/* ADD/SUB (left_shift 15 for int16, as TFLM's Prepare) and MUL, same arithmetic as the int8 kernels. */
void add_s16(const tfedge_binary_params *p, const int16_t *input1, const int16_t *input2, int16_t *output);
void sub_s16(const tfedge_binary_params *p, const int16_t *input1, const int16_t *input2, int16_t *output);
void mul_s16(const tfedge_binary_params *p, const int16_t *input1, const int16_t *input2, int16_t *output);

/* LEAKY_RELU (fields as leaky_relu_s8, output clamped to act_min/act_max). LOGISTIC and TANH on int16:
 * TFLM's 256-entry sigmoid table with linear interpolation; mult (0: power-of-two input scale) and
 * shift are TFLM's input_multiplier / input_left_shift. */
void leaky_relu_s16(const tfedge_act_params *p, const int16_t *input, int16_t *output);
void relu_s16(const tfedge_act_params *p, const int16_t *input, int16_t *output); /* RELU, RELU6 */
void logistic_s16(const tfedge_act_params *p, const int16_t *input, int16_t *output);
void tanh_s16(const tfedge_act_params *p, const int16_t *input, int16_t *output);
/* sigmoid(i / 24) in Q0.16, the table TFLM's int16 logistic/tanh interpolate (LSTM gates too). */
extern const uint16_t tfedge_sigmoid_table_u16[256];
int16_t tfedge_logistic_s16_one(int32_t x, int32_t mult, int32_t shift);
int16_t tfedge_tanh_s16_one(int32_t x, int32_t mult, int32_t shift);

/* SOFTMAX int16 -> int16 (TFLM SoftmaxInt16): exp and 1/(1+x) through two 513-entry LUTs generated at
 * compile time exactly as TFLM's Prepare does. */
typedef struct {
  int32_t outer, depth;
  int32_t input_mult, input_left_shift;
  const int16_t *exp_lut;
  const int16_t *one_over_one_plus_x_lut;
} tfedge_softmax_s16_params;
void softmax_s16(const tfedge_softmax_s16_params *p, const int16_t *input, int16_t *output);
int16_t tfedge_int16_lut(int16_t value, const int16_t *lut);

/* MEAN over int16 (fields as mean_s8). */
void mean_s16(const tfedge_reduce_params *p, const int16_t *input, int16_t *output);

/* QUANTIZE between int8 and int16 (TFLM Requantize) and from float; DEQUANTIZE int16 -> float. */
void requantize_s16_s8(const tfedge_quant_params *p, const int16_t *input, int8_t *output);
void requantize_s8_s16(const tfedge_quant_params *p, const int8_t *input, int16_t *output);
void requantize_s16(const tfedge_quant_params *p, const int16_t *input, int16_t *output);
void quantize_f32_s16(const tfedge_quant_params *p, const float *input, int16_t *output);
void dequantize_s16_f32(const tfedge_quant_params *p, const int16_t *input, float *output);

/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations (TFLM's integer LSTM, EvalLstm<int8, int8, int16, int32>)
 * and int16x8 (EvalLstm<int16, int8, int16, int64>: int16 input and hidden state, in_bias64; one body,
 * tfedge_lstm_body.h):
 * per gate (0 input, 1 forget, 2 cell, 3 output) two int8 FCs (input, hidden state) requantized into
 * Q3.12 int16 and added with saturation, sigmoid (tanh for the cell gate) on int16 -> Q0.15; the int16
 * cell state c = f*c + i*g (clipped), the int8 hidden state h = o * tanh(c). Weights are [gate][state][in],
 * biases [gate][state] with the input zero-point terms folded in. The hidden and cell state tensors keep
 * their values across invokes (TFLM's variable tensors); tfedge_model_init resets them. */
typedef struct {
  int32_t batches, time_steps, input_dim, state_dim, time_major;
  const int8_t *in_weights;  /* [4][state][input] */
  const int32_t *in_bias;    /* [4][state] (int8; int16x8: in_bias64) */
  const int32_t *in_mult;    /* [4] */
  const int32_t *in_shift;
  const int8_t *rec_weights; /* [4][state][state] */
  const int32_t *rec_bias;   /* [4][state]: -hidden_zp * row sums (int8; int16x8 has none) */
  const int32_t *rec_mult;
  const int32_t *rec_shift;
  int32_t cell_tanh_mult, cell_tanh_shift; /* tanh of the cell state (its power-of-two scale) */
  int32_t forget_mult, forget_shift;       /* forget gate x cell state -> cell state */
  int32_t input_mult, input_shift;         /* input gate x cell gate -> cell state */
  int32_t hidden_mult, hidden_shift, hidden_zp; /* output gate x tanh(cell) -> hidden state */
  int32_t cell_clip;                       /* quantized; 0: no clipping */
  int16_t *scratch;                        /* 4 * state_dim * (time_major ? batches : 1) int16 */
  const int64_t *in_bias64;                /* [4][state]: the int16x8 kernel's biases */
} tfedge_lstm_params;
void lstm_s8(const tfedge_lstm_params *p, const int8_t *input, int8_t *hidden, int16_t *cell, int8_t *output);
void lstm_s16(const tfedge_lstm_params *p, const int16_t *input, int16_t *hidden, int16_t *cell, int16_t *output);

#ifdef __cplusplus
}
#endif
#endif /* TFEDGE_KERNELS_S16_H */
