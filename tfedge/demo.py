"""`tfedge demo`: a digits CNN taken through prune 50% -> cluster 16 -> PCQAT -> int8, end to end.

run_demo() is the whole demo; optimize_demo() is its Keras/TFLite half, so that later stages
(compile, flash on an emulated board) add their steps to run_demo without touching it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tfedge.optimize.recipe import QAT, Cluster, Int8, Prune, Recipe, Train

# Same as examples/recipes/digits_pcqat.yaml (a test keeps them equal).
DEMO_RECIPE = Recipe(
    model="demo_cnn",
    data="digits",
    batch_size=32,
    seed=0,
    stages=[
        Train(epochs=12, learning_rate=3e-3),
        Prune(sparsity=0.5, schedule="polynomial", epochs=3),
        Cluster(clusters=16, init="kmeans++", preserve_sparsity=True, epochs=2),
        QAT(scheme="pcqat", epochs=2),
        Int8(representative_samples=256),
    ],
)


def optimize_demo(out_dir: str | Path) -> dict:
    """Train the digits CNN and run DEMO_RECIPE; writes out_dir and returns its report."""
    from tfedge.optimize.pipeline import run_recipe

    return run_recipe(DEMO_RECIPE, out_dir)


def run_demo(out_dir: str | Path = "demo-out") -> dict:
    """The full demo; returns the report written to out_dir/report.json."""
    print(f"tfedge demo: digits CNN -> prune 50% -> cluster 16 -> PCQAT -> int8, into {out_dir}/", flush=True)
    report = optimize_demo(out_dir)
    return report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="demo-out", help="output folder (default: ./demo-out)")


def run(args: argparse.Namespace) -> int:
    run_demo(args.out)
    return 0
