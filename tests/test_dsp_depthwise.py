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
}
INT16 = ["dw5x5_c6_stride2", "dw7x7_c10_stride2", "dw3x3_c7_band"]


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
