/* The body of TFLM's integer LSTM (lstm_eval.h, EvalLstm<ActivationType, int8, int16, BiasType>), shared by
 * portable/lstm_s8.c (int8 activations, int32 bias and accumulators) and portable/lstm_s16.c (int16
 * activations, int64 bias and accumulators with TFLM's int64 MultiplyByQuantizedMultiplier). Everything
 * after the two gate FCs (Q3.12 gates, int16 sigmoid/tanh, the int16 cell state, the hidden state
 * multiply) is the same arithmetic for both; only the clamp range of the hidden state differs.
 *
 * The including file defines, then includes this header once:
 *   TFEDGE_LSTM_NAME            the kernel's name (lstm_s8, lstm_s16)
 *   TFEDGE_LSTM_T               the activation type (input, hidden state, output)
 *   TFEDGE_LSTM_ACC             the FC accumulator type (int32_t, int64_t)
 *   TFEDGE_LSTM_MBQM            the FC requantization taking TFEDGE_LSTM_ACC
 *   TFEDGE_LSTM_IN_BIAS(p, i)   the input FC's bias of row i, TFEDGE_LSTM_REC_BIAS(p, i) the recurrent FC's
 *   TFEDGE_LSTM_MIN, _MAX       the activation type's range */
#include <string.h>

#include "tfedge_fixedpoint.h"
#include "tfedge_kernels.h"

/* One gate of n rows: out = clamp16(FC(x)) (+sat) clamp16(FC(h)), then sigmoid or tanh in place. */
static void gate(const tfedge_lstm_params *p, int g, int32_t n, const TFEDGE_LSTM_T *x, const TFEDGE_LSTM_T *h,
                 int16_t *out) {
  const int32_t S = p->state_dim, I = p->input_dim;
  int32_t b, j, k;
  for (b = 0; b < n; ++b) {
    const TFEDGE_LSTM_T *xb = x + b * I, *hb = h + b * S;
    int16_t *ob = out + b * S;
    for (j = 0; j < S; ++j) {
      const int8_t *wi = p->in_weights + ((int32_t)g * S + j) * I;
      const int8_t *wr = p->rec_weights + ((int32_t)g * S + j) * S;
      TFEDGE_LSTM_ACC a = TFEDGE_LSTM_IN_BIAS(p, g * S + j), r = TFEDGE_LSTM_REC_BIAS(p, g * S + j);
      int32_t fa, fr, sum;
      for (k = 0; k < I; ++k) a += (int32_t)xb[k] * wi[k];
      for (k = 0; k < S; ++k) r += (int32_t)hb[k] * wr[k];
      fa = tfedge_clamp_i32(TFEDGE_LSTM_MBQM(a, p->in_mult[g], p->in_shift[g]), -32768, 32767);
      fr = tfedge_clamp_i32(TFEDGE_LSTM_MBQM(r, p->rec_mult[g], p->rec_shift[g]), -32768, 32767);
      sum = tfedge_clamp_i32(fa + fr, -32768, 32767);
      /* Q3.12 in: power-of-two scale, so TFLM's multiplier 0 / shift 0 (the kernel's x3 rescale) */
      ob[j] = g == 2 ? tfedge_tanh_s16_one(sum, 0, 0) : tfedge_logistic_s16_one(sum, 0, 0);
    }
  }
}

static int16_t mul16(int32_t a, int32_t b, int32_t mult, int32_t shift) {
  return (int16_t)tfedge_clamp_i32(tfedge_mbqm(a * b, mult, shift), -32768, 32767);
}

/* One time step over n batch rows: x (n x I), h and c (n x S) updated, out (n x S) = new h. */
static void step(const tfedge_lstm_params *p, int32_t n, const TFEDGE_LSTM_T *x, TFEDGE_LSTM_T *h, int16_t *c,
                 TFEDGE_LSTM_T *out) {
  const int32_t S = p->state_dim, m = n * S;
  int16_t *fg = p->scratch, *ig = fg + m, *cg = ig + m, *og = cg + m;
  int32_t i;
  gate(p, 1, n, x, h, fg);
  gate(p, 0, n, x, h, ig);
  gate(p, 2, n, x, h, cg);
  gate(p, 3, n, x, h, og);
  for (i = 0; i < m; ++i) {
    int32_t v = (int32_t)mul16(fg[i], c[i], p->forget_mult, p->forget_shift) +
                mul16(ig[i], cg[i], p->input_mult, p->input_shift);
    v = tfedge_clamp_i32(v, -32768, 32767);
    if (p->cell_clip > 0) v = tfedge_clamp_i32(v, -p->cell_clip, p->cell_clip);
    c[i] = (int16_t)v;
  }
  for (i = 0; i < m; ++i) {
    const int32_t t = tfedge_tanh_s16_one(c[i], p->cell_tanh_mult, p->cell_tanh_shift);
    const int32_t v = tfedge_mbqm(t * og[i], p->hidden_mult, p->hidden_shift) + p->hidden_zp;
    h[i] = (TFEDGE_LSTM_T)tfedge_clamp_i32(v, TFEDGE_LSTM_MIN, TFEDGE_LSTM_MAX);
  }
  memcpy(out, h, (size_t)m * sizeof(TFEDGE_LSTM_T));
}

void TFEDGE_LSTM_NAME(const tfedge_lstm_params *p, const TFEDGE_LSTM_T *input, TFEDGE_LSTM_T *hidden,
                      int16_t *cell, TFEDGE_LSTM_T *output) {
  const int32_t S = p->state_dim, I = p->input_dim, T = p->time_steps, B = p->batches;
  int32_t b, t;
  if (p->time_major) { /* input (T, B, I): all batch rows per step */
    for (t = 0; t < T; ++t) step(p, B, input + t * B * I, hidden, cell, output + t * B * S);
    return;
  }
  for (b = 0; b < B; ++b) /* input (B, T, I): one batch row at a time, its own state row */
    for (t = 0; t < T; ++t)
      step(p, 1, input + (b * T + t) * I, hidden + b * S, cell + b * S, output + (b * T + t) * S);
}
