"""SQUARE, int8 and int16x8. Neither referee runs an integer SQUARE (TFLM: "INT8 != FLOAT32" at invoke, LiteRT:
"Type INT8 is unsupported by op Square" at prepare; the converter keeps tf.square float and writes x * x as
MUL(x, x)), so tfedge gives SQUARE the exact arithmetic of MUL(x, x) and the referee is TFLM running the MUL(x, x)
model it was rewritten from (fuzz_seeds.as_square: same tensors, same quantization), on 150 inputs (100 from
the model's input distribution, 50 uniform), with the distance of both to the float Keras model (t * t)."""

from __future__ import annotations

import numpy as np
import pytest

import test_compiler_int16
import test_compiler_ops
from fuzz_seeds import as_square, seed_args, seed_bytes
from modelgen import get_model
from tfedge.compiler import compile_model
from tfedge.compiler.host_run import run_model
from tfedge.compiler.reader import read_model
from tflm_ref import litert_ref_run, tflm_run

BUILDER, PARAMS = seed_args("square")  # unary_math fn=mul_self: a 1x1 conv, then x * x


def _ops(tflite: bytes) -> list[str]:
    return [op.kind for op in read_model(tflite).ops]


def _referees_refuse(square: bytes, x: np.ndarray) -> None:
    """Why MUL(x, x) is the referee: both run times refuse the integer SQUARE itself."""
    with pytest.raises(RuntimeError):
        tflm_run(square, x[:1])
    with pytest.raises(RuntimeError, match="(?i)square"):
        litert_ref_run(square, x[:1])


@pytest.mark.parametrize("int16x8", [False, True], ids=["int8", "int16x8"])
def test_square_bit_exact_with_tflm_mul_self(int16x8, record_property, tmp_path):
    m = get_model(BUILDER, **PARAMS, **({"int16x8": True} if int16x8 else {}))
    mul = m["tflite"]
    square = seed_bytes("square") if not int16x8 else as_square(mul)
    assert _ops(mul) == ["CONV_2D", "MUL"] and _ops(square) == ["CONV_2D", "SQUARE"]
    helpers = test_compiler_int16 if int16x8 else test_compiler_ops
    x, x_dist = helpers._inputs(m)[:2]
    n = x_dist if int16x8 else len(x_dist)
    _referees_refuse(square, x)
    ours = run_model(square, x)
    ref = tflm_run(mul, x)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    bad = int((ours != ref).sum())
    assert bad == 0, f"{bad} of {ref.size} SQUARE outputs differ from TFLM's MUL(x, x)"
    kernels = {layer["op"]: layer["kernel"] for layer in compile_model(square, tmp_path).report["layers"]}
    assert kernels["SQUARE"] == ("mul_s16" if int16x8 else "lut_s8")
    distance = helpers._float_distance(square, ours[:n], m["y_float"])
    record_property("float_distance", distance)
    print(f"SQUARE {'int16x8' if int16x8 else 'int8'}: bit-exact with TFLM's MUL(x, x) on {len(x)} inputs; "
          f"relative RMS distance to float Keras {distance:.4f}")
    assert distance < (0.02 if int16x8 else 0.1)


def test_square_int8_table_on_every_input_byte():
    """The whole table against TFLM's MUL(x, x): the model input squared directly (no conv in front), so a
    sweep of the input reaches all 256 bytes, each at two positions."""
    m = get_model(BUILDER, **PARAMS, pre_conv=False)
    assert _ops(m["tflite"]) == ["MUL"]
    g = read_model(m["tflite"])
    shape = g.tensors[g.inputs[0]].shape
    size = int(np.prod(shape))
    values = np.arange(-128, 128, dtype=np.int8)
    sweep = np.concatenate([values, values[::-1]])
    x = np.resize(sweep, (-(-len(sweep) // size) * size,)).reshape(-1, *shape)
    ours, ref = run_model(as_square(m["tflite"]), x), tflm_run(m["tflite"], x)
    np.testing.assert_array_equal(ours, ref)
    print(f"SQUARE int8 table: the 256 input bytes equal TFLM's MUL(x, x) ({len(np.unique(ref))} distinct outputs)")


@pytest.mark.qemu
def test_square_int8_bit_exact_on_mps2_an386(tmp_path):
    """On the M4 board: the device equals the host build and TFLM's MUL(x, x) on 50 inputs."""
    from tfedge.emulate.flash import flash_model

    m = get_model(BUILDER, **PARAMS)
    model = tmp_path / "square.tflite"
    model.write_bytes(seed_bytes("square"))
    x = test_compiler_ops._inputs(m)[0][-50:]
    r = flash_model(model, "mps2-an386", x, progress=False, out_dir=tmp_path / "build")
    assert r["mismatches"] == 0 and r["mismatched_values"] == 0
    np.testing.assert_array_equal(np.asarray(r["outputs"]).reshape(len(x), -1), tflm_run(m["tflite"], x).reshape(len(x), -1))
    print(f"SQUARE int8 on mps2-an386: {r['instructions_per_inference']:,} instructions per inference")
