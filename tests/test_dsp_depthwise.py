"""The M4 (arm_dsp) depthwise band path on every geometry it takes: 3x3 (band_row3x3), 5x5 / 7x7 / rectangular
windows (band_rowk), strides 1 and 2, same / valid padding, channel counts not multiples of 4 (a partial last group:
zero weights, bytewise stores, the tensor's last word read bytewise), int8 and int16 weights. Each model runs on
mps2-an386 against the host runner (portable/depthwise_conv_packed_s8_nhwc.c) and TFLM, many inputs per session."""

from __future__ import annotations

import numpy as np
import pytest

from modelgen import get_model
from test_arch_dsp import _quantized_inputs
from tflm_ref import tflm_run
from tfedge.compiler import compile_model
from tfedge.emulate.flash import flash_model

BAND_CASES = {
    "dw5x5_c6_stride2": dict(hw=(9, 10), cin=6, kernel=5, strides=2),
    "dw7x7_c10_stride2": dict(hw=(11, 13), cin=10, kernel=7, strides=2),
    "dw5x5_c5_valid": dict(hw=(8, 7), cin=5, kernel=5, padding="valid"),
    "dw5x5_c16_stride2_even": dict(hw=(12, 16), cin=16, kernel=5, strides=2, activation="relu6"),
    "dw7x5_c12_stride1x2": dict(hw=(9, 11), cin=12, kernel=(7, 5), strides=(1, 2)),
    "dw3x3_c7_band": dict(hw=(6, 9), cin=7, activation="relu"),
    "dw3x3_c3_stride2": dict(hw=(7, 8), cin=3, strides=2),
    "dw3x3_c42_stride2_wide": dict(hw=(9, 30), cin=42, strides=2),  # chunks of groups, the partial one last
    "dw1x1_c9": dict(hw=(4, 5), cin=9, kernel=1),
    # band_row3x3's pixel pairs (stride 1): even and odd widths (a single last pixel), one pixel (no pair), chunks
    "dw3x3_c8_pairs_even": dict(hw=(5, 8), cin=8, activation="relu6"),
    "dw3x3_c12_pairs_odd": dict(hw=(4, 7), cin=12),
    "dw3x3_c16_w1": dict(hw=(5, 1), cin=16, activation="relu"),
    "dw3x3_c4_w2_valid": dict(hw=(4, 4), cin=4, padding="valid"),
    "dw3x3_c44_pairs_chunks": dict(hw=(6, 10), cin=44),
    "dw3x3_c8_pairs_stride2_odd": dict(hw=(7, 10), cin=8, strides=2, activation="relu6"),  # 5 pixels: 2 pairs + 1
    "dw3x3_c20_pairs_stride2_even": dict(hw=(8, 8), cin=20, strides=2),
    "dw3x3_c12_stride2_valid": dict(hw=(9, 11), cin=12, strides=2, padding="valid"),
}
INT16 = ["dw5x5_c6_stride2", "dw7x7_c10_stride2", "dw3x3_c7_band", "dw3x3_c12_pairs_odd", "dw3x3_c44_pairs_chunks",
         "dw3x3_c20_pairs_stride2_even"]


@pytest.mark.qemu
@pytest.mark.parametrize("case,weights", [(c, None) for c in sorted(BAND_CASES)] + [(c, "int16") for c in INT16])
def test_band_path_bit_exact_on_m4(case, weights, tmp_path):
    m = get_model("depthwise", **BAND_CASES[case])
    tflite = tmp_path / f"{case}.tflite"
    tflite.write_bytes(m["tflite"])
    x = _quantized_inputs(m)
    report = compile_model(m["tflite"], tmp_path / "c", arch="dsp", weights=weights).report
    (row,) = [r for r in report["layers"] if r["op"] == "DEPTHWISE_CONV_2D"]
    assert row["variant"] == "depthwise_simd4" and "band of" in row["variant_reason"], row["variant_reason"]
    dev = flash_model(tflite, "mps2-an386", x, progress=False, weights=weights)
    assert dev["mismatches"] == 0, f"{case}: {dev['mismatched_values']} values differ from the host runner"
    np.testing.assert_array_equal(dev["outputs"].reshape(len(x), -1), tflm_run(m["tflite"], x).reshape(len(x), -1))


def _geo(in_hw, k, stride=1, same=True, dil=1):
    """Geometry of a depthwise layer as ops/conv.geometry gives it (TF SAME / VALID padding)."""
    (in_h, in_w), (k_h, k_w) = in_hw, (k, k) if isinstance(k, int) else k
    def side(n, kk):
        out = -(-n // stride) if same else (n - (kk - 1) * dil - 1) // stride + 1
        pad = max((out - 1) * stride + (kk - 1) * dil + 1 - n, 0) // 2 if same else 0
        return out, pad
    (out_h, pad_top), (out_w, pad_left) = side(in_h, k_h), side(in_w, k_w)
    return dict(in_h=in_h, in_w=in_w, k_h=k_h, k_w=k_w, stride_h=stride, stride_w=stride, dil_h=dil, dil_w=dil,
                out_h=out_h, out_w=out_w, pad_top=pad_top, pad_left=pad_left)


def test_band_choice_paths_and_scratch():
    """variants.dw_band / dw_paths / dw_band_bytes mirror the kernel (band_path, tfedge_dw_band_chunk,
    tfedge_dw_band_pad_right): 3x3 same keeps its 24 * (in_w + 2) B per group; 5x5 / 7x7 and partial groups take
    band_rowk; dilation and two-step channels the per-pixel loops."""
    from tfedge.compiler import variants

    fast = variants.requant_records(None, [1 << 30] * 8, [-6] * 8, 0)
    general = variants.requant_records(None, [1 << 30] * 8, [3] * 8, 0)
    kws = _geo((25, 5), 3)
    assert variants.dw_band_bytes(kws, 64) == 6 * 24 * 7 and variants.dw_paths(kws, 64, fast) == ("DW_BAND3",)
    assert variants.dw_paths(kws, 7, fast) == ("DW_BAND3", "DW_BANDK") and variants.dw_paths(kws, 3, fast) == ("DW_BANDK",)
    k7 = _geo((20, 20), 7, stride=2)  # pad 2 left, 3 right: 25 entries x 7 rows x 8 B, one group per chunk
    assert (k7["pad_left"], k7["out_w"]) == (2, 10) and variants.dw_band_bytes(k7, 64) == 8 * 7 * 25
    assert variants.dw_paths(k7, 64, fast) == ("DW_BANDK",)
    assert variants.dw_paths(_geo((9, 9), 3, dil=2), 8, fast) == ("DW_PIXEL",)
    assert variants.dw_paths(kws, 8, general) == ("DW_PIXEL",)
    assert variants.dw_paths(_geo((12, 12), 9), 8, fast) == ("DW_PIXEL",)  # over TFEDGE_DW_BAND_K
    reason = variants.depthwise_choice("dsp", 8, 1, general, kws, "int8").reason
    assert "not the band path: two-step channels" in reason, reason
