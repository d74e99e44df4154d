"""Flash and RAM budgets (issue 11) as benchmarks in bytes: the compile report's accounting of weights +
prepared tables against the .tflite's constants, the records as the one copy of bias/multiplier/shift, int8
depthwise weights, the runtime code of a firmware measured from its ELF, and a widening convolution run in
place by rows (its output over its input)."""

from __future__ import annotations

import numpy as np
import pytest

from modelgen import get_model
from tflm_ref import tflm_run
from tfedge.boards import load_board
from tfedge.build.firmware import build_firmware
from tfedge.compiler import compile_model, load_graph, runtime_include_dirs, runtime_sources, variants
from tfedge.compiler.host_run import run_model
from tfedge.compiler.inplace import row_lag
from tfedge.emulate.flash import code_accounting

# weights + tables / the .tflite's constant tensors with the default (int8) on the DSP kernels, as measured
# (docs/memory.md): a regression in the prepared data shows here first.
RATIO_LIMITS = {"kws_ref_model.tflite": 1.39, "pretrainedResnet_quant.tflite": 1.06, "ad01_int8.tflite": 1.08}


@pytest.mark.parametrize("name", sorted(RATIO_LIMITS))
def test_flash_accounting_and_ratio(reference_models, name, tmp_path):
    report = compile_model(reference_models[name], tmp_path / "c", arch="dsp").report
    f = report["flash"]
    assert f["ratio"] == pytest.approx((f["weights_bytes"] + f["tables_bytes"]) / f["tflite_const_bytes"])
    assert f["ratio"] <= RATIO_LIMITS[name], f
    assert f["ratio_with_quant"] < f["ratio"]  # the file's per-channel scales and zero points counted too
    rows = [layer["flash"] for layer in report["layers"]]
    # every constant is some layer's input, but the shape operands of aliases (RESHAPE: no code, no flash)
    assert 0 <= f["tflite_const_bytes"] - sum(r["tflite_const_bytes"] for r in rows) <= 16
    assert sum(r["weights_bytes"] + r["tables_bytes"] + r["params_bytes"] for r in rows) == report["flash_bytes"]
    model_c = (tmp_path / "c" / "model.c").read_text()
    # the packed kernels read bias, multiplier and shift from their records only: no second copy
    assert "_mult_" not in model_c and "_shift_" not in model_c and "_bias_" not in model_c


def test_depthwise_weights_int8_in_flash(reference_models, tmp_path):
    """A 5x5 depthwise layer stores one byte per weight with the default (widened per call into scratch), two
    with int16 (the speed option); KWS's 3x3 layers keep int16 on the band path (RAM: its band is the peak)."""
    m = get_model("depthwise", hw=(6, 6), cin=8, kernel=5)
    for weights, size in ((None, 1), ("int16", 2)):
        report = compile_model(m["tflite"], tmp_path / str(weights), arch="dsp", weights=weights).report
        (dw,) = [r for r in report["layers"] if r["op"] == "DEPTHWISE_CONV_2D"]
        assert dw["storage"] == (weights or "int8") and dw["storage_bytes"] == 5 * 5 * 8 * size, dw
        assert dw["flash"]["weights_bytes"] == dw["storage_bytes"]
        assert dw["flash"]["tables_bytes"] == 8 * 16  # one record per channel, nothing else
        assert ("per call" in dw["variant_reason"]) == (weights is None)
    kws = compile_model(reference_models["kws_ref_model.tflite"], tmp_path / "kws", arch="dsp").report
    assert {r["storage"] for r in kws["layers"] if r["op"] == "DEPTHWISE_CONV_2D"} == {"int16"}


