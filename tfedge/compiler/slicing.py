"""Index maps of the data-movement ops, computed with numpy at compile time.

A slice, a transpose, a broadcast or one part of a split reads the input at an affine index map:
output element (i0, i1, ...) comes from input element start + sum(i_k * stride_k). Applying the op with
numpy's own indexing to a view of an uninitialised int8 buffer of the input's size gives that map as
the resulting view's offset and strides (TensorFlow's semantics for masks, negative strides and clamped
bounds: tf.strided_slice follows numpy), without touching one element. Used by the op emitters and by
constant folding.
"""

from __future__ import annotations

import numpy as np


def strided_slice_key(rank: int, begin, end, strides, options: dict) -> tuple:
    """The numpy index of a STRIDED_SLICE (sparse spec: begin/end/strides with the five masks)."""
    o = {k: int(options.get(k, 0) or 0) for k in ("BeginMask", "EndMask", "EllipsisMask", "NewAxisMask",
                                                     "ShrinkAxisMask")}
    offset = bool(options.get("Offset", False))
    key = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        b, e, s = int(b), int(e), int(s)
        bit = 1 << i
        if o["EllipsisMask"] & bit:
            key.append(Ellipsis)
        elif o["NewAxisMask"] & bit:
            key.append(None)
        elif o["ShrinkAxisMask"] & bit:
            key.append(b)
        else:
            if s == 0:
                raise ValueError("stride 0")
            if offset:
                e = b + e
            key.append(slice(None if o["BeginMask"] & bit else b, None if o["EndMask"] & bit else e, s))
    if sum(k is Ellipsis for k in key) > 1:
        raise ValueError("more than one ellipsis")
    return tuple(key)


def index_view(shape: tuple[int, ...], fn) -> tuple[np.ndarray, int]:
    """(fn applied to a lazily allocated, never read int8 buffer of `shape`, the result's offset in
    elements): the view's strides and that offset are the op's index map. Raises ValueError when fn does
    not return a view of the buffer (the map is not affine)."""
    size = int(np.prod(shape, dtype=np.int64))
    base = np.empty(max(size, 1), dtype=np.int8)
    view = np.asarray(fn(base[:size].reshape(shape)))
    if view.size == 0:
        return view, 0
    if not np.shares_memory(view, base):
        raise ValueError("not a strided view of the input")
    return view, int(view.__array_interface__["data"][0] - base.__array_interface__["data"][0])


def affine(view: np.ndarray, itemsize: int = 1) -> tuple[list[int], list[int]]:
    """(dims, strides) of an index view in bytes of elements of `itemsize` bytes (int8: elements; int16:
    each element's two bytes are one more innermost dimension, so one byte-copy kernel serves both types):
    unit dimensions dropped, contiguous ones merged (a pair (a, b) with stride_a == stride_b * b is one
    dimension of a * b)."""
    dims, strides = [], []
    pairs = [(n, s * itemsize) for n, s in zip(view.shape, view.strides)] + ([(itemsize, 1)] if itemsize > 1 else [])
    for n, s in pairs:
        if n == 1:
            continue
        if dims and strides[-1] == s * n:
            dims[-1] *= n
            strides[-1] = s
        else:
            dims.append(int(n))
            strides.append(int(s))
    return dims or [1], strides or [1]
