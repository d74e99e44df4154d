"""report.md: the same tables as report.html, with the plots linked as PNG files."""

from __future__ import annotations

from tfedge.report.tables import layer_table, markdown_table, stage_table, summary_rows

NOTES = """\
accuracy: test-set top-1 (Keras for float stages; LiteRT for the int8 stage). int8 acc.: the stage exported
to full integer, on LiteRT. sparsity: zero fraction of the conv/dense kernels. max unique: most distinct
values in one kernel (int8: in one output channel). gzip bytes: the .tflite compressed with gzip -9, which is
what pruning and clustering shrink; flash bytes: the firmware image on the board (weights are stored dense).
Instructions are exact counts (QEMU plugin); cycles and ms are estimates from the per-core cost model
(docs/cycle_model.md)."""


def render_markdown(report: dict, plots: dict[str, tuple[str, str]], *, title: str = "tfedge report") -> str:
    """`plots`: name -> (title, relative path of its PNG)."""
    parts = [f"# {title}", ""]
    summary = summary_rows(report)
    if summary:
        parts += [markdown_table((("", ""), [(f"**{k}**", v) for k, v in summary], set())), ""]
    stages = stage_table(report)
    if stages:
        parts += ["## Pipeline stages", "", markdown_table(stages), ""]
    for _name, (plot_title, path) in plots.items():
        parts += [f"## {plot_title}", "", f"![{plot_title}]({path})", ""]
    layers = layer_table(report)
    if layers:
        parts += ["## Per-layer cost on the board", "", markdown_table(layers), ""]
    parts += ["## Notes", "", NOTES, ""]
    return "\n".join(parts)
