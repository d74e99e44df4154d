"""Model inputs and outputs beyond int8 (issue 12): int32 token ids (GATHER with run-time indices, CAST
int32 -> float32 then QUANTIZE), int32 class indices out (ARG_MAX / ARG_MIN), uint8 inputs/outputs
(QUANTIZE uint8 <-> int8). Each bit-exact with TFLM on 150 inputs on the host; `tfedge run` takes and
writes the int32 arrays; on mps2-an386 one model holding CAST, run-time GATHER and ARG_MAX (int32 in and
out) and the uint8 CNN are bit-exact with TFLM on 50 inputs."""

from __future__ import annotations

import numpy as np
import pytest

from modelgen import get_model
from tfedge.compiler import compile_model
from tfedge.compiler.reader import read_model
from tfedge.compiler.host_run import run_model
from tflm_ref import tflm_run

IDS = {"converter": "from_keras_model"}  # Input(batch_size=1): a static batch, int32 ids stay int32
CASES = {
    "embedding_int32_ids": (("int_io", dict(kind="embedding", **IDS)), "GATHER", ("int32", "int8")),
    "embedding_cast_ids": (("int_io", dict(kind="embedding_cast", **IDS)), "CAST", ("int32", "int8")),
    "embedding_argmax_int32_out": (("int_io", dict(kind="embedding_argmax", **IDS)), "ARG_MAX", ("int32", "int32")),
    "argmax": (("int_io", dict(kind="argmax", **IDS)), "ARG_MAX", ("int8", "int32")),
    "argmin": (("int_io", dict(kind="argmin", **IDS)), "ARG_MIN", ("int8", "int32")),
    "uint8_io_cnn": (("small_cnn", dict(converter="uint8_io")), "QUANTIZE", ("uint8", "uint8")),
}


def _inputs(tflite: bytes, n: int, seed: int = 3) -> np.ndarray:
    """Token ids 0..15 plus a few outside the table (TFLM fails on those: only the first n go to TFLM), or
    the full range of an int8/uint8 input."""
    g = read_model(tflite)
    t = g.tensors[g.inputs[0]]
    rng = np.random.default_rng(seed)
    if t.dtype == "int32":
        return rng.integers(0, 16, (n, *t.shape)).astype(np.int32)
    info = np.iinfo(t.dtype)
    return rng.integers(info.min, info.max + 1, (n, *t.shape)).astype(t.dtype)


@pytest.mark.parametrize("case", sorted(CASES))
def test_io_types_bit_exact_with_tflm(case):
    (builder, params), op, (in_type, out_type) = CASES[case]
    tflite = get_model(builder, **params)["tflite"]
    g = read_model(tflite)
    assert op in {o.kind for o in g.ops}, [o.kind for o in g.ops]
    assert (g.tensors[g.inputs[0]].dtype, g.tensors[g.outputs[0]].dtype) == (in_type, out_type)
    x = _inputs(tflite, 150)
    ours, ref = run_model(tflite, x), tflm_run(tflite, x)
    assert ours.dtype == ref.dtype == np.dtype(out_type)
    bad = int((ours.reshape(ref.shape) != ref).sum())
    assert bad == 0, f"{case}: {bad} of {ref.size} outputs differ from TFLM"
    if op in ("ARG_MAX", "ARG_MIN"):
        assert len(np.unique(ours)) > 1  # not a constant index


def test_gather_out_of_range_id_writes_zeros(tmp_path):
    """An id outside the embedding table (TFLM: invoke fails) reads nothing outside it: a zero row."""
    tflite = get_model("int_io", kind="embedding", **IDS)["tflite"]
    x = _inputs(tflite, 2)
    x[1, 0, 0] = 1 << 20
    y = run_model(tflite, x)
    np.testing.assert_array_equal(y[0], tflm_run(tflite, x[:1])[0])
    layers = compile_model(tflite, tmp_path).report["layers"]
    assert [l["kernel"] for l in layers][0] == "gather_indices_s8"


def test_tfedge_run_cli_int32_in_and_out(tmp_path, capsys):
    from tfedge import cli

    tflite = tmp_path / "ids.tflite"
    tflite.write_bytes(get_model("int_io", kind="embedding_argmax", **IDS)["tflite"])
    x = _inputs(tflite.read_bytes(), 20)
    np.save(tmp_path / "x.npy", x)
    assert cli.main(["run", str(tflite), "--inputs", str(tmp_path / "x.npy"), "-o", str(tmp_path / "y.npy")]) == 0
    y = np.load(tmp_path / "y.npy")
    assert y.dtype == np.int32 and "int32" in capsys.readouterr().out
    np.testing.assert_array_equal(y.reshape(20, -1), tflm_run(tflite, x).reshape(20, -1))


@pytest.mark.qemu
@pytest.mark.parametrize("case", ["embedding_argmax_int32_out", "uint8_io_cnn"])
def test_io_types_bit_exact_on_mps2_an386(case, tmp_path):
    from tfedge.emulate.flash import flash_model

    (builder, params), _, _ = CASES[case]
    tflite = tmp_path / f"{case}.tflite"
    tflite.write_bytes(get_model(builder, **params)["tflite"])
    x = _inputs(tflite.read_bytes(), 50, seed=9)
    m = flash_model(tflite, "mps2-an386", x, progress=False, out_dir=tmp_path / "build")
    assert m["mismatches"] == 0 and m["mismatched_values"] == 0
    ref = tflm_run(tflite, x)
    np.testing.assert_array_equal(m["outputs"].reshape(ref.shape), ref)
    print(f"{case}: 50 inputs bit-exact with TFLM on mps2-an386; {m['instructions_per_inference']:,} instructions")
