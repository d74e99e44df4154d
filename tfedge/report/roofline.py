"""The per-layer roofline plot: each layer's operational intensity (MACs per byte it moved, from the
plugin's memory traffic) against the MACs per cycle it achieved, under the core's peak MACs/cycle for
its kernel path and the flash / RAM bandwidth roofs (tfedge.emulate.cycles.roofline computes the points)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

BOUND_COLORS = {"memory": "#C44E52", "compute": "#4C72B0"}


def roofline_figure(metrics: dict) -> Figure | None:
    """The plot for flash_model's metrics (precise timing); None when they carry no roofline."""
    roof = metrics.get("roofline")
    points = [p for p in (roof or {}).get("layers", []) if p["intensity"] and p["achieved_macs_per_cycle"]]
    if not points:
        return None
    peak = roof["peak_macs_per_cycle"]
    xs = [p["intensity"] for p in points]
    lo, hi = min(xs + [peak / roof["ram_bytes_per_cycle"]]) / 3, max(xs + [peak / roof["flash_bytes_per_cycle"]]) * 3
    fig = Figure(figsize=(7.5, 4.8))
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_yscale("log")
    for name, bw, style in (("flash", roof["flash_bytes_per_cycle"], "--"), ("RAM", roof["ram_bytes_per_cycle"], ":")):
        knee = peak / bw
        ax.plot([lo, knee, hi], [lo * bw, peak, peak], style, color="#555555", lw=1.2,
                label=f"{name} roof: {bw:.3g} B/cycle, peak {peak:g} MACs/cycle")
    for p in points:
        ax.scatter(p["intensity"], p["achieved_macs_per_cycle"], color=BOUND_COLORS[p["bound"]], s=28, zorder=3)
        ax.annotate(f"{p['index']} {p['op']}", (p["intensity"], p["achieved_macs_per_cycle"]), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")
    for bound, color in BOUND_COLORS.items():
        ax.scatter([], [], color=color, s=28, label=f"{bound}-bound layer")
    ax.set_xlim(lo, hi)
    ax.set_xlabel("operational intensity (MACs per byte read or written)")
    ax.set_ylabel("achieved MACs per est. cycle")
    ax.set_title(f"Roofline per layer — {metrics.get('model', '')} on {metrics.get('board', '')} "
                 f"({metrics.get('kernel_arch', '')} kernels)", fontsize=10)
    ax.grid(which="both", alpha=0.25)
    ax.legend(fontsize=7, loc="lower right")
    return fig


def roofline_png(report: dict) -> bytes | None:
    """The PNG for report.html (report["board"] holds the flash metrics)."""
    from tfedge.report.plots import _png  # plots.PLOTS lists this function: import at call time

    fig = roofline_figure(report.get("board") or {})
    return None if fig is None else _png(fig)


def write_roofline_png(path: str | Path, metrics: dict) -> None:
    from tfedge.errors import DataError
    from tfedge.report.plots import _png

    fig = roofline_figure(metrics)
    if fig is None:
        raise DataError("no roofline: it needs the per-layer memory traffic of `tfedge flash --timing precise`")
    Path(path).write_bytes(_png(fig))
