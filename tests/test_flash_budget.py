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
# (issue 11's target, 1.1x, is met by all four: KWS with its records compact in flash, 1.094 measured, expanded into
# the arena per inference; docs/kernels.md "Compact requantization tables")
RATIO_LIMITS = {"kws_ref_model.tflite": 1.10, "pretrainedResnet_quant.tflite": 1.06, "ad01_int8.tflite": 1.08,
                "vww_96_int8.tflite": 0.40}


@pytest.mark.parametrize("name", sorted(RATIO_LIMITS))
def test_flash_accounting_and_ratio(reference_models, name, tmp_path):
    # VWW sits beside the others in the shared folder (not in conftest's list, which other suites iterate)
    tflite = reference_models[name] if name in reference_models else reference_models["ad01_int8.tflite"].parent / name
    report = compile_model(tflite, tmp_path / "c", arch="dsp").report
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
    if name == "kws_ref_model.tflite":  # compact in flash: 2 words per channel, not the 16 B records
        assert "tfedge_requant_expand_records(" in model_c and f["tables_bytes"] < 8 * 600, f


def test_depthwise_weights_int8_in_flash(reference_models, tmp_path):
    """A 5x5 depthwise layer stores one byte per weight with the default (the band path widens a group's taps per row), two
    with int16 (the speed option); KWS's 3x3 layers too (the band path widens a group's taps per row on its stack:
    no scratch for them)."""
    m = get_model("depthwise", hw=(6, 6), cin=8, kernel=5)
    for weights, size in ((None, 1), ("int16", 2)):
        report = compile_model(m["tflite"], tmp_path / str(weights), arch="dsp", weights=weights).report
        (dw,) = [r for r in report["layers"] if r["op"] == "DEPTHWISE_CONV_2D"]
        assert dw["storage"] == (weights or "int8") and dw["storage_bytes"] == 5 * 5 * 8 * size, dw
        assert dw["flash"]["weights_bytes"] == dw["storage_bytes"]
        # one record per channel at most, nothing else (compact in flash: the layer alone is over 1.1x with them)
        assert 0 < dw["flash"]["tables_bytes"] <= 8 * 16
        assert ("per group and row" in dw["variant_reason"]) == (weights is None)  # the 5x5 band path
    kws = compile_model(reference_models["kws_ref_model.tflite"], tmp_path / "kws", arch="dsp").report
    dws = [r for r in kws["layers"] if r["op"] == "DEPTHWISE_CONV_2D"]
    assert {r["storage"] for r in dws} == {"int8"} and {r["storage_bytes"] for r in dws} == {3 * 3 * 64}
    assert all("per group and row" in r["variant_reason"] for r in dws), dws[0]["variant_reason"]


def test_depthwise_int8_layout_is_the_int16_one_unwidened():
    w = np.arange(-70, 65, dtype=np.int8).reshape(1, 3, 5, 9)  # 15 taps, 9 channels (a partial group)
    wide = variants.widen_depthwise_weights(w).reshape(3, 15, 4)
    narrow = variants.widen_depthwise_weights(w, wide=False).reshape(3, 15, 4)
    assert narrow.dtype == np.int8 and wide.dtype == np.int16
    np.testing.assert_array_equal(narrow[:, :, [0, 2, 1, 3]], wide)  # SXTB16 / ROR 8 give the int16 order
    np.testing.assert_array_equal(narrow[1, 7], w[0, 1, 2, 4:8])
    assert not narrow[2, :, 1:].any()  # channels past 9: zero weights


def _m4_code(tflite, out, weights=None) -> dict:
    board = load_board("mps2-an386")
    res = compile_model(tflite, out, arch=board.kernel_arch, weights=weights)
    fw = build_firmware(board.for_arena(res.report["arena_bytes"]), [res.model_c, *runtime_sources(board.kernel_arch)],
                        include_dirs=[res.out_dir, *runtime_include_dirs()])
    return code_accounting(fw.elf)


# issue 11's target: 16 KB on every model. VWW links the most arm_dsp kernels of the shared models (conv, depthwise
# with its per-pixel loops, average pool, softmax) and is held to 16 KB itself; the others to their own size
# (measured 2026-12-02: KWS 12,020 B, ResNet-8 12,726 B, AD 3,590 B, VWW 14,064 B; docs/memory.md; 2026-12-03, branch
# m4dw: KWS 13,264 B, the depthwise band path's pixel pairs +1.3 KB for -4 % of its depthwise instructions)
@pytest.mark.parametrize("name,limit", [("kws_ref_model.tflite", 13.5 * 1024), ("pretrainedResnet_quant.tflite", 13 * 1024),
                                        ("ad01_int8.tflite", 3.75 * 1024), ("vww_96_int8.tflite", 16 * 1024)])
