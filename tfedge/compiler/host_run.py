"""Run a .tflite through the compiled C on this host (`tfedge run`): the fast way to test the compiler.

The kernel library and a small runner main are compiled once per content hash, each generated model.c
once per content hash (all kept in the tfedge cache) and linked with them; all N samples run in one
process through binary files.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from tfedge import io_batches
from tfedge.compiler import compile_model, runtime_include_dirs, runtime_sources
from tfedge.compiler.cli import add_patch_arguments, add_storage_arguments, kernel_arch, patch_options
from tfedge.errors import DataError, ToolchainError
from tfedge.paths import RUNTIME_DIR, cache_dir, partial_path

HOST_MAIN = RUNTIME_DIR / "host" / "host_main.c"
CFLAGS = ["-O2", "-std=c99", "-Wall", "-Wextra", "-Werror"]


class RunnerCrashed(ToolchainError):
    """The host runner died on a signal: a fault in the generated C or a kernel, i.e. a tfedge bug."""


def _host_cc() -> str:
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return name
    raise ToolchainError("no host C compiler found (cc/gcc/clang): install one, e.g. `sudo apt-get install gcc`")


def runtime_objects(cc: str, cflags: list[str] = CFLAGS) -> list[Path]:
    """The kernel library and runner main compiled once per content hash and flags (models then only link)."""
    sources = runtime_sources() + [HOST_MAIN]
    headers = sorted(p for d in runtime_include_dirs() for p in d.glob("*.h"))
    digest = hashlib.sha256(" ".join([cc] + cflags).encode())
    for path in sources + headers:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    obj_dir = cache_dir() / "host" / f"runtime-{digest.hexdigest()[:24]}"
    objects = [obj_dir / (src.stem + ".o") for src in sources]
    if all(o.is_file() for o in objects):
        return objects
    obj_dir.mkdir(parents=True, exist_ok=True)
    for src, obj in zip(sources, objects):
        if obj.is_file():
            continue
        tmp = partial_path(obj)
        _cc([cc, *cflags, *(f"-I{d}" for d in runtime_include_dirs()), "-c", str(src), "-o", str(tmp)])
        os.replace(tmp, obj)
    return objects


def _cc(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ToolchainError(f"host compile of the generated C failed:\n{proc.stderr[-4000:]}")


def build_runner(tflite: str | Path | bytes, cflags: list[str] = CFLAGS, *, arch: str = "portable",
                 weights: str | None = None, **patch_options) -> tuple[Path, dict]:
    """Compiles the model and builds (or reuses) its host runner. Returns (executable, compile report).
    cflags: e.g. with -fsanitize=address,undefined for a runner that stops at any out-of-bounds access.
    arch / weights / patch_options (patches, ram_budget, stream_input): as compile_model (e.g. "dsp": the DSP
    cores' layouts, run by the portable references)."""
    with tempfile.TemporaryDirectory(prefix="tfedge-host-") as tmp:
        result = compile_model(tflite, tmp, arch=arch, weights=weights, **patch_options)
        cc = _host_cc()
        objects = runtime_objects(cc, cflags)
        digest = hashlib.sha256(" ".join([cc] + cflags).encode())
        for path in [result.out_dir / "model.c", result.out_dir / "model.h"] + objects:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        exe_dir = cache_dir() / "host" / digest.hexdigest()[:24]
        exe = exe_dir / "runner"
        if not exe.is_file():
            exe_dir.mkdir(parents=True, exist_ok=True)
            tmp_exe = partial_path(exe)
            _cc([cc, *cflags, f"-I{result.out_dir}", *(f"-I{d}" for d in runtime_include_dirs()),
                 str(result.out_dir / "model.c"), *map(str, objects), "-o", str(tmp_exe)])
            os.replace(tmp_exe, exe)
        return exe, result.report


def run_model(tflite: str | Path | bytes, x: np.ndarray | Sequence[np.ndarray], *,
              cflags: list[str] = CFLAGS, arch: str = "portable", weights: str | None = None,
              **patch_options) -> np.ndarray | list[np.ndarray]:
    """Runs every sample through the compiled model on this host.

    x: (N, *input shape) or (N, *input shape[1:]) for a single-input model, or a list with one such
    array per input. Returns the outputs in the same form (a list when the model has several)."""
    exe, report = build_runner(tflite, cflags, arch=arch, weights=weights, **patch_options)
    arrays = list(x) if isinstance(x, (list, tuple)) else [x]
    if len(arrays) != len(report["inputs"]):
        raise DataError(f"the model has {len(report['inputs'])} input(s) but {len(arrays)} array(s) were given: "
                        "pass a list with one (N, ...) array per input")
    samples, forms = [], []
    for arr, inp in zip(arrays, report["inputs"]):
        s, with_batch = io_batches.split_samples(np.asarray(arr), tuple(inp["shape"]), np.dtype(inp["dtype"]))
        samples.append(s)
        forms.append(with_batch)
    counts = sorted({len(s) for s in samples})
    if len(counts) != 1 or counts[0] == 0:
        raise DataError(f"the inputs hold {', '.join(map(str, counts))} samples: give the same N >= 1 for every input")
    outputs = [io_batches.join_samples(list(o), forms[0]) for o in _run(exe, samples, report)]
    return outputs[0] if len(outputs) == 1 else outputs


def _run(exe: Path, inputs: list[np.ndarray], report: dict) -> list[np.ndarray]:
    n = len(inputs[0])
    with tempfile.TemporaryDirectory(prefix="tfedge-run-") as tmp:
        in_path, out_path = Path(tmp) / "x.bin", Path(tmp) / "y.bin"
        with open(in_path, "wb") as f:
            for s in range(n):
                for arr in inputs:
                    f.write(np.ascontiguousarray(arr[s]).tobytes())
        try:
            proc = subprocess.run([str(exe), str(in_path), str(out_path), str(n)], capture_output=True, text=True,
                                  timeout=600)
        except subprocess.TimeoutExpired:
            raise ToolchainError(f"host runner did not finish {n} inferences in 600 s") from None
        if proc.returncode < 0:
            name = signal.Signals(-proc.returncode).name if -proc.returncode in signal.valid_signals() else "a signal"
            raise RunnerCrashed(f"host runner killed by {name} (a tfedge bug: please report it with the .tflite): "
                                f"{proc.stderr.strip()}")
        if proc.returncode != 0:
            raise ToolchainError(f"host runner failed (exit {proc.returncode}): {proc.stderr.strip()}")
        raw = out_path.read_bytes()
    per_sample = sum(o["bytes"] for o in report["outputs"])
    if len(raw) != per_sample * n:
        raise ToolchainError(f"host runner wrote {len(raw)} bytes, expected {per_sample * n}")
    data = np.frombuffer(raw, np.uint8).reshape(n, per_sample)
    outs, start = [], 0
    for o in report["outputs"]:
        chunk = data[:, start:start + o["bytes"]].copy()
        outs.append(chunk.view(np.dtype(o["dtype"])).reshape((n, *o["shape"])))
        start += o["bytes"]
    return outs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="int8 .tflite model")
    parser.add_argument("--inputs", required=True, help="x.npy: (N, *input shape) or (N, *input shape[1:])")
    parser.add_argument("-o", "--output", required=True, help="y.npy to write (same form as the inputs)")
    add_storage_arguments(parser, kernels_default="portable")
    add_patch_arguments(parser)


def run(args: argparse.Namespace) -> int:
    x = io_batches.load_inputs(args.inputs)
    y = run_model(args.model, x, arch=kernel_arch(args.kernels, "dsp"), weights=args.weights, **patch_options(args))
    io_batches.save_outputs(args.output, y)
    print(f"ran {len(x)} input(s) through {Path(args.model).name} on this host -> {args.output} {y.shape} {y.dtype}")
    return 0
