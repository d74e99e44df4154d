"""The report's PNG plots, drawn with matplotlib's Agg renderer.

Figures are made with the object API (`matplotlib.figure.Figure`), never pyplot, so drawing a report
changes no global matplotlib state in the caller's process (a notebook keeps its backend).
Each function takes the report dict (see tfedge/report/__init__.py) and returns PNG bytes, or None
when the report lacks what the plot needs.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter

from tfedge.report import roofline

# One colour per kind of memory, used by the memory map and its legend.
SECTION_COLORS = {
    "text": "#4C72B0", "rodata": "#8172B2", "data": "#55A868", "bss": "#CCB974",
    "arena": "#DD8452", "stack": "#C44E52", "free": "#E8E8E8",
}
DPI = 110
MARKERS = ("o", "s", "D", "^", "v", "P", "X")
STAGE_COLORS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B2", "#937860", "#DA8BC3")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def _kb(n: float) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1048576:.2f} MB"
    return f"{n / 1024:.1f} KB" if n >= 1024 else f"{int(n)} B"


def _count_axis(ax, axis: str = "x") -> None:
    """Tick labels as 1.5M / 250k instead of matplotlib's 1e6 offset notation."""
    def fmt(v, _pos):
        if abs(v) >= 1e6:
            return f"{v / 1e6:g}M"
        return f"{v / 1e3:g}k" if abs(v) >= 1e3 else f"{v:g}"
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(FuncFormatter(fmt))


def layer_label(layer: dict) -> str:
    shape = "x".join(map(str, layer.get("output_shape") or [])) or "-"
    return f"{layer['index']} {layer['op']} {shape}"


