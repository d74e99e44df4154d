"""Compile-time prepared data of the Helium (Cortex-M55, arch `mve`) kernels.

The depthwise window path of firmware/runtime/mve/depthwise_conv_s8_nhwc.c multiplies each output's
window (R * k_w contiguous bytes per group of R kernel rows) with the channel's weights in the same lane
order by one VMLADAV.S8. Without this module the kernel builds those weight vectors and the effective
biases on every call, which in-place layers (run by rows, one call per few rows) pay many times.
Here they are built once: `tfedge_conv_params.arch_prep` points at

    int32 window                           1: run the window path (wp follows), 0: the kernel's other paths
    int32 eb[out_c]                        bias + input_offset * sum of the channel's weights (wraps mod 2^32)
    int8  wp[out_c][G][16] (as int32 words) wp[oc][g][kx * R + r] = w[g * R + r][kx][oc], other lanes 0;
                                           only when window is 1

R = min(k_h, 16 // k_w), G = ceil(k_h / R). The kernel checks the same geometry and ignores the data when
its window path does not apply. The path choice (window_wins) moves here from the kernel: the kernel
keeps its own rule only for calls without prepared data.
"""

from __future__ import annotations

import numpy as np

WIN_GROUPS = 4  # the kernel's WIN_GROUPS: at most this many 16-byte groups per window
WIN_BUF, WIN_NG = 1536, 34  # the kernel's window buffer bytes and 8-lane copy groups per channel
DW_MAX_C, DW_MAX_TAPS = 512, 64  # the kernel's tap-table limits
DW3_MAX_RING, DW3_CHUNK = 3072, 32  # the kernel's 3x3 ring: stack bytes, channels per chunk

# The optional Helium kernel paths (firmware/runtime/include/tfedge_uses.h): model.h defines each, 1 when a
# layer takes it, so the firmware compiles only those.
DW_USES = ("MVE_DW_WINDOW", "MVE_DW_LANES3", "MVE_DW_LANES6", "MVE_DW_LANES_G2", "MVE_DW_WIN3", "MVE_DW_WIN6", "MVE_DW_WIN5",
           "MVE_DW_WIN_G1", "MVE_DW_WIN_G4", "MVE_DW_WIN_ANY",
           "MVE_DW_RING", "MVE_DW_RING3", "MVE_DW_RING4", "MVE_DW_RING5", "MVE_DW_RING_S2_3", "MVE_DW_RING_S2_4",
           "MVE_DW_RING_S2_5", "MVE_DW_TAPS", "MVE_DW_UNPREP", "MVE_DW_PIXEL")
BINARY_USES = ("MVE_ADD_RUN", "MVE_MUL_RUN")
# WSn: the weights-stationary assembly loop of n 16-byte steps (WS0: the pairs of 8-byte pixels, 1x1 of K <= 8)
# COLUMN: im2col of windows other than short kernel rows and unpadded 1x1 ones (column(), row copies)
# MM9: the matmul's form for K's 16-byte steps a multiple of 9
# NARROW: mve/conv_narrow_s8_nhwc.c (out_c <= 6, 1x1 <= 3, K <= 32, rows >= 16: a row buffer per output row, every channel per pixel)
# MMn (n = 1-3): the matmul's copy for a last group of n pixels (matmul_counts); without it matmul4 over the last
# column repeated
# MM9_TAIL: the 4-column steps' 9-step loop (K = 144 m + 1..15); MM16: the matmul's form for K <= 16 (columns in
# registers; a call without it traps)
MM_COUNT_USES = ("MVE_CONV_MM1", "MVE_CONV_MM2", "MVE_CONV_MM3")
USES = (*DW_USES, *BINARY_USES, "MVE_CONV_WS", "MVE_CONV_MM", "MVE_CONV_MM9", "MVE_CONV_COLUMN", "MVE_CONV_DIRECT",
        "MVE_CONV_WS0", "MVE_CONV_WS1", "MVE_CONV_WS2", "MVE_CONV_WS3", "MVE_CONV_WS4", "MVE_CONV_NARROW",
        *MM_COUNT_USES, "MVE_CONV_MM9_TAIL", "MVE_CONV_MM16")
WS_MAX_K, IM2COL_MAX = 64, 1024  # mve/conv_s8_nhwc.c: weights stationary up to this K, im2col up to this

