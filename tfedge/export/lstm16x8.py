"""int16x8 LSTM models written by tfedge: the TFLite converter refuses UNIDIRECTIONAL_SEQUENCE_LSTM in 16x8
("Quantization to 16x8-bit not yet supported for op"), TFLM runs it (EvalLstm<int16, int8, int16, int64>).

The file is built from two converter outputs of the same Keras model: the int8 one is the template (graph,
fused LSTM op, variable state tensors, weight layouts and per-channel axes), the float one gives the float
weights and, run by LiteRT on the calibration data, every activation's range. Each tensor is then quantized
by the rule of the op it belongs to (RULES: one function per op kind, the shape a 16x8 re-quantizer's rule
table takes), as TFLite's 16x8 quantizer specifies:
- activations int16 symmetric: scale max(|min|, |max|) / 32767, zero point 0;
- weights int8 symmetric, narrow range (max|w| / 127): per tensor for the LSTM (TFLM's gate FCs take one
  scale), per channel along the template's axis for FULLY_CONNECTED;
- biases int64, scale input scale x weight scale (for the LSTM: its input's, not the hidden state's);
- LSTM: the hidden state shares the output's scale (TFLM copies it to the output); the cell state is int16
  with the power-of-two scale 2^pot / 32768, 2^pot the first power of two >= the calibrated max |cell|
  (the cell state is no graph tensor: the float LSTM is simulated over the calibration data, and its hidden
  sequence checked against LiteRT's float output, which also proves the gate order);
- SOFTMAX output scale 1/32768; RESHAPE output = its input's quantization.

The ModelT I/O, op kinds, float constants, the 16x8 activation scale, the quantization writer and the LiteRT
calibration run are export/int16x8_requant.py's (the re-quantizer of the ops the converter refuses); this
module keeps what is LSTM-specific: the template pairing, the rules and the float LSTM simulation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tfedge._tf import keras, quiet_stderr, require_legacy_keras
from tfedge.errors import ModelError
from tfedge.export.int16x8_requant import (float_constant, int16_scale, litert_float_values, op_kind, read_modelt,
                                           set_quantization, write_modelt)
from tfedge.export.int8 import RepresentativeData, _batch1_converter, _collect_samples, export_int8

INT8, INT16, INT32, INT64 = 9, 7, 2, 4  # tflite TensorType
LSTM_INPUT, LSTM_HIDDEN, LSTM_CELL = 0, 18, 19
LSTM_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8)  # input-to-{i, f, c, o}, recurrent-to-{i, f, c, o}
LSTM_BIAS = (12, 13, 14, 15)
EFFECTIVE_HIDDEN = 4  # the LSTM's 5th intermediate: quantized as the hidden state


@dataclass
class Quant:
    """A tensor's new type and quantization (and its quantized data for constants)."""
    dtype: int
    scale: np.ndarray
    axis: int = 0
    data: np.ndarray | None = None


class Requantizer:
    """The template's tensors, their float values and calibrated ranges, and the quantization chosen so far."""

    def __init__(self, model, floats: dict[int, np.ndarray], ranges: dict[int, tuple[float, float]],
                 values: dict[int, np.ndarray]):
        self.model, self.graph = model, model.subgraphs[0]
        self.floats, self.ranges, self.values = floats, ranges, values
        self.quant: dict[int, Quant] = {}

    def activation(self, t: int) -> Quant:
        """int16 symmetric from the calibrated range (once per tensor: the producer's rule may have set it)."""
        if t not in self.quant:
            if t not in self.ranges:
                raise ModelError(f"int16x8 LSTM export: no calibrated range for tensor {self.name(t)}")
            lo, hi = self.ranges[t]
            self.quant[t] = Quant(INT16, np.array([int16_scale(lo, hi)], np.float32))
        return self.quant[t]

    def weights(self, t: int, per_channel: bool) -> Quant:
        w = self.const(t)
        axis = self.graph.tensors[t].quantization.quantizedDimension if per_channel else 0
        if per_channel:
            moved = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
            scale = (np.abs(moved).max(axis=1) / 127.0).astype(np.float32)
            shape = [1] * w.ndim
            shape[axis] = -1
            q = np.round(w / np.where(scale > 0, scale, 1.0).reshape(shape))
        else:
            scale = np.array([np.abs(w).max() / 127.0], np.float32)
            q = np.round(w / (scale[0] if scale[0] > 0 else 1.0))
        self.quant[t] = Quant(INT8, scale, axis, np.clip(q, -127, 127).astype(np.int8))
        return self.quant[t]

    def bias(self, t: int, input_scale: float, weight_scale: np.ndarray) -> Quant:
        scale = (np.float32(input_scale) * weight_scale.astype(np.float32)).astype(np.float32)
        inv = np.where(scale > 0, 1.0 / np.where(scale > 0, scale, 1.0), 0.0)
        q = np.round(self.const(t).astype(np.float64) * inv).astype(np.int64)
        self.quant[t] = Quant(INT64, scale, 0, q)
        return self.quant[t]

    def const(self, t: int) -> np.ndarray:
        if t not in self.floats:
            raise ModelError(f"int16x8 LSTM export: tensor {self.name(t)} has no float constant in the float model")
        return self.floats[t]

    def name(self, t: int) -> str:
        return self.graph.tensors[t].name.decode(errors="replace")


