"""Reads a .tflite flatbuffer into the graph IR (tfedge.compiler.graph).

Uses the `tflite` package (Python code generated from the TFLite schema), never TensorFlow. A file
that is not a sound TFLite flatbuffer raises ModelError: every access into the file is guarded, and
vector lengths are checked against the file size before anything iterates over them, so a corrupt
length cannot make the reader loop for hours.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import tflite

from tfedge.compiler import variables
from tfedge.compiler.graph import Graph, Op, Tensor
from tfedge.errors import ModelError

_OP_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_") and isinstance(v, int)}
_OPTION_NAMES = {v: k for k, v in vars(tflite.BuiltinOptions).items() if not k.startswith("_") and isinstance(v, int)}
_TYPE_NAMES = {v: k for k, v in vars(tflite.TensorType).items() if not k.startswith("_") and isinstance(v, int)}
_NUMPY_TYPES = {"FLOAT32": "float32", "INT32": "int32", "UINT8": "uint8", "INT64": "int64", "INT16": "int16",
                "INT8": "int8", "FLOAT64": "float64", "BOOL": "bool", "FLOAT16": "float16", "UINT32": "uint32"}
MAX_ELEMENTS = 1 << 28  # per tensor; far beyond any microcontroller, small enough to keep sizes exact in int32 C
_option_getters: dict[type, list[tuple[str, str]]] = {}


def read_model(source: str | Path | bytes) -> Graph:
    """Parses a .tflite (path or bytes). Raises ModelError when the file is missing or corrupt."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        buf, name = bytes(source), "model"
    else:
        path = Path(source)
        try:
            buf = path.read_bytes()
        except OSError as exc:
            raise ModelError(f"cannot read {path}: {exc.strerror or exc}") from None
        name = path.stem
    if len(buf) < 16 or buf[4:8] != b"TFL3":
        raise ModelError(f"{name}: not a TFLite flatbuffer (no 'TFL3' identifier); export the model with `tfedge export`")
    try:
        return _read(buf, name)
    except ModelError:
        raise
    except Exception as exc:  # any inconsistency inside the flatbuffer surfaces here as some Python error
        raise ModelError(f"{name}: corrupt .tflite file ({type(exc).__name__}: {exc}); re-export it") from None


def _check_len(n: int, buf: bytes, what: str) -> int:
    if n < 0 or n > len(buf):
        raise ModelError(f"corrupt .tflite file: {what} claims {n} entries in a {len(buf)}-byte file; re-export it")
    return n


def _read(buf: bytes, name: str) -> Graph:
    model = tflite.Model.GetRootAs(buf, 0)
    n_sub = _check_len(model.SubgraphsLength(), buf, "subgraph list")
    if n_sub < 1:
        raise ModelError(f"{name}: the model has no subgraph; re-export it")
    n_buffers = _check_len(model.BuffersLength(), buf, "buffer list")
    n_codes = _check_len(model.OperatorCodesLength(), buf, "operator code list")
    codes = []
    for i in range(n_codes):
        oc = model.OperatorCodes(i)
        code = max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode()))
        kind = _OP_NAMES.get(code, f"BUILTIN_{code}")
        if kind == "CUSTOM":
            custom = oc.CustomCode()
            kind = "CUSTOM:" + _printable(custom.decode("utf-8", "replace") if custom else "?")
        codes.append(kind)
    graph = _read_subgraph(model, model.Subgraphs(0), codes, buf, n_buffers, name)
    if n_sub > 1:  # only CALL_ONCE init subgraphs of resource variables (variables.py); no control flow
        inits = {op.options.get("InitSubgraphIndex") for op in graph.ops if op.kind == "CALL_ONCE"}
        extra = [_read_subgraph(model, model.Subgraphs(k), codes, buf, n_buffers, name) for k in range(1, n_sub)]
        if inits != set(range(1, n_sub)) or not all(variables.is_init_subgraph(sg) for sg in extra):
            raise ModelError(f"{name}: the model has {n_sub} subgraphs; tfedge compiles single-subgraph models "
                             "(no control flow such as WHILE/IF) and resource-variable init subgraphs (CALL_ONCE): "
                             "export without control flow")
        graph.variable_inits = variables.initial_values(extra)
    return graph