def instructions_per_layer(report: dict) -> bytes | None:
    board = report.get("board") or {}
    layers = board.get("layers") or []
    if not layers:
        return None
    total = max(1, board["instructions_per_inference"])
    labels = [layer_label(l) for l in layers]
    values = [l["instructions"] for l in layers]
    fig = Figure(figsize=(8, 0.42 * len(layers) + 1.4))
    ax = fig.add_subplot()
    y = range(len(layers))[::-1]  # layer 0 at the top, in invoke order
    bars = ax.barh(list(y), values, color="#4C72B0")
    ax.set_yticks(list(y), labels, fontsize=8, family="monospace")
    for bar, layer in zip(bars, layers):
        ipm = f", {layer['instructions_per_mac']:.1f}/MAC" if layer.get("instructions_per_mac") else ""
        ax.annotate(f" {layer['instructions']:,} ({100 * layer['instructions'] / total:.1f} %{ipm})",
                    (bar.get_width(), bar.get_y() + bar.get_height() / 2), va="center", fontsize=7)
    ax.set_xlim(0, max(values) * 1.45)
    _count_axis(ax)
    ax.set_xlabel("instructions per inference (exact, QEMU plugin)")
    ax.set_title(f"Instructions per layer — {report['board']['model']} on {board['board']} "
                 f"({board['instructions_per_inference']:,} per inference)", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def _region_segments(region: dict, board: dict) -> list[tuple[str, int]]:
    """What fills a linked memory region, section by section (the stack at its reserved size)."""
    sizes = {"text": board.get("text_bytes", 0), "rodata": board.get("rodata_bytes", 0),
             "data": board.get("data_bytes", 0), "bss": board.get("bss_bytes", 0),
             "arena": board.get("arena_bytes", 0), "stack": board.get("stack_reserved", 0)}
    segments = [(s, sizes[s]) for s in ("text", "rodata", "data", "bss", "arena", "stack") if s in region["holds"]]
    if region["kind"] == "flash" and "data" not in region["holds"] and sizes["data"]:
        segments.append(("data", sizes["data"]))  # the load image of .data lives in flash
    known = sum(n for _, n in segments)
    if known and known != region["used_bytes"]:  # alignment and small sections: scale to what the linker placed
        segments = [(s, n * region["used_bytes"] / known) for s, n in segments]
    return [(s, n) for s, n in segments if n > 0]


def memory_map(report: dict) -> bytes | None:
    board = report.get("board") or {}
    regions = board.get("regions") or []
    if not regions:
        return None
    fig = Figure(figsize=(9, 1.1 * len(regions) + 1.8))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2], "wspace": 0.45})
    names = [f"{r['name']}\n({r['kind']})" for r in regions]
    y = list(range(len(regions)))[::-1]
    used_seen = set()
    for row, region in zip(y, regions):
        size = region["size_bytes"]
        left.barh(row, 100, color=SECTION_COLORS["free"], edgecolor="#999999", height=0.6)
        start = 0.0
        for section, nbytes in _region_segments(region, board):
            width = 100.0 * nbytes / size
            left.barh(row, width, left=start, color=SECTION_COLORS[section], height=0.6)
            right.barh(row, nbytes / 1024, left=start * size / 100 / 1024, color=SECTION_COLORS[section], height=0.6)
            start += width
            used_seen.add(section)
        if region["kind"] == "ram" and "stack" in region["holds"] and board.get("stack_bytes"):
            used_seen.add("stack")
        reserved = " linked, stack at its reserved size" if "stack" in region["holds"] else ""
        left.annotate(f"{_kb(region['used_bytes'])} of {_kb(size)} ({region['percent']:.1f} %){reserved}",
                      (min(start, 55) + 1.5, row), va="center", fontsize=8)
    left.set_yticks(y, names, fontsize=8)
    left.set_xlim(0, 100)
    left.set_xlabel("% of the board's capacity")
    left.set_title(f"Memory map on {board['board']} (as linked)", fontsize=10)
    right.set_yticks(y, [""] * len(y))
    right.set_xlabel("KB used (zoomed)")
    right.set_title("what fills it", fontsize=10)
    right.grid(axis="x", alpha=0.3)
    handles = [Patch(color=SECTION_COLORS[s], label=s if s != "stack" else f"stack (reserved; {board.get('stack_bytes', 0):,} B used)")
               for s in SECTION_COLORS if s in used_seen] + [Patch(facecolor=SECTION_COLORS["free"], edgecolor="#999999", label="free")]
    fig.legend(handles=handles, loc="upper center", ncol=min(4, len(handles)), fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    summary = (f"flash {_kb(board['flash_bytes'])} of {_kb(board['flash_capacity'])} ({board['flash_percent']:.1f} %)   "
               f"RAM (static + stack used) {_kb(board['ram_bytes'])} of {_kb(board['ram_capacity'])} ({board['ram_percent']:.1f} %)")
    fig.suptitle(summary, fontsize=9, y=1.0)
    return _png(fig)


def arena_usage(report: dict) -> bytes | None:
    plan = (report.get("compile") or {}).get("arena_plan")
    layers = (report.get("compile") or {}).get("layers") or []
    if not plan or not layers:
        return None
    arena = report["compile"]["arena_bytes"]
    n = len(layers)
    fig = Figure(figsize=(9, 4.6))
    ax, live_ax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.3], "hspace": 0.08})
    colors = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B2", "#937860", "#DA8BC3", "#8C8C8C", "#CCB974", "#64B5CD"]
    for k, buf in enumerate(plan):
        # A buffer is live from the layer that writes it (-1: the model input, written before invoke)
        # to the last layer that reads it (n: a model output, read after invoke).
        first, last = buf["first_layer"], buf["last_layer"]
        ax.add_patch(Rectangle((first - 0.45, buf["offset"]), last - first + 0.9, buf["bytes"],
                               facecolor=colors[k % len(colors)], edgecolor="black", linewidth=0.5, alpha=0.85))
    ax.axhline(arena, color="#C44E52", linestyle="--", linewidth=1)
    ax.annotate(f"arena {arena:,} B", (n - 0.5, arena), va="bottom", ha="right", fontsize=8, color="#C44E52")
    ax.set_ylim(0, arena * 1.12 if arena else 1)
    _patch_stage(ax, (report.get("compile") or {}).get("patches") or {})
    ax.set_ylabel("arena offset (bytes)")
    ax.set_title(f"Arena plan over the layer sequence ({len(plan)} buffers; each box: a tensor, live from the "
                 f"layer that writes it to the last that reads it, or a layer's scratch)", fontsize=9)
    ax.grid(alpha=0.25)
    steps = list(range(-1, n + 1))
    live = [sum(b["bytes"] for b in plan if b["first_layer"] <= s <= b["last_layer"]) for s in steps]
    live_ax.bar(steps, live, color="#DD8452", width=0.7)
    live_ax.axhline(arena, color="#C44E52", linestyle="--", linewidth=1)
    live_ax.set_ylabel("live bytes", fontsize=8)
    names = ["input"] + [f"{l['index']} {l['op']}" for l in layers] + ["output"]
    live_ax.set_xticks(steps, names, rotation=35, ha="right", fontsize=7)
    live_ax.set_xlim(-1.6, n + 0.6)
    live_ax.grid(axis="y", alpha=0.25)
    return _png(fig)


