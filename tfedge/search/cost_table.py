"""A per-board table of measured instructions per channel for each layer, the cost DNAS trains against.

A few widths of the family are exported to int8 (untrained weights: a dense int8 kernel's work does
not depend on their values) and run once on the board; each layer's measured instructions are fitted
by least squares as

    instructions = a + b * out_channels + c * in_channels * out_channels

(a conv's or a dense layer's MACs grow with in x out channels at a fixed feature-map size, a pooling
layer's work with its channels). The table is cached in cache_dir()/dnas, keyed by the board, the
family's fixed shape and the C runtime's sources, so a search measures it once per board.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tfedge.paths import BOARDS_DIR, RUNTIME_DIR, cache_dir, partial_path

VERSION = 1
# The widths measured, as fractions of the widest model's per block (even and odd blocks): in x out
# channels and out channels vary apart, over the whole range DNAS may pick from.
PROBE_FRACTIONS = ((1 / 8, 1 / 4), (1 / 4, 1.0), (1.0, 1 / 8), (1 / 2, 1 / 2))


def probe_widths(widest: list[int]) -> list[list[int]]:
    return [[max(1, round(w * f[b % 2])) for b, w in enumerate(widest)] for f in PROBE_FRACTIONS]


def layer_channels(name: str, op: str, widths: list, in_channels: int, classes: int) -> tuple:
    """(in, out) channels of a digits_cnn layer, by its Keras name and operator, for the cost features
    (the widths may be numbers or, in the DNAS mask model, tensors)."""
    if op == "SOFTMAX":
        return 1.0, 1.0
    if name.startswith("conv"):
        block = int(name[4:]) - 1
        return (widths[block - 1] if block else float(in_channels)), widths[block]
    if name.startswith("pool"):
        return 1.0, widths[int(name[4:]) - 1]
    if name == "gap":
        return 1.0, widths[-1]
    if name == "fc":
        return widths[-1], float(classes)
    return 1.0, 1.0  # anything else: a constant


def features(cin, cout):
    return [1.0, cout, cin * cout]


def predict(table: dict, widths: list, in_channels: int, classes: int):
    """Instructions of a digits_cnn with these per-block widths (numbers, or tensors: then the result is
    a tensor the DNAS cost term differentiates), from the table."""
    total = table["overhead"]
    for row in table["layers"]:
        cin, cout = layer_channels(row["layer"], row["op"], widths, in_channels, classes)
        a, b, c = row["coefficients"]
        total = total + a + b * cout + c * cin * cout
    return total


def _source_digest(board: str) -> str:
    digest = hashlib.sha256(str(VERSION).encode())
    for path in sorted(p for p in RUNTIME_DIR.rglob("*") if p.suffix in (".c", ".h", ".S")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for path in sorted(BOARDS_DIR.glob(f"{board}*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cost_table(board: str, build: Callable[[list[int]], object], x_sample: np.ndarray, widest: list[int], kernel: int,
               classes: int, progress: Callable[[str], None] = print) -> dict:
    """The fitted table for digits_cnn(kernel) up to the `widest` per-block widths on `board` (measured on
    first use, then cached). `build(widths)` returns the Keras model with those per-block widths."""
    from tfedge.emulate.figures import measure_on_board
    from tfedge.export import export_int8

    shape = list(x_sample.shape[1:])
    key = json.dumps({"board": board, "family": "digits_cnn", "shape": shape, "classes": classes, "widest": widest,
                      "kernel": kernel, "source": _source_digest(board)}, sort_keys=True)
    path = cache_dir() / "dnas" / f"{board}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    if path.is_file():
        return json.loads(path.read_text())
    progress(f"dnas: measuring the cost table on {board} ({len(PROBE_FRACTIONS)} widths, once)")
    samples: dict[tuple[str, str], list[tuple[list[float], float]]] = {}
    totals = []
    for widths in probe_widths(widest):
        with tempfile.TemporaryDirectory(prefix="tfedge-dnas-") as tmp:
            tflite = Path(tmp) / "probe.tflite"
            tflite.write_bytes(export_int8(build(widths), x_sample[:64]))
            m = measure_on_board(tflite, board).metrics
        layered = 0
        for row in m["layers"]:
            cin, cout = layer_channels(row["layer"], row["op"], [float(w) for w in widths], shape[-1], classes)
            samples.setdefault((row["layer"], row["op"]), []).append((features(cin, cout), row["instructions"]))
            layered += row["instructions"]
        totals.append((widths, m["instructions_per_inference"], m["ms_per_inference"], m["instructions_per_inference"] - layered))
    layers = []
    for (name, op), rows in samples.items():
        coefficients, *_ = np.linalg.lstsq(np.array([f for f, _ in rows]), np.array([y for _, y in rows], float), rcond=None)
        layers.append({"layer": name, "op": op, "coefficients": [float(c) for c in coefficients]})
    table = {"board": board, "widest": widest, "kernel": kernel, "layers": layers,
             "overhead": float(np.mean([t[3] for t in totals])),
             # est. ms per instruction on this board (the ms the cost term and the budget speak in)
             "ms_per_instruction": float(np.mean([t[2] / t[1] for t in totals])),
             "probes": [{"widths": w, "instructions": int(i), "ms": float(ms)} for w, i, ms, _ in totals]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(path)
    tmp.write_text(json.dumps(table, indent=1))
    tmp.replace(path)
    return table
