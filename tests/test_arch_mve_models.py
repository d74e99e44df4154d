"""Whole models with the Helium kernels on the emulated Cortex-M55 (mps3-an547): bit-exact with the host
int8 runner (portable kernels) and with TFLM, for the shared models and for generated models covering
odd channel counts, strides, SAME/VALID, dilation, depth multiplier 2, 1-pixel maps, FC and ADD.
Several inputs per emulator session; performance is measured by scripts/bench, not asserted here."""

from __future__ import annotations

import numpy as np
import pytest

from modelgen import get_model
from tfedge.compiler import load_graph
from tfedge.emulate.flash import flash_model

pytestmark = pytest.mark.qemu

BOARD = "mps3-an547"


def _inputs(tflite, n: int, seed: int) -> np.ndarray:
    g = load_graph(tflite)
    t = g.tensors[g.inputs[0]]
    return np.random.default_rng(seed).integers(-128, 128, (n, *t.shape)).astype(t.dtype)


def _tflm(tflite, x: np.ndarray) -> np.ndarray:
    from tflite_micro.python.tflite_micro import runtime

    interp = runtime.Interpreter.from_file(str(tflite))
    outs = []
    for sample in x:
        interp.set_input(sample, 0)
        interp.invoke()
        outs.append(interp.get_output(0).copy())
    return np.stack(outs)


@pytest.mark.parametrize("name", ["kws_ref_model.tflite", "pretrainedResnet_quant.tflite", "ad01_int8.tflite",
                                  "hello_world_int8.tflite"])
def test_shared_model_bit_exact_with_helium_kernels(reference_models, name):
    tflite = reference_models[name]
    x = _inputs(tflite, 12, seed=11)
    m = flash_model(tflite, BOARD, x, progress=False)
    assert m["mismatches"] == 0 and m["mismatched_values"] == 0, m["max_abs_diff"]
    np.testing.assert_array_equal(m["outputs"][:4].reshape(4, -1), _tflm(tflite, x[:4]).reshape(4, -1))
    # the Helium kernels really ran: vector instructions in the inference
    assert m["instruction_classes"].get("mve", 0) > 0


# A few whole models on top of the kernel-level sweep (tests/test_arch_mve_kernels.py), each one build +
# one emulator session (dilation and the other geometries are swept kernel by kernel): odd channels with
# stride 2 and SAME, VALID 1-D, depth multiplier 2 on an odd map, a 1-pixel map with a 3x3 window, ADD.
GENERATED = {
    "conv_s2_same_odd": ("conv2d", dict(hw=(7, 9), strides=2, cin=5, filters=7)),
    "conv1d_s2_valid": ("conv1d", dict(strides=2, padding="valid", length=15, cin=2)),
    "conv_1px_3x3_same": ("conv2d", dict(hw=(1, 1), cin=2, filters=3, kernel=3)),
    "dw_s2_same_odd_mult2": ("depthwise", dict(hw=(7, 7), strides=2, multiplier=2, activation="relu6")),
    "add_relu": ("residual", dict(op="add", activation="relu", scale_b=0.3)),
    # issue 11 shapes: an audio first layer (1 channel, depth multiplier 8), 6 channels, a wide separable
    # block (depthwise window path + in-place 1x1 weights-stationary conv)
    "dw_1ch_mult8": ("depthwise", dict(hw=(12, 10), cin=1, multiplier=8, activation="relu")),
    "dw_6ch": ("depthwise", dict(hw=(9, 9), cin=6)),
    "separable_wide_8ch": ("separable", dict(hw=(24, 24), cin=8, filters=16, strides=1)),
    # the narrow kernel (mve/conv_narrow_s8_nhwc.c) as model.h links it: a first layer of 5 channels at stride 2
    # (odd height, SAME), a 1x1 3 -> 3 (rows read in place)
    "conv_narrow_s2_5ch": ("conv2d", dict(hw=(25, 34), strides=2, cin=3, filters=5, activation="relu")),
    "conv_narrow_1x1_3ch": ("conv2d", dict(hw=(9, 17), cin=3, filters=3, kernel=1)),
}


@pytest.mark.parametrize("case", sorted(GENERATED))
def test_generated_model_bit_exact_with_helium_kernels(case, tmp_path):
    builder, params = GENERATED[case]
    path = tmp_path / f"{case}.tflite"
    path.write_bytes(get_model(builder, **params)["tflite"])
    x = _inputs(path, 40, seed=5)
    m = flash_model(path, BOARD, x, progress=False)
    assert m["mismatches"] == 0 and m["mismatched_values"] == 0, (case, m["max_abs_diff"])
