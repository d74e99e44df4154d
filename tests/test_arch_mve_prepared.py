"""tfedge/compiler/variants_mve.py: the Helium kernels' compile-time prepared data, checked by what the
kernels compute from it (the firmware side is tests/test_arch_mve_kernels.py, which feeds the kernels the
same layout built in C, and tests/test_arch_mve_models.py, whole models compiled through this module)."""

from __future__ import annotations

import numpy as np
import pytest

from tfedge.compiler import variants_mve


def _window_sums(data: np.ndarray, x: np.ndarray, k_h: int, k_w: int, out_c: int) -> np.ndarray:
    """What the window path computes for one output pixel: eb + per group g, the 16-byte dot product
    (VMLADAV) of the prepared weights with the window buffer [group][column][row in group] of channel oc."""
    r, g = variants_mve.window_geometry(k_h, k_w, 1)
    eb = data[1:1 + out_c]
    wp = data[1 + out_c:].view(np.int8).reshape(out_c, g, 16).astype(np.int64)
    out = eb.astype(np.int64).copy()
    for oc in range(out_c):
        for gi in range(g):
            buf = np.zeros(16, dtype=np.int64)  # lanes past the window: any data, weight 0
            buf[:] = 99
            for kx in range(k_w):
                for ri in range(r):
                    ky = gi * r + ri
                    if ky < k_h:
                        buf[kx * r + ri] = x[ky, kx, oc]
            out[oc] += int(np.dot(buf, wp[oc, gi]))
    return out


@pytest.mark.parametrize("k_h,k_w", [(3, 3), (5, 5), (10, 4), (1, 7), (7, 1)])
def test_depthwise_window_layout_gives_the_depthwise_sum(k_h, k_w):
    rng = np.random.default_rng(k_h * 16 + k_w)
    out_c, off = 6, 37
    w = rng.integers(-127, 128, size=(1, k_h, k_w, out_c), dtype=np.int8)
    bias = rng.integers(-70000, 70000, size=out_c).astype(np.int32)
    geo = dict(dil_w=1, out_w=24)  # wide rows: the window path
    data = variants_mve.depthwise_data(w, bias, off, geo, out_c)
    assert data.dtype == np.int32 and data[0] == 1
    x = rng.integers(-128, 128, size=(k_h, k_w, out_c))
    want = bias + ((x + off) * w[0]).sum(axis=(0, 1))  # TFLM's sum((x + off) * w) + bias
    assert np.array_equal(_window_sums(data, x, k_h, k_w, out_c), want)


def test_depthwise_narrow_rows_get_only_the_effective_bias():
    w = np.ones((1, 3, 3, 64), dtype=np.int8)
    data = variants_mve.depthwise_data(w, None, 5, dict(dil_w=1, out_w=5), 64)  # KWS 25x5x64: ring path
    assert data[0] == 0 and len(data) == 65 and np.all(data[1:] == 45)
    dilated = variants_mve.depthwise_data(w, None, 5, dict(dil_w=2, out_w=40), 64)
    assert dilated[0] == 0 and len(dilated) == 65


def test_effective_bias_wraps_like_int32():
    w = np.full((2, 16, 16, 64), 127, dtype=np.int8)  # sum 2,080,768 per channel
    bias = np.array([2**31 - 1, -2**31], dtype=np.int32)
    data = variants_mve.conv_data(w, bias, 128)
    exact = np.array([2**31 - 1, -2**31], dtype=np.int64) + 128 * 127 * 16 * 16 * 64
    assert data[0] == 0
    assert np.array_equal(data[1:].astype(np.int64), (exact + 2**31) % 2**32 - 2**31)


def _ring_passes(out_w: int) -> list[int]:
    """The assembly pixel passes of one output row in mve/depthwise_conv_s8_nhwc.c's dw3x3 (dw3_pass); rows of 1-2
    pixels take the tap table (no pass)."""
    passes, ox = [], 0
    while out_w >= 3 and ox < out_w:
        rest = out_w - ox
        n = 5 if rest % 5 == 0 else 3 if rest in (3, 6) else 4
        passes.append(n)
        ox += n
    return passes


