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

EXPAND_ARCHS = ("dsp", "mve", "armv6m")  # requantization tables compact in flash, expanded into the arena (portable/requant_expand.c)
FAST_ARCHS = ("dsp",)  # cores whose kernels use the packed layouts and requantization records (mve: its own conv_s8_nhwc)
E_MIN = 2  # right shifts from which the one-shift requantization is exact (2^(e-2) must be an integer)
K_HI_LIMIT = 1 << 30  # |k_hi| below this: acc * mult + k_hi * 2^32 cannot leave int64 (e <= 24 for every zero point)
GENERAL = 32  # record.shift >= GENERAL: the kernels requantize this channel with TFLM's two-step form (k_hi = shift)
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


@dataclass(frozen=True)
class Choice:
    kernel: str
    variant: str
    reason: str
    packed: bool = False  # weights in the packed layout
    records: bool = False  # requantization records prepared (tfedge_requant_ch)
    scratch_bytes: int = 0
    const_shape: bool = False  # the kernel body inlined into a per-layer function of model.c (EmitContext.kernel_function)


def mbqm(acc: int, m: int, s: int) -> int:
    """TFLite MultiplyByQuantizedMultiplier(acc, m, s) in exact integers (left shift wrapping in int32 as TFLM)."""
    x = (((acc << max(s, 0)) + (1 << 31)) % (1 << 32)) - (1 << 31)
    if x == m == I32_MIN:
        return I32_MAX
    h = (x * m + (1 << 30)) >> 31  # SaturatingRoundingDoublingHighMul: the truncation with its nudge is this floor
    e = max(-s, 0)
    mask = (1 << e) - 1
    return (h >> e) + (1 if (h & mask) > (mask >> 1) + (1 if h < 0 else 0) else 0)


def requantize(acc: int, m: int, s: int, zp: int, act_min: int, act_max: int) -> int:
    """One output as TFLM computes it: MBQM, + output zero point (int32 wrap), clamp."""
    v = ((mbqm(acc, m, s) + zp + (1 << 31)) % (1 << 32)) - (1 << 31)
    return min(max(v, act_min), act_max)


def constant_channels(rows: np.ndarray, bias: np.ndarray | None, input_zp: int, mults: list[int], shifts: list[int],
                      zp: int, act_min: int, act_max: int) -> list[int | None]:
    """Per output channel the int8 value it outputs for every input, or None. rows: the channel's int8 weights
    (out_c, k). The accumulator of any input lies in [bias + lo, bias + hi] (each x - input_zp in [-128 - zp_in,
    127 - zp_in], padding taps 0); requantization is monotonic there unless a left shift can wrap, so equal
    outputs at both ends prove a constant (all-zero filters, multipliers too small for the range, clamped)."""
    w = np.asarray(rows, np.int64)
    lo_x, hi_x = -128 - int(input_zp), 127 - int(input_zp)
    pos, neg = np.where(w > 0, w, 0).sum(axis=1), np.where(w < 0, w, 0).sum(axis=1)
    lo, hi = pos * lo_x + neg * hi_x, pos * hi_x + neg * lo_x
    b = np.zeros(len(w), np.int64) if bias is None else np.asarray(bias, np.int64)
    out: list[int | None] = []
    for c in range(len(w)):
        a, z = int(b[c] + lo[c]), int(b[c] + hi[c])
        m, s = int(mults[c]), int(shifts[c])
        if a < I32_MIN or z > I32_MAX or (s > 0 and max(-a, z) >= (1 << (31 - s))):
            out.append(None)  # the int32 sum or the left shift could wrap: not monotonic, nothing proven
            continue
        va, vz = requantize(a, m, s, zp, act_min, act_max), requantize(z, m, s, zp, act_min, act_max)
        out.append(va if va == vz else None)
    return out


@dataclass(frozen=True)
class Records:
    rows: list[list[int]]  # tfedge_requant_ch per channel, padded with zero records to a multiple of 4
    general: int  # channels on TFLM's two-step form (the kernels' per-channel slow path)
    constant: int  # channels whose record outputs a constant (mult 0)
    compact: "CompactTables | None" = None  # the same records as compact flash words (compact_records)
    dense: "CompactTables | None" = None  # and as bit streams (compact_records(dense=True))


def channel_record(bias: int, m: int, s: int, zp: int, const: int | None = None) -> list[int]:
    """[bias, mult, k_hi, shift] of one channel. The one-shift form (docs/kernels.md) where it is exact:
    right shift e >= 2, m in [2^30, 2^31), |k_hi| < 2^30. A provably constant channel c gets mult 0, k_hi
    2c + 1, shift 1: the preset alone then gives c for either accumulator sign. Any other channel is marked
    GENERAL (k_hi holds TFLite's shift) and requantized exactly as TFLM does."""
    if const is not None:
        return [0, 0, 2 * int(const) + 1, 1]
    e = -int(s)
    if e >= E_MIN and (1 << 30) <= m < (1 << 31):
        k_hi = (1 << (e - 2)) + int(zp) * (1 << (e - 1))
        if abs(k_hi) < K_HI_LIMIT:
            return [int(bias), int(m), k_hi, e - 1]
    return [int(bias), int(m), int(s), GENERAL]


