"""One model on one board, measured the way the reports, deploy, compare, the callback and the pytest
plugin show it (the emulate stage's entry point for the stages above it; it runs the board, so it lives here).

    figures = measure_on_board("model.tflite", "stm32f405", x_test, y_test, samples=100)
    figures.metrics   # tfedge.emulate.flash.flash_model's metrics (JSON-able) + on-device `accuracy`
    figures.compile   # the compiler's report: layers, kernels, arena plan
    figures.outputs   # on-device outputs (numpy) for the samples run, or None

Float inputs are quantized with the model's input scale and zero point, as the device receives them;
accuracy is top-1 of the device's own outputs (which the flash step checks bit-exact with the host).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfedge.errors import DataError
from tfedge.io_batches import quantize_inputs  # noqa: F401  (re-exported: its home is io_batches, shared with flash)

# Board figures copied into each pipeline stage's entry of report.json.
STAGE_KEYS = ("flash_bytes", "ram_bytes", "arena_bytes", "instructions_per_inference", "est_cycles_per_inference",
              "ms_per_inference")


@dataclass
class BoardFigures:
    metrics: dict
    compile: dict
    outputs: np.ndarray | list | None


def compile_report(tflite: str | Path | bytes) -> dict:
    """The compiler's report (layers, arena plan) without writing any file."""
    from tfedge.compiler import generate_sources

    return json.loads(generate_sources(tflite)["compile_report.json"])


def top1_accuracy(outputs: np.ndarray, labels: np.ndarray) -> float:
    outputs = np.asarray(outputs)
    scores = outputs.reshape(len(outputs), -1)
    labels = np.asarray(labels)
    truth = labels.reshape(len(labels), -1).argmax(axis=1) if labels.ndim > 1 and labels.shape[-1] > 1 else labels.reshape(-1)
    if len(truth) != len(scores):
        raise DataError(f"{len(scores)} outputs but {len(truth)} labels")
    return float(np.mean(scores.argmax(axis=1) == truth))


def measure_on_board(
    tflite: str | Path,
    board: str,
    x: np.ndarray | None = None,
    y: np.ndarray | None = None,
    *,
    samples: int | None = None,
    opt: str = "-O2",
    compare: bool = False,
    weights: str | None = None,
    kernel_arch: str | None = None,
    **patch_options,
) -> BoardFigures:
    """Compile, build, run on `board` (with the first `samples` of x when given) and measure. weights /
    kernel_arch: as flash_model (None: the default storage, the board's kernels)."""
    from tfedge.emulate.flash import flash_model

    report = compile_report(tflite)
    inputs = None
    if x is not None:
        x = np.asarray(x)[:samples] if samples else np.asarray(x)
        inputs = quantize_inputs(x, report["inputs"][0])
    metrics = flash_model(tflite, board, inputs, opt=opt, progress=False, compare=compare, weights=weights,
                          kernel_arch=kernel_arch, **patch_options)
    outputs = metrics.pop("outputs", None)
    if outputs is not None and y is not None:
        metrics["accuracy"] = top1_accuracy(outputs, np.asarray(y)[: len(inputs)])
    return BoardFigures(metrics=metrics, compile=report, outputs=outputs)


def stage_summary(metrics: dict) -> dict:
    """The few board figures kept per pipeline stage."""
    return {k: metrics[k] for k in STAGE_KEYS if k in metrics}