@pytest.mark.parametrize("out_w", range(1, 12))  # rows >= 12 take the window path
def test_ring3_is_named_when_a_row_has_a_3_pixel_pass(out_w):
    geo = dict(k_h=3, k_w=3, stride_h=1, stride_w=1, dil_h=1, dil_w=1, out_w=out_w, in_w=out_w, pad_top=1, pad_left=1)
    paths = variants_mve.depthwise_paths(geo, 64, 1)  # 64 channels: not the window path
    assert paths[0] == ("MVE_DW_RING" if out_w >= 3 else "MVE_DW_TAPS")  # the ring has no C pass for 1-2 pixels
    assert ("MVE_DW_RING3" in paths) == (3 in _ring_passes(out_w)), _ring_passes(out_w)


@pytest.mark.parametrize("out_w", [3, 6, 10])
def test_ring_layers_with_a_left_shift_take_the_tap_table(out_w):
    """The ring's assembly passes requantize right shifts only: a layer with a left shift takes the tap table."""
    geo = dict(k_h=3, k_w=3, stride_h=1, stride_w=1, dil_h=1, dil_w=1, out_w=out_w, in_w=out_w, pad_top=1, pad_left=1)
    assert variants_mve.depthwise_paths(geo, 64, 1)[0] == "MVE_DW_RING"
    assert variants_mve.depthwise_paths(geo, 64, 1, left_shift=True) == ("MVE_DW_TAPS",)
    assert variants_mve.conv_paths(True, geo, 64, 64, prepared=True, left_shift=True) == ("MVE_DW_TAPS",)


def test_only_layers_without_prepared_data_name_the_per_call_preparation():
    geo = dict(k_h=3, k_w=3, stride_h=1, stride_w=1, dil_h=1, dil_w=1, out_w=12, in_w=12, pad_top=1, pad_left=1)
    assert "MVE_DW_UNPREP" in variants_mve.conv_paths(True, geo, 8, 8, prepared=False)
    assert "MVE_DW_UNPREP" not in variants_mve.conv_paths(True, geo, 8, 8, prepared=True)


@pytest.mark.parametrize("out_w", range(1, 40))
def test_each_ring_pass_size_is_named_and_only_those(out_w):
    """Each pass size a row takes has its guard on (else the layer falls back to the tap table), the others are off
    (their assembly is left out of the firmware); passes never leave 1-2 pixels."""
    passes = _ring_passes(out_w)
    assert sum(passes) == (out_w if out_w >= 3 else 0)
    assert list(variants_mve.ring_passes(out_w)) == passes
    if out_w < 12:  # 64 channels on wider rows take the window path
        geo = dict(k_h=3, k_w=3, stride_h=1, stride_w=1, dil_h=1, dil_w=1, out_w=out_w, in_w=out_w, pad_top=1, pad_left=1)
        paths = variants_mve.depthwise_paths(geo, 64, 1)
        assert paths == (("MVE_DW_RING", *sorted(f"MVE_DW_RING{n}" for n in set(passes))) if passes else ("MVE_DW_TAPS",))


@pytest.mark.parametrize("k,stride,win5", [(5, 1, True), (4, 1, True), (5, 2, False), (3, 1, False), (7, 1, False)])
def test_win5_is_named_for_two_groups_at_step_3(k, stride, win5):
    geo = dict(k_h=k, k_w=5 if k != 3 else 3, stride_h=stride, stride_w=stride, dil_h=1, dil_w=1, out_w=12, in_w=24)
    paths = variants_mve.depthwise_paths(geo, 7, 1)  # 7 channels: the window path
    assert paths[0] == "MVE_DW_WINDOW" and ("MVE_DW_WIN5" in paths) == win5


@pytest.mark.parametrize("k,stride,out_w,window", [(5, 1, 6, True), (5, 1, 5, True), (5, 1, 3, True), (5, 2, 6, True),
                                                   (5, 2, 20, True), (7, 2, 10, True), (7, 1, 4, True), (3, 1, 6, False)])
