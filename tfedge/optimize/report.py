"""The recipe report: report.json for scripts, report.md (a table) for people."""

from __future__ import annotations

import json
from pathlib import Path

COLUMNS = ("stage", "accuracy", "int8 acc.", "sparsity", "max unique", ".tflite bytes", "gzip bytes", "file")


def format_table(report: dict) -> str:
    """A Markdown table, aligned so it also reads well printed in a terminal."""
    rows = [COLUMNS]
    for stage in report["stages"]:
        rows.append((
            stage["name"],
            f"{stage['accuracy']:.2%}",
            f"{stage['int8_accuracy']:.2%}" if "int8_accuracy" in stage else f"{stage['accuracy']:.2%}",
            f"{stage['sparsity']:.1%}",
            str(stage["max_unique_weights"]),
            str(stage.get("tflite_bytes", "")),
            str(stage.get("gzip_bytes", "")),
            stage["path"],
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    numeric = range(1, len(COLUMNS) - 1)

    def line(row):
        cells = [cell.rjust(w) if i in numeric else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        return "| " + " | ".join(cells) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in numeric else "-" * (w + 2) for i, w in enumerate(widths)) + "|"
    return "\n".join([line(rows[0]), rule, *(line(r) for r in rows[1:])])


NOTES = """\
accuracy: test-set top-1, Keras for float stages, LiteRT for the int8 stage. int8 acc.: LiteRT accuracy of
the stage exported to full integer with the recipe's int8 options (stages/NN_<stage>.tflite; the int8
stage is the last of these). sparsity: zero fraction of all conv/dense
kernels. max unique: most distinct values in one kernel (int8 stage: in one output channel, because
per-channel scales give each channel its own integers). bytes: the stage's full-integer .tflite; gzip: it
compressed with gzip -9, which is what pruning and clustering shrink."""


def write_report(report: dict, folder: Path) -> None:
    (folder / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (folder / "report.md").write_text(f"# Optimization report\n\n{format_table(report)}\n\n{NOTES}\n")