# What each path is, for the compile report's variant_reason (the layer's paths, in USES order).
PATH_TEXT = {
    "MVE_DW_WINDOW": "window path (one VMLADAV per output over prepared weight vectors)",
    "MVE_DW_WIN5": "its 5x5 stride-1 loop", "MVE_DW_RING": "3x3 stride-1 ring of padded rows",
    "MVE_DW_RING3": "its 3-pixel passes", "MVE_DW_TAPS": "tap pointer table, 4 pixels per pass",
    "MVE_DW_WIN3": "its 1-row-group step-3 loop", "MVE_DW_WIN6": "its 1-row-group step-6 loop",
    "MVE_DW_WIN_G1": "its 1-row-group loop", "MVE_DW_WIN_ANY": "its any-group loop",
    "MVE_DW_LANES3": "its step-3 loop of 4 channels as lanes", "MVE_DW_LANES6": "its step-6 loop of 4 channels as lanes",
    "MVE_DW_LANES_G2": "its 2-row-group loop of 4 channels as lanes", "MVE_DW_WIN_G4": "its 4-row-group loop",
    "MVE_DW_RING4": "its 4-pixel passes", "MVE_DW_RING5": "its 5-pixel passes",
    "MVE_DW_UNPREP": "weight vectors and effective biases built per call (no prepared data)",
    "MVE_DW_PIXEL": "per-pixel loop (taps inside the image, any depth multiplier)",
    **{f"MVE_DW_RING_S2_{n}": f"its stride-2 {n}-pixel passes" for n in (3, 4, 5)},
    "MVE_ADD_RUN": "general broadcast walker", "MVE_MUL_RUN": "general broadcast walker",
    "MVE_CONV_WS": "weights stationary (K <= 64)", "MVE_CONV_MM": "im2col + 4-pixel matmul",
    "MVE_CONV_MM9": "its channel loop in assembly (K = 144 m)",
    "MVE_CONV_COLUMN": "im2col of padded or long-row windows", "MVE_CONV_DIRECT": "per-tap loop (K > 1024)",
    **{f"MVE_CONV_WS{n}": f"assembly loop of {n} 16-byte step{'s' * (n > 1)} for right-shift channels" for n in range(2, 5)},
    "MVE_CONV_WS1": "assembly loop of 1 16-byte step for right-shift channels",
    "MVE_CONV_WS0": "assembly loop of 8-byte pixel pairs (1x1 of K <= 8) for right-shift channels",
    **{f"MVE_CONV_MM{n}": f"its {n}-pixel last groups" for n in (1, 2, 3)},
    "MVE_CONV_MM9_TAIL": "its 9-step loop before a partial step", "MVE_CONV_MM16": "its columns in registers (K <= 16)",
    "MVE_CONV_NARROW": "narrow layer (out_c <= 6, 1x1 <= 3, K <= 32): input rows interleaved per output row, 1-2 loads per "
                       "pixel against up to 3 channels' weights in registers",
}
# mve/conv_narrow_s8_nhwc.c's limits, and where it wins (NARROW_WIN_C channels, rows of NARROW_MIN_W)
# (1x1: one pass of NARROW_G channels)
NARROW_MAX_K, NARROW_ROW_MAX, NARROW_WIN_C, NARROW_MIN_W, NARROW_G = 32, 2048, 6, 16, 3


def paths_reason(paths: tuple[str, ...]) -> str:
    """The layer's Helium paths in words ("" when it names none)."""
    return "; ".join(PATH_TEXT[p] for p in USES if p in paths)