def _patch_stage(ax, patches: dict) -> None:
    """The patch stage (compiler/patches.py) on the arena plot: its layers shaded, each line buffer (a few rows of
    one intermediate activation) hatched inside the stage's scratch, labelled with its rows."""
    if not patches.get("chosen"):
        return
    first, last = patches["layers"]
    ax.axvspan(first - 0.5, last + 0.5, color="#55A868", alpha=0.08, zorder=0)
    ax.annotate(f"patch stage (layers {first}-{last}): {patches['rows_per_band']} output row(s) per band",
                (first - 0.4, ax.get_ylim()[1]), va="top", fontsize=7, color="#2F6B3A")
    for buf in patches.get("line_buffers", []):
        ax.add_patch(Rectangle((first - 0.45, buf["offset"]), last - first + 0.9, buf["bytes"], facecolor="none",
                               edgecolor="#2F6B3A", hatch="///", linewidth=0.6))
        ax.annotate(f"line buffer {buf['buffer']}: {buf['rows']} rows", (first - 0.4, buf["offset"] + buf["bytes"] / 2),
                    va="center", ha="left", fontsize=6, color="black")


def stage_tradeoffs(report: dict) -> bytes | None:
    """Accuracy against est. latency, flash and compressed size for each pipeline stage."""
    stages = [s for s in report.get("stages") or [] if s.get("board")]
    if not stages:
        return None
    fig = Figure(figsize=(10, 3.6))
    axes = fig.subplots(1, 3, sharey=True, gridspec_kw={"wspace": 0.08})
    panels = [
        ("est. ms per inference", lambda s: s["board"]["ms_per_inference"]),
        ("flash bytes on the board", lambda s: s["board"]["flash_bytes"]),
        ("gzip -9 bytes of the .tflite", lambda s: s.get("gzip_bytes")),
    ]
    accuracy = [stage_int8_accuracy(s) * 100 for s in stages]
    colors = [STAGE_COLORS[k % len(STAGE_COLORS)] for k in range(len(stages))]
    for ax, (label, value) in zip(axes, panels):
        xs = [value(s) for s in stages]
        ax.plot(xs, accuracy, color="#999999", linewidth=0.8, zorder=1)
        # One marker per stage, shrinking along the pipeline so that stages at the same point (a QAT
        # stage and its int8 export) show as nested markers instead of hiding each other.
        for k, (x, acc, s) in enumerate(zip(xs, accuracy, stages)):
            ax.scatter([x], [acc], s=max(30, 170 - 28 * k), marker=MARKERS[k % len(MARKERS)], color=colors[k],
                       edgecolor="black", linewidth=0.5, zorder=2 + k, label=s["name"])
        ax.set_xlabel(label, fontsize=9)
        ax.grid(alpha=0.3)
        ax.ticklabel_format(axis="x", useOffset=False, style="plain")
        # Never zoom into noise: the axis spans at least +-3 % of the value, so equal costs look equal.
        lo, hi = min(xs), max(xs)
        pad = max((hi - lo) * 0.15, abs(hi) * 0.03, 1e-9)
        ax.set_xlim(lo - pad, hi + pad * 2.5)
    axes[0].set_ylabel("int8 accuracy (%)")
    lo, hi = min(accuracy), max(accuracy)
    axes[0].set_ylim(lo - max(1.0, (hi - lo) * 0.3), hi + max(1.0, (hi - lo) * 0.3))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(stages), fontsize=8, frameon=False)
    fig.suptitle(f"Pipeline stages, each exported to int8 and measured on {report['board']['board']}", fontsize=10)
    return _png(fig)


def stage_int8_accuracy(stage: dict) -> float:
    """The accuracy of the stage as int8 (LiteRT): int8_accuracy for Keras stages, accuracy for the int8 one."""
    return stage.get("int8_accuracy", stage["accuracy"])


PLOTS = {
    "instructions_per_layer": (instructions_per_layer, "Instructions per layer"),
    "memory_map": (memory_map, "Memory map: flash and RAM against the board's capacity"),
    "arena_usage": (arena_usage, "Arena usage over the layer sequence"),
    "stage_tradeoffs": (stage_tradeoffs, "Accuracy against latency and size across the pipeline stages"),
    "roofline": (roofline.roofline_png, "Roofline per layer: operational intensity against MACs per cycle"),
}


def draw_all(report: dict) -> dict[str, tuple[str, bytes]]:
    """name -> (title, PNG bytes) for every plot the report has the data for."""
    out = {}
    for name, (draw, title) in PLOTS.items():
        png = draw(report)
        if png is not None:
            out[name] = (title, png)
    return out
