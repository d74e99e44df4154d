"""Running a .tflite on the host with LiteRT (ai-edge-litert): predictions, accuracy, and what is inside."""

from __future__ import annotations

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from tfedge.errors import DataError, ModelError

def _interpreter(tflite_bytes: bytes) -> Interpreter:
    try:
        # Builtin kernels without the XNNPACK delegate: deterministic, and the op list shows real ops.
        interpreter = Interpreter(
            model_content=bytes(tflite_bytes),
            experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        )
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"not a loadable .tflite model: {exc}") from exc
    return interpreter


def predict_tflite(tflite_bytes: bytes, x: np.ndarray) -> np.ndarray:
    """Float outputs (dequantized) of a single-input/single-output model for float samples x (N, *input_shape[1:]).

    Float inputs are quantized with the input tensor's scale and zero point, one sample at a time
    (batch 1, as on the device; a batch resize would break models with fixed-shape Reshape).
    """
    interpreter = _interpreter(tflite_bytes)
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    shape = tuple(int(d) for d in inp["shape"])
    x = np.asarray(x)
    if x.shape[1:] == shape[1:]:
        x = x[:, np.newaxis]  # samples stacked along the batch axis, as Keras users hold them
    if x.shape[1:] != shape:
        raise DataError(f"inputs of shape {x.shape} do not fit the model input {shape}: give (N, {', '.join(map(str, shape[1:]))})")
    outputs = []
    for sample in x:
        interpreter.set_tensor(inp["index"], _quantize(sample, inp))
        interpreter.invoke()
        outputs.append(_dequantize(interpreter.get_tensor(out["index"]), out))
    return np.concatenate(outputs, axis=0)


def evaluate_tflite(tflite_bytes: bytes, x: np.ndarray, y: np.ndarray) -> float:
    """Top-1 accuracy of a classifier .tflite; y holds integer labels or one-hot rows."""
    scores = predict_tflite(tflite_bytes, x)
    y = np.asarray(y)
    labels = y.argmax(axis=-1) if y.ndim == scores.ndim and y.shape[-1] == scores.shape[-1] else y.reshape(-1)
    if len(labels) != len(scores):
        raise DataError(f"{len(scores)} inputs but {len(labels)} labels")
    return float(np.mean(scores.reshape(len(scores), -1).argmax(axis=-1) == labels))


def tflite_summary(tflite_bytes: bytes) -> dict:
    """Ops, input/output dtypes, constant-tensor dtypes, and which ops compute in float."""
    interpreter = _interpreter(tflite_bytes)
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    ops = interpreter._get_ops_details()  # the public API has no op list
    produced = {d["index"] for d in interpreter.get_input_details()}
    for op in ops:
        produced.update(int(i) for i in op["outputs"])
    float_ops, constants = [], set()
    for op in ops:
        inputs = [int(i) for i in op["inputs"] if i >= 0]
        constants.update(i for i in inputs if i not in produced)
        if op["op_name"] in ("QUANTIZE", "DEQUANTIZE"):
            continue  # only at float model boundaries, which the io dtypes already report
        if any(np.dtype(tensors[i]["dtype"]).kind == "f" for i in inputs + [int(i) for i in op["outputs"]]):
            float_ops.append(f"{op['op_name']}#{op['index']}")
    return {
        "ops": [op["op_name"] for op in ops],
        "inputs": [np.dtype(d["dtype"]).name for d in interpreter.get_input_details()],
        "outputs": [np.dtype(d["dtype"]).name for d in interpreter.get_output_details()],
        "float_ops": float_ops,
        "constant_dtypes": sorted({np.dtype(tensors[i]["dtype"]).name for i in constants}),
    }


def _quantize(sample: np.ndarray, detail: dict) -> np.ndarray:
    dtype = np.dtype(detail["dtype"])
    if dtype.kind == "f":
        return sample.astype(dtype)
    scale, zero_point = detail["quantization"]
    if np.issubdtype(sample.dtype, np.integer) and sample.dtype == dtype:
        return sample  # already quantized
    if scale == 0:
        raise ModelError("the model's integer input has no quantization scale")
    info = np.iinfo(dtype)
    q = np.round(sample.astype(np.float64) / scale + zero_point)
    return np.clip(q, info.min, info.max).astype(dtype)


def _dequantize(values: np.ndarray, detail: dict) -> np.ndarray:
    scale, zero_point = detail["quantization"]
    if np.dtype(detail["dtype"]).kind == "f" or scale == 0:
        return values.astype(np.float32)
    return ((values.astype(np.float32) - zero_point) * scale).astype(np.float32)


_KERNEL_OPS = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 1, "FULLY_CONNECTED": 1, "TRANSPOSE_CONV": 1}


def tflite_kernels(tflite_bytes: bytes) -> dict[str, tuple[np.ndarray, int]]:
    """Weight tensor name -> (integer values, quantized axis) of every conv/dense op."""
    interpreter = _interpreter(tflite_bytes)
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    found = {}
    for op in interpreter._get_ops_details():
        position = _KERNEL_OPS.get(op["op_name"])
        if position is None or len(op["inputs"]) <= position:
            continue
        detail = tensors[int(op["inputs"][position])]
        found[detail["name"]] = (interpreter.get_tensor(detail["index"]), detail["quantization_parameters"]["quantized_dimension"])
    return found


def tflite_kernel_stats(tflite_bytes: bytes) -> dict:
    """Zero fraction over all conv/dense kernels, and the most distinct values in one output channel.

    Per channel because per-channel scales map the same float cluster centre to different
    integers in different channels; within a channel, clusters survive quantization one to one.
    """
    zeros = total = 0
    most_unique = 0
    for values, axis in tflite_kernels(tflite_bytes).values():
        zeros += int(np.sum(values == 0))
        total += values.size
        for channel in np.moveaxis(values, axis, 0):
            most_unique = max(most_unique, int(np.unique(channel).size))
    return {"sparsity": zeros / total if total else 0.0, "max_unique_weights_per_channel": most_unique}
