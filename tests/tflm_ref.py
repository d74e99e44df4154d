"""The referees: TFLite Micro (ground truth) and LiteRT's reference kernels, run on many inputs."""

from __future__ import annotations

import ctypes
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np


@contextmanager
def quiet_fd(fd: int = 1):
    """TFLM prints from C++ straight to fd 1; keep it out of the test output."""
    sys.stdout.flush()
    saved = os.dup(fd)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), fd)
        try:
            yield
        finally:
            ctypes.CDLL(None).fflush(None)  # TFLM prints through C stdio
            os.dup2(saved, fd)
            os.close(saved)


def tflm_run(model: str | Path | bytes, x: np.ndarray, output: int = 0) -> np.ndarray:
    """Outputs of TFLM (the model's output number `output`) for each sample of x (N, *input shape)."""
    from tflite_micro.python.tflite_micro import runtime

    with quiet_fd():
        ip = runtime.Interpreter.from_bytes(model) if isinstance(model, (bytes, bytearray)) else runtime.Interpreter.from_file(str(model))
        out = []
        for sample in x:
            ip.set_input(sample, 0)
            ip.invoke()
            out.append(ip.get_output(output).copy())
    return np.stack(out)


def litert_ref_run(model: str | Path | bytes, x: np.ndarray) -> np.ndarray:
    """Outputs of LiteRT's BUILTIN_REF kernels (the second referee)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    content = model if isinstance(model, (bytes, bytearray)) else Path(model).read_bytes()
    ip = Interpreter(model_content=bytes(content), experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    ip.allocate_tensors()
    i, o = ip.get_input_details()[0]["index"], ip.get_output_details()[0]["index"]
    out = []
    for sample in x:
        ip.set_tensor(i, sample)
        ip.invoke()
        out.append(ip.get_tensor(o).copy())
    return np.stack(out)


def random_inputs(shape, dtype, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.int8:
        return rng.integers(-128, 128, (n, *shape), dtype=np.int8)
    return rng.standard_normal((n, *shape)).astype(dtype)


def tflm_arena_head(model: str | Path, part: str = "head") -> int:
    """TFLM's activation ("head") arena bytes, from its allocation recording (printed to stderr); part="total":
    head + tail (what the application must reserve on this 64-bit host)."""
    import re

    from tflite_micro.python.tflite_micro import runtime

    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            runtime.Interpreter.from_file(str(model)).print_allocations()
        finally:
            ctypes.CDLL(None).fflush(None)
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        text = capture.read().decode(errors="replace")
    return int(re.search(rf"Arena allocation {part} (\d+) bytes", text).group(1))