def cell_scale(max_abs: float) -> float:
    """TFLite's power-of-two cell state scale: 2^pot / 32768, 2^pot the first power of two >= the range (pot 0-9)."""
    pot = next((p for p in range(10) if 2.0 ** p >= max_abs), None)
    if pot is None:
        raise ModelError(f"int16x8 LSTM export: the cell state reaches {max_abs:.1f}, beyond int16's 2^9 range; "
                         "the LSTM diverges on the calibration data (train it, or clip its cell: LSTM(..., cell_clip))")
    return 2.0 ** (pot - 15)


def _simulate_lstm(job: Requantizer, op, clip: float, time_major: bool) -> tuple[np.ndarray, np.ndarray]:
    """The float LSTM (Keras' LSTM: sigmoid gates, tanh cell gate) over the calibration inputs of this op:
    (every cell state value, the hidden sequence in the output's layout)."""
    x = job.values[op.inputs[LSTM_INPUT]].astype(np.float64)  # (samples, *input shape)
    if time_major:
        x = np.swapaxes(x, 1, 2)  # (samples, batch, time, features)
    w = [job.const(op.inputs[k]).astype(np.float64) for k in LSTM_WEIGHTS]
    b = [job.const(op.inputs[k]).astype(np.float64) for k in LSTM_BIAS]
    n, batches, steps = x.shape[0], x.shape[1], x.shape[2]
    units = w[0].shape[0]
    h = np.zeros((n, batches, units))
    c = np.zeros((n, batches, units))
    cells, hidden = [], []
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    for step in range(steps):
        xt = x[:, :, step]
        gates = [xt @ w[g].T + h @ w[4 + g].T + b[g] for g in range(4)]
        c = sig(gates[1]) * c + sig(gates[0]) * np.tanh(gates[2])
        if clip > 0:
            c = np.clip(c, -clip, clip)
        h = sig(gates[3]) * np.tanh(c)
        cells.append(c)
        hidden.append(h)
    seq = np.stack(hidden, axis=2)  # (samples, batch, time, units)
    return np.stack(cells), (np.swapaxes(seq, 1, 2) if time_major else seq)


def lstm_rule(job: Requantizer, op) -> None:
    """UNIDIRECTIONAL_SEQUENCE_LSTM in 16x8: int16 input/output/hidden state (one scale for hidden and output),
    int8 per-tensor weights, int64 biases at input scale x weight scale, power-of-two int16 cell state."""
    opts = op.builtinOptions
    if any(k < len(op.inputs) and op.inputs[k] >= 0 for k in (9, 10, 11, 16, 17, 20, 21, 22, 23)):
        raise ModelError("int16x8 LSTM export: peephole, projection and layer-norm LSTMs are not supported "
                         "(TFLM's integer LSTM runs the standard Keras LSTM only)")
    x = job.activation(op.inputs[LSTM_INPUT])
    out = job.activation(op.outputs[0])
    job.quant[op.inputs[LSTM_HIDDEN]] = Quant(INT16, out.scale.copy())
    for k in LSTM_WEIGHTS:
        job.weights(op.inputs[k], per_channel=False)
    for g, k in enumerate(LSTM_BIAS):
        job.bias(op.inputs[k], float(x.scale[0]), job.quant[op.inputs[LSTM_WEIGHTS[g]]].scale)
    cells, seq = _simulate_lstm(job, op, float(getattr(opts, "cellClip", 0.0) or 0.0),
                                bool(getattr(opts, "timeMajor", False)))
    ref = job.values[op.outputs[0]]
    if np.abs(seq - ref).max() > 1e-3:  # the float LSTM is not the one simulated (gate order, activations)
        raise ModelError("int16x8 LSTM export: the LSTM is not Keras' standard LSTM (sigmoid gates, tanh cell): "
                         f"its float outputs differ by {np.abs(seq - ref).max():.3g} from the simulated ones")
    job.quant[op.inputs[LSTM_CELL]] = Quant(INT16, np.array([cell_scale(float(np.abs(cells).max()))], np.float32))
    if op.intermediates is not None and len(op.intermediates) > EFFECTIVE_HIDDEN:
        job.quant[op.intermediates[EFFECTIVE_HIDDEN]] = Quant(INT16, out.scale.copy())