def test_runtime_code_on_the_m4(reference_models, name, limit, tmp_path):
    """Runtime code (kernels, model.c, libc: all but the test harness) from the ELF's DWARF ranges."""
    tflite = reference_models[name] if name in reference_models else reference_models["ad01_int8.tflite"].parent / name
    code = _m4_code(tflite, tmp_path / "c")
    assert code["runtime_bytes"] <= limit, code
    assert code["harness_bytes"] > 0 and code["model_bytes"] > 0 and code["kernel_bytes"] > code["model_bytes"]
    assert code["runtime_bytes"] == code["kernel_bytes"] + code["model_bytes"] + code["libc_bytes"]
    assert ("depthwise_conv_packed_s8_nhwc.c" in code["by_source"]) == (name in ("kws_ref_model.tflite", "vww_96_int8.tflite"))
    assert not any(k.startswith("strlen") for k in code["by_source"]), code  # the harness's sh_open has its own


# the M55 (mps3-an547): KWS measured 15,790 B (depthwise_conv_s8_nhwc.c 6,242 B, conv_s8_nhwc.c 6,312 B: the
# weights-stationary functions for 3 and 4 steps only; 32,334 / 14,812 / 13,414 with every path): issue 11's 16 KB
# (docs/memory.md)
# KWS's M55 runtime code measured 16,702 B on main after the Helium first-layer im2col (branch mvek) met the cold-code
# and guard work (branch size); 14,182 B (depthwise 3,646 B) since the ring's pass sizes have their own guards
# (branch m55dw: KWS's 5-pixel rows link the 5-pixel assembly pass only): regression bounds.
# Branch m55conv: the weights-stationary assembly only for right-shift channels (one C loop for the rest), column()
# behind MVE_CONV_COLUMN: conv_s8_nhwc.c 6,664 -> 3,668 B, runtime 11,138 B measured with m55dw's depthwise.
# Seventh pass: the per-pixel depthwise loop and the per-call preparation behind guards (m55dw: depthwise 2,592 B),
# one weights-stationary channel loop for every step count (m55conv: conv_s8_nhwc.c 3,668 -> 2,842 B).
M55_KWS_LIMIT, M55_KWS_DW_LIMIT, M55_KWS_CONV_LIMIT = 9_728, 2688, 2944


def test_runtime_code_on_the_m55_kws(reference_models, tmp_path):
    """KWS on mps3-an547 links only the Helium paths its layers take (tfedge_uses.h, variants_mve.conv_paths): the
    depthwise 3x3 ring's 5-pixel pass (rows of 5) and the weights-stationary conv (K = 40 and 64)."""
    board = load_board("mps3-an547")
    res = compile_model(reference_models["kws_ref_model.tflite"], tmp_path / "c", arch=board.kernel_arch)
    assert _uses(tmp_path / "c", mve=True) == {
        "MVE_DW_WINDOW": 0, "MVE_DW_LANES3": 0, "MVE_DW_LANES6": 0, "MVE_DW_LANES_G2": 0, "MVE_DW_WIN3": 0, "MVE_DW_WIN6": 0, "MVE_DW_WIN5": 0, "MVE_DW_WIN_G1": 0, "MVE_DW_WIN_G4": 0, "MVE_DW_WIN_ANY": 0,
        "MVE_DW_RING": 1, "MVE_DW_RING3": 0, "MVE_DW_RING4": 0, "MVE_DW_RING5": 1, "MVE_DW_RING_S2_3": 0,
        "MVE_DW_RING_S2_4": 0, "MVE_DW_RING_S2_5": 0, "MVE_DW_TAPS": 0, "MVE_DW_UNPREP": 0, "MVE_DW_PIXEL": 0, "MVE_ADD_RUN": 0, "MVE_MUL_RUN": 0, "MVE_CONV_WS": 1,
        "MVE_CONV_MM": 0, "MVE_CONV_MM9": 0, "MVE_CONV_COLUMN": 0, "MVE_CONV_DIRECT": 0,
        "MVE_CONV_WS0": 0, "MVE_CONV_WS1": 0, "MVE_CONV_WS2": 0, "MVE_CONV_WS3": 1, "MVE_CONV_WS4": 1,  # K = 40 (first conv), 64
        "MVE_CONV_NARROW": 0, "MVE_CONV_MM1": 0, "MVE_CONV_MM2": 0, "MVE_CONV_MM3": 0, "MVE_CONV_MM9_TAIL": 0,
        "MVE_CONV_MM16": 0}
    fw = build_firmware(board.for_arena(res.report["arena_bytes"]), [res.model_c, *runtime_sources(board.kernel_arch)],
                        include_dirs=[res.out_dir, *runtime_include_dirs()])
    code = code_accounting(fw.elf)
    assert code["by_source"]["depthwise_conv_s8_nhwc.c"] <= M55_KWS_DW_LIMIT, code
    assert code["by_source"]["conv_s8_nhwc.c"] <= M55_KWS_CONV_LIMIT, code
    assert code["runtime_bytes"] <= M55_KWS_LIMIT, code


