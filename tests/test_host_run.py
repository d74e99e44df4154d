"""Host runner: the kernels are memory- and UB-clean (AddressSanitizer + UndefinedBehaviorSanitizer,
signed overflow included) on models that exercise every kernel, and builds are cached by content."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from modelgen import get_model
from tfedge.compiler import compile_model, runtime_include_dirs
from tfedge.compiler.host_run import build_runner, run_model, runtime_objects
from tfedge.errors import DataError

SANITIZED = ["kws_ref_model.tflite", "pretrainedResnet_quant.tflite", "small_cnn", "broadcast_mul", "upsample",
             "zero_pad", "concat_requantize", "activation:hard_swish", "activation:tanh", "activation:leaky_relu",
             "mean", "global_pool:max", "dense:keep", "conv1d"]


def _model(name: str, reference_models) -> bytes:
    if name.endswith(".tflite"):
        return reference_models[name].read_bytes()
    builder, _, arg = name.partition(":")
    params = {"activation": {"fn": arg}, "global_pool": {"kind": arg}, "dense": {"shape": (3, 20), "units": 6}}.get(builder, {}) if arg else {}
    return get_model(builder, **params)["tflite"]


SAN_FLAGS = ["-std=c99", "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]


@pytest.fixture(scope="module")
def sanitized_runtime() -> list:
    if not shutil.which("gcc"):
        pytest.skip("gcc with sanitizers not installed")
    return runtime_objects("gcc", SAN_FLAGS)  # cached by content hash like the normal runner's


@pytest.mark.parametrize("name", SANITIZED)
def test_kernels_sanitizer_clean(name, reference_models, sanitized_runtime, tmp_path):
    tflite = _model(name, reference_models)
    result = compile_model(tflite, tmp_path)
    exe = tmp_path / "runner"
    subprocess.run(["gcc", *SAN_FLAGS, f"-I{tmp_path}", *(f"-I{d}" for d in runtime_include_dirs()), str(result.model_c),
                    *map(str, sanitized_runtime), "-o", str(exe)], check=True)
    inp = result.report["inputs"][0]
    n = 4 if name.endswith(".tflite") else 20
    x = np.random.default_rng(5).integers(-128, 128, (n, *inp["shape"]), dtype=np.int8)
    x.tofile(tmp_path / "x.bin")
    proc = subprocess.run([str(exe), str(tmp_path / "x.bin"), str(tmp_path / "y.bin"), str(n)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = result.report["outputs"][0]
    y = np.fromfile(tmp_path / "y.bin", dtype=np.int8).reshape(n, *out["shape"])
    assert np.array_equal(y, run_model(tflite, x))


def test_runner_cached_by_content(reference_models):
    model = reference_models["hello_world_int8.tflite"]
    exe1, _ = build_runner(model)
    mtime = exe1.stat().st_mtime_ns
    exe2, _ = build_runner(model)
    assert exe1 == exe2 and exe2.stat().st_mtime_ns == mtime
    exe3, _ = build_runner(reference_models["kws_ref_model.tflite"])
    assert exe3 != exe1


def test_batch_forms(reference_models):
    """x of shape (N, *input shape) or (N, *input shape[1:]); y mirrors the form (io_batches)."""
    model = reference_models["hello_world_int8.tflite"]
    x = np.arange(-128, 128, dtype=np.int8).reshape(256, 1)
    y_stacked = run_model(model, x)
    y_batched = run_model(model, x.reshape(256, 1, 1))
    assert y_stacked.shape == (256, 1) and y_batched.shape == (256, 1, 1)
    assert np.array_equal(y_stacked.ravel(), y_batched.ravel())


def test_several_inputs_and_outputs(tmp_path):
    """A list with one array per input; a list of outputs, each checked against TFLM."""
    from tflite_micro.python.tflite_micro import runtime

    from tfedge.compiler import compile_model
    from tflm_ref import quiet_fd

    tflite = get_model("two_inputs_two_outputs")["tflite"]
    report = compile_model(tflite, tmp_path).report
    rng = np.random.default_rng(2)
    xs = [rng.integers(-128, 128, (40, *i["shape"]), dtype=np.int8) for i in report["inputs"]]
    ours = run_model(tflite, xs)
    assert isinstance(ours, list) and len(ours) == 2
    with quiet_fd():
        ip = runtime.Interpreter.from_bytes(tflite)
        for s in range(40):
            for k, x in enumerate(xs):
                ip.set_input(x[s], k)
            ip.invoke()
            for k in range(2):
                assert np.array_equal(ours[k][s], ip.get_output(k))
    with pytest.raises(DataError, match="2 input"):
        run_model(tflite, xs[0])
    with pytest.raises(DataError, match="same N"):
        run_model(tflite, [xs[0], xs[1][:5]])
