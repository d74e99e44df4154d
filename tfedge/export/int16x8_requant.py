"""int16x8 for the ops the TFLite converter refuses in 16x8 (PRELU, HARD_SWISH, ...): tfedge quantizes them.

The converter stops with "Quantization to 16x8-bit not yet supported for op" on PRELU and HARD_SWISH although
TFLite Micro has int16 kernels for both. Converted with float fallback instead, the model holds int16x8 ops
(quantized by the converter) around islands of float ops, each island entered through a DEQUANTIZE int16 ->
float and left through a QUANTIZE float -> int16. `requantize_int16x8` turns that file into a full int16x8 one:

- each DEQUANTIZE int16 -> float disappears, its readers read the int16 tensor;
- each QUANTIZE float -> int16 disappears, its input tensor takes the int16 quantization the converter
  calibrated for it (the float op then writes int16 directly);
- the float activations left (between two float ops, or the model's float output) get TFLite's 16x8 activation
  quantization: symmetric int16, zero point 0, scale = max|x| over the calibration samples / 32767
  (calibrated here by running the float-fallback file with LiteRT on the same samples);
- each float op is quantized by the rule of its kind in `RULES` (its constants: weights, alpha, biases),
  and must leave no float tensor behind;
- the model's float input and output become int16, as the converter writes them for `inference_input_type=int16`.

LSTM models take the other route (export/lstm16x8.py, chosen by export_int8): the int8 conversion as template,
with the helpers below (ModelT I/O, 16x8 scales, quantization writer, LiteRT calibration) shared.

Rules (the hook for further ops): `RULES[kind] = fn(ctx: OpContext) -> None`, where
`ctx` gives the op's tensors, their float constant data, the calibrated ranges and helpers to write int16
activations, int8 symmetric constants (per tensor or per channel) and int64/int32 biases. The file is edited
with TensorFlow's flatbuffer object API (`schema_py_generated.ModelT`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tfedge.errors import ModelError

INT16_MAX = 32767
INT8_MAX = 127


def _schema():
    from tensorflow.lite.python import schema_py_generated as schema

    return schema


# Helpers shared with export/lstm16x8.py (the int16x8 LSTM file): ModelT I/O, op kinds, float constants,
# TFLite's 16x8 activation scale, a tensor's quantization, LiteRT calibration.

def read_modelt(tflite: bytes):
    """A .tflite as TensorFlow's flatbuffer object (schema.ModelT), to edit."""
    from tensorflow.lite.tools import flatbuffer_utils

    return flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite))


def write_modelt(model) -> bytes:
    from tensorflow.lite.tools import flatbuffer_utils

    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def op_kind(model, op) -> str:
    """The builtin name of a ModelT operator ("FULLY_CONNECTED")."""
    from tensorflow.lite.tools import flatbuffer_utils

    return flatbuffer_utils.opcode_to_name(model, op.opcodeIndex) or str(op.opcodeIndex)


def float_constant(model, tensor) -> np.ndarray | None:
    """The float32 constant data of a ModelT tensor (None: an activation, or not float32)."""
    data = model.buffers[tensor.buffer].data if tensor.buffer < len(model.buffers) else None
    if data is None or len(data) == 0 or tensor.type != _schema().TensorType.FLOAT32:
        return None
    return np.frombuffer(bytes(bytearray(data)), np.float32).reshape(tuple(int(d) for d in tensor.shape))


def int16_scale(lo: float, hi: float) -> float:
    """TFLite's 16x8 activation scale: max(|min|, |max|) / 32767 (an all-zero tensor still gets a positive scale)."""
    return max(abs(lo), abs(hi), 1e-12) / INT16_MAX


def set_quantization(tensor, ttype: int, scales, axis: int = 0) -> None:
    """A ModelT tensor's type and symmetric quantization (zero points 0): one scale, or one per channel of `axis`."""
    q = _schema().QuantizationParametersT()
    q.scale, q.zeroPoint, q.quantizedDimension = [float(v) for v in scales], [0] * len(scales), int(axis)
    tensor.type, tensor.quantization = ttype, q


