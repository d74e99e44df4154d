/* QUANTIZE between int8 and int16 (TFLM reference_ops::Requantize): (x - zp_in) rescaled, + zp_out,
 * clamped to the output type; and float -> int16 / int16 -> float (AffineQuantize / Dequantize). */
#include "tfedge_elementwise.h"

TFEDGE_REQUANTIZE(requantize_s16_s8, int16_t, int8_t, -128, 127)
TFEDGE_REQUANTIZE(requantize_s8_s16, int8_t, int16_t, -32768, 32767)
TFEDGE_REQUANTIZE(requantize_s16, int16_t, int16_t, -32768, 32767)

void quantize_f32_s16(const tfedge_quant_params *p, const float *input, int16_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    const int32_t v = tfedge_round_f32(input[i] / p->scale) + p->output_offset;
    output[i] = (int16_t)tfedge_clamp_i32(v, -32768, 32767);
  }
}

void dequantize_s16_f32(const tfedge_quant_params *p, const int16_t *input, float *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) output[i] = (float)(p->dq_scale * (double)(input[i] + p->input_offset));
}
