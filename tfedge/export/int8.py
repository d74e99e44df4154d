"""Full-integer TFLite export with the TFLite converter.

The converter silently keeps float ops when it may; a model meant for an int8 microcontroller
runtime must not, so only integer builtins are allowed unless the caller asks for float fallback.
The representative data is checked (shape, finite values) before the converter sees it, because
the converter's own errors about it are cryptic or, for NaNs, absent (it calibrates to garbage).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
import re
from typing import Union

import numpy as np

from tfedge._tf import is_keras3_model, keras, quiet_stderr, require_legacy_keras, tf
from tfedge.errors import DataError, ModelError
from tfedge.export.litert import tflite_summary
from tfedge.export.names import clean_keras3_names

RepresentativeData = Union[np.ndarray, list, tuple, Callable[[], Iterable]]


def export_int8(
    model: keras.Model,
    representative_data: RepresentativeData,
    *,
    int16x8: bool = False,
    allow_float_fallback: bool = False,
    per_channel: bool = True,
    notes: list[str] | None = None,
) -> bytes:
    """Convert a tf_keras or Keras 3 model to a fully-quantized .tflite and return its bytes.

    representative_data: an array of samples (N, *input_shape[1:]) (or (N, *input_shape)), a
    list/tuple of such arrays for a multi-input model, or a callable returning an iterable of
    samples (each an array, or a list of arrays, one per input) as the TFLite converter expects.
    Inputs/outputs are int8 (int16 with int16x8=True, whose activations are int16 and weights int8).
    int16x8: ops the converter refuses in 16x8 ("not yet supported for op": PRELU, ...) are quantized by tfedge
    (export/int16x8_requant.py) when it has a rule for them; a refused LSTM makes tfedge write the whole int16x8
    LSTM file (export/lstm16x8.py); `notes` (a list) then receives a line naming what tfedge quantized.
    """
    if not is_keras3_model(model):  # the converter traces Keras 3 models as they are
        require_legacy_keras(model, "export_int8")
    samples = _collect_samples(model, representative_data)

    try:
        return _convert(model, samples, int16x8, allow_float_fallback, per_channel)
    except _Refused16x8 as refusal:
        if "UNIDIRECTIONAL_SEQUENCE_LSTM" in refusal.ops.split(", "):
            return _lstm_int16x8(model, representative_data, refusal.ops, notes)
        from tfedge.export.int16x8_requant import requantize_int16x8

        # The converter with float fallback keeps the refused ops float between DEQUANTIZE/QUANTIZE; tfedge
        # quantizes those islands itself (or says which ops it has no rule for).
        mixed = _convert(model, samples, True, True, per_channel, io_type=tf.float32)
        try:
            result = requantize_int16x8(mixed, _float_tflite(model), samples)
        except ModelError as exc:
            raise ModelError(f"export_int8: the TFLite converter refuses {refusal.ops} in 16x8, and {exc}") from exc
        if notes is not None:
            notes.append(f"int16x8: the TFLite converter refuses {refusal.ops} in 16x8; tfedge quantized "
                         f"{', '.join(result.ops)} itself (int16 activations, int8 constants; export/int16x8_requant.py)")
        return result.tflite


def _lstm_int16x8(model: keras.Model, representative_data: RepresentativeData, refused: str,
                  notes: list[str] | None) -> bytes:
    """A refused LSTM: the re-quantizer has no LSTM rule (its cell state and gate values are no tensors of the
    float-fallback file), export/lstm16x8.py writes the whole int16x8 file from the int8 conversion instead."""
    from tfedge.export.lstm16x8 import export_lstm_int16x8

    try:
        tflite = export_lstm_int16x8(model, representative_data)
    except ModelError as exc:
        raise ModelError(f"export_int8: the TFLite converter refuses {refused} in 16x8, and {exc}") from exc
    if notes is not None:
        notes.append(f"int16x8: the TFLite converter refuses {refused} in 16x8; tfedge wrote the int16x8 LSTM file "
                     "itself from the int8 conversion (int16 activations and states, int8 weights, int64 biases; "
                     "export/lstm16x8.py)")
    return tflite


def _float_tflite(model: keras.Model) -> bytes:
    """The model converted without quantization (tensor names as in the quantized conversions): calibration."""
    with quiet_stderr():
        tflite = _batch1_converter(model).convert()
    if is_keras3_model(model):
        tflite = clean_keras3_names(tflite, model.name, {layer.name for layer in model.layers})
    return tflite


class _Refused16x8(Exception):
    """The converter's "Quantization to 16x8-bit not yet supported for op" (the ops it names in `ops`)."""

    def __init__(self, ops: str):
        super().__init__(ops)
        self.ops = ops