def _read_subgraph(model, sub, codes: list[str], buf: bytes, n_buffers: int, name: str) -> Graph:
    n_codes = len(codes)
    tensors = []
    for i in range(_check_len(sub.TensorsLength(), buf, "tensor list")):
        tensors.append(_read_tensor(model, sub.Tensors(i), i, buf, n_buffers))

    ops = []
    n_tensors = len(tensors)
    for i in range(_check_len(sub.OperatorsLength(), buf, "operator list")):
        op = sub.Operators(i)
        opcode = int(op.OpcodeIndex())
        if not 0 <= opcode < n_codes:
            raise ModelError(f"corrupt .tflite file: operator {i} uses operator code {opcode} of {n_codes}")
        inputs = _index_list(op.InputsAsNumpy(), n_tensors, f"operator {i} inputs", buf, allow_omitted=True)
        outputs = _index_list(op.OutputsAsNumpy(), n_tensors, f"operator {i} outputs", buf)
        ops.append(Op(index=i, kind=codes[opcode], inputs=inputs, outputs=outputs, options=_read_options(op)))
    graph_inputs = _index_list(sub.InputsAsNumpy(), n_tensors, "subgraph inputs", buf)
    graph_outputs = _index_list(sub.OutputsAsNumpy(), n_tensors, "subgraph outputs", buf)
    return Graph(tensors=tensors, ops=ops, inputs=graph_inputs, outputs=graph_outputs, name=name)


def _index_list(values, n_tensors: int, what: str, buf: bytes, allow_omitted: bool = False) -> list[int]:
    if isinstance(values, int):  # the generated reader returns 0 for an absent vector
        return []
    _check_len(len(values), buf, what)
    out = [int(v) for v in values]
    for v in out:
        if not (0 <= v < n_tensors or (allow_omitted and v == -1)):
            raise ModelError(f"corrupt .tflite file: {what} refer to tensor {v}, but the model has {n_tensors}")
    return out


def _read_tensor(model, t, index: int, buf: bytes, n_buffers: int) -> Tensor:
    raw_name = t.Name()
    name = _printable(raw_name.decode("utf-8", "replace") if raw_name else f"t{index}")
    shape_np = t.ShapeAsNumpy()
    shape = () if isinstance(shape_np, int) else tuple(int(d) for d in shape_np)
    _check_len(len(shape), buf, f"tensor {index} shape")
    if len(shape) > 8 or any(d < 0 or d > MAX_ELEMENTS for d in shape):
        raise ModelError(f"corrupt .tflite file: tensor {index} ('{name}') has shape {shape}")
    elements = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if elements > MAX_ELEMENTS:
        raise ModelError(f"tensor {index} ('{name}') has {elements} elements: far too large for a microcontroller")
    type_name = _TYPE_NAMES.get(int(t.Type()), f"TYPE_{int(t.Type())}")
    dtype = _NUMPY_TYPES.get(type_name, f"unsupported:{type_name}")

    scale = zero_point = None
    axis = 0
    q = t.Quantization()
    if q is not None:
        s, z = q.ScaleAsNumpy(), q.ZeroPointAsNumpy()
        if not isinstance(s, int) and len(s):
            _check_len(len(s), buf, f"tensor {index} scales")
            scale = np.array(s, dtype=np.float32)
            zero_point = np.zeros(len(scale), np.int64) if isinstance(z, int) else np.array(z, dtype=np.int64)
            axis = int(q.QuantizedDimension())

    data = None
    b = int(t.Buffer())
    if not 0 <= b < max(n_buffers, 1):
        raise ModelError(f"corrupt .tflite file: tensor {index} ('{name}') uses buffer {b} of {n_buffers}")
    if n_buffers:
        raw = _buffer_bytes(model.Buffers(b), buf, b)
        if raw is not None and len(raw):
            if dtype.startswith("unsupported"):
                data = None
            else:
                itemsize = np.dtype(dtype).itemsize
                if len(raw) != elements * itemsize:
                    raise ModelError(f"corrupt .tflite file: tensor {index} ('{name}') holds {len(raw)} bytes, "
                                     f"its shape {shape} of {dtype} needs {elements * itemsize}")
                data = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    return Tensor(index=index, name=name, shape=shape, dtype=dtype, scale=scale, zero_point=zero_point,
                  quant_axis=axis, data=data, variable=bool(t.IsVariable()))