def window_geometry(k_h: int, k_w: int, dil_w: int) -> tuple[int, int] | None:
    """(R, G) of the window path, or None when it does not apply (mirrors win_geometry's shape checks)."""
    if dil_w != 1 or k_w > 16:
        return None
    r = min(k_h, 16 // k_w)
    g = -(-k_h // r)
    return (r, g) if g <= WIN_GROUPS else None


def window_wins(in_c: int, depth_multiplier: int, out_w: int, taps: int = 9) -> bool:
    """Measured with prepared weights (docs/kernels_mve.md): the window path wins on depth multipliers > 1,
    channel counts not multiples of 4 and rows >= 12 wide (VWW 12x12x32: 114 k -> 99 k instructions); the
    3x3 ring and the tap-table paths on narrower rows of many channels (VWW 6x6x128: 93 k against 115 k,
    KWS 25x5x64 in place by rows: 167 k against 228 k)."""
    return (depth_multiplier != 1 or in_c % 4 != 0 or out_w >= 12 or (in_c <= 16 and out_w >= 8)
            or big_window_wins(taps))


def big_window_wins(taps: int) -> bool:
    """5x5 and 7x7 windows take the window path wherever it applies (one VMLADAV per 16 taps against the tap table's
    1 + 5 / 4 instructions per tap): on rows >= 5 wide at stride 1, and 7x7 at stride 2, it is faster (measured,
    default flags: mbv3_small 5x5 6x6x240 425 k -> 327 k, 6x6x120 224 k -> 166 k, mcunet_se 5x5 5x5x240 287 k ->
    254 k, 7x7 stride 2 10x10x64 598 k -> 429 k); on 5x5 stride 2 and 3-wide rows it is slower (+12-44 k per layer)
    but then no model links the tap table (2.2 KB of code: mbv3_small, mcunet_se)."""
    return taps >= 25


def window_first(layers: list[tuple[dict, int, int]]) -> bool:
    """Model-level choice from the (geo, in_c, depth multiplier) of its depthwise layers: when one of them takes
    the window path anyway, the 3x3 layers the ring (or the tap table) would take run it too wherever it applies
    (conv.py passes it as geo["window_first"]). The window path's code is linked then, and the ring's (dw3x3 and
    its assembly passes, 1.9-2.9 KB) is more than the window loops it may add (WIN3 / WIN6, ~0.4 KB each), for
    some 20 % more instructions on those narrow-row layers (docs/kernels_mve.md "Eighth pass"). A layer of depth
    multiplier > 1 (audio_dw8's 1 -> 8 first layer: a convolution in disguise) does not decide it: moving such a
    model's 3x3 layers on 5-wide rows off the ring cost audio_dw8 +27 % instructions and +14 % flash."""
    return any(dm == 1 and window_wins(in_c, dm, geo["out_w"], geo["k_h"] * geo["k_w"]) and window_applies(geo, in_c)
               for geo, in_c, dm in layers)


def takes_window(geo: dict, in_c: int, depth_multiplier: int) -> bool:
    """window_wins, or the model's window_first (geo["window_first"]) for a layer of this geometry."""
    return geo.get("window_first", False) or window_wins(in_c, depth_multiplier, geo["out_w"], geo["k_h"] * geo["k_w"])


def window_applies(geo: dict, in_c: int) -> bool:
    """The kernel's win_geometry with prepared data: the window path's buffer and gather-offset limits."""
    win = window_geometry(geo["k_h"], geo["k_w"], geo["dil_w"])
    if win is None:
        return False
    r, g = win
    cols = (geo["out_w"] - 1) * geo["stride_w"] + geo["k_w"]
    cs, slack = g * cols * r, 3 * geo["stride_w"] * r + 16
    if cs + slack > WIN_BUF or cs > 8 * WIN_NG:
        return False
    if (geo["k_h"] - 1) * geo["dil_h"] * geo["in_w"] * in_c + (cols - 1) * in_c > 65535:
        return False
    return min(in_c, (WIN_BUF - slack) // cs) >= 1


def window_chunk(geo: dict, in_c: int) -> int:
    """Input channels per chunk of the window path with prepared data (win_geometry's chunk_in)."""
    r, g = window_geometry(geo["k_h"], geo["k_w"], geo["dil_w"])
    cs = g * ((geo["out_w"] - 1) * geo["stride_w"] + geo["k_w"]) * r
    chunk = min(in_c, (WIN_BUF - (3 * geo["stride_w"] * r + 16)) // cs)
    return chunk & ~7 if chunk > 8 else chunk & ~3 if 4 < chunk < in_c and in_c % 4 == 0 and g <= 2 else chunk


def window_loop(r: int, g: int, stride_w: int, lanes: bool = False) -> str:
    """The window path's channel loop for R rows per group, G groups (win_channels_of: the most specific). lanes:
    the layer may take the loops of 4 channels as lanes (in_c % 4 == 0, whole 4-channel chunks, no left shift)."""
    step = stride_w * r
    if lanes and g == 1 and step in (3, 6):
        return f"MVE_DW_LANES{step}"  # 3x3 stride 1 / 2, 4 channels per vector
    if lanes and g == 2:
        return "MVE_DW_LANES_G2"  # 5x5
    if g == 2 and step == 3:
        return "MVE_DW_WIN5"  # 5x5 stride 1: the unrolled 2-group loop
    if g == 1 and step in (3, 6):
        return f"MVE_DW_WIN{step}"  # 3x3 stride 1 / 2
    return "MVE_DW_WIN_G1" if g == 1 else "MVE_DW_WIN_G4" if g == 4 else "MVE_DW_WIN_ANY"


def ring_passes(out_w: int) -> tuple[int, ...]:
    """The 3x3 ring's pixel counts per pass along a row of out_w outputs (the kernel's dw3_pass): 5 while a
    multiple of 5 is left, 6 = 3 + 3, else 4 until 3-5 are left; rows of 1-2 pixels take no pass (())."""
    if out_w < 3:
        return ()
    passes, rem = [], out_w
    while rem:
        n = 5 if rem % 5 == 0 else 3 if rem in (3, 6) else 4
        passes.append(n)
        rem -= n
    return tuple(passes)


def ring_applies(geo: dict, in_c: int) -> bool:
    """The kernel's dw3x3_applies: 3x3, strides 1-2, no dilation, channels % 4 == 0, the ring within its stack."""
    width = (geo["out_w"] - 1) * geo["stride_w"] + 3  # padded columns of a ring row
    return (geo["k_h"] == geo["k_w"] == 3 and geo["stride_h"] in (1, 2) and geo["stride_w"] in (1, 2)
            and geo["dil_h"] == geo["dil_w"] == 1 and in_c % 4 == 0 and in_c <= DW_MAX_C
            and 3 * width * min(in_c, DW3_CHUNK) <= DW3_MAX_RING)


def depthwise_paths(geo: dict, in_c: int, depth_multiplier: int, left_shift: bool = False) -> tuple[str, ...]:
    """The optional paths of mve/depthwise_conv_s8_nhwc.c a layer with prepared data (depthwise_data) takes, as
    its depthwise_conv_s8_nhwc() decides: ("MVE_DW_PIXEL",) for the per-pixel loop (also the tap table's channel
    tail; a build without it traps where a call would take it). The row calls
    of in-place layers change only in_h, out_h, pad_top and batches, which the choice does not read. The ring
    runs only assembly passes (dw3_ring_runs): rows of 1-2 pixels and layers with a left shift (left_shift: a
    channel's shift > 0) take the tap table. geo["window_first"] (the model's window_first) sends every layer the
    window path applies to there."""
    if takes_window(geo, in_c, depth_multiplier) and window_applies(geo, in_c):
        r, g = window_geometry(geo["k_h"], geo["k_w"], geo["dil_w"])
        lanes = not left_shift and in_c % 4 == 0 and window_chunk(geo, in_c) % 4 == 0
        return ("MVE_DW_WINDOW", window_loop(r, g, geo["stride_w"], lanes))
    if depth_multiplier != 1 or in_c > 4 * DW_MAX_C or geo["k_h"] * geo["k_w"] > DW_MAX_TAPS:
        return ("MVE_DW_PIXEL",)
    if not ring_applies(geo, in_c) or geo["out_w"] < 3 or left_shift:
        return ("MVE_DW_TAPS",) if in_c % 4 == 0 else ("MVE_DW_TAPS", "MVE_DW_PIXEL")  # the channel tail per pixel
    pass_flag = "MVE_DW_RING{}" if geo["stride_w"] == 1 else "MVE_DW_RING_S2_{}"  # the assembly passes per stride
    return ("MVE_DW_RING", *sorted({pass_flag.format(n) for n in ring_passes(geo["out_w"])}))


def depthwise_reason(paths: tuple[str, ...], geo: dict) -> str:
    """The compile report's variant_reason of a Helium depthwise layer with the paths depthwise_paths chose."""
    f = "mve/depthwise_conv_s8_nhwc.c: "
    if "MVE_DW_WINDOW" in paths:
        loop = {"MVE_DW_WIN3": "1 row group, step 3", "MVE_DW_WIN6": "1 row group, step 6",
                "MVE_DW_LANES3": "1 row group, step 3, 4 channels as lanes",
                "MVE_DW_LANES6": "1 row group, step 6, 4 channels as lanes",
                "MVE_DW_LANES_G2": "2 row groups, 4 channels as lanes",
                "MVE_DW_WIN_G4": "4 row groups",
                "MVE_DW_WIN5": "2 row groups, step 3", "MVE_DW_WIN_G1": "1 row group"}.get(paths[1], "any groups")
        why = "window_wins: depth multiplier > 1, channels % 4 != 0 or wide rows"
        if geo.get("window_first"):
            why += "; or window_first: another layer links it, so no ring code"
        return (f + f"window path ({why}): rows copied "
                f"per output row, one VMLADAV.S8 per output and row group ({loop}), prepared weight vectors")
    if "MVE_DW_RING" in paths:
        passes = ring_passes(geo["out_w"])
        how = f"passes of {'+'.join(map(str, passes))} pixels in assembly" if passes else "rows of 1-2 pixels in C"
        return f + f"3x3 stride-{geo['stride_w']} ring of 3 padded rows, channel-group major ({how})"
    if "MVE_DW_TAPS" in paths:
        return f + "tap pointer table, 4 pixels per weight load (channels as lanes)"
    return f + "per-pixel loop (taps inside the image, any depth multiplier)"


def binary_paths(kernel: str, p: dict) -> tuple[str, ...]:
    """MVE_ADD_RUN / MVE_MUL_RUN when an int8 ADD / MUL with these tfedge_binary_params takes the general broadcast
    walker of mve/add_s8.c / mul_s8.c (mirrors add_s8's and mul_s8's tests); else its dense fast path."""
    if kernel == "add_s8":
        dense = all(d == 1 or (s1 == n and s2 == n) for d, s1, s2, n in _inner_counts(p))
        half1 = p["input1_mult"] == 1 << 30 and p["input1_shift"] == 0 and p["input2_shift"] < 0
        half2 = p["input2_mult"] == 1 << 30 and p["input2_shift"] == 0 and p["input1_shift"] < 0
        fast = dense and (half1 or half2) and p["output_shift"] < 0 and 1 <= p["left_shift"] <= 22
        return () if fast else ("MVE_ADD_RUN",)
    if kernel == "mul_s8":
        l1, l2 = _mul_layout(p, p["in1_strides"]), _mul_layout(p, p["in2_strides"])
        return () if p["output_shift"] < 0 and 1 in (l1, l2) and l1 and l2 else ("MVE_MUL_RUN",)
    return ()


def _inner_counts(p: dict) -> list[tuple[int, int, int, int]]:
    """(dim, stride 1, stride 2, elements inside it) from the innermost dimension out (add_s8's dense_count)."""
    out, n = [], 1
    for d in (3, 2, 1, 0):
        out.append((p["dims"][d], p["in1_strides"][d], p["in2_strides"][d], n))
        n *= p["dims"][d]
    return out


def _mul_layout(p: dict, strides: list[int]) -> int:
    """mul_s8's layout(): 1 dense, 2 inner dimension dense and every outer one broadcast, 3 one value broadcast
    to all, else 0."""
    dims = p["dims"]
    n, dense = dims[3], strides[3] == 1 or dims[3] == 1
    bcast, scalar = dense, strides[3] == 0 or dims[3] == 1
    for d in (2, 1, 0):
        if dims[d] == 1:
            continue
        dense = dense and strides[d] == n
        bcast = bcast and strides[d] == 0
        scalar = scalar and strides[d] == 0
        n *= dims[d]
    return 1 if dense else 2 if bcast else 3 if scalar else 0


def depthwise_data(weights: np.ndarray, bias: np.ndarray | None, input_offset: int, geo: dict, in_c: int
                   ) -> np.ndarray:
    """The int32 array described above for a DEPTHWISE_CONV_2D filter [1][k_h][k_w][out_c]."""
    _, k_h, k_w, out_c = weights.shape
    eb = effective_bias(weights, bias, input_offset, (0, 1, 2))
    if not window_prepared(weights.shape, geo, in_c):
        return np.concatenate([[0], eb]).astype(np.int32)
    r, g = window_geometry(k_h, k_w, geo["dil_w"])
    wp = np.zeros((out_c, g, 16), dtype=np.int8)
    for ky in range(k_h):
        for kx in range(k_w):
            wp[:, ky // r, kx * r + ky % r] = weights[0, ky, kx, :]
    return np.concatenate([[1], eb, wp.reshape(-1).view("<i4")]).astype(np.int32)


def window_prepared(shape: tuple[int, ...], geo: dict, in_c: int) -> bool:
    """depthwise_data holds the window path's weight vectors (window 1) for a filter of this shape."""
    _, k_h, k_w, out_c = shape
    return window_geometry(k_h, k_w, geo["dil_w"]) is not None and takes_window(
        dict(geo, k_h=k_h, k_w=k_w), in_c, out_c // in_c)  # the filter's shape (geo may not hold it)


def bias_read(depthwise: bool, geo: dict, in_c: int, out_c: int) -> bool:
    """Whether the layer's Helium path reads `bias` besides the prepared eb: the per-pixel depthwise loop (the
    layer's path, or the tap table's channel tail: MVE_DW_PIXEL) and the direct conv of K > IM2COL_MAX; the others
    take eb from arch_prep only (a left shift moves a layer from the ring to the tap table, which reads eb too)."""
    if depthwise:
        return "MVE_DW_PIXEL" in depthwise_paths(geo, in_c, out_c // in_c)
    return "MVE_CONV_DIRECT" in conv2d_paths(geo, in_c)


def prepared_compact(weights: np.ndarray, bias: np.ndarray | None, input_offset: int, depthwise: bool,
                     mults: list[int], shifts: list[int], dense: bool = False):
    """The compact flash form of a conv/depthwise layer's Helium tables without window weights
    (portable/requant_expand_prepared.c): variants.pack_channels with eb in the bias field, or
    per tensor eb alone (4 B per channel) with the one mult and shift; None when a channel does not fit."""
    from tfedge.compiler import variants

    eb = effective_bias(weights, bias, input_offset, (0, 1, 2) if depthwise else (1, 2, 3))
    if variants.per_tensor(mults, shifts):
        return variants.CompactTables("tfedge_requant_expand_prepared_tensor", eb, (int(mults[0]), int(shifts[0])), True)
    packed = variants.pack_channels(eb, mults, shifts, records=False, dense=dense)
    if packed is None:
        return None
    if dense:
        return variants.CompactTables("tfedge_requant_expand_prepared_dense", packed[0], (packed[1],), False)
    return variants.CompactTables("tfedge_requant_expand_prepared", packed[0], (), False)


def effective_bias(weights: np.ndarray, bias: np.ndarray | None, input_offset: int, axis) -> np.ndarray:
    """bias + input_offset * (sum of each output channel's weights over `axis`), wrapped to int32 as the C sums."""
    eb = weights.astype(np.int64).sum(axis=axis) * int(input_offset)
    if bias is not None:
        eb = eb + np.asarray(bias, dtype=np.int64)
    return ((eb + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)


def conv_data(weights: np.ndarray, bias: np.ndarray | None, input_offset: int, geo: dict | None = None,
              in_c: int = 0) -> np.ndarray:
    """CONV_2D (filter [out_c][k_h][k_w][in_c]): word 0, then eb[out_c] (mve/conv_s8_nhwc.c's effective_bias, once
    per call without it: 5 calls per in-place KWS layer). Word 0 is 1 for a layer the narrow kernel takes
    (narrow_applies): then each channel's weights follow in its window order [kx][ky][c], zero-padded to 16 S bytes
    (S = ceil(K / 16)), so the kernel's per-call set-up is one load per vector (the patch stage and the by-rows
    loops call a layer once per band); else word 0 is 0."""
    eb = effective_bias(weights, bias, input_offset, (1, 2, 3))
    out_c, k_h, k_w, _ = weights.shape
    if geo is None or not narrow_applies(dict(geo, k_h=k_h, k_w=k_w), in_c, out_c):
        return np.concatenate([[0], eb]).astype(np.int32)
    k = k_h * k_w * in_c
    rows = np.zeros((out_c, 16 * -(-k // 16)), np.int8)
    rows[:, :k] = weights.transpose(0, 2, 1, 3).reshape(out_c, k)  # [oc][kx][ky][c]
    return np.concatenate([[1], eb, rows.reshape(-1).view("<i4")]).astype(np.int32)


def conv_fields(ctx, depthwise: bool, weights: np.ndarray, bias, input_offset: int, geo: dict, in_c: int) -> dict:
    """The extra tfedge_conv_params fields of a CONV_2D or DEPTHWISE_CONV_2D layer on `mve`."""
    data = (depthwise_data(weights, bias, input_offset, geo, in_c) if depthwise
            else conv_data(weights, bias, input_offset, geo, in_c))
    return {"arch_prep": ctx.array("int32_t", data, "mveprep")}


def conv_paths(depthwise: bool, geo: dict, in_c: int, out_c: int, prepared: bool, left_shift: bool = False
               ) -> tuple[str, ...]:
    """The Layer's optional Helium paths (USES) for a CONV_2D / DEPTHWISE_CONV_2D on `mve`: without prepared data
    (clustered layers, whose c4 kernel calls the depthwise one with its own rule) every depthwise path, with
    MVE_DW_UNPREP (the per-call weight vectors and effective biases)."""
    if not depthwise:
        return conv2d_paths(geo, in_c, out_c if prepared else None)
    return depthwise_paths(geo, in_c, out_c // in_c, left_shift) if prepared else DW_USES


def narrow_applies(geo: dict, in_c: int, out_c: int) -> bool:
    """mve/conv_narrow_s8_nhwc.c's tfedge_mve_conv_narrow_applies: out_c <= 6 (1x1: <= 3), K <= 32, dil_w = 1, rows
    of >= 16 outputs (where it was measured faster than the weights-stationary path), the row buffer
    (ncols columns of k_h * in_c bytes) within its bound and the scatter's byte offsets within 255. It reads none
    of what the row calls change (in_h, out_h, pad_top, batches)."""
    kc = geo["k_h"] * in_c
    ncols = (geo["out_w"] - 1) * geo["stride_w"] + geo["k_w"]
    return (kc * geo["k_w"] <= NARROW_MAX_K and out_c <= NARROW_WIN_C and geo["dil_w"] == 1
            and ncols * kc <= NARROW_ROW_MAX and (15 // in_c) * kc + 15 % in_c <= 255
            and geo["out_w"] >= NARROW_MIN_W and (geo["k_h"] * geo["k_w"] > 1 or out_c <= NARROW_G))


def conv2d_paths(geo: dict, in_c: int, out_c: int | None = None, single: bool | None = None,
                 mm_linked: bool = False) -> tuple[str, ...]:
    """mve/conv_s8_nhwc.c's choice: a whole layer (out_c given; not the clustered kernel's channel blocks, which
    call the channel loop directly) of few channels the narrow kernel; K > 1024 the direct loop,
    K <= 64 weights stationary when K > 16 or the 1x1 unpadded gather applies, else the im2col matmul. Row
    calls (in place, patch stage) change pad_top: a padded 1x1 layer with K <= 16 may take either. single: the
    call has one output pixel (default: the layer's map is 1x1); such a call of K > 16 takes the matmul when the
    firmware links it (mm_linked: another layer takes it), its 1-column copy doing one dot product per channel
    (mbv3_small's squeeze-excite 1x1x60 -> 240: 23 k instructions on the weights-stationary loop's group of 4
    repeated pixels), and one of K <= 8 links no assembly loop (the C loop: 8 MACs per channel)."""
    if out_c is not None and narrow_applies(geo, in_c, out_c):
        return ("MVE_CONV_NARROW",)
    k = geo["k_h"] * geo["k_w"] * in_c
    if k > IM2COL_MAX:
        return ("MVE_CONV_DIRECT",)
    single = geo.get("out_h", 0) * geo["out_w"] == 1 if single is None else single
    one = geo["k_h"] == geo["k_w"] == 1 and geo["pad_left"] == 0
    one0 = one and geo["pad_top"] == 0  # read in place or copied whole (ws_gather)
    # ws_run's assembly loop for K's 16-byte steps (0: 1x1 of K <= 8, pixel pairs)
    ws = ("MVE_CONV_WS",) + (() if single and k <= 8 else (f"MVE_CONV_WS{0 if one0 and k <= 8 else (k + 15) // 16}",))
    short = geo["dil_w"] == 1 and geo["k_w"] * in_c <= 16  # ws_cols_short (the matmul's only with k_h > 1)
    steps = k >> 4  # whole 16-byte steps: 9 m take mm4_channels (no partial step), mm4_steps' 9-step loop (one)
    mm = ("MVE_CONV_MM",) + (("MVE_CONV_MM9",) if steps and steps % 9 == 0 else ())
    mm += ("MVE_CONV_MM9_TAIL",) if steps and steps % 9 == 0 and k % 16 else ()
    mm += ("MVE_CONV_MM16",) if k <= 16 else ()  # the columns held in registers
    mm += () if one0 or (short and geo["k_h"] > 1) else ("MVE_CONV_COLUMN",)
    if k <= 16 and one and geo["pad_top"] != 0:
        return (*ws, *mm)
    if k <= WS_MAX_K and (k > 16 or one0):
        if single and mm_linked and k > 16:
            return mm
        return ws if one0 or short else (*ws, "MVE_CONV_COLUMN")
    return mm


def conv2d_call_paths(geo: dict, in_c: int, out_c: int | None, call_rows, mm_linked: bool) -> tuple[str, ...]:
    """A Helium CONV_2D layer's paths over its kernel calls of `call_rows` output rows each (codegen.call_rows): the
    path of each call's pixel count (conv2d_paths: single pixels of K > 16 on the matmul when mm_linked), and the
    matmul's copies for the counts its calls end on (matmul_count_paths)."""
    calls = [(rows, rows * geo["out_w"] == 1) for rows in call_rows]
    paths, mm_rows = [], []
    for rows, single in calls:
        took = conv2d_paths(geo, in_c, out_c, single, mm_linked)
        paths += took
        mm_rows += [rows] if "MVE_CONV_MM" in took else []
    paths += matmul_count_paths(geo["out_w"], mm_rows)
    return tuple(dict.fromkeys(paths))


def matmul_counts(out_w: int, call_rows) -> set[int]:
    """The pixel counts (1-4) of the im2col matmul's groups over kernel calls of `call_rows` output rows each, out_w
    wide: tfedge_mve_conv_channels takes 4 pixels while 4 are left, then the call's pixels % 4."""
    counts = set()
    for rows in call_rows:
        pixels = rows * out_w
        counts |= ({4} if pixels >= 4 else set()) | ({pixels % 4} if pixels % 4 else set())
    return counts


def matmul_count_paths(out_w: int, call_rows) -> tuple[str, ...]:
    """MVE_CONV_MMn for the last-group counts n < 4 the layer's calls leave (matmul1-3 of mve/conv_s8_nhwc.c): a
    count left out runs matmul4 over its last column repeated (exact, up to 4x the group's work)."""
    return tuple(f"MVE_CONV_MM{n}" for n in sorted(matmul_counts(out_w, call_rows)) if n < 4)


# ---- TRANSPOSE_CONV and BATCH_MATMUL (mve/transpose_conv_s8.c, mve/batch_matmul_s8.c; issue 12) ----------

def transpose_conv_phase_taps(k: int, stride: int, phase: int) -> list[int]:
    """Kernel positions reaching an output of this phase ((out + pad) mod stride): phase, phase + stride, ..."""
    return list(range(phase, k, stride))


def transpose_conv_data(weights: np.ndarray, bias: np.ndarray | None, input_offset: int, stride_h: int,
                        stride_w: int) -> tuple[np.ndarray, int]:
    """The arch_prep array of mve/transpose_conv_s8.c (layout in that file) for a filter [out_c][k_h][k_w][in_c],
    and the column bytes its scratch needs (the largest phase's taps * in_c). Each phase's weight rows are the
    filter's taps of that phase in the kernel's column order, so the per-output work is one dot product."""
    out_c, k_h, k_w, in_c = weights.shape
    woff, eb, blob, col = [], [], [], 1
    for py in range(stride_h):
        for px in range(stride_w):
            taps = weights[:, transpose_conv_phase_taps(k_h, stride_h, py)][:, :, transpose_conv_phase_taps(k_w, stride_w, px)]
            woff.append(sum(len(r) for r in blob))
            eb.append(effective_bias(taps, bias, input_offset, (1, 2, 3)))
            blob.append(taps.reshape(-1).astype(np.int8))
            col = max(col, taps.shape[1] * taps.shape[2] * in_c)
    rows = np.concatenate(blob)
    rows = np.concatenate([rows, np.zeros(-len(rows) % 4, np.int8)]).view("<i4")
    return np.concatenate([[1], woff, np.concatenate(eb), rows]).astype(np.int32), col


def transpose_conv_fields(ctx, weights: np.ndarray, bias, input_offset: int, stride_h: int, stride_w: int
                          ) -> tuple[dict, str]:
    """The extra tfedge_conv_params fields of an int8 TRANSPOSE_CONV on `mve`, and the report's reason."""
    data, col = transpose_conv_data(weights, bias, input_offset, stride_h, stride_w)
    reason = (f"mve/transpose_conv_s8.c: {stride_h * stride_w} stride phases, each output one gathered column of "
              f"<= {col} B against 4 channels' phase weights (VMLADAVA.S8), effective biases prepared")
    return {"arch_prep": ctx.array("int32_t", data, "mveprep"), "scratch": ctx.scratch(col)}, reason


def batch_matmul_scratch(p: dict) -> int:
    """Bytes of mve/batch_matmul_s8.c's scratch: the lhs rows packed when adj_x (rows * depth), the rhs columns
    packed unless adj_y (cols * depth), each rounded up to 4, then the columns' int32 sums."""
    lhs = 0 if p["lhs_k_stride"] == 1 else p["rows"] * p["depth"]
    rhs = 0 if p["rhs_k_stride"] == 1 else p["cols"] * p["depth"]
    return -(-lhs // 4) * 4 + -(-rhs // 4) * 4 + 4 * p["cols"]


BATCH_MATMUL_REASON = ("mve/batch_matmul_s8.c: one lhs row against 4 rhs columns (VMLADAVA.S8 on raw bytes, the "
                       "offsets' terms from row and column sums); strided operands packed into scratch per batch")