# Eighth pass (branch m55code): VWW's 3x3 ring layers (6x6, 3x3 maps) take the window path its wide-row layers link
# anyway (variants_mve.window_first): depthwise_conv_s8_nhwc.c 5,266 -> 2,542 B, runtime 16,186 -> 13,300 B measured
# by scripts/bench (which links the per-layer profiling calls too; this build 13,346 B).
M55_VWW_LIMIT, M55_VWW_DW_LIMIT = 13_568, 2_816


def test_runtime_code_on_the_m55_vww(reference_models, tmp_path):
    """VWW on mps3-an547 links the depthwise window path and no ring: one depthwise path for all its layers."""
    board = load_board("mps3-an547")
    res = compile_model(reference_models["ad01_int8.tflite"].parent / "vww_96_int8.tflite", tmp_path / "c",
                        arch=board.kernel_arch)
    uses = _uses(tmp_path / "c", mve=True)
    assert uses["MVE_DW_WINDOW"] == 1 and uses["MVE_DW_RING"] == 0 and uses["MVE_DW_TAPS"] == 0, uses
    fw = build_firmware(board.for_arena(res.report["arena_bytes"]), [res.model_c, *runtime_sources(board.kernel_arch)],
                        include_dirs=[res.out_dir, *runtime_include_dirs()])
    code = code_accounting(fw.elf)
    assert code["by_source"]["depthwise_conv_s8_nhwc.c"] <= M55_VWW_DW_LIMIT, code
    assert code["runtime_bytes"] <= M55_VWW_LIMIT, code


# Round 7 (branch m55code): the matmul's 1-3 pixel copies, its K <= 16 form and its 9-step tail loop linked only where
# a layer's calls take them (MVE_CONV_MM1..3, MM16, MM9_TAIL), 1x1-map layers off the weights-stationary assembly,
# the table expansions' destinations read from the params (4 arguments in registers, not 9): M55 runtime code as
# scripts/bench builds it (with the per-layer profiling calls) mcunet_se 17,688 -> 16,350 B, mbv3_small 17,604 ->
# 16,274 B, mbv2_035 16,288 -> 14,896 B (issue 11: 16 KB; thin: 34 and 110 B).
M55_CORPUS_CODE_LIMIT = 16 * 1024


