"""DSP-extension kernels (firmware/runtime/arm_dsp/, Cortex-M4/M7/M33) and the variants that call them.

Every fast kernel must give the same int8 outputs as the portable kernels and TFLM: checked on the
emulated boards (mps2-an386 = M4, mps2-an505 = M33, mps2-an500 = M7) on the shared models and on
generated models with odd channel counts, strides, padding, dilation, depth multiplier 2 and 1-pixel
maps, many inputs per QEMU session. The packed layouts' portable references are checked on the host.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from modelgen import get_model
from tflm_ref import tflm_run
from tfedge.compiler import compile_model, load_graph, runtime_include_dirs, runtime_sources, variants
from tfedge.compiler.arch import RUNTIME_DIR
from tfedge.compiler.host_run import HOST_MAIN, _run, run_model
from tfedge.emulate.flash import flash_model

I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


def _one_shift(acc: int, mult: int, k_hi: int, shift: int) -> int:
    """The arm_dsp requantization (tfedge_requant_ch): preset accumulator, one SMLAL, one shift (int64 wrap)."""
    lo = 0x40000000 | (acc & 0x80000000)
    hi = k_hi + (-1 if acc < 0 else 0)
    y = ((hi << 32) | lo) + acc * mult  # (hi << 32) | lo: lo is unsigned 32-bit
    y = ((y + (1 << 63)) % (1 << 64)) - (1 << 63)  # SMLAL wraps at 64 bits
    return ((y >> 32) >> shift) if shift < 32 else None


def _accs(rng) -> list[int]:
    edge = [I32_MIN, I32_MIN + 1, -(1 << 30) - 1, -(1 << 30), -1, 0, 1, (1 << 30), I32_MAX]
    return edge + [int(v) for v in rng.integers(I32_MIN, I32_MAX, 30, dtype=np.int64)] + \
        [int(v) for v in rng.integers(-(1 << 20), 1 << 20, 30)]


def test_requant_records_equal_tflite_rounding():
    """Every record the compiler writes gives TFLM's MultiplyByQuantizedMultiplier + zero point: the
    one-SMLAL form for right shifts >= 2 while |k_hi| < 2^30 (e <= 24 for any zero point, more for small
    ones), the general form (TFLM's two steps in the kernel) for tiny multipliers, e <= 1 and left shifts."""
    rng = np.random.default_rng(0)
    fast_seen = set()
    for e in list(range(-4, 33)):
        for m in [1 << 30, (1 << 30) + 1, I32_MAX] + [int(v) for v in rng.integers(1 << 30, 1 << 31, 2)]:
            for zp in (-128, -1, 0, 5, 127):
                rec = variants.channel_record(0, m, -e, zp)
                _, mult, k_hi, shift = rec
                if shift >= variants.GENERAL:
                    assert (mult, k_hi) == (m, -e)  # the kernel calls tfedge_mbqm(acc, mult, k_hi)
                    assert e < 2 or abs((1 << (e - 2)) + zp * (1 << (e - 1))) >= variants.K_HI_LIMIT
                    continue
                fast_seen.add(e)
                for acc in _accs(rng):
                    assert _one_shift(acc, mult, k_hi, shift) == variants.mbqm(acc, m, -e) + zp, (acc, m, e, zp)
    assert set(range(2, 25)) <= fast_seen and 26 in fast_seen and 1 not in fast_seen
    for c in (-128, -3, 0, 77, 127):  # constant channels: the preset alone, whatever the accumulator
        _, mult, k_hi, shift = variants.channel_record(123, 1 << 30, -7, 0, const=c)
        assert all(_one_shift(acc, mult, k_hi, shift) == c for acc in _accs(rng))


def test_mbqm_matches_the_c_helper_semantics():
    """variants.mbqm (compile-time constant proofs) against an independent big-integer TFLite rounding."""
    rng = np.random.default_rng(1)
    for _ in range(3000):
        acc = int(rng.integers(I32_MIN, I32_MAX, dtype=np.int64))
        m = int(rng.integers(1 << 30, 1 << 31))
        s = int(rng.integers(-31, 8))
        x = (((acc << max(s, 0)) + (1 << 31)) % (1 << 32)) - (1 << 31)
        ab = x * m
        v = ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30))
        h = abs(v) // (1 << 31) * (1 if v >= 0 else -1)
        e = max(-s, 0)
        mask = (1 << e) - 1
        want = (h >> e) + (1 if (h & mask) > (mask >> 1) + (1 if h < 0 else 0) else 0)
        assert variants.mbqm(acc, m, s) == want


