"""Issue 12's ops on an emulated Cortex-M4 (mps2-an386): the on-device outputs equal the host build's
(which the host tests hold bit-exact with TFLM) on 50 inputs, and TFLM's where TFLM runs the model. Ops are
grouped several to a model and the TFLM-checked int8 groups joined into one model with one output per group
(likewise the int16x8 groups), so that the file costs 7 firmware builds: int8 (a 13-op model: NCHW TRANSPOSE,
PRELU, STRIDED_SLICE, RESIZE_BILINEAR, SPLIT, GATHER, MAXIMUM, SQUARED_DIFFERENCE, ABS, RSQRT, SUM,
REDUCE_MIN, PACK; the data-movement group: depth/space, PAD/PADV2, SLICE, SPLIT_V, UNPACK, PACK,
BROADCAST_TO, RESIZE_NEAREST, pools, MEAN, REDUCE_MAX; the math group: MUL, SUB, MINIMUM, BATCH_MATMUL,
HARD_SWISH, LOGISTIC, TANH, LEAKY_RELU, SOFTMAX; a LayerNormalization block; a Conv2DTranspose decoder and
three more Conv2DTranspose layers: strides, kernels, channel tails of the arm_dsp path), int16x8 (the
data-movement group with a TRANSPOSE, the math group, the decoder: TRANSPOSE_CONV + RELU, SQUARED_DIFFERENCE,
ABS, RSQRT, BATCH_MATMUL, PRELU and HARD_SWISH as export/int16x8_requant.py writes them), the dynamic-batch
Dense on 3-D input, DIV, EXP/LOG/GELU/SQRT (vs LiteRT), a float-I/O group (QUANTIZE float32 -> int8,
DEPTHWISE_CONV_2D, ELU, a standalone RELU6, EXPAND_DIMS, SQUEEZE, DEQUANTIZE int8 -> float32: fuzz_seeds'
board_extras) and ARG_MIN (int32 out).
test_every_registry_op_runs_on_the_board checks that the board tests of the suite, together, run every op
of the registry: a new op without a board test fails it."""

from __future__ import annotations

import numpy as np
import pytest

from fuzz_seeds import seed_args, seed_bytes
from modelgen import get_model
from tfedge.compiler import load_graph
from tfedge.compiler.host_run import run_model
from tfedge.emulate.flash import flash_model
from tflm_ref import litert_ref_run, tflm_run

N_INPUTS = 50
I16 = {"int16x8": True}
DECODER = {"decoder": True, "hw": (3, 4), "filters": 2}
# The TFLM-referee'd groups of one type are joined into one model (one firmware build, one output per group:
# modelgen.joined); each group is one (builder, params) part.
INT8_PARTS = [
    ["many_ops", {}],  # NCHW TRANSPOSE, PRELU, STRIDED_SLICE, RESIZE_BILINEAR, SPLIT, GATHER, MAXIMUM, ...
    ["board_ops", {"kind": "moves"}],  # depth/space, PAD/PADV2, SLICE, SPLIT_V, UNPACK, PACK, BROADCAST_TO, ...
    ["board_ops", {"kind": "math"}],  # MUL, SUB, MINIMUM, BATCH_MATMUL, HARD_SWISH, LOGISTIC, TANH, ...
    ["layer_norm", {"block": "residual"}],
    ["conv_transpose", DECODER],
    ["conv_transpose_chain", {}],  # the DSP path's corners
]
INT16_PARTS = [["board_ops", {"kind": "moves16", "transpose": True}], ["board_ops", {"kind": "math16"}],
               ["conv_transpose", DECODER],  # + RELU int16
               ["binary_math", {"fn": "squared_difference"}], ["unary_math", {"fn": "abs"}],
               ["unary_math", {"fn": "rsqrt"}], ["batch_matmul", {"adj_y": True}],
               # the converter refuses these in 16x8; tfedge's export quantizes them (export/int16x8_requant.py)
               ["prelu", {}], ["activation", {"fn": "hard_swish", "c": 5}]]
# name -> (builder, params, referee on top of the host build: "tflm", "litert" or None)
MODELS = {
    "int8_groups": ("joined", {"parts": INT8_PARTS}, "tflm"),
    "int16x8_groups": ("joined", {"parts": INT16_PARTS, **I16}, "tflm"),
    "dense_3d_dynamic_batch": ("dense_3d", {"converter": "from_keras_model"}, None),  # TFLM cannot allocate it
    "div": ("binary_math", {"fn": "div"}, None),  # TFLM is wrong on tiny dividends (docs/compiler.md)
    "exp_log_gelu_sqrt": ("board_ops", {"kind": "litert", "sqrt": True}, "litert"),
    # TFLM clamps a standalone RELU6 without requantizing and LiteRT has no ELU: the host build is the referee
    # (the host tests hold ELU bit-exact with TFLM, RELU6 with LiteRT)
    "float_io_extras": ("seed:board_extras", {}, None),
    "argmin_int32_out": ("int_io", {"kind": "argmin", "converter": "from_keras_model"}, "tflm"),
}


