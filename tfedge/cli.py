"""The `tfedge` command line.

Each sub-command lives in its own module, imported only when that command runs, so that
`tfedge compile/run/flash` start fast and never import TensorFlow. A command module provides
`add_arguments(parser)` and `run(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from tfedge import __version__

# name -> (module, one-line help, the pip extra it needs beyond the core or None), in the order of the flow.
COMMANDS: dict[str, tuple[str, str, str | None]] = {
    "optimize": ("tfedge.optimize.cli", "run an optimization recipe (prune, cluster, QAT, int8 export) on a Keras model", "keras"),
    "export": ("tfedge.export.cli", "export a Keras model to a fully-int8 .tflite", "keras"),
    "compile": ("tfedge.compiler.cli", "compile an int8 .tflite into C sources (model.c/model.h)", None),
    "run": ("tfedge.compiler.host_run", "run a .tflite through the compiled C on this host: x.npy -> y.npy", None),
    "boards": ("tfedge.boards", "list the supported boards", None),
    "flash": ("tfedge.emulate.flash", "compile, build and run a model on an emulated board, and measure it", None),
    "emulate": ("tfedge.emulate.cli", "run your own bare-metal ELF on an emulated board and measure it", None),
    "deploy": ("tfedge.deploy", "recipe -> optimize -> export -> compile -> build -> run on a board, resumable, with report.html", "keras"),
    "compare": ("tfedge.compare", "two .tflite models side by side on a board: accuracy, flash, RAM, instructions, ms", None),
    "demo": ("tfedge.demo", "digits CNN -> recipe -> int8 -> board, end to end", "keras"),
    "search": ("tfedge.search.cli", "search model widths and compression under a board budget (Optuna on Ray Tune), Pareto report", "keras"),
    "doctor": ("tfedge.doctor", "check the toolchain, QEMU, the counting plugin and the extras; say how to install what is missing", None),
}

STAGES = """stages:
  1. optimize   Keras model -> pruned / clustered / quantization-aware Keras model
  2. export     Keras model -> fully-int8 .tflite (accuracy checked with LiteRT)
  3. compile    .tflite -> C sources + static memory plan      (run: on this host)
  4. flash      C -> ELF -> QEMU board: instructions, cycles, flash, RAM, outputs
  all of them:  deploy (resumable, report.html); compare two models: compare
  set-up:       doctor (what is installed, how to install the rest); optimize/export/deploy/demo
                need the keras extra: pip install 'tfedge[keras]'
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tfedge",
        description="Keras model to Cortex-M microcontroller, with measured costs.",
        epilog=STAGES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tfedge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text, _extra) in COMMANDS.items():
        # The command's own arguments are added only when it is the one being run (lazy import).
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0] not in COMMANDS:
        parser.parse_args(argv or ["--help"])
        return 2
    name, rest = argv[0], argv[1:]
    module_name, help_text, extra = COMMANDS[name]
    try:
        if extra:  # before importing or parsing anything: a core install says at once what to add
            from tfedge.extras import require

            require(extra, "this command")
        module = importlib.import_module(module_name)
        sub_parser = argparse.ArgumentParser(prog=f"tfedge {name}", description=help_text)
        module.add_arguments(sub_parser)
        args = sub_parser.parse_args(rest)
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # user-facing errors are tfedge.errors.TfedgeError; show them without a traceback
        from tfedge.errors import TfedgeError
        from tfedge.extras import as_missing_extra

        # An optional dependency imported past the check above (a module of an extra, e.g. LiteRT).
        exc = as_missing_extra(exc, "this command") or exc
        if isinstance(exc, TfedgeError):
            print(f"tfedge {name}: error: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
