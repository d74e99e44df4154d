"""Readable reports beside report.json: report.md, a self-contained report.html and PNG plots.

    from tfedge.report import write_reports
    files = write_reports(report, "out/")     # out/report.html, out/report.md, out/plots/*.png

`report` is the dict tfedge writes as report.json; every part is optional and the report shows what
is there:
    stages   the optimization stages (tfedge.optimize), each optionally with a `board` summary
             {flash_bytes, ram_bytes, instructions_per_inference, ms_per_inference}
    board    the metrics of the final model on the board (tfedge.emulate.flash.flash_model), with
             optionally `accuracy` measured from the on-device outputs
    compile  the compiler's report of the final model (layers, kernels, arena_plan)

Never imports TensorFlow; matplotlib is used through its object API (no pyplot state).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tfedge.report.html import render_html
from tfedge.report.markdown import render_markdown
from tfedge.report.plots import draw_all
from tfedge.paths import partial_path

__all__ = ["ReportFiles", "write_reports", "render_html", "render_markdown"]


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    plots: dict[str, Path]


def _write(path: Path, data: bytes) -> None:
    tmp = partial_path(path)
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_reports(report: dict, folder: str | Path, *, title: str = "tfedge report") -> ReportFiles:
    """Writes report.html (plots embedded), report.md and plots/<name>.png into `folder`."""
    folder = Path(folder)
    plots_dir = folder / "plots"
    plots_dir.mkdir(parents=True, exist_ok=True)
    plots = draw_all(report)
    paths = {}
    for name, (_title, png) in plots.items():
        paths[name] = plots_dir / f"{name}.png"
        _write(paths[name], png)
    html = folder / "report.html"
    md = folder / "report.md"
    _write(html, render_html(report, plots, title=title).encode())
    _write(md, render_markdown(report, {n: (t, f"plots/{n}.png") for n, (t, _png) in plots.items()}, title=title).encode())
    return ReportFiles(html=html, markdown=md, plots=paths)
