"""`tfedge search space.yaml --out DIR [--address HOST:PORT] [--cpus N] [--trials N]`."""

from __future__ import annotations

import argparse
import importlib.util
from dataclasses import replace
from pathlib import Path

from tfedge.errors import MissingExtraError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("space", help="search space YAML (docs/search.md)")
    parser.add_argument("--out", required=True, help="output folder: trials, results store, search.html; rerun to resume")
    parser.add_argument("--address", help="an existing Ray cluster (ray start --head prints it); default: start Ray locally")
    parser.add_argument("--cpus", type=int, help="CPUs of the local Ray, one trial each (default 2)")
    parser.add_argument("--trials", type=int, help="override the space's trial count (more: the search continues)")


def search(space, out_dir: str | Path, **options) -> dict:
    """Run (or resume) the search and write its report; returns the report dict."""
    from tfedge.search.report import write_search_report
    from tfedge.search.run import run_search

    records = run_search(space, out_dir, **options)
    return write_search_report(space, records, out_dir)


def run(args: argparse.Namespace) -> int:
    from tfedge.search.report import summary_lines
    from tfedge.search.space import SearchSpace

    missing = [name for name in ("optuna", "ray") if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtraError(f"tfedge search needs {', '.join(missing)}: pip install 'tfedge[search]'")
    space = SearchSpace.from_yaml(args.space)
    if args.trials is not None:
        space = replace(space, trials=args.trials)
        space.validate()
    report = search(space, args.out, address=args.address, cpus=args.cpus)
    print("\n".join(summary_lines(report)))
    print(f"report: {Path(args.out) / 'search.html'}")
    return 0
