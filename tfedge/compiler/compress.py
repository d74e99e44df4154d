"""Clustered weights stored as 4-bit indices plus a codebook (the _c4 kernels decode them).

A layer qualifies when every output channel has at most 16 distinct int8 weights (what clustering
to <= 16 clusters gives, per channel after per-channel quantization). When the whole layer has at most
16 values, one 16-byte codebook serves it (codebook_stride 0); otherwise each channel has its own
(16 bytes per channel): clustering pays most with per-tensor quantized layers or long filters.
Packing: per output channel a row of indices, two per byte, low nibble first, padded to a whole byte.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_K = 1024  # TFEDGE_C4_MAX_K: a conv filter is decoded into a stack buffer of this many bytes
# By default (compress_weights=None) layers are packed only where the int8 kernels are the portable
# loops, so the decoding kernels cost least time (digits CNN on the M3: +1 % against the plain loops,
# +28 % against the const-shape ones: 3.49 M vs 2.72 M instructions, for 22.5 KB of flash instead of
# 31.9 KB). The cores with their own kernels run the dense model much faster (measured: M0 1.6x,
# M4/M7/M33 6x, M55 2.7x), so there packing is opt-in (compress_weights=True: flash first).
FLASH_FIRST_ARCHS = ("portable", "reference")
SAVING = 0.75  # pack only when indices + codebooks are at most this fraction of the int8 weights


@dataclass(frozen=True)
class Codebook:
    indices: np.ndarray  # uint8, out_c rows of ceil(K/2) bytes
    codebook: np.ndarray  # int8, 16 values per channel (stride 16) or 16 for the layer (stride 0)
    stride: int

    @property
    def nbytes(self) -> int:
        return int(self.indices.size + self.codebook.size)


def _pack_rows(idx: np.ndarray) -> np.ndarray:
    rows, k = idx.shape
    padded = np.zeros((rows, k + (k & 1)), np.uint8)
    padded[:, :k] = idx
    return (padded[:, 0::2] | (padded[:, 1::2] << 4)).astype(np.uint8).ravel()


def codebook(rows: np.ndarray) -> Codebook | None:
    """rows: int8 weights as (output channels, weights per channel) in the kernel's order; None unless
    every channel has at most 16 distinct values."""
    rows = np.asarray(rows, np.int8)
    values = np.unique(rows)
    if len(values) <= 16:
        book = np.zeros(16, np.int8)
        book[:len(values)] = values
        return Codebook(_pack_rows(np.searchsorted(values, rows).astype(np.uint8)), book, 0)
    books = np.zeros((rows.shape[0], 16), np.int8)
    idx = np.zeros(rows.shape, np.uint8)
    for c, row in enumerate(rows):
        v = np.unique(row)
        if len(v) > 16:
            return None
        books[c, :len(v)] = v
        idx[c] = np.searchsorted(v, row)
    return Codebook(_pack_rows(idx), books.ravel(), 16)


def decode(cb: Codebook, channels: int, k: int) -> np.ndarray:
    """The int8 weights back, (channels, k): what the kernels compute, for tests."""
    packed = cb.indices.reshape(channels, (k + 1) // 2)
    idx = np.empty((channels, (k + 1) // 2 * 2), np.uint8)
    idx[:, 0::2], idx[:, 1::2] = packed & 15, packed >> 4
    books = cb.codebook.reshape(-1, 16)
    return np.stack([books[c if cb.stride else 0][idx[c, :k]] for c in range(channels)])


def conv_rows(w: np.ndarray, depthwise: bool) -> np.ndarray:
    """Conv filter [out_c][k_h][k_w][in_c] or depthwise [1][k_h][k_w][out_c] as per-channel rows."""
    if depthwise:
        return w.reshape(-1, w.shape[3]).T
    return w.reshape(w.shape[0], -1)


KERNELS = {"conv": "conv_s8_nhwc_c4", "depthwise": "depthwise_conv_s8_nhwc_c4", "fc": "fully_connected_s8_c4"}


def codebook_for(ctx, rows: np.ndarray, kind: str) -> Codebook | None:
    """The codebook a layer's weights are stored as (the compile's policy, ctx.compress_weights, and the layer
    qualifying), or None: the decision of emit, also asked by the emitters choosing the packed kernels."""
    policy = ctx.compress_weights
    if policy is False or (policy is None and ctx.arch not in FLASH_FIRST_ARCHS):
        return None
    if kind != "fc" and rows.shape[1] > MAX_K:
        return None
    cb = codebook(rows)
    if cb is None or cb.nbytes > SAVING * rows.size:  # short filters with per-channel books: not worth the decode
        return None
    return cb


def emit(ctx, rows: np.ndarray, kind: str):
    """(kernel choice, param fields {indices, codebook, codebook_stride} written through the emit context)
    for a clustered layer, or None when it does not qualify (too many values, or a conv filter over MAX_K).
    kind: conv, depthwise or fc."""
    from tfedge.compiler.variants import Choice

    cb = codebook_for(ctx, rows, kind)
    if cb is None:
        return None
    per = "channel" if cb.stride else "layer"
    reason = f"<= 16 values per {per}: 4-bit indices + codebook, {cb.nbytes} B instead of {rows.size} B"
    fields = {"indices": ctx.array("uint8_t", cb.indices, "indices"), "codebook": ctx.array("int8_t", cb.codebook, "codebook"),
              "codebook_stride": cb.stride}
    return Choice(KERNELS[kind], "codebook4", reason), fields