def litert_float_values(float_model: bytes, samples: list[list[np.ndarray]], reference_kernels: bool = True):
    """Each sample through the float model (LiteRT, every tensor kept, variables reset first, as Keras sees
    independent sequences): per sample {tensor index: value} of its float32 tensors. reference_kernels=False:
    LiteRT's default (optimized) kernels, whose float sums differ from the reference ones in the last bits."""
    import warnings

    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    with warnings.catch_warnings():  # LiteRT warns that keeping every tensor costs memory: that is the point
        warnings.simplefilter("ignore", UserWarning)
        resolver = OpResolverType.BUILTIN_REF if reference_kernels else OpResolverType.AUTO
        ip = Interpreter(model_content=bytes(float_model), experimental_preserve_all_tensors=True,
                         experimental_op_resolver_type=resolver)
    ip.allocate_tensors()
    inputs = ip.get_input_details()
    # The model's own tensors only: newer LiteRT releases also list interpreter-internal ones after them (indices
    # past the flatbuffer's tensor list, which no caller can name).
    n_model = len(read_modelt(float_model).subgraphs[0].tensors)
    tensors = [d["index"] for d in ip.get_tensor_details()
               if d["index"] < n_model and np.dtype(d["dtype"]) == np.float32]
    for sample in samples:
        ip.reset_all_variables()
        for detail, x in zip(inputs, sample):
            ip.set_tensor(detail["index"], np.asarray(x, detail["dtype"]).reshape(detail["shape"]))
        ip.invoke()
        values = {}
        for i in tensors:
            try:
                values[i] = ip.get_tensor(i)
            except ValueError:  # a tensor LiteRT did not allocate
                continue
        yield values


@dataclass
class OpContext:
    """One float op being quantized: what a rule reads and the helpers it writes with."""

    model: object  # schema.ModelT
    op: object  # schema.OperatorT
    kind: str
    index: int  # operator index in the float-fallback file (for messages)
    ranges: dict[int, tuple[float, float]]  # calibrated (min, max) of every float activation tensor of subgraph 0
    replacement: list | None = None  # set by a rule that rewrites its op into several (schema.OperatorT list)

    @property
    def subgraph(self):
        return self.model.subgraphs[0]

    def tensor(self, i: int):
        return self.subgraph.tensors[i]

    def is_float(self, i: int) -> bool:
        return i >= 0 and self.tensor(i).type == _schema().TensorType.FLOAT32

    def constant(self, i: int) -> np.ndarray | None:
        """The float32 constant data of tensor i (None: an activation)."""
        return float_constant(self.model, self.tensor(i))

    def int16_activation(self, i: int) -> None:
        """TFLite's 16x8 activation quantization of a float activation: symmetric int16 from the calibrated range."""
        if not self.is_float(i):
            return
        if i not in self.ranges:
            raise ModelError(f"int16x8 re-quantizer: operator {self.index} ({self.kind}): tensor {self.name(i)!r} "
                             "has no calibrated range (no sample reached it)")
        set_quantization(self.tensor(i), _schema().TensorType.INT16, [int16_scale(*self.ranges[i])])

    def int8_symmetric(self, i: int, axis: int | None = None) -> None:
        """A float constant as int8 with zero point 0 and scale max|w| / 127, per tensor or per channel along `axis`."""
        w = self.constant(i)
        if w is None:
            raise ModelError(f"int16x8 re-quantizer: operator {self.index} ({self.kind}): {self.name(i)!r} is not a constant")
        w64 = w.astype(np.float64)
        if axis is None:
            scales = np.array([np.max(np.abs(w64)) / INT8_MAX])
            q_scale = scales
        else:
            scales = np.max(np.abs(np.moveaxis(w64, axis, 0).reshape(w.shape[axis], -1)), axis=1) / INT8_MAX
            shape = [1] * w.ndim
            shape[axis] = -1
            q_scale = scales.reshape(shape)
        scales = np.where(scales > 0, scales, 1.0)  # an all-zero channel: any scale gives zeros
        q_scale = np.where(q_scale > 0, q_scale, 1.0)
        q = np.clip(np.round(w64 / q_scale), -INT8_MAX, INT8_MAX).astype(np.int8)
        self._write(i, q)
        set_quantization(self.tensor(i), _schema().TensorType.INT8, scales.astype(np.float32).tolist(), axis or 0)

    def bias(self, i: int, scales: np.ndarray, dtype=np.int64) -> None:
        """A float bias quantized with zero point 0 and the given scale(s) (input scale x weight scale)."""
        b = self.constant(i)
        if b is None:
            raise ModelError(f"int16x8 re-quantizer: operator {self.index} ({self.kind}): bias {self.name(i)!r} is not a constant")
        scales = np.broadcast_to(np.asarray(scales, np.float64), b.shape)
        info = np.iinfo(dtype)
        q = np.clip(np.round(b.astype(np.float64) / scales), info.min, info.max).astype(dtype)
        self._write(i, q)
        types = {np.int64: _schema().TensorType.INT64, np.int32: _schema().TensorType.INT32}
        set_quantization(self.tensor(i), types[dtype], np.asarray(scales, np.float32).ravel().tolist())

    def add_tensor(self, name: str, shape, ttype: int, scale: float, data: np.ndarray | None = None) -> int:
        """A new per-tensor quantized tensor (zero point 0; a constant when `data` is given); its index."""
        schema = _schema()
        buf = schema.BufferT()
        if data is not None:
            buf.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), np.uint8)
        self.model.buffers.append(buf)
        t = schema.TensorT()
        t.name, t.shape, t.buffer = name, list(shape), len(self.model.buffers) - 1
        self.subgraph.tensors.append(t)
        set_quantization(t, ttype, [scale])
        return len(self.subgraph.tensors) - 1

    def new_op(self, kind: str, inputs: list[int], outputs: list[int], options_type: int = 0, options=None):
        """A new builtin operator of `kind` (its operator code added when the model has none)."""
        schema = _schema()
        number = getattr(schema.BuiltinOperator, kind)
        codes = self.model.operatorCodes
        at = next((n for n, c in enumerate(codes) if max(int(c.builtinCode), int(c.deprecatedBuiltinCode)) == number), None)
        if at is None:
            code = schema.OperatorCodeT()
            code.builtinCode, code.deprecatedBuiltinCode, code.version = number, min(number, 127), 1
            codes.append(code)
            at = len(codes) - 1
        op = schema.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = at, list(inputs), list(outputs)
        op.builtinOptionsType, op.builtinOptions = options_type, options
        return op

    def name(self, i: int) -> str:
        n = self.tensor(i).name
        return n.decode() if isinstance(n, bytes) else str(n)

    def _write(self, i: int, values: np.ndarray) -> None:
        """The quantized values into a buffer of tensor i's own: the converter shares one buffer between equal
        constants, and another tensor on the old buffer may still be float (unused buffers are emptied at the end)."""
        buf = _schema().BufferT()
        buf.data = np.frombuffer(np.ascontiguousarray(values).tobytes(), np.uint8)
        self.model.buffers.append(buf)
        self.tensor(i).buffer = len(self.model.buffers) - 1