def requant_records(bias: np.ndarray | None, mults: list[int], shifts: list[int], output_zp: int,
                    constants: list[int | None] | None = None) -> Records:
    """Records for every channel (padded to a multiple of 4 with zero records): fast, constant or general."""
    n = len(mults)
    b = np.zeros(n, np.int64) if bias is None else np.asarray(bias, np.int64)
    consts = constants or [None] * n
    rows = [channel_record(int(b[c]), int(m), int(s), output_zp, consts[c]) for c, (m, s) in enumerate(zip(mults, shifts))]
    general = sum(r[3] >= GENERAL for r in rows)
    rows += [[0, 0, 0, 0]] * (-n % 4)  # padded to whole channel pairs / row groups (zero bias)
    return Records(rows, general, sum(c is not None for c in consts), compact_records(bias, mults, shifts, consts),
                   compact_records(bias, mults, shifts, consts, dense=True))


# ---- compact requantization tables (portable/requant_expand.c; docs/kernels.md) ----------------------------
# A channel is a 6-bit code (the right shift 0..31, CODE_CONST: a constant channel whose value is the bias field,
# CODE_ZERO: a zero multiplier), a bias of at most MAX_BIAS_BITS and the multiplier, in flash as 2 words (bias << 6
# | code, mult: 8 B, ~10 instructions per channel to expand) or, dense, as two bit streams in int32 words: the
# multipliers as 30-bit fields (mult - 2^30, every nonzero TFLite multiplier lies in [2^30, 2^31)), then the
# code with the bias above it in the layer's fewest two's-complement bits, one zero word closing the array (the
# decoder reads 64 bits at a time): 6-7 B, ~2.5x the instructions. In the dense form the code is stored as code -
# the layer's least code in the fewest bits that hold its range (a layer's shifts span 1-4 values: 1-2 bits instead
# of 6); the expansion call's `layout` argument says how: bias bits | code bits << 8 | least code << 16. model.c expands them into the arena before
# the layer's first call, in the layout the kernels read.
MULT_BITS, CODE_BITS, MAX_BIAS_BITS = 30, 6, 26
CODE_CONST, CODE_ZERO = 32, 33


@dataclass(frozen=True)
class CompactTables:
    function: str  # the C expansion function (portable/requant_expand.c)
    words: np.ndarray | None  # int32 flash words (None: the layer has no bias, per-tensor)
    args: tuple[int, ...]  # its integer arguments after the words pointer and before the destination
    per_tensor: bool


def channel_fields(bias: int, m: int, s: int, const: int | None = None, records: bool = True
                   ) -> tuple[int, int, int] | None:
    """(code, bias field, mult field) of one channel, or None when it does not fit: a left shift or a right shift
    over 31, in a record table a zero multiplier on a channel not proven constant (the records mark constants)."""
    if const is not None and records:
        return CODE_CONST, int(const), 0
    if m == 0 and not records:
        return CODE_ZERO, int(bias), 0
    if not -31 <= s <= 0 or m < (1 << 30):
        return None
    return -int(s), int(bias), int(m) - (1 << 30)


def _signed_bits(values: list[int]) -> int:
    """The fewest two's-complement bits holding every value (at least 1)."""
    return max([1] + [(v if v >= 0 else ~v).bit_length() + 1 for v in values])


