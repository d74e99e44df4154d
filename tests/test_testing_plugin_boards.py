"""The project's own board tests written with its pytest plugin (the `board` fixture and marker):
the shared hello_world model on three cores, on-device outputs equal to the host int8 runner."""

from __future__ import annotations

import numpy as np
import pytest

from tfedge.testing import INSTALL, missing_tools

pytestmark = pytest.mark.qemu


@pytest.fixture(autouse=True)
def _tools_required():
    # The plugin skips without the toolchain (right for users); this suite fails instead, as its other board tests do.
    if missing_tools():
        pytest.fail(f"missing {', '.join(missing_tools())}; install with: {INSTALL}")


@pytest.mark.board("mps2-an386", "microbit", "mps3-an547")
def test_hello_world_on_device_equals_host(board, reference_models):
    from tfedge.compiler.host_run import run_model
    from tfedge.emulate.figures import compile_report, quantize_inputs

    tflite = reference_models["hello_world_int8.tflite"]
    x = np.linspace(0, 2 * np.pi, 24, dtype=np.float32).reshape(24, 1)  # float: quantized by the fixture
    run = board.run(tflite, x, compare=True)
    assert run.metrics["board"] == board.name and run.metrics["inputs"] == 24
    assert run.metrics["mismatches"] == 0
    host = run_model(tflite, quantize_inputs(x, compile_report(tflite)["inputs"][0]))
    np.testing.assert_array_equal(run.outputs, host)
    # the model computes sin(x): the dequantized device outputs follow it
    out = compile_report(tflite)["outputs"][0]
    y = (run.outputs.astype(np.float32).reshape(-1) - out["zero_point"]) * out["scale"]
    assert np.max(np.abs(y - np.sin(x.reshape(-1)))) < 0.25
    assert run.instructions > 1000 and 0 < run.ms < 5


def test_board_bytes_model_and_explicit_board(board, reference_models):
    data = reference_models["hello_world_int8.tflite"].read_bytes()
    a = board("stm32f405").run(data)  # bytes work as well as paths; no inputs: one run on zeros
    b = board("stm32h743").run(data)
    assert a.metrics["clock_hz"] == 168_000_000 and b.metrics["clock_hz"] == 480_000_000
    assert a.outputs is None and b.ms < a.ms  # a Cortex-M7 at 480 MHz beats a Cortex-M4 at 168 MHz