Rule = Callable[[OpContext], None]
RULES: dict[str, Rule] = {}


def rule(*kinds: str) -> Callable[[Rule], Rule]:
    """Register fn as the int16x8 quantization rule of these op kinds."""
    def register(fn: Rule) -> Rule:
        for kind in kinds:
            RULES[kind] = fn
        return fn
    return register


@rule("PRELU")
def _prelu(ctx: OpContext) -> None:
    """TFLM's int16 PRELU reads int16 input and output and an int8 alpha (PreluPrepare insists on int8);
    alpha is quantized as the converter does for int8 PRELU: per tensor, symmetric, max|alpha| / 127."""
    x, alpha = ctx.op.inputs[0], ctx.op.inputs[1]
    ctx.int16_activation(x)
    if ctx.constant(alpha) is None:
        raise ModelError(f"int16x8 re-quantizer: operator {ctx.index} (PRELU): alpha must be a constant")
    ctx.int8_symmetric(alpha)
    ctx.int16_activation(ctx.op.outputs[0])


@rule("HARD_SWISH")
def _hard_swish(ctx: OpContext) -> None:
    """Neither TFLM nor LiteRT has an int16 HARD_SWISH kernel (both stop at invoke: "Unsupported type INT16",
    "Only float32, uint8 and int8 are supported"), so an int16 HARD_SWISH file would run nowhere. tfedge writes
    x * relu6(x + 3) / 6 with ops both run in int16x8 instead: r = ADD(x, 3) with fused RELU6, m = MUL(x, r),
    y = MUL(m, 1/6). The new tensors' ranges follow from x's calibrated range (r = clip(x + 3, 0, 6); m's extremes
    are at the range's ends or at x = -1.5); the constants 3 and 1/6 are int16 at scale c / 32767 (exact)."""
    schema = _schema()
    x, y = ctx.op.inputs[0], ctx.op.outputs[0]
    ctx.int16_activation(x)
    ctx.int16_activation(y)
    lo, hi = ctx.ranges[x]
    shape, name = list(ctx.tensor(x).shape), ctx.name(y)
    r_hi = float(np.clip(hi + 3.0, 0.0, 6.0))
    ends = [v * float(np.clip(v + 3.0, 0.0, 6.0)) for v in (lo, hi)] + ([-2.25] if lo < -1.5 < hi else [])
    full = np.int16(INT16_MAX)
    c3 = ctx.add_tensor(f"{name}/three", [], schema.TensorType.INT16, 3.0 / INT16_MAX, np.array(full))
    c6 = ctx.add_tensor(f"{name}/one_sixth", [], schema.TensorType.INT16, 1.0 / 6.0 / INT16_MAX, np.array(full))
    r = ctx.add_tensor(f"{name}/relu6_x_plus_3", shape, schema.TensorType.INT16, int16_scale(0.0, r_hi))
    m = ctx.add_tensor(f"{name}/x_times_relu6", shape, schema.TensorType.INT16, int16_scale(min(ends), max(ends)))
    add = schema.AddOptionsT()
    add.fusedActivationFunction, add.potScaleInt16 = schema.ActivationFunctionType.RELU6, False
    mul = schema.MulOptionsT()
    mul.fusedActivationFunction = schema.ActivationFunctionType.NONE
    mul2 = schema.MulOptionsT()
    mul2.fusedActivationFunction = schema.ActivationFunctionType.NONE
    ctx.replacement = [ctx.new_op("ADD", [x, c3], [r], schema.BuiltinOptions.AddOptions, add),
                       ctx.new_op("MUL", [x, r], [m], schema.BuiltinOptions.MulOptions, mul),
                       ctx.new_op("MUL", [m, c6], [y], schema.BuiltinOptions.MulOptions, mul2)]