def _convert(model, samples, int16x8: bool, allow_float_fallback: bool, per_channel: bool, io_type=None) -> bytes:
    converter = _batch1_converter(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: iter(samples)
    if int16x8:
        ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        io_type = io_type or tf.int16
    else:
        ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        io_type = io_type or tf.int8
    if allow_float_fallback:
        ops.append(tf.lite.OpsSet.TFLITE_BUILTINS)
    converter.target_spec.supported_ops = ops
    if io_type is not tf.float32:  # float32: the file keeps float I/O (the int16x8 re-quantizer's input)
        converter.inference_input_type = io_type
        converter.inference_output_type = io_type
    # Private switch, but the only way to ask the converter for per-tensor weight scales.
    converter._experimental_disable_per_channel = not per_channel

    try:
        with quiet_stderr() as chatter:  # the converter prints a summary line straight to fd 2
            tflite = converter.convert()
    except Exception as exc:  # the converter raises ConverterError / RuntimeError / ValueError
        detail = _short_converter_message(exc, chatter.text)
        refused = _REFUSED_16X8.findall(detail)
        if int16x8 and refused and not allow_float_fallback:
            raise _Refused16x8(", ".join(dict.fromkeys(op.upper() for op in refused))) from exc
        if "neither a custom op nor a flex op" in detail:
            fix = "that op has no TFLite builtin kernel: replace the layer that uses it"
        elif not allow_float_fallback:
            fix = "pass allow_float_fallback=True to keep those ops in float (the model then needs a float runtime)"
        else:
            fix = "replace the layers named above with quantizable ones"
        raise ModelError(f"export_int8: the TFLite converter failed: {detail}; {fix}") from exc

    if is_keras3_model(model):
        tflite = clean_keras3_names(tflite, model.name, {layer.name for layer in model.layers})
    if not allow_float_fallback:
        float_ops = tflite_summary(tflite)["float_ops"]
        if float_ops:
            raise ModelError(
                f"export_int8: these ops have no integer kernel and would stay float: {', '.join(float_ops)}; "
                "replace the layers that produce them, or pass allow_float_fallback=True to accept float ops"
            )
    return tflite


_REFUSED_16X8 = re.compile(r"16x8-bit not yet supported for op:? *'?(?:tfl\.)?(\w+)")


def _batch1_converter(model: keras.Model) -> tf.lite.TFLiteConverter:
    """Trace the model with batch size 1, as a microcontroller runs it.

    from_keras_model keeps the batch dimension dynamic, which turns every Reshape/Flatten into a
    SHAPE/STRIDED_SLICE/PACK sub-graph; a static batch of 1 gives plain RESHAPE ops and fixed shapes.
    """
    specs = [tf.TensorSpec((1, *t.shape[1:]), t.dtype, name=f"input_{i}") for i, t in enumerate(model.inputs)]

    @tf.function
    def serve(*inputs):
        return model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)

    trackable = model
    if is_keras3_model(model):
        # Keras 3 variables wrap tf.Variables the converter does not find through the model (it
        # then leaves READ_VARIABLE ops that fail at calibration); a module holding them freezes them.
        trackable = tf.Module()
        trackable.variables_ = [getattr(v, "value", v) for v in model.variables]
    return tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function(*specs)], trackable)


def _input_shapes(model: keras.Model) -> list[tuple]:
    return [tuple(t.shape) for t in model.inputs]


def validate_representative_data(model: keras.Model, data: RepresentativeData) -> None:
    """Raise DataError for data export_int8 would refuse, without converting (for up-front checks)."""
    _collect_samples(model, data)


def _collect_samples(model: keras.Model, data: RepresentativeData) -> list[list[np.ndarray]]:
    """Materialize and validate the representative data: a list of samples, each [one (1, ...) array per input]."""
    shapes = _input_shapes(model)
    if callable(data):
        raw = [item if isinstance(item, (list, tuple)) else [item] for item in data()]
    else:
        arrays = list(data) if isinstance(data, (list, tuple)) else [data]
        if len(arrays) != len(shapes):
            raise DataError(
                f"representative data: the model has {len(shapes)} inputs but {len(arrays)} array(s) were given"
            )
        arrays = [np.asarray(a) for a in arrays]
        counts = {len(a) for a in arrays if a.ndim > 0}
        if len(counts) != 1:
            raise DataError(f"representative data: the input arrays hold different sample counts {sorted(counts)}")
        n = counts.pop()
        raw = [[a[i] for a in arrays] for i in range(n)]
    if not raw:
        raise DataError("representative data is empty: give at least one sample (a few hundred is typical)")

    samples = []
    for index, sample in enumerate(raw):
        if len(sample) != len(shapes):
            raise DataError(
                f"representative data sample {index}: has {len(sample)} array(s), the model has {len(shapes)} input(s)"
            )
        samples.append([_check_sample(np.asarray(x), shape, index, k) for k, (x, shape) in enumerate(zip(sample, shapes))])
    return samples


def _check_sample(x: np.ndarray, shape: tuple, index: int, input_index: int) -> np.ndarray:
    expected = tuple(1 if d is None else d for d in shape)
    if x.ndim == len(shape) - 1:
        x = x[np.newaxis]
    fits = x.ndim == len(shape) and x.shape[0] == 1 and all(
        want is None or want == got for want, got in zip(shape[1:], x.shape[1:])
    )
    if not fits:
        raise DataError(
            f"representative data sample {index} (input {input_index}): shape {x.shape} does not match the "
            f"model input {_shape_text(shape)}; give samples shaped {expected[1:]} "
            f"(an array of shape {_shape_text((None, *expected[1:]))})"
        )
    if not np.issubdtype(x.dtype, np.number) and x.dtype != np.bool_:
        raise DataError(f"representative data sample {index}: dtype {x.dtype} is not numeric")
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        bad = "NaN" if np.isnan(x).any() else "infinite"
        raise DataError(
            f"representative data sample {index} (input {input_index}) contains {bad} values; "
            "clean or drop such samples (they would make the calibrated ranges meaningless)"
        )
    return x


def _shape_text(shape: tuple) -> str:
    return "(" + ", ".join("N" if d is None else str(d) for d in shape) + ")"


def _short_converter_message(exc: Exception, stderr_text: str = "") -> str:
    """The converter dumps MLIR locations and stack traces; keep the lines that say what failed."""
    lines = [line.strip() for line in (str(exc) + "\n" + stderr_text).splitlines() if line.strip()]
    keep = [line for line in lines if "error:" in line or "not supported" in line.lower() or "quantiz" in line.lower()]
    text = "; ".join(dict.fromkeys(keep or lines[-3:]))
    return text[:1500]
