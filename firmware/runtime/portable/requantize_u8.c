/* QUANTIZE between uint8 and int8 (TFLM reference_ops::Requantize; its shortcut for equal scales and zero
 * points 128 apart, x ^ 0x80, gives the same bytes as the general path used here): the uint8 model
 * inputs/outputs a converter writes with inference_input_type/inference_output_type = tf.uint8. */
#include "tfedge_elementwise.h"

TFEDGE_REQUANTIZE(requantize_u8_s8, uint8_t, int8_t, -128, 127)
TFEDGE_REQUANTIZE(requantize_s8_u8, int8_t, uint8_t, 0, 255)