def _tflite(builder: str, params: dict) -> bytes:
    return seed_bytes(builder[5:]) if builder.startswith("seed:") else get_model(builder, **params)["tflite"]


def _board_inputs(builder: str, params: dict, t) -> np.ndarray:
    """50 inputs: the model's float inputs for a float32 input (QUANTIZE in the model), else uniform over the
    integer type."""
    if t.dtype == "float32":
        b, p = (seed_args(builder[5:]) if builder.startswith("seed:") else (builder, params))
        x = get_model(b, **p)["x_float"][:N_INPUTS // 2]
        return np.concatenate([x, 3.0 * x]).reshape(N_INPUTS, *t.shape).astype(np.float32)  # 3x: past the calibrated range
    info = np.iinfo(t.dtype)
    return np.random.default_rng(5).integers(info.min, info.max + 1, (N_INPUTS, *t.shape)).astype(t.dtype)


@pytest.mark.qemu
@pytest.mark.parametrize("name", sorted(MODELS))
def test_new_ops_bit_exact_on_mps2_an386(name, tmp_path):
    builder, params, referee = MODELS[name]
    tflite = tmp_path / f"{name}.tflite"
    tflite.write_bytes(_tflite(builder, params))
    g = load_graph(tflite)
    x = _board_inputs(builder, params, g.tensors[g.inputs[0]])
    m = flash_model(tflite, "mps2-an386", x, progress=False, out_dir=tmp_path / "build")
    assert m["mismatches"] == 0 and m["mismatched_values"] == 0, m["max_abs_diff"]
    host = run_model(tflite, x)
    hosts, devices = (host, m["outputs"]) if isinstance(host, list) else ([host], [m["outputs"]])
    assert len(devices) == len(hosts) == len(g.outputs)
    for i, (h, device) in enumerate(zip(hosts, devices)):
        device = np.asarray(device).reshape(h.shape)
        np.testing.assert_array_equal(device, h)
        if referee == "tflm":
            np.testing.assert_array_equal(device, tflm_run(tflite, x, i).reshape(h.shape))
        elif referee == "litert":  # single-output groups only
            np.testing.assert_array_equal(device, litert_ref_run(tflite, x).reshape(h.shape))
    kinds = sorted({op.kind for op in g.ops})
    print(f"{name}: {N_INPUTS} inputs bit-exact on mps2-an386 (host{', ' + referee if referee else ''}); "
          f"{m['instructions_per_inference']:,} instructions, flash {m['flash_bytes']:,} B, RAM {m['ram_bytes']:,} B; "
          f"{', '.join(kinds)}")


def _board_models() -> dict[str, bytes]:
    """Every model a board test of the suite runs on mps2-an386 (this file's and the other files' board cases,
    taken from those files' own tables so that the list follows them)."""
    import test_compiler_int16
    import test_lstm
    import test_ops_io_types
    import test_resource_variables

    models = {f"ops_more_board::{n}": _tflite(b, p) for n, (b, p, _) in MODELS.items()}
    for case in test_compiler_int16.DEVICE_CASES:
        b, p = test_compiler_int16.CASES[case]
        models[f"compiler_int16::{case}"] = get_model(b, **p, **I16)["tflite"]
    for case in ("lstm_kws", "lstm_stacked2"):  # test_lstm_bit_exact_on_mps2_an386's cases
        models[f"lstm::{case}"] = get_model("lstm_seq", **test_lstm.CASES[case])["tflite"]
    for case in ("embedding_argmax_int32_out", "uint8_io_cnn"):  # test_io_types_bit_exact_on_mps2_an386's
        (b, p), _, _ = test_ops_io_types.CASES[case]
        models[f"ops_io_types::{case}"] = get_model(b, **p)["tflite"]
    models["resource_variables::streaming"] = get_model("streaming_ema", **test_resource_variables.STREAM)["tflite"]
    models["square::int8"] = seed_bytes("square")  # test_square_int8_bit_exact_on_mps2_an386's
    return models


def test_every_registry_op_runs_on_the_board(tmp_path):
    """Board coverage: the op kinds of the models the board tests run (as the compiler reads them, after its
    passes) hold every op of the registry. An op added to the registry without a board test fails here."""
    from tfedge.compiler.ops import REGISTRY

    seen: dict[str, list[str]] = {}
    for name, tflite in _board_models().items():
        path = tmp_path / "m.tflite"
        path.write_bytes(tflite)
        for op in load_graph(path).ops:
            seen.setdefault(op.kind, []).append(name)
    missing = sorted(set(REGISTRY) - set(seen))
    assert not missing, f"registry ops no board test runs on mps2-an386: {missing}"
    print(f"{len(REGISTRY)} registry ops, each run on mps2-an386 by a board test")
