"""TRANSPOSE_CONV and BATCH_MATMUL int8 on the Helium kernels (mve/transpose_conv_s8.c, mve/batch_matmul_s8.c)
of the emulated Cortex-M55 (mps3-an547): one model joining every case (modelgen.joined: one output per case,
one firmware build), bit-exact with TFLM on 50 inputs, and the compile report naming the Helium variant; and
int16x8 CONV_2D on mve/conv_s16_nhwc.c (VMLALDAVA.S16), one joined int16x8 model likewise.
Instruction counts (before/after) are in docs/kernels_mve.md, measured with these models, not asserted."""

from __future__ import annotations

import numpy as np
import pytest

from modelgen import get_model
from tfedge.compiler import compile_model, load_graph
from tflm_ref import tflm_run

BOARD = "mps3-an547"
# The first part's input is the joined model's (the largest); the others read its first elements.
PARTS = [
    ["conv_transpose", {"hw": (6, 6), "cin": 16, "filters": 16, "kernel": 3, "strides": 2}],  # 16 -> 16, SAME
    ["conv_transpose", {"decoder": True, "hw": (3, 4), "filters": 2}],  # conv, 8 -> 6 stride 2 + ReLU, 6 -> 2
    ["conv_transpose_chain", {}],  # 3x2 stride (2, 1) VALID no bias, 2x2 stride 1, 4x4 stride 3 (k > stride)
    ["conv_transpose", {"hw": (5, 3), "cin": 5, "filters": 7, "kernel": 2, "strides": 2, "padding": "valid"}],
    ["batch_matmul", {"steps": 12, "features": 12}],  # rhs [k][j]: packed to columns
    ["batch_matmul", {"steps": 8, "features": 20, "adj_x": True}],  # lhs packed to rows
    ["batch_matmul", {"steps": 6, "features": 21, "adj_y": True}],  # both contiguous (attention scores)
]
# int16x8 convolutions (first part's input the largest): depthwise stride 2 on 5 channels (a 1-lane tail) and with
# depth multiplier 2 (the portable loop), conv with dilation, stride 2 VALID + ReLU, per-tensor weights on 5
# channels (a 1-channel tail of the 4-channel passes), the small CNN (K = 9 first layer, depthwise, 1x1, FC)
PARTS16 = [["depthwise", {"hw": (7, 7), "cin": 5, "strides": 2, "activation": "relu6"}], ["depthwise", {"multiplier": 2}],
           ["conv2d", {"dilation": 2}], ["conv2d", {"hw": (9, 7), "strides": 2, "padding": "valid", "activation": "relu"}],
           ["conv2d", {"per_channel": False, "filters": 5}], ["small_cnn", {}]]
N_INPUTS = 50


def _model(parts=PARTS, **params) -> bytes:
    return get_model("joined", parts=parts, **params)["tflite"]


def test_helium_variants_in_the_compile_report(tmp_path):
    """On mve every TRANSPOSE_CONV and BATCH_MATMUL layer calls the Helium file, with the reason."""
    report = compile_model(_model(), tmp_path, arch="mve").report["layers"]
    rows = [layer for layer in report if layer["op"] in ("TRANSPOSE_CONV", "BATCH_MATMUL")]
    assert len(rows) == 10
    for layer in rows:
        assert layer["variant"] == "mve" and "VMLADAVA" in layer["variant_reason"], layer
    dsp = compile_model(_model(), tmp_path / "d", arch="dsp").report["layers"]  # the M4 keeps the arm_dsp files
    assert {layer["variant"] for layer in dsp if layer["op"] in ("TRANSPOSE_CONV", "BATCH_MATMUL")} == {"arm_dsp"}


def _bit_exact_on_board(tflite: bytes, tmp_path, dtype, n_parts: int, ops: tuple[str, ...]) -> None:
    from tfedge.emulate.flash import flash_model

    path = tmp_path / "joined.tflite"
    path.write_bytes(tflite)
    g = load_graph(path)
    t = g.tensors[g.inputs[0]]
    info = np.iinfo(dtype)
    x = np.random.default_rng(9).integers(info.min, info.max + 1, (N_INPUTS, *t.shape)).astype(dtype)
    m = flash_model(path, BOARD, x, progress=False, out_dir=tmp_path / "build")
    assert m["mismatches"] == 0 and m["mismatched_values"] == 0, m["max_abs_diff"]
    devices = m["outputs"]
    assert len(devices) == len(g.outputs) == n_parts
    for i, device in enumerate(devices):
        ref = tflm_run(path, x, i)
        np.testing.assert_array_equal(np.asarray(device).reshape(ref.shape), ref, err_msg=f"part {i}")
    rows = [(l["op"], l["instructions"], l["macs"], l["variant"]) for l in m["layers"] if l["op"] in ops]
    print(f"{N_INPUTS} inputs bit-exact with TFLM on {BOARD}; {m['instructions_per_inference']:,} instructions; "
          + "; ".join(f"{op} {n:,} ({macs:,} MACs, {v})" for op, n, macs, v in rows))


@pytest.mark.qemu
def test_transpose_conv_and_batch_matmul_bit_exact_on_mps3_an547(tmp_path):
    _bit_exact_on_board(_model(), tmp_path, np.int8, len(PARTS), ("TRANSPOSE_CONV", "BATCH_MATMUL"))


@pytest.mark.qemu
def test_int16x8_conv_bit_exact_on_mps3_an547(tmp_path):
    tflite = _model(PARTS16, int16x8=True)
    report = compile_model(tflite, tmp_path / "c", arch="mve").report["layers"]
    convs = [layer for layer in report if layer["op"] == "CONV_2D"]
    assert len(convs) == 5 and all(layer["variant"] == "mve" and "VMLALDAVA" in layer["variant_reason"] for layer in convs)
    dws = [layer["variant_reason"] for layer in report if layer["op"] == "DEPTHWISE_CONV_2D"]
    assert len(dws) == 3 and sum("VMUL" in r for r in dws) == 2 and sum("reference loop" in r for r in dws) == 1
    _bit_exact_on_board(tflite, tmp_path, np.int16, len(PARTS16), ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"))
