"""`tfedge export model.keras --data x.npy -o model.tflite`: full-integer export from the command line."""

from __future__ import annotations

import argparse
import gzip
import os
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="tf_keras model: .keras/.h5 file or SavedModel folder (tfedge stage checkpoints too)")
    parser.add_argument("--data", type=Path, required=True,
                        help="representative samples: .npy of shape (N, *input_shape[1:]), or an .npz (x_train is used)")
    parser.add_argument("-o", "--out", type=Path, help="output .tflite (default: <model>_int8.tflite)")
    parser.add_argument("--samples", type=int, default=256, help="how many representative samples to use (default 256)")
    parser.add_argument("--int16x8", action="store_true", help="int16 activations, int8 weights")
    parser.add_argument("--allow-float-fallback", action="store_true", help="keep ops without an integer kernel in float")
    parser.add_argument("--per-tensor", action="store_true", help="one weight scale per tensor instead of per channel")
    parser.add_argument("--eval", type=Path, metavar="NPZ", help="report LiteRT accuracy on x_test/y_test of this .npz")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from tfedge.errors import DataError
    from tfedge.export import evaluate_tflite, export_int8
    from tfedge.export.keras_load import load_keras_model

    data = _load_samples(args.data, np)[: args.samples]
    model = load_keras_model(args.model)
    notes: list[str] = []
    tflite = export_int8(
        model,
        data,
        int16x8=args.int16x8,
        allow_float_fallback=args.allow_float_fallback,
        per_channel=not args.per_tensor,
        notes=notes,
    )
    for line in notes:  # e.g. the ops the converter refuses in 16x8 that tfedge quantized itself
        print(f"note: {line}", file=sys.stderr)
    out = args.out or args.model.with_name(f"{args.model.stem}_{'int16x8' if args.int16x8 else 'int8'}.tflite")
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(tflite)
    os.replace(tmp, out)
    print(f"wrote {out}: {len(tflite)} bytes ({len(gzip.compress(tflite, 9))} gzip)")
    for line in compile_problems(tflite):
        print(f"warning: {line}", file=sys.stderr)
    if args.eval:
        with np.load(args.eval) as archive:
            if "x_test" not in archive.files or "y_test" not in archive.files:
                raise DataError(f"{args.eval}: --eval needs arrays x_test and y_test")
            accuracy = evaluate_tflite(tflite, archive["x_test"].astype(np.float32), archive["y_test"])
        print(f"LiteRT accuracy on {args.eval}: {accuracy:.2%}")
    return 0


def compile_problems(tflite: bytes) -> list[str]:
    """Why tfedge's compiler would refuse this .tflite (empty when it compiles), each naming the Keras layer:
    said at export time, before anyone builds firmware for the model."""
    from tfedge.compiler import load_graph
    from tfedge.errors import UnsupportedModelError

    try:
        load_graph(tflite)
    except UnsupportedModelError as exc:
        return ["tfedge cannot compile this model (`tfedge compile`/`flash` will refuse it):", *exc.problems]
    return []


def _load_samples(path: Path, np):
    from tfedge.errors import DataError

    if not path.is_file():
        raise DataError(f"--data {path}: no such file")
    if path.suffix == ".npz":
        with np.load(path) as archive:
            if "x_train" not in archive.files:
                raise DataError(f"--data {path}: an .npz needs an array x_train (has {', '.join(archive.files)})")
            return archive["x_train"]
    if path.suffix == ".npy":
        return np.load(path)
    raise DataError(f"--data {path}: expected a .npy or .npz file")