def _buffer_bytes(b, buf: bytes, index: int) -> bytes | None:
    offset = int(b.Offset())
    if offset > 1:  # data stored after the flatbuffer (models > 2 GB layout)
        size = int(b.Size())
        if offset + size > len(buf):
            raise ModelError(f"corrupt .tflite file: buffer {index} points outside the file "
                             f"(bytes {offset}..{offset + size} of {len(buf)})")
        return buf[offset:offset + size]
    data = b.DataAsNumpy()
    if isinstance(data, int):
        return None
    _check_len(len(data), buf, f"buffer {index}")
    return data.tobytes()


def _read_options(op) -> dict:
    kind = int(op.BuiltinOptionsType())
    table = op.BuiltinOptions()
    cls_name = _OPTION_NAMES.get(kind)
    if table is None or cls_name in (None, "NONE"):
        return {}
    cls = getattr(tflite, cls_name, None)
    if cls is None:
        return {}
    obj = cls()
    obj.Init(table.Bytes, table.Pos)
    out: dict = {}
    for key, method in _getters(cls):
        value = getattr(obj, method)()
        if method.endswith("AsNumpy"):
            value = [] if isinstance(value, int) else [int(v) for v in value]
        out[key] = value
    return out


def _getters(cls) -> list[tuple[str, str]]:
    """(option name, method) pairs of a generated options class: its scalar fields and vector fields."""
    if cls not in _option_getters:
        getters = []
        for attr, fn in vars(cls).items():
            if attr.startswith("_") or attr == "Init" or attr.startswith("GetRootAs") or not callable(fn):
                continue
            if attr.endswith(("Length", "IsNone")) or "BufferHasIdentifier" in attr:
                continue
            if len(inspect.signature(fn).parameters) != 1:
                continue
            getters.append((attr[:-7] if attr.endswith("AsNumpy") else attr, attr))
        _option_getters[cls] = getters
    return _option_getters[cls]


def _printable(text: str) -> str:
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)[:200]


def keras_layer_names(g: Graph) -> dict[int, list[str]]:
    """operator index -> the Keras layer(s) it came from, read from the tensor names the TFLite converter
    writes: 'model/layer/op', several joined by ';' when ops were fused (conv + BN + ReLU). An operator
    whose output carries no layer (the model output is 'StatefulPartitionedCall:0') takes its weights'
    name, else the layers of the operator it reads when it is that operator's only reader (the SOFTMAX of
    a Dense(activation='softmax'))."""
    producers, consumers = g.producers(), g.consumers()
    names: dict[int, list[str]] = {}
    for op in g.ops:
        found = [name for t in op.outputs for name in _layers_in(g.tensors[t].name)]
        weights = [t for t in op.inputs[1:2] if t >= 0 and g.tensors[t].is_const]
        owner = [name for t in weights for name in _layers_in(g.tensors[t].name)]
        found = list(dict.fromkeys(owner + found))  # the layer holding the weights first
        if not found and op.inputs and op.inputs[0] >= 0:
            source = producers.get(op.inputs[0])
            if source is not None and len(consumers.get(op.inputs[0], [])) == 1:
                found = names.get(source.index, [])
        names[op.index] = found
    return names


def _layers_in(tensor_name: str) -> list[str]:
    segments = tensor_name.split(";")
    if len(tensor_name) >= 200:
        segments = segments[:-1]  # cut by _printable: the last segment may end mid-name
    # 'scope/layer/op...': the layer is the second part; constants ('arith.constant') and signature
    # outputs ('StatefulPartitionedCall:0') have no layer. Listed in data-flow order (the converter
    # names the fused result first).
    return list(dict.fromkeys(parts[1] for parts in (s.split("/") for s in reversed(segments)) if len(parts) >= 3))