def test_constant_channels_are_proven_by_bounds():
    rng = np.random.default_rng(2)
    rows = rng.integers(-127, 128, (6, 18)).astype(np.int8)
    rows[1] = 0  # all-zero filter
    rows[4, :17] = 0  # one small weight and a tiny multiplier
    rows[4, 17] = 3
    bias = np.array([100, -5000, 20, 7, 9, -1 << 20], np.int64)
    mults = [1 << 30] * 6
    shifts = [-8, -8, -8, -8, -29, -8]
    consts = variants.constant_channels(rows, bias, -3, mults, shifts, -128, -128, 127)
    assert consts[0] is None and consts[2] is None and consts[3] is None
    assert consts[1] == variants.requantize(-5000, 1 << 30, -8, -128, -128, 127)
    assert consts[4] == -128 and consts[5] == -128  # tiny multiplier; bias so negative that ReLU-like clamp holds
    for c, v in enumerate(consts):  # brute force: every accumulator the bounds allow gives the constant
        if v is None:
            continue
        for _ in range(200):
            x = rng.integers(-128, 128, 18) + 3
            acc = int(bias[c] + (rows[c].astype(np.int64) * x).sum())
            assert variants.requantize(acc, mults[c], shifts[c], -128, -128, 127) == v


def test_packed_layouts_round_trip():
    w = np.arange(-60, 45, dtype=np.int8).reshape(5, 3, 7)  # 5 output channels, 21 values each
    packed = variants.pack_conv_weights(w).reshape(3, 6, 2, 4)  # pairs, groups of 4, channel, [k0 k2 k1 k3]
    k = np.zeros((6, 2, 4), np.int16)
    for oc in range(5):
        row = np.zeros(24, np.int16)
        row[:21] = w[oc].ravel()
        k = row.reshape(6, 4)[:, [0, 2, 1, 3]]
        np.testing.assert_array_equal(packed[oc // 2, :, oc % 2], k)
    assert not packed[2, :, 1].any()  # the odd channel's partner is zero
    # k padded to a multiple of 4, not 8: an RGB 3x3 filter (27 values) takes 7 groups
    rgb = variants.pack_conv_weights(np.ones((3, 3, 3, 3), np.int8), wide=False).reshape(2, 7, 2, 4)
    assert rgb[0, :6].all() and rgb[1, :6, 0].all() and rgb[0, 6, :, :3].all() and not rgb[:, 6, :, 3].any() and not rgb[1, :, 1].any()
    fc = np.arange(-65, 65, dtype=np.int8).reshape(10, 13)
    p = variants.pack_fc_weights(fc).reshape(3, 4, 4, 4)  # row groups, groups of 4 inputs, row, [k0 k2 k1 k3]
    assert p.dtype == np.int16
    np.testing.assert_array_equal(p[1, 2, 3], fc[7, 8:12][[0, 2, 1, 3]])
    assert not p[2, :, 2:].any()
    # int8 storage: the same blocks, each channel's 4 values in natural order (the kernel widens them)
    p8 = variants.pack_conv_weights(w, wide=False).reshape(3, 6, 2, 4)
    assert p8.dtype == np.int8
    np.testing.assert_array_equal(p8[1, 2, 0], w[2].ravel()[8:12])
    np.testing.assert_array_equal(p8[:, :, :, [0, 2, 1, 3]], packed.reshape(3, 6, 2, 4))
    f8 = variants.pack_fc_weights(fc, wide=False).reshape(3, 4, 4, 4)
    np.testing.assert_array_equal(f8[1, 2, 3], fc[7, 8:12])


SIGMOID_MAIN = r"""
#include <stdio.h>
#include "tfedge_kernels.h"
int main(void) {
  tfedge_act_params p = {0};
  int8_t in[256], out[256];
  int i, kind;
  while (scanf("%d %d %d %d %d", &kind, &p.input_zp, &p.mult, &p.shift, &p.range_radius) == 5) {
    p.size = 256;
    for (i = 0; i < 256; ++i) in[i] = (int8_t)(i - 128);
    if (kind) tanh_s8(&p, in, out); else logistic_s8(&p, in, out);
    for (i = 0; i < 256; ++i) printf("%d ", out[i]);
    printf("\n");
  }
  return 0;
}
"""


def test_sigmoid_tables_are_the_reference_kernels_on_every_byte(tmp_path):
    """sigmoid_table (what model.c ships for int8 LOGISTIC / TANH, lut_s8) equals portable/logistic_s8.c and
    tanh_s8.c on all 256 inputs, for input scales 2^-9 .. 2^1 and zero points across the range, as Prepare makes them."""
    from tfedge.compiler import quant
    from tfedge.compiler.ops.activations import sigmoid_table

    main = tmp_path / "sig_main.c"
    main.write_text(SIGMOID_MAIN)
    exe = tmp_path / "sig"
    subprocess.run(["cc", "-O1", "-std=c99", "-Wall", "-Werror", *[f"-I{d}" for d in runtime_include_dirs()], str(main),
                    *[str(RUNTIME_DIR / "portable" / f) for f in ("logistic_s8.c", "tanh_s8.c")], "-o", str(exe)], check=True)
    rng = np.random.default_rng(11)
    cases = []
    for kind in ("LOGISTIC", "TANH"):
        for scale, zp in zip(2.0 ** rng.uniform(-9, 1, 40), rng.integers(-128, 128, 40)):
            mult, shift = quant.quantize_multiplier_frexp(float(np.float32(scale)) * float(1 << 27))
            cases.append((kind, dict(input_zp=int(zp), mult=mult, shift=shift,
                                     range_radius=quant.calculate_input_radius(4, shift, 31))))
    stdin = "".join(f"{int(k == 'TANH')} {c['input_zp']} {c['mult']} {c['shift']} {c['range_radius']}\n" for k, c in cases)
    lines = subprocess.run([str(exe)], input=stdin, capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(lines) == len(cases)
    for (kind, c), line in zip(cases, lines):
        assert sigmoid_table(kind, c) == [int(v) for v in line.split()], (kind, c)
    assert len({tuple(sigmoid_table(k, c)) for k, c in cases}) > 70  # the cases really differ


# Generated models: what each exercises on the DSP path. A third field patches the first conv/depthwise/FC
# filter (_patch): all-zero channels, tiny multipliers (filter scale x 2^-k: shifts of 2^-23 .. 2^-31),
# multipliers > 1 (left shifts), so constant channels, the general requantization and compaction run.
CASES = {
    "conv_cin3_odd_out_stride2": ("conv2d", dict(hw=(5, 5), cin=3, filters=5, strides=2), None),  # bytewise gather, 9 px
    "conv_cin8_dil2_valid_relu6": ("conv2d", dict(hw=(9, 9), cin=8, filters=7, padding="valid", dilation=2,
                                                  activation="relu6"), None),
    "conv_1x1_odd_pixels_relu": ("conv2d", dict(hw=(3, 5), cin=12, filters=6, kernel=1, activation="relu"), None),
    "conv_1pixel_map": ("conv2d", dict(hw=(1, 1), cin=5, filters=3), None),
    # narrow_1x1 (CONV_1X1N: 1x1 on 1-7 input channels but 4, int8): 1-2 words per pixel, odd pixel counts (a last
    # single pixel), stride 2, a 1-pixel-wide map (pairs across rows), clamps, dead and two-step channels, 1-8 filters
    "conv1x1_narrow_cin3_to3_relu_odd": ("conv2d", dict(hw=(7, 5), cin=3, filters=3, kernel=1, activation="relu"), None),
    "conv1x1_narrow_cin1_to8_stride2": ("conv2d", dict(hw=(9, 7), cin=1, filters=8, kernel=1, strides=2), None),
    "conv1x1_narrow_cin5_to5_relu6": ("conv2d", dict(hw=(6, 7), cin=5, filters=5, kernel=1, activation="relu6"), None),
    "conv1x1_narrow_cin7_to1": ("conv2d", dict(hw=(5, 5), cin=7, filters=1, kernel=1), None),
    "conv1x1_narrow_cin6_to4_stride2_relu6": ("conv2d", dict(hw=(7, 7), cin=6, filters=4, kernel=1, strides=2,
                                                              activation="relu6"), None),
    "conv1x1_narrow_cin3_to2_w1": ("conv2d", dict(hw=(5, 1), cin=3, filters=2, kernel=1), None),
    "conv1x1_narrow_cin2_to7_mixed": ("conv2d", dict(hw=(4, 6), cin=2, filters=7, kernel=1),
                                      dict(zero=[1, 4], tiny={2: 20}, left={5: 8})),
    "conv1x1_narrow_cin5_to6_dead": ("conv2d", dict(hw=(5, 5), cin=5, filters=6, kernel=1, activation="relu"),
                                     dict(zero=[0, 2, 3])),
    # one output pixel whose window is the whole input: run as the packed FC kernel (an SE block's 1x1 conv on a
    # pooled pixel; a valid 3x3 over a 3x3 map, 36 inputs)
    "conv1x1_on_1pixel_relu": ("conv2d", dict(hw=(1, 1), cin=13, filters=7, kernel=1, activation="relu"), None),
    "conv3x3_valid_whole_map": ("conv2d", dict(hw=(3, 3), cin=4, filters=6, padding="valid"), None),
    # the bytewise gather's word moves: overlapping last words (6 channels, window rows of 18 B), border taps
    # with dilation (7 channels, per tap), 1x1 on 5 channels (copies of 5 B), 2-3 B copies (in_c 2, 1x1 on 3)
    "conv_cin6_3x3_odd_out": ("conv2d", dict(hw=(7, 6), cin=6, filters=9), None),
    "conv_cin7_dil2_same": ("conv2d", dict(hw=(8, 8), cin=7, filters=4, dilation=2), None),
    "conv1x1_cin5_to_3": ("conv2d", dict(hw=(4, 5), cin=5, filters=3, kernel=1), None),
    "conv1x1_cin3_to_5_relu": ("conv2d", dict(hw=(5, 3), cin=3, filters=5, kernel=1, activation="relu"), None),
    "conv_cin2_3x3_stride2": ("conv2d", dict(hw=(7, 7), cin=2, filters=4, strides=2), None),
    # gather_pair (both windows of a pixel pair inside the image) at stride 2 on a wide map, odd channels in and out
    "conv_cin5_3x3_stride2_valid": ("conv2d", dict(hw=(9, 15), cin=5, filters=7, strides=2, padding="valid"), None),
    "conv_cin3_3x3_same_16x16": ("conv2d", dict(hw=(16, 16), cin=3, filters=3), None),  # pairs inside + border pixels
    # gather_k27 (3 window rows of 9 bytes built straight into words): RGB 3x3 at stride 2 with dead and two-step
    # channels; 3x9 on 1 channel; a row dilation (rows 2 apart) on a map narrower than the pair blocks
    "conv_k27_cin3_stride2_relu6_mixed": ("conv2d", dict(hw=(11, 14), cin=3, filters=8, strides=2, activation="relu6"),
                                          dict(zero=[2], tiny={1: 20}, left={5: 8})),
    # gather_pair_1x1 (a 1x1 pixel pair widened in one loop): stride 2 (odd out_w: pairs across rows), a 1-pixel-wide
    # map (every pair on two rows), dead and two-step channels
    "conv1x1_cin8_stride2_mixed": ("conv2d", dict(hw=(7, 5), cin=8, filters=6, kernel=1, strides=2),
                                   dict(zero=[4], left={1: 8})),
    "conv1x1_cin16_w1_relu6": ("conv2d", dict(hw=(5, 1), cin=16, filters=5, kernel=1, activation="relu6"), None),
    # the one-channel pass of an odd computed count (CONV_ODD): a single filter (no whole pair), 5 of 12 channels
    # live after the constant ones are skipped
    "conv_1_filter_relu": ("conv2d", dict(hw=(6, 7), cin=4, filters=1, activation="relu"), None),
    "conv1x1_dead_to_odd_live": ("conv2d", dict(hw=(6, 6), cin=16, filters=12, kernel=1),
                                 dict(zero=[0, 1, 2, 3, 4, 6, 8])),
    "conv_k27_cin1_3x9": ("conv2d", dict(hw=(6, 12), cin=1, filters=5, kernel=(3, 9)), None),
    "conv_k27_cin3_dil2x1_valid": ("conv2d", dict(hw=(9, 5), cin=3, filters=7, dilation=(2, 1), padding="valid"), None),
    "dw3x3_c8_relu6": ("depthwise", dict(hw=(6, 5), cin=8, activation="relu6"), None),
    "dw3x3_c12_stride2_valid": ("depthwise", dict(hw=(7, 7), cin=12, strides=2, padding="valid"), None),
    "dw5x5_c8": ("depthwise", dict(hw=(6, 6), cin=8, kernel=5), None),
    "dw_multiplier2": ("depthwise", dict(hw=(5, 5), cin=3, multiplier=2), None),  # as a block-diagonal conv
    "dw_dilation2_c4": ("depthwise", dict(hw=(7, 7), cin=4, dilation=2), None),
    "dense_13_to_7_relu": ("dense", dict(shape=(13,), units=7, activation="relu"), None),
    "residual_add": ("residual", dict(hw=(6, 6), c=4, op="add"), None),
    # arm_dsp mean_s8: 4 channels per word (+ a partial group), more than 256 rows (lane flush), keepdims
    "mean_global_c6": ("global_pool", dict(hw=(5, 7), c=6), None),
    "mean_306_rows_c8": ("global_pool", dict(hw=(18, 17), c=8), None),
    "mean_c9_keepdims": ("mean", dict(hw=(4, 6), c=9, keepdims=True), None),
    # issue 11: any quantization, dead channels, depth multipliers, odd channel counts
    "conv3x3_mixed_quantization": ("conv2d", dict(hw=(6, 6), cin=8, filters=12),
                                   dict(zero=[1, 5], tiny={2: 16, 3: 22, 7: 14, 10: 24}, left={4: 9, 9: 7})),
    "conv1x1_dead_and_left_relu": ("conv2d", dict(hw=(3, 5), cin=16, filters=10, kernel=1, activation="relu"),
                                   dict(zero=[0, 1, 2, 3, 5, 8], left={7: 7, 9: 9})),
    "conv_all_channels_dead": ("conv2d", dict(hw=(4, 4), cin=4, filters=6), dict(zero=list(range(6)))),
    "dw3x3_c7_relu6_mixed": ("depthwise", dict(hw=(6, 5), cin=7, activation="relu6"),
                             dict(zero=[2], tiny={0: 20, 5: 16}, left={6: 9})),
    "dw3x3_c6_stride2": ("depthwise", dict(hw=(7, 6), cin=6, strides=2), None),  # asm group + partial group
    "dw_c1_multiplier8": ("depthwise", dict(hw=(12, 10), cin=1, multiplier=8, kernel=(5, 3)), dict(zero=[3])),
    "dense_40_to_24_mixed": ("dense", dict(shape=(40,), units=24),
                             dict(zero=list(range(0, 24, 2)), tiny={3: 18}, left={5: 8})),
    # inputs longer than TFEDGE_FC_BLOCK (128): widened a block at a time, the sums in scratch (a tail of 1)
    "dense_301_to_13_mixed": ("dense", dict(shape=(301,), units=13),
                              dict(zero=[0, 4, 5], tiny={2: 20}, left={7: 6})),
    "dense_260_to_8_relu": ("dense", dict(shape=(260,), units=8, activation="relu"), None),
}

_FILTER_OPS = {3: 0, 4: 3, 9: 0}  # CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED: their filters' channel axis


def _patch(model: bytes, zero=(), tiny=None, left=None) -> bytes:
    """The model with its first conv/depthwise/FC filter edited in place: channels `zero` all-zero, the
    scale of channel c times 2^-k for tiny {c: k}, times 2^k for left {c: k}."""
    import tflite

    buf = bytearray(model)
    m = tflite.Model.GetRootAs(buf, 0)
    sg = m.Subgraphs(0)
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        code = m.OperatorCodes(op.OpcodeIndex())
        kind = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        if kind in _FILTER_OPS:
            break
    else:
        raise AssertionError("no conv/depthwise/FC to patch")
    w = sg.Tensors(op.Inputs(1))
    data = np.moveaxis(m.Buffers(w.Buffer()).DataAsNumpy().view(np.int8).reshape(w.ShapeAsNumpy()), _FILTER_OPS[kind], 0)
    scale = w.Quantization().ScaleAsNumpy()  # views into buf: writes patch the file
    for c in zero:
        data[c] = 0
    for c, k in (tiny or {}).items():
        scale[c] *= np.float32(2.0 ** -k)
    for c, k in (left or {}).items():
        scale[c] *= np.float32(2.0 ** k)
    return bytes(buf)


def _case_model(case: str) -> bytes:
    builder, params, patch = CASES[case]
    m = get_model(builder, **params)
    return m, (_patch(m["tflite"], **patch) if patch else m["tflite"])


def _quantized_inputs(m: dict, n_uniform: int = 40) -> np.ndarray:
    g = load_graph(m["tflite"])
    t = g.tensors[g.inputs[0]]
    x = m["x_float"].reshape((-1, *t.shape))
    q = np.clip(np.round(x / t.q_scale) + t.q_zero, -128, 127).astype(np.int8)
    uniform = np.random.default_rng(5).integers(-128, 128, (n_uniform, *t.shape), dtype=np.int8)
    return np.concatenate([q[:40], uniform])


# int16 weights (widened at compile time, the speed option; int8 is the default) on the cases whose conv/FC
# layers take the packed kernels
INT16_CASES = ["conv1x1_narrow_cin5_to5_relu6", "conv_cin3_odd_out_stride2", "conv_1_filter_relu", "conv1x1_dead_to_odd_live", "conv1x1_cin8_stride2_mixed", "conv_k27_cin3_stride2_relu6_mixed", "conv1x1_on_1pixel_relu", "conv_1x1_odd_pixels_relu", "conv3x3_mixed_quantization",
              "conv1x1_dead_and_left_relu", "dw_c1_multiplier8", "dense_13_to_7_relu", "dense_40_to_24_mixed",
              "dw3x3_c6_stride2", "dw5x5_c8", "dense_301_to_13_mixed"]  # depthwise: int16 weights widened at compile time (int8: per call)


@pytest.mark.qemu
@pytest.mark.parametrize("case,weights", [(c, None) for c in sorted(CASES)] + [(c, "int16") for c in INT16_CASES])
def test_generated_models_bit_exact_on_m4(case, weights, tmp_path):
    m, model = _case_model(case)
    tflite = tmp_path / f"{case}.tflite"
    tflite.write_bytes(model)
    x = _quantized_inputs(m)
    dev = flash_model(tflite, "mps2-an386", x, progress=False, weights=weights)
    assert dev["mismatches"] == 0, f"{case}: {dev['mismatched_values']} values differ from the host runner"
    ops = [op.kind for op in load_graph(model).ops]
    if "SPACE_TO_BATCH_ND" not in ops:  # (there TFLM is wrong: tests/test_compiler_ops.py shows it)
        np.testing.assert_array_equal(dev["outputs"].reshape(len(x), -1), tflm_run(model, x).reshape(len(x), -1))
    report = compile_model(model, tmp_path / "c", arch="dsp", weights=weights).report
    storage = weights or "int8"  # the default
    if any(row["variant"] in ("conv_im2col", "conv_1x1_matmul", "fc_rows4") for row in report["layers"]):
        assert any(f"{storage} weights" in row["variant_reason"] for row in report["layers"])
    for row in report["layers"]:  # every conv/depthwise/FC on an arch kernel, whatever its quantization
        if row["op"] in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            assert row["variant"] != "const_shape", (case, row["variant_reason"])


def test_patched_cases_exercise_each_path(tmp_path):
    """The patched cases really produce general channels, constant channels skipped, odd depthwise groups and
    the multiplier-8 depthwise as a convolution (so the board test above covers those paths)."""
    def rows(case):
        return compile_model(_case_model(case)[1], tmp_path / case, arch="dsp").report["layers"]

    for case in ("conv1x1_on_1pixel_relu", "conv3x3_valid_whole_map"):
        row = rows(case)[0]
        assert row["op"] == "CONV_2D" and row["kernel"] == "fully_connected_packed_s8", (case, row["variant_reason"])
        assert "1 output pixel" in row["variant_reason"]
    assert rows("conv_1pixel_map")[0]["kernel"] == "conv_packed_s8_nhwc"  # padded: not the whole window
    for case in [c for c in CASES if c.startswith("conv1x1_narrow")]:
        assert "values widened once into registers" in rows(case)[0]["variant_reason"], case
    assert "constant" in rows("conv1x1_narrow_cin5_to6_dead")[0]["variant_reason"]
    assert "two-step" in rows("conv1x1_narrow_cin2_to7_mixed")[0]["variant_reason"]
    for case in ("conv_k27_cin3_stride2_relu6_mixed", "conv_k27_cin1_3x9", "conv_k27_cin3_dil2x1_valid"):
        assert "3 window rows of 9 bytes" in rows(case)[0]["variant_reason"], case
    assert "gathered bytewise" in rows("conv_cin6_3x3_odd_out")[0]["variant_reason"]  # (span 18: the byte row)
    for case in ("conv_1_filter_relu", "conv1x1_dead_to_odd_live", "conv_cin3_odd_out_stride2"):
        assert "by a 1-channel x 2-pixel pass" in rows(case)[0]["variant_reason"], case
    assert "5 channels computed" in rows("conv1x1_dead_to_odd_live")[0]["variant_reason"]
    for case in ("conv_1x1_odd_pixels_relu", "conv1x1_cin16_w1_relu6", "conv_1pixel_map", "conv_cin3_odd_out_stride2"):
        assert "a single last pixel by a 2-channel x 1-pixel pass" in rows(case)[0]["variant_reason"], case
    for case in ("conv1x1_cin8_stride2_mixed", "conv1x1_cin16_w1_relu6", "conv_1x1_odd_pixels_relu"):
        assert "each pixel pair widened in one loop" in rows(case)[0]["variant_reason"], case
    conv = rows("conv3x3_mixed_quantization")[0]
    assert "two-step form" in conv["variant_reason"] and "provably constant" in conv["variant_reason"]
    # two-step channels link the accumulating passes (CONV_ACC); a layer without them (int8) does not
    assert "#define TFEDGE_MODEL_USES_CONV_ACC 1" in (tmp_path / "conv3x3_mixed_quantization" / "model.h").read_text()
    assert "#define TFEDGE_MODEL_USES_CONV_ACC 0" in (tmp_path / "conv_cin3_odd_out_stride2" / "model.h").read_text()
    assert conv["effective_macs"] < conv["macs"]
    dead = rows("conv_all_channels_dead")[0]
    assert dead["effective_macs"] == 0 and "6 of 6 output channels" in dead["variant_reason"]
    dw = rows("dw3x3_c7_relu6_mixed")[0]
    assert dw["variant"] == "depthwise_simd4" and "two-step form" in dw["variant_reason"] and "partial group" in dw["variant_reason"]
    audio = rows("dw_c1_multiplier8")[0]
    assert audio["op"] == "DEPTHWISE_CONV_2D" and audio["kernel"] == "conv_packed_s8_nhwc"
    fc = rows("dense_40_to_24_mixed")[0]
    assert fc["variant"] == "fc_rows4" and fc["effective_macs"] <= fc["macs"] // 2 and "two-step form" in fc["variant_reason"]
    # two-step rows link the FC's general requantization (FC_GENERAL); a dense layer without them does not
    assert "#define TFEDGE_MODEL_USES_FC_GENERAL 1" in (tmp_path / "dense_40_to_24_mixed" / "model.h").read_text()
    rows("dense_13_to_7_relu")
    assert "#define TFEDGE_MODEL_USES_FC_GENERAL 0" in (tmp_path / "dense_13_to_7_relu" / "model.h").read_text()


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.parametrize("name,board,variants_used,weights", [
    ("kws_ref_model.tflite", "mps2-an386", {"conv_im2col", "conv_1x1_matmul", "depthwise_simd4", "fc_rows4"}, "int16"),
    ("ad01_int8.tflite", "mps2-an505", {"fc_rows4"}, "int16"),  # the speed option; the others int8 (default)
    ("kws_ref_model.tflite", "mps2-an386", {"conv_im2col", "conv_1x1_matmul", "depthwise_simd4", "fc_rows4"}, None),
    ("pretrainedResnet_quant.tflite", "mps2-an386", {"conv_im2col", "conv_1x1_matmul", "fc_rows4"}, None),
    ("ad01_int8.tflite", "mps2-an386", {"fc_rows4"}, None),
    ("vww_96_int8.tflite", "mps2-an386", {"conv_im2col", "conv_1x1_matmul", "depthwise_simd4", "fc_rows4"}, None),
    ("kws_ref_model.tflite", "mps2-an505", {"conv_1x1_matmul", "depthwise_simd4"}, None),  # Cortex-M33
    ("vww_96_int8.tflite", "mps2-an505", {"conv_1x1_matmul", "depthwise_simd4"}, None),
    ("ad01_int8.tflite", "mps2-an500", {"fc_rows4"}, None),  # Cortex-M7
    ("vww_96_int8.tflite", "mps2-an500", {"conv_1x1_matmul", "depthwise_simd4"}, None),
])
def test_shared_models_bit_exact_on_dsp_boards(reference_models, name, board, variants_used, weights, tmp_path):
    # VWW sits beside the others in the shared folder (not in conftest's list, which other suites iterate)
    tflite = reference_models[name] if name in reference_models else reference_models["ad01_int8.tflite"].parent / name
    assert tflite.is_file(), f"{tflite} missing from the shared reference models"
    g = load_graph(tflite)
    t = g.tensors[g.inputs[0]]
    x = np.random.default_rng(11).integers(-128, 128, (4 if "vww" in name else 16, *t.shape)).astype(t.dtype)
    dev = flash_model(tflite, board, x, progress=False, weights=weights)
    assert dev["mismatches"] == 0, f"{name} on {board}: {dev['mismatched_values']} values differ from the host runner"
    np.testing.assert_array_equal(dev["outputs"].reshape(len(x), -1), tflm_run(tflite, x).reshape(len(x), -1))
    report = compile_model(tflite, tmp_path, arch="dsp", weights=weights).report
    assert variants_used <= {row["variant"] for row in report["layers"]}
    assert all(row["variant_reason"] for row in report["layers"] if row["op"] in ("CONV_2D", "FULLY_CONNECTED"))
    assert not [row for row in report["layers"] if row["variant"] == "const_shape"]  # issue 11: an arch path for all


def test_packed_variants_portable_references_on_host(reference_models, tmp_path):
    """The model compiled for the DSP variants, linked with the portable kernels on the host, equals
    the portable-variant model (so every variant runs on every core)."""
    for name, weights in (("kws_ref_model.tflite", None), ("ad01_int8.tflite", None), ("kws_ref_model.tflite", "int16"),
                          ("ad01_int8.tflite", "int16")):
        tflite = reference_models[name]
        g = load_graph(tflite)
        t = g.tensors[g.inputs[0]]
        x = np.random.default_rng(2).integers(-128, 128, (20, *t.shape)).astype(t.dtype)
        out = tmp_path / f"{name}-{weights}"
        res = compile_model(tflite, out, arch="dsp", weights=weights)
        exe = out / "runner"
        srcs = [str(res.model_c), *map(str, runtime_sources("portable")), str(HOST_MAIN)]
        subprocess.run(["cc", "-O1", "-std=c99", "-Wall", "-Wextra", "-Werror", f"-I{out}",
                        *[f"-I{d}" for d in runtime_include_dirs()], *srcs, "-o", str(exe), "-lm"], check=True)
        got = _run(exe, [x], res.report)[0]
        np.testing.assert_array_equal(got.reshape(len(x), -1), np.asarray(run_model(tflite, x)).reshape(len(x), -1))
        assert res.report["scratch_bytes"] > 0


def test_compile_cli_arch_reports_variants(reference_models, tmp_path, capsys):
    from tfedge import cli

    assert cli.main(["compile", str(reference_models["kws_ref_model.tflite"]), "-o", str(tmp_path), "--arch", "dsp"]) == 0
    out = capsys.readouterr().out
    assert "conv_1x1_matmul" in out and "depthwise_simd4" in out and "kernel scratch up to 1,008 B of it" in out  # the depthwise band
    assert "int8 weights" in out  # the default storage
    assert cli.main(["compile", str(reference_models["kws_ref_model.tflite"]), "-o", str(tmp_path)]) == 0
    assert "conv_1x1_matmul" not in capsys.readouterr().out  # portable by default
    assert cli.main(["compile", str(reference_models["kws_ref_model.tflite"]), "-o", str(tmp_path), "--arch", "dsp",
                     "--weights", "int16"]) == 0
    assert "int16 weights" in capsys.readouterr().out
    assert cli.main(["compile", str(reference_models["kws_ref_model.tflite"]), "-o", str(tmp_path), "--arch", "dsp",
                     "--kernels", "reference"]) == 0
    assert "conv_1x1_matmul" not in capsys.readouterr().out


@pytest.mark.qemu
def test_flash_cli_weights_and_kernels(reference_models, tmp_path, capsys):
    """`tfedge flash --weights int8` runs the int8-storage kernels, `--kernels reference` the plain loops."""
    import json

    from tfedge import cli

    tflite = reference_models["ad01_int8.tflite"]
    np.save(tmp_path / "x.npy", np.random.default_rng(4).integers(-128, 128, (2, 640)).astype(np.int8))
    runs = {}
    for flags in (["--weights", "int8"], ["--weights", "int16"], ["--kernels", "reference"]):
        out = tmp_path / f"{flags[1]}.json"
        assert cli.main(["flash", str(tflite), "--board", "mps2-an386", "--inputs", str(tmp_path / "x.npy"),
                         "--json", str(out), *flags]) == 0
        assert "bit-exact" in capsys.readouterr().out
        runs[flags[1]] = json.loads(out.read_text())
    assert runs["reference"]["kernel_arch"] == "reference" and runs["int8"]["kernel_arch"] == "dsp"
    assert runs["int8"]["rodata_bytes"] < 0.6 * runs["int16"]["rodata_bytes"]  # weights in flash halved
    assert runs["int16"]["instructions_per_inference"] < runs["int8"]["instructions_per_inference"] \
        < runs["reference"]["instructions_per_inference"]


def test_weights_auto_spends_the_budget_where_it_buys_most(reference_models, tmp_path):
    """`--weights auto:BYTES`: int8 everywhere, then int16 on the layers with the most instructions saved per
    extra byte while the extra bytes fit; the report gives each layer's storage and bytes."""
    from tfedge.errors import ModelError

    tflite = reference_models["kws_ref_model.tflite"]

    def report(weights):
        return compile_model(tflite, tmp_path / weights.replace(":", "_"), arch="dsp", weights=weights).report

    int8, int16 = report("int8"), report("int16")
    packed = [r for r in int8["layers"] if r["kernel"] in variants.INT16_SAVING]
    assert packed and all(r["storage"] == "int8" and r["storage_bytes"] > 0 for r in packed)
    wide = {r["index"]: r for r in int16["layers"]}
    assert all(wide[r["index"]]["storage_bytes"] == 2 * r["storage_bytes"] for r in packed)  # int16: twice the bytes
    assert report("auto:0")["flash_bytes"] == int8["flash_bytes"]
    # a budget of int16's whole flash: every packed layer int16, and no more flash than int16 (whose speed option
    # keeps the full requantization tables; auto starts from the int8 default's compact ones)
    whole = report(f"auto:{int16['flash_bytes']}")
    assert [r["storage"] for r in whole["layers"]] == [r["storage"] for r in int16["layers"]]
    assert whole["flash_bytes"] <= int16["flash_bytes"]
    budget = 9000  # int8 weights: first conv 2,560 B, depthwise 576 B and pointwise convs 4,096 B each, FC 768 B
    auto = report(f"auto:{budget}")
    extra = auto["flash_bytes"] - int8["flash_bytes"]
    chosen = [r for r in auto["layers"] if r["storage"] == "int16" and r["kernel"] in variants.INT16_SAVING]
    assert 0 < extra <= sum(r["storage_bytes"] // 2 for r in chosen) <= budget  # (+ the bytes the widening adds)
    # the first conv, the first pointwise conv and the four depthwise layers (equal gains per byte, taken in layer
    # order while they fit: 2,560 + 576 + 4,096 + 3 x 576 = 8,960 B); the FC saves the least per byte
    assert sorted((r["op"], r["storage_bytes"]) for r in chosen) == [("CONV_2D", 5120), ("CONV_2D", 8192)] + [
        ("DEPTHWISE_CONV_2D", 1152)] * 4
    with pytest.raises(ModelError, match="auto:BYTES"):
        compile_model(tflite, tmp_path / "x", arch="dsp", weights="auto")
    with pytest.raises(ModelError, match="must be an integer"):
        compile_model(tflite, tmp_path / "x", arch="dsp", weights="auto:lots")


def test_run_cli_weights_and_kernels(reference_models, tmp_path, capsys):
    """`tfedge run --kernels arch --weights ...` runs the DSP layouts' portable references on the host: the
    same outputs as the portable build, whatever the storage."""
    from tfedge import cli

    tflite = reference_models["ad01_int8.tflite"]
    np.save(tmp_path / "x.npy", np.random.default_rng(7).integers(-128, 128, (6, 640)).astype(np.int8))
    outs = []
    for flags in ([], ["--kernels", "arch"], ["--kernels", "arch", "--weights", "int16"],
                  ["--kernels", "arch", "--weights", "auto:90000"]):
        y = tmp_path / f"y{len(outs)}.npy"
        assert cli.main(["run", str(tflite), "--inputs", str(tmp_path / "x.npy"), "-o", str(y), *flags]) == 0
        outs.append(np.load(y))
    for y in outs[1:]:
        np.testing.assert_array_equal(y, outs[0])
    with pytest.raises(SystemExit):
        cli.main(["run", str(tflite), "--inputs", str(tmp_path / "x.npy"), "-o", str(tmp_path / "y.npy"), "--weights", "int4"])
    assert "auto:BYTES" in capsys.readouterr().err


@pytest.mark.qemu
def test_compare_cli_weights_per_layer(reference_models, tmp_path, capsys):
    """`tfedge compare --weights int16` builds both models with that storage and lists per layer the storage,
    its bytes and the instructions; `--weights auto` on a board spends its free flash (all int16 here)."""
    from tfedge import cli

    tflite = str(reference_models["ad01_int8.tflite"])
    assert cli.main(["compare", tflite, tflite, "--board", "mps2-an386", "--weights", "int16"]) == 0
    out = capsys.readouterr().out
    assert "weights per layer" in out and "int16       163,840 B  fc_rows4" in out and "int8 " not in out
    assert cli.main(["compare", tflite, tflite, "--board", "mps2-an386", "--weights", "auto", "--json",
                     str(tmp_path / "c.json")]) == 0
    import json

    layers = json.loads((tmp_path / "c.json").read_text())["models"][0]["layers"]
    assert [l["storage"] for l in layers] == ["int16"] * 10 and layers[0]["storage_bytes"] == 163_840
