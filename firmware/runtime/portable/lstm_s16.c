/* UNIDIRECTIONAL_SEQUENCE_LSTM, int16x8 (TFLM's EvalLstm<int16, int8, int16, int64>): the int8 kernel's
 * arithmetic with int16 input and hidden state, int64 gate biases and accumulators requantized by TFLM's int64
 * MultiplyByQuantizedMultiplier (its int16 FullyConnected), no recurrent bias (zero points are 0). */
#define TFEDGE_LSTM_NAME lstm_s16
#define TFEDGE_LSTM_T int16_t
#define TFEDGE_LSTM_ACC int64_t
#define TFEDGE_LSTM_MBQM tfedge_mbqm64
#define TFEDGE_LSTM_IN_BIAS(p, i) ((p)->in_bias64[i])
#define TFEDGE_LSTM_REC_BIAS(p, i) 0
#define TFEDGE_LSTM_MIN (-32768)
#define TFEDGE_LSTM_MAX 32767
#include "tfedge_lstm_body.h"
