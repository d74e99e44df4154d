"""`tfedge compare a.tflite b.tflite --board B [--data test.npz]`: two models side by side on one board.

The question after each optimization: what did it cost or save? Both models are compiled, built and
run on the same emulated board; with --data, the test samples run on the board too and the accuracy
is the top-1 of the on-device outputs. Never imports TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from tfedge.compiler.cli import add_patch_arguments, add_storage_arguments, patch_options
from tfedge.errors import DataError

# (label, key in the figures, format, lower is better)
ROWS = (
    ("accuracy (on the board)", "accuracy", "pct", False),
    (".tflite bytes", "tflite_bytes", "int", True),
    ("flash bytes", "flash_bytes", "int", True),
    ("RAM bytes", "ram_bytes", "int", True),
    ("  arena bytes", "arena_bytes", "int", True),
    ("  stack bytes (used)", "stack_bytes", "int", True),
    ("instructions / inference", "instructions_per_inference", "int", True),
    ("est. cycles / inference", "est_cycles_per_inference", "int", True),
    ("est. ms / inference", "ms_per_inference", "ms", True),
)


def load_test_data(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) from an .npz holding x_test/y_test (a recipe's data file) or x/y."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"--data {path}: no such file")
    with np.load(path) as z:
        for xk, yk in (("x_test", "y_test"), ("x", "y")):
            if xk in z.files and yk in z.files:
                return z[xk], z[yk]
        raise DataError(f"--data {path}: expected arrays x_test and y_test (or x and y), found {', '.join(z.files)}")


def compare_models(a: str | Path, b: str | Path, board: str, x: np.ndarray | None = None, y: np.ndarray | None = None,
                   *, samples: int | None = None, opt: str = "-O2", weights: str | None = None,
                   kernel_arch: str | None = None, **patch_options) -> dict:
    """{'board', 'models': [figures of a, figures of b]}; figures = flash metrics (+ accuracy, tflite_bytes).
    weights / kernel_arch / patch_options (patches, ram_budget, stream_input): the same for both (see flash_model)."""
    from tfedge.emulate.figures import measure_on_board

    models = []
    for path in (Path(a), Path(b)):
        figures = measure_on_board(path, board, x, y, samples=samples, opt=opt, weights=weights,
                                   kernel_arch=kernel_arch, **patch_options)
        m = figures.metrics
        m["tflite_bytes"] = path.stat().st_size
        m["path"] = str(path)
        models.append(m)
    return {"board": board, "models": models}


def _cell(value, kind: str) -> str:
    if value is None:
        return "-"
    return {"pct": f"{value:.2%}", "int": f"{int(value):,}", "ms": f"{value:.3f}"}[kind]


def _change(a, b, kind: str, lower_better: bool) -> str:
    if a is None or b is None:
        return ""
    if kind == "pct":
        return f"{(b - a) * 100:+.2f} points"
    if a == 0:
        return "" if b == 0 else "new"
    rel = (b - a) / a
    if a == b:
        return "same"
    better = (rel < 0) == lower_better
    delta = f"{b - a:+,}" if kind == "int" else f"{b - a:+.3f}"
    return f"{delta} ({rel:+.2%}, {'better' if better else 'worse'})"


def _storage_lines(tag: str, m: dict) -> list[str]:
    """Per layer with weights: the storage the compiler chose, its bytes and the layer's instructions."""
    rows = [l for l in m.get("layers", []) if l.get("storage")]
    if not rows:
        return []
    out = ["", f"{tag}: weights per layer (storage, bytes, kernel variant, instructions)"]
    out += [f"  {l['index']:>3} {l['op']:<18} {l['storage']:<9} {l['storage_bytes']:>9,} B  {l['variant']:<16} "
            f"{l['instructions']:>12,}" for l in rows]
    return out


