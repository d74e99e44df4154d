"""Per-layer kernel variant choice and the compile-time data the fast variants need.

The compiler asks here which kernel a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED layer calls on a
kernel architecture (tfedge.compiler.ARCH_PATHS) and why; the answer lands in the compile report's
layer rows (`variant`, `variant_reason`). Every kernel named here has a portable reference in
firmware/runtime/portable/ with the same signature, so a model compiled for any architecture still
builds and runs (bit-exactly) on the host and on every core; the arch folders hold the fast paths.

Prepared data (all exact integer rearrangements, see docs/kernels.md):
- packed weights: conv output channels in pairs, FC rows in fours, each row zero-padded to a multiple
  of 4 and interleaved 4 bytes at a time, so the inner loop loads the rows it blocks with one LDRD;
- requantization records (tfedge_requant_ch): bias, multiplier and a preset high word that folds the
  rounding of both TFLite roundings and the output zero point into one SMLAL and one shift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tfedge.compiler.arch import kernel_folder

FAST_ARCHS = ("dsp",)  # cores whose kernels use the packed layouts and requantization records (mve: its own conv_s8_nhwc)
E_MIN, E_MAX = 2, 22  # right shifts the one-shift requantization is proven exact for (k_hi stays in int32)


@dataclass(frozen=True)
class Choice:
    kernel: str
    variant: str
    reason: str
    packed: bool = False  # weights in the packed layout
    records: bool = False  # requantization records prepared (tfedge_requant_ch)
    scratch_bytes: int = 0
    const_shape: bool = False  # the kernel body inlined into a per-layer function of model.c (EmitContext.kernel_function)


def requant_records(bias: np.ndarray | None, mults: list[int], shifts: list[int], output_zp: int) -> tuple[list[list[int]] | None, str]:
    """[bias, mult, k_hi, shift] per channel (padded with zero records to a multiple of 4), or None (and
    why) when a channel's shift is outside the range the one-shift form is exact for."""
    n = len(mults)
    b = np.zeros(n, np.int64) if bias is None else np.asarray(bias, np.int64)
    rows = []
    for c, (m, s) in enumerate(zip(mults, shifts)):
        e = -int(s)
        if not E_MIN <= e <= E_MAX or not (1 << 30) <= m < (1 << 31):
            return None, f"channel {c}: multiplier 2^{s} outside the one-shift requantization range"
        rows.append([int(b[c]), int(m), (1 << (e - 2)) + int(output_zp) * (1 << (e - 1)), e - 1])
    rows += [[0, 0, 0, 0]] * (-n % 4)  # padded to whole channel pairs / row groups (zero bias)
    return rows, ""