@dataclass
class Requantized:
    tflite: bytes
    ops: list[str]  # "PRELU#3": the ops tfedge quantized (operator indices of the float-fallback file)


def requantize_int16x8(mixed: bytes, float_model: bytes, samples: list[list[np.ndarray]]) -> Requantized:
    """Full int16x8 .tflite from a converter output with float islands (see the module doc).

    float_model: the same model converted without quantization (the calibration runs it: LiteRT cannot run
    every int16 op of the mixed file, e.g. SQUARED_DIFFERENCE); samples: the calibration samples, each [one
    float (1, ...) array per model input], as export_int8 holds them.
    """
    schema = _schema()
    model = read_modelt(mixed)
    if len(model.subgraphs) != 1:
        raise ModelError("int16x8 re-quantizer: only single-subgraph models are handled")
    sg = model.subgraphs[0]
    F32 = schema.TensorType.FLOAT32

    def is_float(i: int) -> bool:
        return i >= 0 and sg.tensors[i].type == F32

    def has_data(i: int) -> bool:
        b = sg.tensors[i].buffer
        return b < len(model.buffers) and model.buffers[b].data is not None and len(model.buffers[b].data) > 0

    kinds = [op_kind(model, op) for op in sg.operators]
    float_ops = [n for n, (op, kind) in enumerate(zip(sg.operators, kinds))
                 if kind not in ("QUANTIZE", "DEQUANTIZE") and any(is_float(i) for i in [*op.inputs, *op.outputs])]
    missing = sorted({kinds[n] for n in float_ops if kinds[n] not in RULES})
    if missing:
        raise ModelError(f"int16x8: the converter left {', '.join(missing)} float and tfedge has no int16x8 rule for "
                         f"{'it' if len(missing) == 1 else 'them'} (tfedge quantizes {', '.join(sorted(RULES))}); "
                         "export int8 instead, or replace those layers")
    by_name = _calibrate(float_model, samples)
    ranges = {}
    for i, t in enumerate(sg.tensors):  # the float tensors' ranges, found by name in the float model
        name = t.name.decode() if isinstance(t.name, bytes) else str(t.name)
        # a DEQUANTIZE's output is the int16 tensor's name + "_float"
        for candidate in (name, name.removesuffix("_float")):
            if t.type == F32 and not has_data(i) and candidate in by_name:
                ranges[i] = by_name[candidate]
                break

    # Drop the DEQUANTIZE int16 -> float and QUANTIZE float -> int16 at the islands' edges and the model's ends.
    merge: dict[int, int] = {}  # float tensor -> the int16 tensor standing for it
    keep = []  # (operator index in the float-fallback file, op, kind)
    for n, (op, kind) in enumerate(zip(sg.operators, kinds)):
        if kind == "DEQUANTIZE" and not is_float(op.inputs[0]) and sg.tensors[op.inputs[0]].type == schema.TensorType.INT16:
            merge[op.outputs[0]] = op.inputs[0]
            continue
        if kind == "QUANTIZE" and is_float(op.inputs[0]) and sg.tensors[op.outputs[0]].type == schema.TensorType.INT16 \
                and op.inputs[0] not in merge:
            merge[op.inputs[0]] = op.outputs[0]
            continue
        keep.append((n, op, kind))

    def resolve(i: int) -> int:
        while i in merge:
            i = merge[i]
        return i

    sg.operators = [op for _, op, _ in keep]
    for op in sg.operators:
        op.inputs = [resolve(int(i)) if i >= 0 else int(i) for i in op.inputs]
        op.outputs = [resolve(int(i)) for i in op.outputs]
    sg.inputs = [resolve(int(i)) for i in sg.inputs]
    sg.outputs = [resolve(int(i)) for i in sg.outputs]
    for signature in model.signatureDefs or []:
        for tmap in [*(signature.inputs or []), *(signature.outputs or [])]:
            tmap.tensorIndex = resolve(int(tmap.tensorIndex))
    # The merged float tensors' ranges belong to the int16 tensors now standing for them.
    for f, q in list(merge.items()):
        if f in ranges:
            ranges.setdefault(resolve(q), ranges[f])

    done = []
    for index, op, kind in keep:
        if index not in float_ops:
            continue
        ctx = OpContext(model, op, kind, index, ranges)
        RULES[kind](ctx)
        new_ops = ctx.replacement if ctx.replacement is not None else [op]
        left = sorted({ctx.name(i) for o in new_ops for i in [*o.inputs, *o.outputs] if is_float(i)})
        if left:
            raise ModelError(f"int16x8 re-quantizer: the {kind} rule left float tensors {left}")
        if ctx.replacement is not None:
            at = sg.operators.index(op)
            sg.operators[at:at + 1] = new_ops
        done.append(f"{kind}#{index}")
    floats = [i for i in {*sg.inputs, *sg.outputs} if is_float(i)]
    if floats:  # a model input read only by QUANTIZE to int8 (not int16x8): nothing to make of it here
        raise ModelError(f"int16x8 re-quantizer: model inputs/outputs {floats} stay float")
    _drop_unused_tensors(model)
    return Requantized(write_modelt(model), done)


