"""RELU and RELU6 on int16 (int16x8 models: the converter leaves a RELU after an int16 TRANSPOSE_CONV
unfused). Registered on the type axis (ops.register_type) next to activations.py's int8 rule: TFLM's
CalculateReluOpData with the int16 range, relu_s16 (ReluQuantized<int16_t>)."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import quant
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register_type
from tfedge.compiler.ops.common import activation, arity, prepare_ok, same_quant, shape_is

F32 = np.float32
INT16 = ("int16",)
UPPER = {"RELU": None, "RELU6": 6.0}


def _params(op: Op, g: Graph) -> dict:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    mult, shift = quant.quantize_multiplier(float(x.q_scale) / float(y.q_scale))
    act_min, act_max = max(-32768, y.q_zero + quant.tflite_round(float(F32(0.0) / F32(y.q_scale)))), 32767
    if UPPER[op.kind] is not None:
        act_max = min(32767, y.q_zero + quant.tflite_round(float(F32(UPPER[op.kind]) / F32(y.q_scale))))
    return dict(size=x.size, input_zp=x.q_zero, output_zp=y.q_zero, mult=mult, shift=shift, mult2=0, shift2=0,
                range_radius=0, act_min=act_min, act_max=act_max)


def _validate(op: Op, g: Graph) -> list[str]:
    problems = arity(op, (1,))
    if problems:
        return problems
    problems += activation(op, g, op.inputs[0], "input", INT16) + activation(op, g, op.outputs[0], "output", INT16)
    if problems:
        return problems
    problems += shape_is(op, g, op.outputs[0], g.tensors[op.inputs[0]].shape)
    return problems or prepare_ok(op, lambda: _params(op, g))


def _emit(op: Op, g: Graph, ctx) -> Layer:
    name = ctx.params("tfedge_act_params", _params(op, g))
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    return Layer(kernel="relu_s16", variant_reason="" if same_quant(x, y) else "requantizing",
                 call=f"relu_s16(&{name}, {ctx.ptr(op.inputs[0], 'int16_t', const=True)}, "
                      f"{ctx.ptr(op.outputs[0], 'int16_t')});")


for _kind in UPPER:
    register_type(_kind, "int16", _validate, _emit)
