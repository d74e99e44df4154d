"""Index maps of the data-movement ops, computed with numpy at compile time.

A slice, a transpose or one part of a split reads the input at an affine index map: output element
(i0, i1, ...) comes from input element start + sum(i_k * stride_k). Applying the op to an array of
element numbers (`np.arange(size).reshape(shape)`) with numpy's own indexing gives that map exactly,
with TensorFlow's semantics for masks, negative strides and clamped bounds (tf.strided_slice follows
numpy); `affine` reads start and strides back from it. Used by the op emitters and by constant folding.
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


def index_map(shape: tuple[int, ...], fn) -> np.ndarray:
    """fn applied to the element numbers of a tensor of `shape`."""
    return np.asarray(fn(np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64).reshape(shape)))


def affine(index: np.ndarray) -> tuple[int, list[int], list[int]] | None:
    """(start, dims, strides) with index == start + sum(i_k * strides_k), or None when the map is not affine
    (GATHER with arbitrary indices) or empty. Unit dimensions are dropped and contiguous ones merged."""
    if index.size == 0:
        return None
    start = int(index.flat[0])
    per_axis = [int(index[tuple(1 if a == axis else 0 for a in range(index.ndim))]) - start if n > 1 else 0
                for axis, n in enumerate(index.shape)]
    rebuilt = start + sum(np.arange(n, dtype=np.int64).reshape([n if a == axis else 1 for a in range(index.ndim)]) * s
                          for axis, (n, s) in enumerate(zip(index.shape, per_axis)))
    if not np.array_equal(np.broadcast_to(rebuilt, index.shape), index):
        return None
    dims = [int(n) for n in index.shape if n > 1]
    strides = [s for n, s in zip(index.shape, per_axis) if n > 1]
    merged_d, merged_s = [], []
    for n, s in zip(dims, strides):  # (a, b) with stride_a == stride_b * b: one dimension of a*b
        if merged_d and merged_s[-1] == s * n:
            merged_d[-1] *= n
            merged_s[-1] = s
        else:
            merged_d.append(n)
            merged_s.append(s)
    return start, merged_d or [1], merged_s or [1]