def fc_rule(job: Requantizer, op) -> None:
    x = job.activation(op.inputs[0])
    t = job.graph.tensors[op.inputs[1]]
    w = job.weights(op.inputs[1], per_channel=t.quantization is not None and len(t.quantization.scale) > 1)
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        job.bias(op.inputs[2], float(x.scale[0]), w.scale)
    job.activation(op.outputs[0])


def reshape_rule(job: Requantizer, op) -> None:
    job.quant[op.outputs[0]] = Quant(INT16, job.activation(op.inputs[0]).scale.copy())


def softmax_rule(job: Requantizer, op) -> None:
    job.activation(op.inputs[0])
    job.quant[op.outputs[0]] = Quant(INT16, np.array([1.0 / 32768.0], np.float32))


RULES: dict[str, Callable[[Requantizer, object], None]] = {
    "UNIDIRECTIONAL_SEQUENCE_LSTM": lstm_rule,
    "FULLY_CONNECTED": fc_rule,
    "RESHAPE": reshape_rule,
    "SOFTMAX": softmax_rule,
}


def export_lstm_int16x8(model: keras.Model, representative_data: RepresentativeData) -> bytes:
    """A tf_keras model holding LSTM layers as an int16x8 .tflite (int16 input and output) TFLM runs."""
    require_legacy_keras(model, "export_lstm_int16x8")
    samples = _collect_samples(model, representative_data)
    if len(samples[0]) != 1:
        raise ModelError("export_lstm_int16x8: models with one input only")
    template = read_modelt(export_int8(model, representative_data))
    converter = _batch1_converter(model)
    with quiet_stderr():
        float_model = converter.convert()
    floats, ranges, values = _calibrate(template, float_model, samples)
    job = Requantizer(template, floats, ranges, values)
    for op in job.graph.operators:
        kind = op_kind(template, op)
        if kind not in RULES:
            raise ModelError(f"export_lstm_int16x8: no 16x8 rule for {kind} (rules exist for {', '.join(RULES)})")
        RULES[kind](job, op)
    for t in job.graph.inputs:
        job.activation(t)
    _write(job)
    return write_modelt(template)


def _calibrate(template, float_model: bytes, samples: list[list[np.ndarray]]):
    """Template tensor -> float constant, calibrated (min, max), and the calibration values of activations
    (each sample from the zero LSTM state, as Keras sees independent sequences)."""
    fmodel = read_modelt(float_model)
    tg, fg = template.subgraphs[0], fmodel.subgraphs[0]
    kinds = [[op_kind(m, op) for op in g.operators] for m, g in ((template, tg), (fmodel, fg))]
    if kinds[0] != kinds[1]:
        raise ModelError(f"export_lstm_int16x8: the float and int8 conversions differ ({kinds[1]} vs {kinds[0]})")
    pairs = {}
    for top, fop in zip(tg.operators, fg.operators):
        for a, b in list(zip(top.inputs, fop.inputs)) + list(zip(top.outputs, fop.outputs)):
            if a >= 0 and b >= 0:
                pairs[int(a)] = int(b)
    pairs.update({int(a): int(b) for a, b in zip(tg.inputs, fg.inputs)})
    floats = {t: c for t, f in pairs.items() if (c := float_constant(fmodel, fg.tensors[f])) is not None}
    wanted = {t: f for t, f in pairs.items()  # the float activations (not shape constants, not the LSTM states)
              if t not in floats and fg.tensors[f].type == 0 and not fg.tensors[f].isVariable}
    seen: dict[int, list[np.ndarray]] = {t: [] for t in wanted}
    # LiteRT's default kernels, as the LSTM files were first calibrated (the reference FC kernel moves a scale by
    # 1 ulp on the test model: the files' bytes are kept)
    for sample in litert_float_values(float_model, samples, reference_kernels=False):
        for t, f in wanted.items():
            seen[t].append(np.array(sample[f]))
    values = {t: np.stack(v) for t, v in seen.items()}
    ranges = {t: (min(float(v.min()), 0.0), max(float(v.max()), 0.0)) for t, v in values.items()}
    return floats, ranges, values


def _write(job: Requantizer) -> None:
    """The chosen types, quantization and constant bytes into the template (ModelT)."""
    for t, q in job.quant.items():
        tensor = job.graph.tensors[t]
        set_quantization(tensor, q.dtype, q.scale, q.axis)
        if q.data is not None:
            job.model.buffers[tensor.buffer].data = np.frombuffer(q.data.tobytes(), np.uint8)