def test_big_windows_take_the_window_path_on_narrow_rows(k, stride, out_w, window):
    """5x5 / 7x7 layers of many channels (multiples of 4) on rows under 12 wide: the window path wherever it applies
    (variants_mve.big_window_wins: no model links the tap table for them), 3x3 ones the ring; the prepared data
    carries the window weights exactly then. 5x5 stride 2 on 20-wide rows needs 258 bytes per channel (WIN_NG)."""
    geo = dict(k_h=k, k_w=k, stride_h=stride, stride_w=stride, dil_h=1, dil_w=1, out_w=out_w, in_w=out_w * stride,
               pad_top=k // 2, pad_left=k // 2)
    paths = variants_mve.depthwise_paths(geo, 64, 1)
    assert (paths[0] == "MVE_DW_WINDOW") == window, paths
    w = np.ones((1, k, k, 64), dtype=np.int8)
    assert variants_mve.depthwise_data(w, None, 0, geo, 64)[0] == int(window)


@pytest.mark.parametrize("out_w,stride", [(6, 1), (3, 1), (10, 1), (3, 2), (6, 2), (2, 1)])
def test_window_first_moves_ring_layers_to_the_window_path(out_w, stride):
    """A model whose depthwise layers take the window path anyway (7 channels, wide rows, multipliers) runs its 3x3
    ring layers (and the tap table's 1-2 pixel rows) on the window path too: no ring code linked
    (variants_mve.window_first). The choice, the prepared window weights and the reason agree; a model of ring layers
    only keeps the ring."""
    ring = dict(k_h=3, k_w=3, stride_h=stride, stride_w=stride, dil_h=1, dil_w=1, out_w=out_w, in_w=out_w * stride,
                pad_top=1, pad_left=1)
    wide = dict(ring, stride_h=1, stride_w=1, out_w=24, in_w=24)
    assert variants_mve.window_first([(wide, 64, 1), (ring, 64, 1)])
    assert variants_mve.window_first([(ring, 7, 1), (ring, 64, 1)])
    assert not variants_mve.window_first([(ring, 64, 1), (dict(ring, out_w=5, in_w=5 * stride), 128, 1)])
    # a depth multiplier layer (audio_dw8's 1 -> 8, a convolution in disguise) takes the window but does not decide
    assert variants_mve.takes_window(wide, 1, 8)
    assert not variants_mve.window_first([(dict(wide, out_w=5, in_w=5), 1, 8), (ring, 64, 1)])
    assert variants_mve.depthwise_paths(ring, 64, 1)[0] in ("MVE_DW_RING", "MVE_DW_TAPS")
    first = dict(ring, window_first=True)
    paths = variants_mve.depthwise_paths(first, 64, 1, left_shift=True)
    assert paths == ("MVE_DW_WINDOW", f"MVE_DW_WIN{3 * stride}"), paths
    assert "window_first" in variants_mve.depthwise_reason(paths, first)
    w = np.arange(9 * 64).reshape(1, 3, 3, 64).astype(np.int8)
    assert variants_mve.depthwise_data(w, None, 5, ring, 64)[0] == 0
    data = variants_mve.depthwise_data(w, None, 5, first, 64)
    assert data[0] == 1 and data.size == 1 + 64 + 64 * 16 // 4
    x = np.random.default_rng(out_w).integers(-128, 128, size=(3, 3, 64))
    assert np.array_equal(_window_sums(data, x, 3, 3, 64), ((x + 5) * w[0]).sum(axis=(0, 1)))


def _binary(dims, s1, s2, **q):
    p = dict(dims=dims, in1_strides=s1, in2_strides=s2, input1_mult=1 << 30, input1_shift=0, input2_mult=1 << 29,
             input2_shift=-1, output_shift=-18, left_shift=20)
    p.update(q)
    return p


def test_binary_paths_name_the_general_walker_only_where_it_runs():
    """A residual ADD (dense inputs, TFLM's quantization) and a squeeze-excite MUL (a row broadcast) take add_s8's
    / mul_s8's fast paths: no MVE_ADD_RUN / MVE_MUL_RUN, so the firmware links the small portable loop instead of
    the 1-2 KB general walkers; a broadcast ADD, equal input scales or a left shift need them."""
    dense, row = ([1, 4, 4, 8], [128, 32, 8, 1]), [0, 0, 0, 1]
    assert variants_mve.binary_paths("add_s8", _binary(dense[0], dense[1], dense[1])) == ()
    assert variants_mve.binary_paths("add_s8", _binary(dense[0], dense[1], row)) == ("MVE_ADD_RUN",)
    assert variants_mve.binary_paths("add_s8", _binary(dense[0], dense[1], dense[1], input2_mult=1 << 30,
                                                       input2_shift=0)) == ("MVE_ADD_RUN",)
    assert variants_mve.binary_paths("mul_s8", _binary(dense[0], dense[1], row, output_shift=-7)) == ()
    assert variants_mve.binary_paths("mul_s8", _binary(dense[0], dense[1], row, output_shift=1)) == ("MVE_MUL_RUN",)
    assert variants_mve.binary_paths("mul_s8", _binary(dense[0], [0, 0, 8, 1], row, output_shift=-7)) == ("MVE_MUL_RUN",)
    assert variants_mve.binary_paths("mul_s8", _binary(dense[0], dense[1], [0, 0, 0, 0], output_shift=-7)) == ()  # x * c
    assert variants_mve.binary_paths("mul_s8", _binary(dense[0], [0, 0, 0, 0], dense[1], output_shift=-7)) == ()
    assert variants_mve.binary_paths("mul_s8", _binary(dense[0], row, [0, 0, 0, 0], output_shift=-7)) == ("MVE_MUL_RUN",)
    assert variants_mve.binary_paths("sub_s8", _binary(dense[0], dense[1], dense[1])) == ()


def _conv_geo(k: int, stride: int = 1, pad: int = 0, in_w: int = 12) -> dict:
    return dict(k_h=k, k_w=k, stride_h=stride, stride_w=stride, dil_h=1, dil_w=1, in_w=in_w, out_w=in_w // stride,
                pad_top=pad, pad_left=pad)


@pytest.mark.parametrize("k,in_c,pad,expected", [
    (1, 8, 0, ("MVE_CONV_WS", "MVE_CONV_WS0")),  # 1x1 K <= 8: pixel pairs (ws_cols_1x1), no column()
    (1, 12, 0, ("MVE_CONV_WS", "MVE_CONV_WS1")),  # 1x1 K <= 16: one step per pixel
    (1, 56, 0, ("MVE_CONV_WS", "MVE_CONV_WS4")),  # mbv2_035's 56 -> 336
    (3, 3, 1, ("MVE_CONV_WS", "MVE_CONV_WS2")),  # first layer: short kernel rows (ws_cols_short)
    (3, 6, 1, ("MVE_CONV_WS", "MVE_CONV_WS4", "MVE_CONV_COLUMN")),  # K = 54, rows of 18 B: column()
    (3, 16, 1, ("MVE_CONV_MM", "MVE_CONV_MM9", "MVE_CONV_COLUMN")),  # K = 144: the asm channel loop over column()
    (1, 128, 0, ("MVE_CONV_MM",)),  # 1x1 K > 64: the matmul reads the pixels in place
    (3, 1, 1, ("MVE_CONV_MM", "MVE_CONV_MM16")),  # K = 9 over short rows: the columns in registers
    (1, 145, 0, ("MVE_CONV_MM", "MVE_CONV_MM9", "MVE_CONV_MM9_TAIL")),  # 9 steps + 1 byte: mm4_steps' 9-step loop
])
def test_conv2d_paths_name_column_only_for_windows_that_need_it(k, in_c, pad, expected):
    """MVE_CONV_COLUMN (column() and the row copies, ~1 KB) is linked only for windows other than short kernel rows
    and unpadded 1x1 ones; the kernel traps if a layer reaches it without it (tests/test_arch_mve_models.py builds
    models with the compiler's model.h)."""
    assert variants_mve.conv2d_paths(_conv_geo(k, pad=pad), in_c) == expected


def test_single_pixel_calls_of_k_over_16_take_the_matmul_where_it_is_linked():
    """A call of one output pixel (squeeze-excite 1x1 maps) of K > 16 runs the matmul's 1-column copy when the model
    links the matmul (one dot product per channel: mbv3_small's 1x1x60 -> 240 took 23 k instructions on the
    weights-stationary group of 4 repeated pixels); K <= 8 takes the C loop, linking no assembly loop."""
    one = dict(_conv_geo(1, in_w=1), out_h=1)
    assert variants_mve.conv2d_paths(one, 60) == ("MVE_CONV_WS", "MVE_CONV_WS4")  # no matmul in the model
    assert variants_mve.conv2d_paths(one, 60, mm_linked=True) == ("MVE_CONV_MM",)
    assert variants_mve.conv2d_call_paths(one, 60, None, [1], True) == ("MVE_CONV_MM", "MVE_CONV_MM1")
    assert variants_mve.conv2d_paths(one, 8, mm_linked=True) == ("MVE_CONV_WS",)
    assert variants_mve.conv2d_paths(dict(one, out_h=2), 60, mm_linked=True) == ("MVE_CONV_WS", "MVE_CONV_WS4")
    # a by-rows layer of 1-wide rows: single-pixel calls (the matmul) and, for a 2-row chunk, weights stationary
    tall = dict(one, out_h=5)
    assert variants_mve.conv2d_call_paths(tall, 60, None, [2, 2, 1], True) == (
        "MVE_CONV_WS", "MVE_CONV_WS4", "MVE_CONV_MM", "MVE_CONV_MM1")


def test_matmul_counts_follow_the_calls_pixels():
    """The matmul's last group per call is pixels % 4 (4 while 4 are left): a 5x5 map whole ends on 1 pixel, residual
    blocks run by rows on 3- and 6-wide maps on 3 and 2, by-rows chunks of 2 rows of 10 on none."""
    assert variants_mve.matmul_counts(5, [5]) == {4, 1}
    assert variants_mve.matmul_counts(3, [1]) == {3} and variants_mve.matmul_count_paths(3, [1]) == ("MVE_CONV_MM3",)
    assert variants_mve.matmul_counts(6, [1]) == {4, 2}
    assert variants_mve.matmul_count_paths(10, [2, 2, 1]) == ("MVE_CONV_MM2",)  # the last chunk: 1 row of 10
    assert variants_mve.matmul_count_paths(10, [2]) == ()
    assert variants_mve.matmul_count_paths(1, [1]) == ("MVE_CONV_MM1",)


def test_paths_reason_names_the_layer_paths_in_words():
    reason = variants_mve.paths_reason(("MVE_CONV_WS", "MVE_CONV_WS3"))
    assert reason == "weights stationary (K <= 64); assembly loop of 3 16-byte steps for right-shift channels"
    assert variants_mve.paths_reason(()) == ""
    # every optional path has its words (a layer may take any of them: mbv3_small's broadcast MULs did)
    assert set(variants_mve.PATH_TEXT) == set(variants_mve.USES)
    assert variants_mve.paths_reason(("MVE_MUL_RUN",)) == "general broadcast walker"


def test_rows_of_a_multiple_of_5_take_only_5_pixel_passes():
    """Rows of 10 ran 4 + 3 + 3 (three assembly copies linked, three passes); 5 + 5 is fewer passes and one copy."""
    assert variants_mve.ring_passes(10) == (5, 5) and variants_mve.ring_passes(15) == (5, 5, 5)
    assert variants_mve.ring_passes(9) == (4, 5) and variants_mve.ring_passes(11) == (4, 4, 3)
    geo = dict(k_h=3, k_w=3, stride_h=1, stride_w=1, dil_h=1, dil_w=1, out_w=10, in_w=10, pad_top=1, pad_left=1)
    assert variants_mve.depthwise_paths(geo, 72, 1) == ("MVE_DW_RING", "MVE_DW_RING5")


def test_the_per_pixel_loop_is_named_only_where_a_call_reaches_it():
    """MVE_DW_PIXEL (the kernel traps without it): layers no other path takes, the tap table's channel tail, layers
    without prepared data; and those layers read the real bias (bias_read), the others only eb."""
    geo = dict(k_h=3, k_w=3, stride_h=1, stride_w=1, dil_h=1, dil_w=1, out_w=6, in_w=6, pad_top=1, pad_left=1)
    assert "MVE_DW_PIXEL" not in variants_mve.depthwise_paths(geo, 64, 1)  # the ring
    assert not variants_mve.bias_read(True, geo, 64, 64)
    big = dict(geo, k_h=9, k_w=9, dil_w=2)  # 81 taps, dilated: neither the window nor the tap table
    assert variants_mve.depthwise_paths(big, 64, 1) == ("MVE_DW_PIXEL",) and variants_mve.bias_read(True, big, 64, 64)
    tail = dict(geo, dil_w=2)  # no window (dilated), 6 channels: the tap table and its channel tail
    assert variants_mve.depthwise_paths(tail, 6, 1) == ("MVE_DW_TAPS", "MVE_DW_PIXEL")
    assert variants_mve.bias_read(True, tail, 6, 6)
    assert "MVE_DW_PIXEL" in variants_mve.conv_paths(True, geo, 64, 64, prepared=False)


@pytest.mark.parametrize("k,in_c,out_c,in_w,stride,narrow", [
    (3, 3, 3, 96, 2, True),  # narrow_c3's first layer, 48 outputs a row
    (3, 3, 5, 96, 2, True),  # narrow_c5's
    (3, 3, 7, 96, 2, False),  # 7 channels: a third pass over the row, break-even
    (3, 3, 3, 12, 1, False),  # rows of 12: the per-row set-up loses
    (1, 3, 3, 24, 1, True),  # 1x1 3 -> 3 on 24x24: one pass
    (1, 5, 5, 24, 1, False),  # 1x1 5 -> 5: the weights-stationary pixel pairs win
    (3, 4, 3, 32, 1, False),  # K = 36 > 32
])
def test_conv2d_paths_take_the_narrow_kernel_where_it_wins(k, in_c, out_c, in_w, stride, narrow):
    geo = _conv_geo(k, stride=stride, pad=k // 2, in_w=in_w)
    assert (variants_mve.conv2d_paths(geo, in_c, out_c) == ("MVE_CONV_NARROW",)) == narrow
    assert "MVE_CONV_NARROW" not in variants_mve.conv2d_paths(geo, in_c)  # channel blocks (clustered) never


def test_conv_data_holds_the_narrow_weights_in_window_order():
    rng = np.random.default_rng(3)
    out_c, k_h, k_w, in_c = 3, 3, 3, 3
    w = rng.integers(-127, 128, size=(out_c, k_h, k_w, in_c)).astype(np.int8)
    geo = _conv_geo(3, stride=2, pad=1, in_w=96)
    data = variants_mve.conv_data(w, None, 7, geo, in_c)
    assert data[0] == 1 and len(data) == 1 + out_c + out_c * 32 // 4
    rows = data[1 + out_c:].view(np.int8).reshape(out_c, 32)
    for kx in range(k_w):
        for ky in range(k_h):
            assert np.array_equal(rows[:, (kx * k_h + ky) * in_c:(kx * k_h + ky + 1) * in_c], w[:, ky, kx, :])
    assert not rows[:, 27:].any()  # lanes past K are zero: the kernel's loads read past the window
    assert np.array_equal(data[1:1 + out_c], variants_mve.conv_data(w, None, 7)[1:])
    assert variants_mve.conv_data(w, None, 7, _conv_geo(3, pad=1, in_w=12), in_c)[0] == 0  # not narrow: eb only


def test_depthwise_window_loops_of_4_channels_as_lanes():
    """variants_mve.window_loop mirrors win_channels_of: the lanes loops for 1 row group at steps 3 / 6 and for 2 row
    groups (5x5) when every chunk holds whole 4-channel groups and no channel shifts left; else the per-channel
    loops (7 channels, left shifts, 7x7's 4 groups)."""
    g3 = dict(k_h=3, k_w=3, stride_h=1, stride_w=1, dil_h=1, dil_w=1, out_w=6, in_w=6, pad_top=1, pad_left=1,
              window_first=True)
    assert variants_mve.depthwise_paths(g3, 64, 1) == ("MVE_DW_WINDOW", "MVE_DW_LANES3")
    assert variants_mve.depthwise_paths(dict(g3, stride_w=2, in_w=12), 64, 1) == ("MVE_DW_WINDOW", "MVE_DW_LANES6")
    assert variants_mve.depthwise_paths(g3, 64, 1, left_shift=True) == ("MVE_DW_WINDOW", "MVE_DW_WIN3")
    assert variants_mve.depthwise_paths(g3, 7, 1) == ("MVE_DW_WINDOW", "MVE_DW_WIN3")
    g5 = dict(g3, k_h=5, k_w=5, pad_top=2, pad_left=2)
    assert variants_mve.depthwise_paths(g5, 240, 1) == ("MVE_DW_WINDOW", "MVE_DW_LANES_G2")
    assert variants_mve.depthwise_paths(dict(g5, stride_w=2, in_w=12), 144, 1) == ("MVE_DW_WINDOW", "MVE_DW_LANES_G2")
    g7 = dict(g3, k_h=7, k_w=7, stride_w=2, out_w=10, in_w=20, pad_top=3, pad_left=3)
    assert variants_mve.depthwise_paths(g7, 64, 1) == ("MVE_DW_WINDOW", "MVE_DW_WIN_G4")
    assert variants_mve.depthwise_paths(dict(g7, k_h=6, pad_top=2), 64, 1) == ("MVE_DW_WINDOW", "MVE_DW_WIN_ANY")
    # win_geometry's chunks: whole 8-channel blocks above 8, whole 4-channel groups for 1-2 row groups
    assert variants_mve.window_chunk(g7, 64) == 7 and variants_mve.window_chunk(g5, 240) == 24
    wide = dict(g3, out_w=40, in_w=40)  # cs = 126: 11 channels per chunk -> 8
    assert variants_mve.window_chunk(wide, 64) == 8
    assert "4 channels as lanes" in variants_mve.depthwise_reason(("MVE_DW_WINDOW", "MVE_DW_LANES3"), g3)