def test_depthwise_int8_layout_is_the_int16_one_unwidened():
    w = np.arange(-70, 65, dtype=np.int8).reshape(1, 3, 5, 9)  # 15 taps, 9 channels (a partial group)
    wide = variants.widen_depthwise_weights(w).reshape(3, 15, 4)
    narrow = variants.widen_depthwise_weights(w, wide=False).reshape(3, 15, 4)
    assert narrow.dtype == np.int8 and wide.dtype == np.int16
    np.testing.assert_array_equal(narrow[:, :, [0, 2, 1, 3]], wide)  # SXTB16 / ROR 8 give the int16 order
    np.testing.assert_array_equal(narrow[1, 7], w[0, 1, 2, 4:8])
    assert not narrow[2, :, 1:].any()  # channels past 9: zero weights


# issue 11's target is 16 KB; KWS measured 18,024 B since the depthwise band path (not met: docs/memory.md)
@pytest.mark.parametrize("name,limit", [("kws_ref_model.tflite", 18_500), ("pretrainedResnet_quant.tflite", 16 * 1024),
                                        ("ad01_int8.tflite", 4 * 1024)])
def test_runtime_code_on_the_m4(reference_models, name, limit, tmp_path):
    """Runtime code (kernels, model.c, libc: all but the test harness) from the ELF's DWARF ranges."""
    board = load_board("mps2-an386")
    res = compile_model(reference_models[name], tmp_path / "c", arch=board.kernel_arch)
    fw = build_firmware(board.for_arena(res.report["arena_bytes"]), [res.model_c, *runtime_sources(board.kernel_arch)],
                        include_dirs=[res.out_dir, *runtime_include_dirs()])
    code = code_accounting(fw.elf)
    assert code["runtime_bytes"] <= limit, code
    assert code["harness_bytes"] > 0 and code["model_bytes"] > 0 and code["kernel_bytes"] > code["model_bytes"]
    assert code["runtime_bytes"] == code["kernel_bytes"] + code["model_bytes"] + code["libc_bytes"]
    assert ("depthwise_conv_packed_s8_nhwc.c" in code["by_source"]) == (name == "kws_ref_model.tflite")


def test_row_lag_with_the_input_at_the_buffer_end():
    """A 3x3 conv 48x48x3 -> 48x48x5, one row per call: the output rows (240 B) outrun the input rows (144 B)
    from the same start, never safe. With the input at offset D, chunk c (reading from input row c - 1) runs
    after chunks 0..c-1-lag were written back: safe while (c - lag) * 240 <= D + (c - 1) * 144 up to c = 47,
    i.e. lag 0 from D = 4,656, lag 1 from 4,416, lag 2 from 4,176 B."""
    geo = (48, 144, 48, 240, 1, 1, 3)
    assert row_lag(*geo) is None
    assert row_lag(*geo, in_offset=4656) == 0 and row_lag(*geo, in_offset=4655) == 1
    assert row_lag(*geo, in_offset=4416) == 1 and row_lag(*geo, in_offset=4415) == 2
    assert row_lag(*geo, in_offset=4176) == 2 and row_lag(*geo, rows=2, in_offset=4608) == 0


@pytest.mark.parametrize("arch", ["portable", "dsp"])
def test_widening_conv_runs_in_place_bit_exact(arch, tmp_path):
    """3 -> 8 channels at 24x24: the output over its input (the input at the buffer's end), one buffer for both;
    bit-exact with TFLM on the host with each kernel architecture's layouts."""
    m = get_model("conv2d", hw=(24, 24), cin=3, filters=8, activation="relu")
    report = compile_model(m["tflite"], tmp_path / arch, arch=arch).report
    assert "in place by rows" in report["layers"][0]["memory"], report["layers"][0]
    x, y = (24 * 24 * 3), (24 * 24 * 8)
    assert report["arena_bytes"] < x + y  # TFLM's plan: both
    g = load_graph(m["tflite"])
    t = g.tensors[g.inputs[0]]
    xs = np.random.default_rng(3).integers(-128, 128, (6, *t.shape)).astype(np.int8)
    np.testing.assert_array_equal(np.asarray(run_model(m["tflite"], xs, arch=arch)).reshape(6, -1),
                                  tflm_run(m["tflite"], xs).reshape(6, -1))
