/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8 (TFLM's integer LSTM step, lstm_eval.h): gates in Q3.12 int16 from two
 * int8 FCs, int16 sigmoid/tanh (the interpolated sigmoid table), int16 cell state, int8 hidden state. The
 * input zero-point terms are folded into the biases (both FCs) at compile time. */
#define TFEDGE_LSTM_NAME lstm_s8
#define TFEDGE_LSTM_T int8_t
#define TFEDGE_LSTM_ACC int32_t
#define TFEDGE_LSTM_MBQM tfedge_mbqm
#define TFEDGE_LSTM_IN_BIAS(p, i) ((p)->in_bias[i])
#define TFEDGE_LSTM_REC_BIAS(p, i) ((p)->rec_bias[i])
#define TFEDGE_LSTM_MIN (-128)
#define TFEDGE_LSTM_MAX 127
#include "tfedge_lstm_body.h"
