"""`tfedge optimize recipe.yaml`: run an optimization recipe and write its output folder."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recipe", type=Path, help="recipe YAML (see docs/optimize.md and examples/recipes/)")
    parser.add_argument("-o", "--out", type=Path, help="output folder (default: <recipe name>-out next to the recipe)")
    parser.add_argument("--check", action="store_true", help="only validate the recipe, model and data; train nothing")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the final table")


def run(args: argparse.Namespace) -> int:
    from tfedge.optimize.recipe import Recipe

    recipe = Recipe.from_yaml(args.recipe)  # validated before any model or data is loaded
    from tfedge.optimize import pipeline

    if args.check:
        data = pipeline._load_data(recipe)
        pipeline.precheck(recipe, pipeline._load_model(recipe, data), data)
        print(f"{args.recipe}: ok ({len(recipe.stages)} stages)")
        return 0
    out = args.out or args.recipe.resolve().parent / f"{args.recipe.stem}-out"
    report = pipeline.run_recipe(recipe, out, progress=(lambda _msg: None) if args.quiet else print)
    if args.quiet:
        from tfedge.optimize.report import format_table

        print(format_table(report))
    print(f"wrote {out}/")
    return 0