def _stream(fields: list[int], width: int) -> list[int]:
    """Fields of `width` bits packed from bit 0 up into 32-bit words."""
    acc = 0
    for i, f in enumerate(fields):
        acc |= f << (width * i)
    nwords = -(-width * len(fields) // 32)
    return [(acc >> (32 * k)) & 0xFFFFFFFF for k in range(nwords)]


def pack_channels(bias: np.ndarray | None, mults: list[int], shifts: list[int], consts: list[int | None] | None = None,
                  records: bool = True, dense: bool = False) -> tuple[np.ndarray, int] | None:
    """(int32 words, 0 for the 2-word form, else the dense form's layout: dense_layout) of n channels in the compact
    form, or None when one does not fit (channel_fields, or a bias over MAX_BIAS_BITS)."""
    n = len(mults)
    b = np.zeros(n, np.int64) if bias is None else np.asarray(bias, np.int64)
    cs = consts or [None] * n
    fields = [channel_fields(int(b[c]), int(mults[c]), int(shifts[c]), cs[c], records) for c in range(n)]
    if any(f is None for f in fields):
        return None
    bits = _signed_bits([f[1] for f in fields])
    if bits > MAX_BIAS_BITS:
        return None
    if not dense:
        code = [0 if f[0] == CODE_ZERO else f[0] for f in fields]  # (a zero multiplier: shift 0, mult 0)
        words = [v for f, k in zip(fields, code) for v in (((f[1] << CODE_BITS) | k) & 0xFFFFFFFF,
                                                            f[2] + (1 << 30) * (f[0] < CODE_CONST))]
        return np.asarray(words, np.uint32).view(np.int32), 0
    mask = (1 << bits) - 1
    base = min(f[0] for f in fields)
    code_bits = max(1, (max(f[0] for f in fields) - base).bit_length())
    words = _stream([f[2] for f in fields], MULT_BITS) + _stream(
        [(f[0] - base) | ((f[1] & mask) << code_bits) for f in fields], code_bits + bits) + [0]
    return np.asarray(words, np.uint32).view(np.int32), dense_layout(bits, code_bits, base)


def dense_layout(bias_bits: int, code_bits: int, code_base: int) -> int:
    """The dense form's layout argument (tfedge_compact_channel): bias bits | code bits << 8 | least code << 16."""
    return bias_bits | code_bits << 8 | code_base << 16


def layout_fields(layout: int) -> tuple[int, int, int]:
    """(bias bits, code bits, least code) of a dense layout argument."""
    return layout & 255, (layout >> 8) & 255, layout >> 16


def unpack_channels(words: np.ndarray, n: int, bits: int) -> list[tuple[int, int, int]]:
    """(code, bias, mult) per channel as the C decoder (tfedge_compact_channel) reads them (tests); bits: 0 for the
    2-word form, else the dense form's layout (dense_layout)."""
    w = [int(v) for v in np.asarray(words).view(np.uint32)]
    if bits == 0:
        pairs = [(w[2 * c], w[2 * c + 1]) for c in range(n)]
        return [(w0 & 63, (w0 >> CODE_BITS) - ((1 << 26) if w0 >> 31 else 0), 0 if w0 & 63 >= CODE_CONST else m)
                for w0, m in pairs]
    bits, code_bits, code_base = layout_fields(bits)
    stream = sum(v << (32 * k) for k, v in enumerate(w))
    base = 32 * (-(-MULT_BITS * n // 32))
    out = []
    for c in range(n):
        m = (stream >> (MULT_BITS * c)) & ((1 << MULT_BITS) - 1)
        cb = (stream >> (base + (code_bits + bits) * c)) & ((1 << (code_bits + bits)) - 1)
        code, v = code_base + (cb & ((1 << code_bits) - 1)), cb >> code_bits
        v -= (1 << bits) if v >> (bits - 1) else 0
        out.append((code, v, 0 if code >= CODE_CONST else m + (1 << 30)))
    return out


def per_tensor(mults: list[int], shifts: list[int], consts: list[int | None] | None = None) -> bool:
    """One multiplier and shift for every channel and no constant channel: 4 bytes of bias per channel suffice."""
    return (len(mults) > 0 and len(set(mults)) == 1 and len(set(shifts)) == 1 and -31 <= shifts[0]
            and not any(c is not None for c in consts or []))


SETTLE_E = 16  # right shift of a constant channel re-expressed for the plain kernels (settle_constants)


def settle_constants(rows: np.ndarray, bias: np.ndarray | None, consts: list[int | None], input_zp: int,
                     mults: list[int], shifts: list[int], zp: int, act_min: int, act_max: int
                     ) -> tuple[np.ndarray | None, list[int], list[int]]:
    """(bias, mults, shifts) with each provably constant channel c whose bias is over 2^25 (VWW's dead channels:
    ~2^30 with multipliers of 2^-27..-30) re-expressed as bias (c - zp) << (SETTLE_E + 1), mult 2^30, shift
    -SETTLE_E where the bounds proof (constant_channels) gives that channel the same constant: the plain
    kernels then output c for every input as before, from a bias the compact form holds (its eb too)."""
    if bias is None or not any(v is not None for v in consts):
        return bias, mults, shifts
    b, m, s = np.asarray(bias, np.int64).copy(), list(mults), list(shifts)
    for c, v in enumerate(consts):
        if v is None or abs(int(b[c])) < (1 << 25):
            continue
        nb, nm, ns = (int(v) - zp) << (SETTLE_E + 1), 1 << 30, -SETTLE_E
        if constant_channels(rows[c:c + 1], np.array([nb]), input_zp, [nm], [ns], zp, act_min, act_max) == [v]:
            b[c], m[c], s[c] = nb, nm, ns
    return b.astype(np.int32), m, s


def compact_records(bias: np.ndarray | None, mults: list[int], shifts: list[int],
                    consts: list[int | None] | None = None, dense: bool = False) -> CompactTables | None:
    """The compact form of requant_records' table (the output zero point and the padding are arguments of
    the expansion call), or None when a channel does not fit: that layer keeps the full records in flash."""
    n = len(mults)
    if n == 0:
        return None
    pad = n + (-n % 4)
    if per_tensor(mults, shifts, consts):
        words = None if bias is None else np.asarray(bias, np.int64).astype(np.int32)
        return CompactTables("tfedge_requant_expand_records_tensor", words, (n, pad, int(mults[0]), int(shifts[0])), True)
    packed = pack_channels(bias, mults, shifts, consts, dense=dense)
    if packed is None:
        return None
    if dense:
        return CompactTables("tfedge_requant_expand_records_dense", packed[0], (n, packed[1], pad), False)
    return CompactTables("tfedge_requant_expand_records", packed[0], (n, pad), False)


def compact_arrays(bias: np.ndarray | None, mults: list[int], shifts: list[int], dense: bool = False
                   ) -> CompactTables | None:
    """The plain kernels' bias/mult/shift arrays (n each) compact, or for a per-tensor layer only the mult/shift
    fill (its bias stays the flash array); None when a channel does not fit."""
    n = len(mults)
    if n == 0:
        return None
    if per_tensor(mults, shifts):
        return CompactTables("tfedge_requant_fill_arrays", None, (n, int(mults[0]), int(shifts[0])), True)
    packed = pack_channels(bias, mults, shifts, records=False, dense=dense)
    if packed is None:
        return None
    if dense:
        return CompactTables("tfedge_requant_expand_arrays_dense", packed[0], (n, packed[1]), False)
    return CompactTables("tfedge_requant_expand_arrays", packed[0], (n,), False)


def expand_records(t: CompactTables, zp: int) -> list[list[int]]:
    """What tfedge_requant_expand_records(_tensor) writes (tests: the round trip against requant_records)."""
    if t.per_tensor:
        n, pad, m, s = t.args
        b = [0] * n if t.words is None else [int(v) for v in t.words]
        return [channel_record(b[c], m, s, zp) for c in range(n)] + [[0, 0, 0, 0]] * (pad - n)
    n, bits, pad = t.args if len(t.args) == 3 else (t.args[0], 0, t.args[1])
    rows = [channel_record(0, 0, 0, zp, v) if code == CODE_CONST else channel_record(v, m, -code, zp)
            for code, v, m in unpack_channels(t.words, n, bits)]
    return rows + [[0, 0, 0, 0]] * (pad - n)


def expand_arrays(t: CompactTables, bias: np.ndarray | None) -> tuple[list[int], list[int], list[int]]:
    """What tfedge_requant_expand_arrays / _fill_arrays give the kernel: (bias, mult, shift) per channel; bias:
    the flash array a per-tensor layer keeps."""
    if t.per_tensor:
        n, m, s = t.args
        return ([0] * n if bias is None else [int(v) for v in bias]), [m] * n, [s] * n
    ch = unpack_channels(t.words, t.args[0], t.args[1] if len(t.args) == 2 else 0)
    return [v for _, v, _ in ch], [m for _, _, m in ch], [0 if code == CODE_ZERO else -code for code, _, _ in ch]


def pack_conv_weights(w: np.ndarray, wide: bool = True) -> np.ndarray:
    """[out_c][k...] int8 -> [pair][k_padded/4][2][4], k_padded a multiple of 4 (odd out_c paired with a zero
    row). wide: int16 in the order [k0 k2 k1 k3], so the inner loop loads each channel's 4 values as two ready
    halfword pairs; else int8 [k0 k1 k2 k3], one word the kernel widens (SXTB16, SXTB16 ROR 8) into the same."""
    out_c = w.shape[0]
    dtype = np.int16 if wide else np.int8
    if out_c == 0:  # every channel constant: nothing to pack
        return np.zeros(0, dtype)
    flat = w.reshape(out_c, -1)
    k = flat.shape[1]
    kp = (k + 3) // 4 * 4  # the inner loops take 4 values per group (RGB 3x3: 27 -> 28, not 32)
    rows = np.zeros(((out_c + 1) // 2 * 2, kp), dtype)
    rows[:out_c, :k] = flat
    groups = rows.reshape(-1, 2, kp // 4, 4)[:, :, :, [0, 2, 1, 3] if wide else [0, 1, 2, 3]]
    return groups.transpose(0, 2, 1, 3).reshape(-1)


def pack_fc_weights(w: np.ndarray, wide: bool = True) -> np.ndarray:
    """[out][in] int8 -> [group of 4 rows][in_padded/4][4 rows][4] (zero rows pad the last group): int16
    [k0 k2 k1 k3] (wide) or int8 [k0 k1 k2 k3] (widened by the kernel)."""
    out_f, k = w.shape
    dtype = np.int16 if wide else np.int8
    if out_f == 0:
        return np.zeros(0, dtype)
    kp = (k + 3) // 4 * 4
    rows = np.zeros(((out_f + 3) // 4 * 4, kp), dtype)
    rows[:out_f, :k] = w
    groups = rows.reshape(-1, 4, kp // 4, 4)[:, :, :, [0, 2, 1, 3] if wide else [0, 1, 2, 3]]
    return groups.transpose(0, 2, 1, 3).reshape(-1)


TINY_FC_MACS = 256  # FC layers up to this many weights may run the plain loops when the packed padding is large


def fc_padding_costs(in_f: int, out_f: int) -> bool:
    """A tiny FC layer (<= TINY_FC_MACS weights) whose packed layout (rows in groups of 4, inputs padded to 4)
    stores over 2x its weights: it runs the plain kernel on its int8 weights instead, a few hundred MACs
    at most (hello_world's 1 -> 16 and 16 -> 1 layers: 64 B packed each for 16 B of weights)."""
    padded = (out_f + 3) // 4 * 4 * ((in_f + 3) // 4 * 4)
    return in_f * out_f <= TINY_FC_MACS and padded > 2 * in_f * out_f


def plain_fc_choice(arch: str) -> Choice:
    """The plain FULLY_CONNECTED kernel for a layer fc_padding_costs keeps off the packed one."""
    return _plain("fully_connected_s8", arch, "a tiny layer whose packed rows would be mostly padding: plain loops on "
                  "its int8 weights")


WEIGHTS = ("int8", "int16", "codebook4")  # weight storage (compile_model(weights=...), --weights; also auto[:BYTES])

# Instructions int16 storage saves per executed MAC against int8 (M4, inner loops per 16 MACs): conv 15 -> 12
# (no SXTB16 of weights), FC 18.5 -> 13.5 (fc_rows4_8_rq against fc_rows4_rq); depthwise: the int8 taps are
# widened per row (measured on KWS's four 3x3 band layers: +51 k instructions over 288 k MACs, 0.18 per MAC).
INT16_SAVING = {"conv_packed_s8_nhwc": 3 / 16, "fully_connected_packed_s8": 5 / 16,
                "depthwise_conv_packed_s8_nhwc": 3 / 16}


def auto_budget(weights: str) -> int:
    """BYTES of `auto:BYTES` (the flash int16 layers may add over int8 storage); plain `auto` needs a board
    (tfedge flash/run pass its free flash as auto:BYTES)."""
    from tfedge.errors import ModelError

    _, _, arg = weights.partition(":")
    if not arg:
        raise ModelError("--weights auto needs a flash budget here: auto:BYTES (e.g. auto:65536); tfedge flash and "
                         "tfedge compare take the board's free flash")
    try:
        budget = int(arg.lower().removesuffix("k")) * (1024 if arg.lower().endswith("k") else 1)
    except ValueError:
        raise ModelError(f"--weights {weights}: BYTES must be an integer (or NNNk)") from None
    if budget < 0:
        raise ModelError(f"--weights {weights}: the budget must be >= 0 bytes")
    return budget


def auto_storage(rows: list[dict], budget: int) -> dict[int, str]:
    """Layer index -> "int16" for the int8-stored packed layers (compile report rows of an int8 build) where
    widening buys the most instructions per extra flash byte (int16 doubles the layer's weight bytes), greedily
    while the extra bytes fit the budget."""
    gains = [(INT16_SAVING[r["kernel"]] * r["effective_macs"] / r["storage_bytes"], r) for r in rows
             if r.get("storage") == "int8" and r["kernel"] in INT16_SAVING and r["storage_bytes"] > 0]
    chosen: dict[int, str] = {}
    for _, r in sorted(gains, key=lambda g: -g[0]):
        if r["storage_bytes"] <= budget:
            chosen[r["index"]] = "int16"
            budget -= r["storage_bytes"]
    return chosen


def packed_weights(ctx, packed: np.ndarray) -> tuple[str, int]:
    """(the params' weights pointer, weights_i8) for packed weights in the layer's storage (ctx.weights)."""
    if packed.dtype == np.int8:
        return ctx.array("int8_t", packed, "weights"), 1
    return "(const int8_t *)" + ctx.array("int16_t", packed, "weights"), 0


def widen_depthwise_weights(w: np.ndarray, wide: bool = True) -> np.ndarray:
    """[1][k_h][k_w][c] int8 -> [ceil(c/4)][k_h*k_w][4]: int16 [c0 c2 c1 c3] (wide: the order SXTB16 / ROR 8
    widen inputs in) or int8 [c0 c1 c2 c3] (the kernel widens them per call into scratch); channels past c,
    of a last partial group, get zero weights."""
    c = w.shape[3]
    cp = (c + 3) // 4 * 4
    taps = np.zeros((w.shape[1] * w.shape[2], cp), np.int16 if wide else np.int8)  # [tap][c]
    taps[:, :c] = w.reshape(-1, c)
    groups = taps.reshape(taps.shape[0], cp // 4, 4)[:, :, [0, 2, 1, 3] if wide else [0, 1, 2, 3]]  # [tap][group][lane]
    return groups.transpose(1, 0, 2).reshape(-1)


@dataclass(frozen=True)
class Compaction:
    """Output channels the kernel computes (live) and the constant every other channel outputs: the packed
    weights and records hold the live channels only; the kernel writes a pixel's constants, then its live values."""
    live: list[int]
    const_row: list[int]  # out_c bytes, each dead channel's constant (0 at live positions)


def compaction(consts: list[int | None], per_output: float) -> Compaction | None:
    """Skip the constant channels when the MACs saved (per_output instructions each, per pixel) exceed the
    cost of writing the pixel from a constant row plus one store per live value (estimated per pixel)."""
    dead = sum(c is not None for c in consts)
    live = [c for c, v in enumerate(consts) if v is None]
    if not dead or dead * per_output <= 0.5 * len(consts) + 3 * len(live) + 20:
        return None
    return Compaction(live, [0 if v is None else int(v) for v in consts])


def _rq_note(records: Records | None, compact: Compaction | None, out_c: int) -> str:
    notes = []
    if records is not None and records.general:
        notes.append(f"{records.general} channels requantized with TFLM's two-step form (shift outside the one-SMLAL range)")
    if compact is not None:
        notes.append(f"{out_c - len(compact.live)} of {out_c} output channels provably constant: MACs skipped, written as constants")
    elif records is not None and records.constant:
        notes.append(f"{records.constant} constant channels (computed: skipping them costs more than it saves)")
    return "; " + "; ".join(notes) if notes else ""


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


def conv_scratch(geo: dict, in_c: int, computed_c: int, compact: bool) -> int:
    k = geo["k_h"] * geo["k_w"] * in_c
    kp = (k + 3) // 4 * 4
    # two widened im2col vectors, 4 accumulators per channel pair, a byte row (+ 4 bytes of slack for the word
    # moves of the bytewise gather, in_c % 4); compacted: two pixels' live values
    return 4 * kp + 16 * ((computed_c + 1) // 2) + kp + (4 if in_c % 4 else 0) + (2 * computed_c if compact else 0)


def conv_pair_pays(geo: dict, in_c: int) -> bool:
    """The conv kernel's CONV_PAIR path (arm_dsp/conv_packed_s8_nhwc.c gather_pair, ~40 instructions less per pixel
    for ~0.8 KB of code): the bytewise row gather (in_c % 4, dil_w 1) with at least half the layer's pixel pairs
    both inside the image, as run pairs them (KWS's 10x4 on 49x10: under a third, so not linked there)."""
    if in_c % 4 == 0 or geo["dil_w"] != 1:
        return False
    def inside(n_in: int, eff: int, stride: int, lead: int) -> tuple[int, int]:
        return -(-lead // stride), (n_in - eff + lead) // stride if n_in - eff + lead >= 0 else -1
    oy_lo, oy_hi = inside(geo["in_h"], (geo["k_h"] - 1) * geo["dil_h"] + 1, geo["stride_h"], geo["pad_top"])
    ox_lo, ox_hi = inside(geo["in_w"], geo["k_w"], geo["stride_w"], geo["pad_left"])
    ox_hi = min(ox_hi, geo["out_w"] - 1)
    npx = geo["out_h"] * geo["out_w"]
    pairs = [divmod(i, geo["out_w"]) for i in range(0, npx - 1, 2)]
    inner = sum(oy_lo <= oy <= oy_hi and ox_lo <= ox < ox_hi for oy, ox in pairs)
    return 2 * inner >= (npx + 1) // 2


def conv_k27(geo: dict, in_c: int) -> bool:
    """The bytewise gather's straight-line path for 3 window rows of 9 bytes (3x3 on 3 channels, the RGB first layer:
    arm_dsp/conv_packed_s8_nhwc.c gather_k27, ~110 instructions less per pixel inside the image)."""
    return in_c % 4 != 0 and geo["dil_w"] == 1 and geo["k_h"] == 3 and geo["k_w"] * in_c == 9


def conv_1x1_wide(geo: dict, in_c: int) -> bool:
    """A 1x1 convolution without padding on whole channel groups (in_c % 4 == 0): its pixel pairs widened in one loop
    (arm_dsp/conv_packed_s8_nhwc.c gather_pair_1x1)."""
    return geo["k_h"] == geo["k_w"] == 1 and geo["pad_top"] == geo["pad_left"] == 0 and in_c % 4 == 0


NARROW_OUT = 8  # narrow_1x1's most computed channels (per channel ~30 instructions per pixel pair: over 8 the pair
                # passes' blocks of 2 channels x 2 pixels cost less; tcn_1d's 6 -> 32: +25 k instructions)


def conv_1x1_narrow(geo: dict, in_c: int, storage: str) -> bool:
    """A 1x1 convolution without padding on 1-7 input channels but 4, int8 weights: each pixel pair's values loaded and
    widened once into registers, every computed channel's dot products and requantization straight from them
    (arm_dsp/conv_packed_s8_nhwc.c narrow_1x1: the pair passes' per-call and per-pair costs dominated at 9-49 MACs per
    pixel)."""
    return (geo["k_h"] == geo["k_w"] == 1 and geo["pad_top"] == geo["pad_left"] == 0 and in_c % 4 != 0 and in_c < 8
            and storage == "int8")


def conv_single_pixels(geo: dict, storage: str) -> bool:
    """Some kernel call of the layer may end with a single pixel (its pixel count per call is rows x out_w, the rows
    however the in-place loops or patch stage cut them): with int8 weights it runs the 2-channel x 1-pixel pass."""
    return geo["out_w"] % 2 == 1 and storage == "int8"


def conv_paths(geo: dict, in_c: int, computed_c: int, storage: str, general: int = 0) -> tuple[str, ...]:
    """The conv kernel's optional code paths a layer calls (model.h TFEDGE_MODEL_USES_*): its gathers, the
    one-channel pass of an odd computed channel count (CONV_ODD), the single-pixel pass (CONV_PX1), and the
    accumulating passes with the C requantization (CONV_ACC: `general` two-step channels, or int16 single pixels)."""
    if conv_1x1_narrow(geo, in_c, storage) and 1 <= computed_c <= NARROW_OUT:  # narrow_1x1 alone
        return ("CONV_1X1N",) + ("CONV_ACC",) * (general > 0)
    return (("CONV_PAIR",) * conv_pair_pays(geo, in_c) + ("CONV_K27",) * conv_k27(geo, in_c)
            + ("CONV_1X1W",) * (conv_1x1_wide(geo, in_c) and geo["out_h"] * geo["out_w"] > 1)
            + ("CONV_ODD",) * (computed_c % 2 == 1) + ("CONV_PX1",) * conv_single_pixels(geo, storage)
            + ("CONV_ACC",) * (general > 0 or (geo["out_w"] % 2 == 1 and storage == "int16")))


def conv_choice(arch: str, geo: dict, in_c: int, out_c: int, records: Records | None = None,
                compact: Compaction | None = None, why: str = "", storage: str = "int16") -> Choice:
    if arch not in FAST_ARCHS:
        return _plain("conv_s8_nhwc", arch)
    k = geo["k_h"] * geo["k_w"] * in_c
    computed = len(compact.live) if compact else out_c
    scratch = conv_scratch(geo, in_c, computed, compact is not None)
    one = geo["k_h"] == geo["k_w"] == 1 and geo["pad_top"] == geo["pad_left"] == 0
    if one and 1 <= computed <= NARROW_OUT and conv_1x1_narrow(geo, in_c, storage):
        how = (f"1x1 on {in_c} input channels: per pixel pair the values widened once into registers, every channel's "
               f"dot products and requantization from them, {storage} weights")
        return Choice("conv_packed_s8_nhwc", "conv_1x1_matmul", why + how + _rq_note(records, compact, out_c),
                      packed=True, records=True, scratch_bytes=scratch)
    if one:
        variant, how = "conv_1x1_matmul", f"1x1: matrix multiply, 2 channels x 2 pixels per pass, {storage} weights"
        if conv_1x1_wide(geo, in_c):
            how += "; each pixel pair widened in one loop"
    else:
        variant, how = "conv_im2col", f"im2col of {k} values per pixel into a {scratch} B scratch, 2 channels x 2 pixels per pass, {storage} weights"
    if conv_k27(geo, in_c):
        how += f"; {in_c} input channels: 3 window rows of 9 bytes built straight into words, then widened"
    elif in_c % 4:
        how += f"; {in_c} input channels: gathered bytewise then widened"
    if computed % 2:
        how += f"; {computed} channels computed: the last one by a 1-channel x 2-pixel pass"
    if conv_single_pixels(geo, storage):
        how += "; a single last pixel by a 2-channel x 1-pixel pass"
    return Choice("conv_packed_s8_nhwc", variant, why + how + _rq_note(records, compact, out_c), packed=True,
                  records=True, scratch_bytes=scratch)


DW_BAND_K = 7  # TFEDGE_DW_BAND_K (arm_dsp/tfedge_dsp.h): the largest window side on the band path


def dw_band(geo: dict, in_c: int, records: Records | None) -> bool:
    """The depthwise kernel's band path (the same test as depthwise_conv_packed_s8_nhwc.c band_path): dilation 1,
    windows up to DW_BAND_K x DW_BAND_K, no two-step channels; any stride, padding and channel count."""
    return (geo["dil_h"] == geo["dil_w"] == 1 and geo["k_h"] <= DW_BAND_K and geo["k_w"] <= DW_BAND_K
            and records is not None and not records.general)


def dw_paths(geo: dict, in_c: int, records: Records | None) -> tuple[str, ...]:
    """The depthwise kernel's code paths a layer calls (model.h TFEDGE_MODEL_USES_*): on the band path band_row3x3
    for a 3x3 window's full channel groups (DW_BAND3) and band_rowk for other windows and a partial last group
    (DW_BANDK); else the per-pixel loops (DW_PIXEL)."""
    if not dw_band(geo, in_c, records):
        return ("DW_PIXEL",)
    k3 = geo["k_h"] == geo["k_w"] == 3
    return ("DW_BAND3",) * (k3 and in_c >= 4) + ("DW_BANDK",) * (not k3 or in_c % 4 != 0)


DW_BAND_BYTES = 1024  # TFEDGE_DW_BAND_BYTES (arm_dsp/tfedge_dsp.h): the band's budget, at least one channel group


def dw_band_bytes(geo: dict, in_c: int) -> int:
    """The band scratch: k_h widened rows of (pad_left + in_w + right padding) entries x 8 B per channel group, as
    many groups as fit DW_BAND_BYTES (tfedge_dw_band_chunk, tfedge_dw_band_pad_right)."""
    right = max(0, (geo["out_w"] - 1) * geo["stride_w"] + geo["k_w"] - geo["pad_left"] - geo["in_w"])
    per_group = 8 * geo["k_h"] * (geo["pad_left"] + geo["in_w"] + right)
    return per_group * max(1, min((in_c + 3) // 4, DW_BAND_BYTES // per_group))


def depthwise_choice(arch: str, in_c: int, depth_multiplier: int, records: Records | None = None,
                     geo: dict | None = None, storage: str = "int16") -> Choice:
    """Depth multiplier 1 (any channel count): the band path (dw_band) where it applies, else the per-pixel loops.
    Multipliers > 1 become convolutions (DW_AS_CONV_MAX_IN), or else keep the reference loops."""
    if arch not in FAST_ARCHS:
        return _plain("depthwise_conv_s8_nhwc", arch)
    if depth_multiplier != 1:
        return _plain("depthwise_conv_s8_nhwc", arch, f"depth multiplier {depth_multiplier} on {in_c} input channels "
                      f"(more than {DW_AS_CONV_MAX_IN}: as a convolution it would multiply the MACs by {in_c})")
    tail = f"; the last {in_c % 4} channels as a partial group (bytewise loads)" if in_c % 4 else ""
    taps = geo["k_h"] * geo["k_w"] if geo is not None else 9
    wide = 2 * taps * ((in_c + 3) // 4 * 4) if storage == "int8" else 0  # int8 weights widened per call (scratch start)
    how = f"int8 weights widened per call into {wide} B of scratch" if wide else "weights widened to int16 at compile time"
    if geo is not None and dw_band(geo, in_c, records):
        band = dw_band_bytes(geo, in_c)
        k_h, k_w = geo["k_h"], geo["k_w"]
        wide = 0  # the band path widens int8 weights per channel group and row on its stack, no copy
        k3 = (k_h, k_w) == (3, 3)
        stack = 72 if k3 and in_c % 4 == 0 else 8 * DW_BAND_K ** 2  # band_row3x3's frame, band_rowk's buffer
        how = f"int8 weights widened per group and row ({stack} B of stack)" if storage == "int8" else how
        rows = "band_row3x3 (asm)" if k3 else "band_rowk (asm)"
        tail = f"; the last {in_c % 4} channels a partial group (zero weights, bytewise stores, band_rowk)" if in_c % 4 else ""
        return Choice("depthwise_conv_packed_s8_nhwc", "depthwise_simd4", f"4 channels per word, {how}; "
                      f"{k_h}x{k_w} stride {geo['stride_h']}x{geo['stride_w']}: each input row widened once into a "
                      f"{band} B band of {k_h} rows per channel group (padding 0), then per tap 2 LDRD + 4 16x16 MACs "
                      f"({rows}){tail}" + _rq_note(records, None, in_c),
                      packed=True, records=True, scratch_bytes=wide + band)
    why = ""
    if geo is not None:
        why = ("dilation" if geo["dil_h"] > 1 or geo["dil_w"] > 1 else "two-step channels"
               if records is not None and records.general else f"window over {DW_BAND_K}x{DW_BAND_K}")
        why = f" (per pixel, not the band path: {why})"
    return Choice("depthwise_conv_packed_s8_nhwc", "depthwise_simd4", f"4 channels per word{why}: SXTAB16 inputs, "
                  f"{how}, 16x16 MACs; 3x3 windows unrolled (border taps read a "
                  f"{in_c} B row of zero points){tail}" + _rq_note(records, None, in_c),
                  packed=True, records=True, scratch_bytes=wide + (in_c + 3) // 4 * 4)


DW_AS_CONV_MAX_IN = 4  # depth multiplier > 1 on at most this many input channels runs as a (block-diagonal) CONV_2D


def depthwise_as_conv_weights(w: np.ndarray, in_c: int) -> np.ndarray:
    """[1][k_h][k_w][in_c * M] depthwise filter -> [in_c * M][k_h][k_w][in_c] conv filter with the same sums:
    output channel c reads input channel c // M only (the others get zero weights)."""
    _, k_h, k_w, out_c = w.shape
    mult = out_c // in_c
    conv = np.zeros((out_c, k_h, k_w, in_c), np.int8)
    for c in range(out_c):
        conv[c, :, :, c // mult] = w[0, :, :, c]
    return conv


FC_BLOCK = 128  # TFEDGE_FC_BLOCK (arm_dsp/tfedge_dsp.h): a longer FC input is widened this many inputs at a time


def fc_paths(i8: int, in_f: int, general: int = 0) -> tuple[str, ...]:
    """The packed FC kernel's optional code paths a layer calls (model.h TFEDGE_MODEL_USES_*): int16 weights, the
    blocked loop (inputs longer than a block) or the whole-input one, the two-step requantization (general records)."""
    blocked = (in_f + 3) // 4 * 4 > FC_BLOCK
    return ("W16",) * (not i8) + (("FC_BLOCKED",) if blocked else ("FC_WHOLE",)) + ("FC_GENERAL",) * bool(general)


def conv_is_fc(geo: dict) -> bool:
    """A convolution with one output pixel whose window is exactly its input (no padding, dilation 1): a fully
    connected layer over the flattened input (NHWC pixel = the filter's [k_h][k_w][in_c] order)."""
    return (geo["out_h"] == geo["out_w"] == 1 and geo["pad_top"] == geo["pad_left"] == 0 and geo["k_h"] == geo["in_h"]
            and geo["k_w"] == geo["in_w"] and geo["dil_h"] == geo["dil_w"] == 1)


def fc_choice(arch: str, in_f: int, out_f: int, records: Records | None = None, compact: Compaction | None = None,
              storage: str = "int16") -> Choice:
    if arch not in FAST_ARCHS:
        return _plain("fully_connected_s8", arch)
    kp = (in_f + 3) // 4 * 4
    computed = len(compact.live) if compact else out_f
    if kp > FC_BLOCK:  # widened a block at a time, the rows' sums kept in scratch between blocks
        widened = 2 * FC_BLOCK + 4 * ((computed + 3) // 4 * 4)
        how = f"input widened {FC_BLOCK} at a time ({widened} B scratch with the rows' sums)"
    else:
        widened = 2 * kp
        how = f"4 rows per pass over the input widened once ({widened} B scratch)"
    scratch = widened + (computed if compact else 0)
    return Choice("fully_connected_packed_s8", "fc_rows4", f"{how}, {storage} weights ({computed * in_f * (1 if storage == 'int8' else 2)} B)" + _rq_note(records, compact, out_f),
                  packed=True, records=True, scratch_bytes=scratch)