def _aligned(rows: list[tuple[str, str, str, str]]) -> list[str]:
    """(label, A, B, change) rows as text columns, the first row a header underlined with dashes."""
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for k, r in enumerate(rows):
        lines.append("  ".join([r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2].rjust(widths[2]), r[3].ljust(widths[3])]).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def format_comparison(result: dict) -> str:
    a, b = result["models"]
    name_a, name_b = Path(a["path"]).name, Path(b["path"]).name
    if name_a == name_b:
        name_a, name_b = a["path"], b["path"]
    rows = [("", "A: " + name_a, "B: " + name_b, "B vs A")]
    for label, key, kind, lower in ROWS:
        if key == "accuracy" and key not in a:
            continue
        rows.append((label, _cell(a.get(key), kind), _cell(b.get(key), kind), _change(a.get(key), b.get(key), kind, lower)))
    lines = [f"{name_a} vs {name_b} on {result['board']} ({a['core']} @ {a['clock_hz'] / 1e6:g} MHz, {a['opt']})"]
    if "inputs" in a:
        lines.append(f"accuracy: top-1 of the on-device outputs over {a['inputs']} test samples")
    lines.append("")
    lines += _aligned(rows)
    per_layer = layer_comparison(a, b)
    if per_layer:
        lines += ["", "instructions per Keras layer", *_aligned(per_layer)]
    for tag, m in (("A", a), ("B", b)):
        lines.extend(_storage_lines(tag, m))
    lines.append("")
    lines.append("instructions are exact (QEMU plugin); cycles and ms are estimates (docs/cycle_model.md)")
    return "\n".join(lines)


def layer_comparison(a: dict, b: dict) -> list[tuple[str, str, str, str]]:
    """Rows (layer (op), A, B, B vs A) of instructions per Keras layer, matched by layer name and op, in A's
    order then B's new ones: what an optimization changed where. Empty when neither model has layers."""
    def by_name(m: dict) -> dict[str, int]:
        totals: dict[str, int] = {}
        for layer in m.get("layers") or []:
            key = f"{layer.get('layer', layer['index'])} ({layer['op']})"
            totals[key] = totals.get(key, 0) + layer["instructions"]
        return totals

    ia, ib = by_name(a), by_name(b)
    if not ia and not ib:
        return []
    rows = [("layer (op)", "A", "B", "B vs A")]
    for key in [*ia, *(k for k in ib if k not in ia)]:
        rows.append((key, _cell(ia.get(key), "int"), _cell(ib.get(key), "int"),
                     _change(ia.get(key), ib.get(key), "int", True) if key in ia and key in ib else ("only A" if key in ia else "only B")))
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", help="first int8 .tflite (the baseline)")
    parser.add_argument("b", help="second int8 .tflite")
    parser.add_argument("--board", required=True, help="board name (see `tfedge boards`)")
    parser.add_argument("--data", help=".npz with x_test/y_test (or x/y): run them on the board for accuracy")
    parser.add_argument("--samples", type=int, default=256, help="test samples to run (default 256; 0: all)")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="write the comparison as JSON to FILE (no FILE: print JSON instead of the table)")
    parser.add_argument("-O", dest="opt", choices=["2", "s", "3", "0"], default="2", help="firmware optimization level")
    add_storage_arguments(parser)
    add_patch_arguments(parser)


def run(args: argparse.Namespace) -> int:
    x = y = None
    if args.data:
        x, y = load_test_data(args.data)
    arch = None if args.kernels == "arch" else args.kernels
    result = compare_models(args.a, args.b, args.board, x, y, samples=args.samples or None, opt=f"-O{args.opt}",
                            weights=args.weights, kernel_arch=arch, **patch_options(args))
    text = json.dumps(result, indent=2, default=float)
    if args.json == "-":
        print(text)
        return 0
    print(format_comparison(result))
    if args.json:
        Path(args.json).write_text(text + "\n")
        print(f"comparison -> {args.json}", file=sys.stderr)
    return 0
