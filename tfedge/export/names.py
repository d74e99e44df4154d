"""Tensor names of a Keras 3 export made to read like tf_keras ones: 'model/layer/op'.

The compiler maps each operator to its Keras layer through the tensor names (scope/layer/op). A
Keras 3 model traced in a tf.function enters each layer's name scope a second time, so TensorFlow
suffixes every scope once: layer 'conv2d' becomes 'conv2d_1', layer 'conv2d_1' becomes 'conv2d_1_2'.
Knowing the model's layer names, the suffix is removed where that gives a real layer name. Names
only get shorter, so each string is rewritten in place in the flatbuffer (length prefix, bytes, NUL):
every offset and the buffers' alignment stay as the converter wrote them.
"""

from __future__ import annotations

import re
import struct

import tflite

_SUFFIX = re.compile(r"^(.*)_\d+$")


def clean_keras3_names(tflite_bytes: bytes, model_name: str, layer_names: set[str]) -> bytes:
    """The .tflite with its tensor names' scope suffixes removed (see the module docstring)."""
    buf = bytearray(tflite_bytes)
    model = tflite.Model.GetRootAs(buf, 0)
    for s in range(model.SubgraphsLength()):
        graph = model.Subgraphs(s)
        for i in range(graph.TensorsLength()):
            tensor = graph.Tensors(i)
            slot = tensor._tab.Offset(10)  # the name field (see tflite.Tensor.Name)
            if not slot:
                continue
            where = slot + tensor._tab.Pos
            start = where + struct.unpack_from("<I", buf, where)[0]
            length = struct.unpack_from("<I", buf, start)[0]
            old = bytes(buf[start + 4:start + 4 + length]).decode("utf-8", "replace")
            new = clean_name(old, model_name, layer_names).encode()
            if len(new) < length:
                struct.pack_into("<I", buf, start, len(new))
                buf[start + 4:start + 4 + length + 1] = new + b"\0" * (length - len(new) + 1)
    return bytes(buf)


def clean_name(name: str, model_name: str, layer_names: set[str]) -> str:
    """'functional_1/conv2d_1_2/convolution;...' -> 'functional/conv2d_1/convolution;...'."""
    segments = []
    for segment in name.split(";"):
        parts = segment.split("/")
        if len(parts) >= 3:
            parts[0] = _strip(parts[0], {model_name})
            parts[1] = _strip(parts[1], layer_names)
        segments.append("/".join(parts))
    return ";".join(segments)


def _strip(scope: str, known: set[str]) -> str:
    match = _SUFFIX.match(scope)
    return match.group(1) if match and match.group(1) in known else scope