@pytest.mark.parametrize("name", ["mcunet_se", "mbv3_small"])
def test_runtime_code_on_the_m55_corpus_models(name, tmp_path):
    """The two largest M55 builds of the corpus within issue 11's 16 KB, as the benchmark links them."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    from corpus import build

    tflite = build.build_corpus([name], jobs=1)[name]
    board = load_board("mps3-an547")
    res = compile_model(tflite, tmp_path / "c", arch=board.kernel_arch)
    fw = build_firmware(board.for_arena(res.report["arena_bytes"]), [res.model_c, *runtime_sources(board.kernel_arch)],
                        include_dirs=[res.out_dir, *runtime_include_dirs()], defines=["TFEDGE_PROFILE_LAYERS"])
    code = code_accounting(fw.elf)
    assert code["runtime_bytes"] <= M55_CORPUS_CODE_LIMIT, code
    uses = _uses(tmp_path / "c", mve=True)
    # its 5x5 and 3x3 maps end their calls on 1 pixel, its residual blocks on 3-wide rows on 3 (name: 6-wide, 2)
    assert (uses["MVE_CONV_MM1"], uses["MVE_CONV_MM2"], uses["MVE_CONV_MM3"]) == ((1, 0, 1) if name == "mcunet_se" else (1, 1, 1))


def test_model_h_links_the_matmul_copies_its_calls_take(tmp_path):
    """A 1x1 conv of K = 80 on one row of 5 pixels (a group of 4, then 1) links matmul1 and no other tail copy, on 6
    matmul2, on 7 matmul3, on 8 none. A copy left out would still be exact (matmul4 over the repeated column:
    tests/test_arch_mve_kernels.py), only slower: the compiler names every count a call ends on."""
    for hw, expected in (((1, 5), (1, 0, 0)), ((1, 6), (0, 1, 0)), ((1, 7), (0, 0, 1)), ((1, 8), (0, 0, 0))):
        m = get_model("conv2d", hw=hw, cin=80, filters=12, kernel=1)
        compile_model(m["tflite"], tmp_path / str(hw), arch="mve")
        uses = _uses(tmp_path / str(hw), mve=True)
        assert (uses["MVE_CONV_MM1"], uses["MVE_CONV_MM2"], uses["MVE_CONV_MM3"]) == expected, hw
        assert uses["MVE_CONV_MM"] == 1 and uses["MVE_CONV_MM16"] == 0 and uses["MVE_CONV_WS"] == 0


def _uses(out, mve: bool = False) -> dict[str, int]:
    """model.h's TFEDGE_MODEL_USES_* values: the Helium ones (MVE_*) with mve, else the others but the elementwise
    kernels' (ADD_ / MUL_ / MEAN_ / AVG_POOL_: tests/test_dsp_elementwise.py)."""
    lines = [line.split() for line in (out / "model.h").read_text().splitlines() if "TFEDGE_MODEL_USES_" in line]
    uses = {w[1].removeprefix("TFEDGE_MODEL_USES_"): int(w[2]) for w in lines if w[0] == "#define"}
    return {k: v for k, v in uses.items() if k.startswith("MVE_") == mve and not k.startswith(("ADD_", "MUL_", "MEAN_", "AVG_POOL_"))}