def pack_conv_weights(w: np.ndarray) -> np.ndarray:
    """[out_c][k...] int8 -> int16 [pair][k_padded/4][2][k0 k2 k1 k3], k_padded a multiple of 8 (odd
    out_c paired with a zero row):
    the inner loop loads each channel's 4 values as two ready [k0 k2], [k1 k3] halfword pairs."""
    out_c = w.shape[0]
    flat = w.reshape(out_c, -1)
    k = flat.shape[1]
    kp = (k + 7) // 8 * 8  # the inner loop takes 8 values per iteration
    rows = np.zeros(((out_c + 1) // 2 * 2, kp), np.int16)
    rows[:out_c, :k] = flat
    groups = rows.reshape(-1, 2, kp // 4, 4)[:, :, :, [0, 2, 1, 3]]
    return groups.transpose(0, 2, 1, 3).reshape(-1)


def pack_fc_weights(w: np.ndarray) -> np.ndarray:
    """[out][in] int8 -> int16 [group of 4 rows][in_padded/4][4 rows][k0 k2 k1 k3] (zero rows pad the last group)."""
    out_f, k = w.shape
    kp = (k + 3) // 4 * 4
    rows = np.zeros(((out_f + 3) // 4 * 4, kp), np.int16)
    rows[:out_f, :k] = w
    groups = rows.reshape(-1, 4, kp // 4, 4)[:, :, :, [0, 2, 1, 3]]
    return groups.transpose(0, 2, 1, 3).reshape(-1)


def widen_depthwise_weights(w: np.ndarray) -> np.ndarray:
    """[1][k_h][k_w][c] int8 -> int16 [c/4][k_h*k_w][c0 c2 c1 c3] (the order SXTB16 / ROR 8 widen inputs in)."""
    c = w.shape[3]
    taps = w.reshape(-1, c).astype(np.int16)  # [tap][c]
    groups = taps.reshape(taps.shape[0], c // 4, 4)[:, :, [0, 2, 1, 3]]  # [tap][group][lane]
    return groups.transpose(1, 0, 2).reshape(-1)


CONST_SHAPE_REASON = ("reference loops inlined into a function of this layer, its shapes and quantization as "
                      "compile-time constants (constant trip counts, folded index arithmetic)")


def _plain(kernel: str, arch: str, reason: str = "") -> Choice:
    """The portable kernel's loops: as a const-shape function of the layer wherever no file of the arch
    replaces that kernel (arch `reference` excepted: the plain-loop baseline), else the plain call, which
    the arch folder's file of that name answers (mve/, armv6m/)."""
    if arch != "reference" and kernel_folder(arch, kernel) == "portable":
        return Choice(kernel, "const_shape", f"{reason}: {CONST_SHAPE_REASON}" if reason else CONST_SHAPE_REASON,
                      const_shape=True)
    return Choice(kernel, "portable", reason or f"{arch} kernels: reference loop")


def conv_choice(arch: str, geo: dict, in_c: int, out_c: int, records_ok: bool, why_not: str) -> Choice:
    if arch not in FAST_ARCHS:
        return _plain("conv_s8_nhwc", arch)
    if not records_ok:
        return _plain("conv_s8_nhwc", arch, f"fast requantization not exact here ({why_not})")
    k = geo["k_h"] * geo["k_w"] * in_c
    kp = (k + 7) // 8 * 8
    scratch = 4 * kp + 8 * ((out_c + 1) // 2 * 2) + kp  # two widened im2col vectors, accumulators, byte row
    one = geo["k_h"] == geo["k_w"] == 1 and geo["pad_top"] == geo["pad_left"] == 0
    if one:
        variant, how = "conv_1x1_matmul", "1x1: matrix multiply, 2 channels x 2 pixels per pass, int16 weights"
    else:
        variant, how = "conv_im2col", f"im2col of {k} values per pixel into a {scratch} B scratch, 2 channels x 2 pixels per pass, int16 weights"
    if in_c % 4:
        how += f"; {in_c} input channels: gathered bytewise then widened"
    return Choice("conv_packed_s8_nhwc", variant, how, packed=True, records=True, scratch_bytes=scratch)


def depthwise_choice(arch: str, in_c: int, depth_multiplier: int, records_ok: bool, why_not: str) -> Choice:
    if arch not in FAST_ARCHS:
        return _plain("depthwise_conv_s8_nhwc", arch)
    if not records_ok:
        return _plain("depthwise_conv_s8_nhwc", arch, f"fast requantization not exact here ({why_not})")
    if depth_multiplier != 1 or in_c % 4:
        return _plain("depthwise_conv_s8_nhwc", arch, f"depth multiplier {depth_multiplier}, {in_c} channels "
                      "(the 4-channel SIMD path needs multiplier 1 and channels % 4 == 0)")
    return Choice("depthwise_conv_packed_s8_nhwc", "depthwise_simd4", "4 channels per word: SXTAB16 inputs, weights "
                  "widened to int16 at compile time, 16x16 MACs; 3x3 windows unrolled (border taps read a "
                  f"{in_c} B row of zero points)", packed=True, records=True, scratch_bytes=in_c)


def fc_choice(arch: str, in_f: int, out_f: int, records_ok: bool, why_not: str) -> Choice:
    if arch not in FAST_ARCHS:
        return _plain("fully_connected_s8", arch)
    if not records_ok:
        return _plain("fully_connected_s8", arch, f"fast requantization not exact here ({why_not})")
    kp = (in_f + 3) // 4 * 4
    return Choice("fully_connected_packed_s8", "fc_rows4", f"4 rows per pass over the input widened once ({2 * kp} B "
                  f"scratch), int16 weights (+{out_f * in_f} B flash)",
                  packed=True, records=True, scratch_bytes=2 * kp)
