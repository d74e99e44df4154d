"""Issue 12's ops on an emulated Cortex-M4 (mps2-an386): the on-device outputs equal the host build's
(which the host tests hold bit-exact with TFLM) on 50 inputs, and TFLM's where TFLM runs the model. Ops are
grouped several to a model, one firmware build each: a 13-op model (NCHW TRANSPOSE, PRELU, STRIDED_SLICE,
RESIZE_BILINEAR, SPLIT, GATHER, MAXIMUM, SQUARED_DIFFERENCE, ABS, RSQRT, SUM, REDUCE_MIN, PACK), the
dynamic-batch Dense on 3-D input, DIV, a Conv2DTranspose decoder and three more Conv2DTranspose layers
(strides, kernels, channel tails of the arm_dsp path), a LayerNormalization block, the data-movement group (depth/space,
PAD/PADV2, SLICE, SPLIT_V, UNPACK, PACK, BROADCAST_TO, RESIZE_NEAREST, pools, MEAN, REDUCE_MAX), the math
group (MUL, SUB, MINIMUM, BATCH_MATMUL, HARD_SWISH, LOGISTIC, TANH, LEAKY_RELU, SOFTMAX), EXP/LOG/GELU/SQRT
(vs LiteRT), and int16x8: the data-movement group (with a TRANSPOSE), the math group and the decoder
(TRANSPOSE_CONV + RELU)."""

from __future__ import annotations

import numpy as np
import pytest

from modelgen import get_model
from tfedge.compiler import load_graph
from tfedge.compiler.host_run import run_model
from tfedge.emulate.flash import flash_model
from tflm_ref import litert_ref_run, tflm_run

pytestmark = pytest.mark.qemu

N_INPUTS = 50
I16 = {"int16x8": True}
DECODER = {"decoder": True, "hw": (3, 4), "filters": 2}
# name -> (builder, params, referee on top of the host build: "tflm", "litert" or None)
MODELS = {
    "many_ops": ("many_ops", {}, "tflm"),
    "dense_3d_dynamic_batch": ("dense_3d", {"converter": "from_keras_model"}, None),  # TFLM cannot allocate it
    "div": ("binary_math", {"fn": "div"}, None),  # TFLM is wrong on tiny dividends (docs/compiler.md)
    "conv_transpose_decoder": ("conv_transpose", DECODER, "tflm"),
    "conv_transpose_chain": ("conv_transpose_chain", {}, "tflm"),  # the DSP path's corners
    "layer_norm_residual": ("layer_norm", {"block": "residual"}, "tflm"),
    "moves": ("board_ops", {"kind": "moves"}, "tflm"),
    "math": ("board_ops", {"kind": "math"}, "tflm"),
    "exp_log_gelu_sqrt": ("board_ops", {"kind": "litert", "sqrt": True}, "litert"),
    "int16x8_moves": ("board_ops", {"kind": "moves16", "transpose": True, **I16}, "tflm"),
    "int16x8_math": ("board_ops", {"kind": "math16", **I16}, "tflm"),
    "int16x8_decoder": ("conv_transpose", {**DECODER, **I16}, "tflm"),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_new_ops_bit_exact_on_mps2_an386(name, tmp_path):
    builder, params, referee = MODELS[name]
    tflite = tmp_path / f"{name}.tflite"
    tflite.write_bytes(get_model(builder, **params)["tflite"])
    g = load_graph(tflite)
    t = g.tensors[g.inputs[0]]
    info = np.iinfo(t.dtype)
    x = np.random.default_rng(5).integers(info.min, info.max + 1, (N_INPUTS, *t.shape)).astype(t.dtype)
    m = flash_model(tflite, "mps2-an386", x, progress=False, out_dir=tmp_path / "build")
    assert m["mismatches"] == 0 and m["mismatched_values"] == 0, m["max_abs_diff"]
    host = run_model(tflite, x)
    device = m["outputs"].reshape(host.shape)
    np.testing.assert_array_equal(device, host)
    if referee is not None:
        ref = (tflm_run if referee == "tflm" else litert_ref_run)(tflite, x)
        np.testing.assert_array_equal(device, ref.reshape(host.shape))
    kinds = sorted({op.kind for op in g.ops})
    print(f"{name}: {N_INPUTS} inputs bit-exact on mps2-an386 (host{', ' + referee if referee else ''}); "
          f"{m['instructions_per_inference']:,} instructions, flash {m['flash_bytes']:,} B, RAM {m['ram_bytes']:,} B; "
          f"{', '.join(kinds)}")