def test_model_h_names_the_kernel_paths_called(reference_models, tmp_path):
    """model.h says which optional kernel paths the layers call (tfedge_uses.h): KWS with int8 weights needs neither
    the int16 loops, nor the per-pixel depthwise loops (all 4 layers take the 3x3 band), nor the blocked FC, nor the
    conv's pixel-pair gather (its 10x4 first layer has under a third of its pairs inside the image); its int16 build
    links the int16 loops (more code, measured from the ELF); AD's 640-input layer is blocked, its 128-input ones are
    not; an RGB 3x3 conv on a 48x48 map takes the pixel-pair gather, the 27-value gather and (5 channels) the
    one-channel pass; KWS's 1x1 layers the pair widening and (int8, rows of 5) the single-pixel pass; a model of long FC inputs alone links no
    whole-input FC loops."""
    kws = reference_models["kws_ref_model.tflite"]
    compile_model(kws, tmp_path / "kws", arch="dsp")
    assert _uses(tmp_path / "kws") == {"W16": 0, "CONV_PAIR": 0, "CONV_K27": 0, "CONV_1X1W": 1, "CONV_1X1N": 0, "CONV_ODD": 0,
                                       "CONV_PX1": 1, "DW_PIXEL": 0, "DW_BAND3": 1, "DW_BANDK": 0, "FC_BLOCKED": 0, "FC_WHOLE": 1,
                                       "CONV_ACC": 0, "FC_GENERAL": 0}
    compile_model(kws, tmp_path / "kws16", arch="dsp", weights="int16")
    assert _uses(tmp_path / "kws16") == {"W16": 1, "CONV_PAIR": 0, "CONV_K27": 0, "CONV_1X1W": 1, "CONV_1X1N": 0, "CONV_ODD": 0,
                                         "CONV_PX1": 0, "DW_PIXEL": 0, "DW_BAND3": 1, "DW_BANDK": 0, "FC_BLOCKED": 0, "FC_WHOLE": 1,
                                         "CONV_ACC": 1, "FC_GENERAL": 0}  # (int16 single pixels: the accumulating passes)
    compile_model(reference_models["ad01_int8.tflite"], tmp_path / "ad", arch="dsp")
    assert _uses(tmp_path / "ad") == {"W16": 0, "CONV_PAIR": 0, "CONV_K27": 0, "CONV_1X1W": 0, "CONV_1X1N": 0, "CONV_ODD": 0,
                                      "CONV_PX1": 0, "DW_PIXEL": 0, "DW_BAND3": 0, "DW_BANDK": 0, "FC_BLOCKED": 1, "FC_WHOLE": 1,
                                      "CONV_ACC": 0, "FC_GENERAL": 0}
    compile_model(get_model("conv2d", hw=(48, 48), cin=3, filters=5)["tflite"], tmp_path / "rgb", arch="dsp")
    rgb = _uses(tmp_path / "rgb")
    assert rgb["CONV_PAIR"] == rgb["CONV_K27"] == rgb["CONV_ODD"] == 1 and rgb["CONV_1X1W"] == 0  # 3x3 on 3 -> 5
    compile_model(get_model("conv2d", hw=(24, 24), cin=3, filters=3, kernel=1)["tflite"], tmp_path / "n1", arch="dsp")
    n1 = _uses(tmp_path / "n1")  # a 1x1 on 3 channels: narrow_1x1 alone
    assert n1["CONV_1X1N"] == 1 and n1["CONV_PAIR"] == n1["CONV_ODD"] == n1["CONV_PX1"] == n1["CONV_1X1W"] == 0, n1
    compile_model(get_model("depthwise", hw=(6, 6), cin=8, kernel=5)["tflite"], tmp_path / "dw5", arch="dsp")
    assert {k: _uses(tmp_path / "dw5")[k] for k in ("DW_PIXEL", "DW_BAND3", "DW_BANDK")} == {
        "DW_PIXEL": 0, "DW_BAND3": 0, "DW_BANDK": 1}  # a 5x5 window: band_rowk
    compile_model(get_model("depthwise", hw=(6, 5), cin=7)["tflite"], tmp_path / "dw3c7", arch="dsp")
    assert {k: _uses(tmp_path / "dw3c7")[k] for k in ("DW_PIXEL", "DW_BAND3", "DW_BANDK")} == {
        "DW_PIXEL": 0, "DW_BAND3": 1, "DW_BANDK": 1}  # 3x3 on 7 channels: one full group, one partial
    compile_model(get_model("depthwise", hw=(7, 7), cin=4, dilation=2)["tflite"], tmp_path / "dwd", arch="dsp")
    assert _uses(tmp_path / "dwd")["DW_PIXEL"] == 1  # dilation: the per-pixel loops
    small, wide = _m4_code(kws, tmp_path / "c8"), _m4_code(kws, tmp_path / "c16", weights="int16")
    assert wide["by_source"]["conv_packed_s8_nhwc.c"] > small["by_source"]["conv_packed_s8_nhwc.c"] + 512, (small, wide)
    # every FC input longer than a block (301): the blocked path alone, without the whole-input loops
    blocked_only = _m4_code(get_model("dense", shape=(301,), units=13)["tflite"], tmp_path / "d301")
    assert _uses(tmp_path / "d301") == {"W16": 0, "CONV_PAIR": 0, "CONV_K27": 0, "CONV_1X1W": 0, "CONV_1X1N": 0, "CONV_ODD": 0,
                                        "CONV_PX1": 0, "DW_PIXEL": 0, "DW_BAND3": 0, "DW_BANDK": 0, "FC_BLOCKED": 1, "FC_WHOLE": 0,
                                        "CONV_ACC": 0, "FC_GENERAL": 0}
    both = _m4_code(reference_models["ad01_int8.tflite"], tmp_path / "ad_code")
    fc = "fully_connected_packed_s8.c"
    assert blocked_only["by_source"][fc] + 512 < both["by_source"][fc], (blocked_only["by_source"], both["by_source"])


def test_fc_scratch_is_one_block(reference_models, tmp_path):
    """AD's 640 -> 128 layer widens its input 128 at a time: scratch 256 B + 4 B per row (768 B), not the 1,280 B
    of the whole widened input; the arena (input 640 + output 128 + scratch) follows."""
    report = compile_model(reference_models["ad01_int8.tflite"], tmp_path / "ad", arch="dsp").report
    first = report["layers"][0]
    assert "widened 128 at a time (768 B scratch" in first["variant_reason"], first["variant_reason"]
    assert "widened once (256 B scratch)" in report["layers"][1]["variant_reason"]  # 128 inputs: one block
    assert report["arena_bytes"] <= 640 + 128 + 768


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
