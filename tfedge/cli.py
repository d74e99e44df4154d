"""The `tfedge` command line.

Each sub-command lives in its own module, imported only when that command runs, so that
`tfedge compile/run/flash` start fast and never import TensorFlow. A command module provides
`add_arguments(parser)` and `run(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help), in the order of the flow.
COMMANDS: dict[str, tuple[str, str]] = {
    "optimize": ("tfedge.optimize.cli", "run an optimization recipe (prune, cluster, QAT, int8 export) on a Keras model"),
    "export": ("tfedge.export.cli", "export a Keras model to a fully-int8 .tflite"),
    "compile": ("tfedge.compiler.cli", "compile an int8 .tflite into C sources (model.c/model.h)"),
    "run": ("tfedge.compiler.host_run", "run a .tflite through the compiled C on this host: x.npy -> y.npy"),
    "boards": ("tfedge.boards", "list the supported boards"),
    "flash": ("tfedge.emulate.flash", "compile, build and run a model on an emulated board, and measure it"),
    "emulate": ("tfedge.emulate.cli", "run your own bare-metal ELF on an emulated board and measure it"),
    "deploy": ("tfedge.deploy", "recipe -> optimize -> export -> compile -> build -> run on a board, resumable, with report.html"),
    "compare": ("tfedge.compare", "two .tflite models side by side on a board: accuracy, flash, RAM, instructions, ms"),
    "demo": ("tfedge.demo", "digits CNN -> recipe -> int8 -> board, end to end"),
}

STAGES = """stages:
  1. optimize   Keras model -> pruned / clustered / quantization-aware Keras model
  2. export     Keras model -> fully-int8 .tflite (accuracy checked with LiteRT)
  3. compile    .tflite -> C sources + static memory plan      (run: on this host)
  4. flash      C -> ELF -> QEMU board: instructions, cycles, flash, RAM, outputs
  all of them:  deploy (resumable, report.html); compare two models: compare
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tfedge",
        description="Keras model to Cortex-M microcontroller, with measured costs.",
        epilog=STAGES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in COMMANDS.items():
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
    module = importlib.import_module(COMMANDS[name][0])
    sub_parser = argparse.ArgumentParser(prog=f"tfedge {name}", description=COMMANDS[name][1])
    module.add_arguments(sub_parser)
    args = sub_parser.parse_args(rest)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # user-facing errors are tfedge.errors.TfedgeError; show them without a traceback
        from tfedge.errors import TfedgeError

        if isinstance(exc, TfedgeError):
            print(f"tfedge {name}: error: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
