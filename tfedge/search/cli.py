"""`tfedge search space.yaml --out DIR [--address HOST:PORT] [--cpus N] [--trials N] [--trial M:F] [--no-deploy]`: the search,\nits report, then each board's winner deployed (tfedge deploy from its .tflite) into DIR/winners/<board>."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from tfedge.extras import require


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("space", help="search space YAML (docs/search.md)")
    parser.add_argument("--out", required=True, help="output folder: trials, results store, search.html; rerun to resume")
    parser.add_argument("--address", help="an existing Ray cluster (ray start --head prints it); default: start Ray locally")
    parser.add_argument("--cpus", type=int, help="CPUs of the local Ray, one trial each (default 2)")
    parser.add_argument("--trials", type=int, help="override the space's trial count (more: the search continues)")
    parser.add_argument("--trial", default=None, metavar="MODULE:FUNCTION",
                        help="your own trial function instead of tfedge's (importable on every Ray worker; docs/search.md)")
    parser.add_argument("--dnas", action="store_true",
                        help="also run the differentiable width search (the space's mode: both; docs/search.md)")
    parser.add_argument("--no-deploy", action="store_true", help="do not deploy each board's winner into DIR/winners/<board>")


def deploy_winners(space, report: dict, out_dir: str | Path, progress=print) -> dict[str, str]:
    """`tfedge deploy --from <winner>.tflite` per board into DIR/winners/<board> (report.html there);
    resumable like any deploy. Returns board -> report.html path."""
    from tfedge.deploy import deploy
    from tfedge.optimize.recipe import Int8, Recipe

    trials = {t["number"]: t for t in report["trials"]}
    pages = {}
    for board, number in report["winners"].items():
        folder = Path(out_dir) / "winners" / board
        progress(f"search: deploying trial {number}, the winner on {board}, into {folder}")
        deploy(Recipe(stages=[Int8()], data=space.data), board, folder, start=trials[number]["metrics"]["tflite"],
               samples=space.samples, progress=lambda _line: None)
        pages[board] = str(folder / "report.html")
    return pages


def search(space, out_dir: str | Path, *, deploy: bool = True, **options) -> dict:
    """Run (or resume) the search, write its report and deploy the winners; returns the report dict."""
    from tfedge.search.report import write_search_report
    from tfedge.search.run import run_search
    from tfedge.search.store import ResultStore

    records = run_search(space, out_dir, **options) if space.mode != "dnas" else []
    if space.mode != "search":
        from tfedge.search.dnas import run_dnas

        run_dnas(space, out_dir)
        records = ResultStore(out_dir).all()
    report = write_search_report(space, records, out_dir)
    if deploy and report["winners"]:
        report["deployed"] = deploy_winners(space, report, out_dir)
        report = write_search_report(space, records, out_dir, deployed=report["deployed"])
    return report


def run(args: argparse.Namespace) -> int:
    from tfedge.search.report import summary_lines
    from tfedge.search.space import SearchSpace

    require("search", "tfedge search")  # the keras extra is checked by tfedge.cli before this module loads
    space = SearchSpace.from_yaml(args.space)
    if args.trials is not None or args.dnas:
        space = replace(space, trials=args.trials or space.trials, mode="both" if args.dnas and space.mode == "search" else space.mode)
        space.validate()
    options = {"trial_fn": args.trial} if args.trial else {}
    report = search(space, args.out, address=args.address, cpus=args.cpus, deploy=not args.no_deploy, **options)
    print("\n".join(summary_lines(report)))
    for board, page in report.get("deployed", {}).items():
        print(f"winner on {board}: {page}")
    print(f"report: {Path(args.out) / 'search.html'}")
    return 0