def _calibrate(float_model: bytes, samples: list[list[np.ndarray]]) -> dict[str, tuple[float, float]]:
    """(min, max) of each tensor of the float model over the samples, by tensor name; ranges include 0, as the
    converter's calibration."""
    names = {i: (t.name.decode() if isinstance(t.name, bytes) else str(t.name))
             for i, t in enumerate(read_modelt(float_model).subgraphs[0].tensors)}
    found: dict[str, tuple[float, float]] = {}
    for values in litert_float_values(float_model, samples):
        for i, value in values.items():
            if value.size:
                lo, hi = found.get(names[i], (0.0, 0.0))
                found[names[i]] = (min(lo, float(np.min(value))), max(hi, float(np.max(value))))
    return found


def _drop_unused_tensors(model) -> None:
    """Remove the tensors no op or model input/output refers to any more (renumbering the rest)."""
    sg = model.subgraphs[0]
    used = sorted({int(i) for op in sg.operators for i in [*op.inputs, *op.outputs] if i >= 0}
                  | {int(i) for i in sg.inputs} | {int(i) for i in sg.outputs})
    new = {old: n for n, old in enumerate(used)}
    sg.tensors = [sg.tensors[i] for i in used]
    for op in sg.operators:
        op.inputs = [new[int(i)] if i >= 0 else int(i) for i in op.inputs]
        op.outputs = [new[int(i)] for i in op.outputs]
        if op.intermediates is not None and len(op.intermediates):
            op.intermediates = [new[int(i)] for i in op.intermediates if int(i) in new]
    sg.inputs = [new[int(i)] for i in sg.inputs]
    sg.outputs = [new[int(i)] for i in sg.outputs]
    for signature in model.signatureDefs or []:  # signatures name model inputs/outputs by tensor index
        for tmap in [*(signature.inputs or []), *(signature.outputs or [])]:
            tmap.tensorIndex = new[int(tmap.tensorIndex)]
    referenced = {int(t.buffer) for t in sg.tensors} | {int(m.buffer) for m in model.metadata or []}
    for n, buf in enumerate(model.buffers):  # buffers keep their numbers; unreferenced ones are emptied
        if n not in referenced:
            buf.data = None
