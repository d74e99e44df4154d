"""Builds small .tflite files by hand (flatbuffers builder of the `tflite` package) for tests that
need files no converter writes: several subgraphs, buffers outside the file, lying shapes, ops
reading tensors nobody wrote. The base model is one int8 FULLY_CONNECTED: (1, 4) -> (1, 3)."""

from __future__ import annotations

import flatbuffers
import numpy as np
import tflite

FC = 9  # BuiltinOperator.FULLY_CONNECTED
INT8, INT32 = 9, 2  # TensorType


def _vec(b: flatbuffers.Builder, values, dtype) -> int:
    return b.CreateNumpyVector(np.asarray(values, dtype=dtype))


def _tensor(b, name: str, shape, ttype: int, buffer: int, scale: float | None = None, zero: int = 0) -> int:
    name_off = b.CreateString(name)
    shape_off = _vec(b, shape, np.int32)
    q = None
    if scale is not None:
        s, z = _vec(b, [scale], np.float32), _vec(b, [zero], np.int64)
        tflite.QuantizationParametersStart(b)
        tflite.QuantizationParametersAddScale(b, s)
        tflite.QuantizationParametersAddZeroPoint(b, z)
        q = tflite.QuantizationParametersEnd(b)
    tflite.TensorStart(b)
    tflite.TensorAddShape(b, shape_off)
    tflite.TensorAddType(b, ttype)
    tflite.TensorAddBuffer(b, buffer)
    tflite.TensorAddName(b, name_off)
    if q is not None:
        tflite.TensorAddQuantization(b, q)
    return tflite.TensorEnd(b)


def _subgraph(b, out_shape, op_inputs) -> int:
    tensors = [
        _tensor(b, "input", (1, 4), INT8, 0, 0.05, -3),
        _tensor(b, "weights", (3, 4), INT8, 1, 0.02, 0),
        _tensor(b, "bias", (3,), INT32, 2, 0.001, 0),
        _tensor(b, "output", out_shape, INT8, 0, 0.1, 5),
    ]
    tflite.SubGraphStartTensorsVector(b, len(tensors))
    for t in reversed(tensors):
        b.PrependUOffsetTRelative(t)
    tensors_vec = b.EndVector()
    tflite.FullyConnectedOptionsStart(b)
    opts = tflite.FullyConnectedOptionsEnd(b)
    ins, outs = _vec(b, op_inputs, np.int32), _vec(b, [3], np.int32)
    tflite.OperatorStart(b)
    tflite.OperatorAddOpcodeIndex(b, 0)
    tflite.OperatorAddInputs(b, ins)
    tflite.OperatorAddOutputs(b, outs)
    tflite.OperatorAddBuiltinOptionsType(b, tflite.BuiltinOptions.FullyConnectedOptions)
    tflite.OperatorAddBuiltinOptions(b, opts)
    op = tflite.OperatorEnd(b)
    tflite.SubGraphStartOperatorsVector(b, 1)
    b.PrependUOffsetTRelative(op)
    ops_vec = b.EndVector()
    g_in, g_out = _vec(b, [0], np.int32), _vec(b, [3], np.int32)
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tensors_vec)
    tflite.SubGraphAddInputs(b, g_in)
    tflite.SubGraphAddOutputs(b, g_out)
    tflite.SubGraphAddOperators(b, ops_vec)
    return tflite.SubGraphEnd(b)


def fc_model(*, out_shape=(1, 3), subgraphs: int = 1, weights_offset: int | None = None,
             op_inputs=(0, 1, 2)) -> bytes:
    """The base FC model, optionally with a lying output shape, extra subgraphs, a weights buffer
    stored 'after the file' at `weights_offset`, or other operator inputs."""
    b = flatbuffers.Builder(1024)
    rng = np.random.default_rng(0)
    datas = [None, rng.integers(-127, 128, 12).astype(np.int8).tobytes(), np.array([100, -50, 7], np.int32).tobytes()]
    buffers = []
    for i, data in enumerate(datas):
        data_off = _vec(b, np.frombuffer(data, np.uint8), np.uint8) if data and not (i == 1 and weights_offset) else None
        tflite.BufferStart(b)
        if data_off is not None:
            tflite.BufferAddData(b, data_off)
        if i == 1 and weights_offset is not None:
            tflite.BufferAddOffset(b, weights_offset)
            tflite.BufferAddSize(b, 12)
        buffers.append(tflite.BufferEnd(b))
    subs = [_subgraph(b, out_shape, list(op_inputs)) for _ in range(subgraphs)]
    tflite.OperatorCodeStart(b)
    tflite.OperatorCodeAddBuiltinCode(b, FC)
    tflite.OperatorCodeAddDeprecatedBuiltinCode(b, FC)
    tflite.OperatorCodeAddVersion(b, 1)
    code = tflite.OperatorCodeEnd(b)
    vectors = []
    for start, items in ((tflite.ModelStartBuffersVector, buffers), (tflite.ModelStartSubgraphsVector, subs),
                         (tflite.ModelStartOperatorCodesVector, [code])):
        start(b, len(items))
        for item in reversed(items):
            b.PrependUOffsetTRelative(item)
        vectors.append(b.EndVector())
    desc = b.CreateString("crafted")
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddBuffers(b, vectors[0])
    tflite.ModelAddSubgraphs(b, vectors[1])
    tflite.ModelAddOperatorCodes(b, vectors[2])
    tflite.ModelAddDescription(b, desc)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())
