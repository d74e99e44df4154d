"""`tfedge demo`: a digits CNN taken through prune 50% -> cluster 16 -> PCQAT -> int8, then compiled,
flashed on an emulated board and measured, with report.html/report.md/plots in the output folder.

run_demo() is `tfedge deploy` of DEMO_RECIPE (so a second run resumes: only what changed is redone);
optimize_demo() is its Keras/TFLite half alone.
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


DEMO_BOARD = "stm32f405"


def run_demo(out_dir: str | Path = "demo-out", board: str = DEMO_BOARD) -> dict:
    """The full demo; returns the report written to out_dir/report.json (and report.html/.md)."""
    from tfedge.deploy import deploy, format_summary

    print(f"tfedge demo: digits CNN -> prune 50% -> cluster 16 -> PCQAT -> int8 -> {board}, into {out_dir}/", flush=True)
    report = deploy(DEMO_RECIPE, board, out_dir)
    print()
    print(format_summary(report))
    return report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="demo-out", help="output folder (default: ./demo-out)")
    parser.add_argument("--board", default=DEMO_BOARD, help=f"board to run on (default {DEMO_BOARD}; see `tfedge boards`)")


def run(args: argparse.Namespace) -> int:
    report = run_demo(args.out, args.board)
    print(f"\nreport: {Path(report['files']['html']).resolve()}")
    print(f"        {Path(report['files']['markdown']).resolve()} (and report.json, plots/)")
    return 0
