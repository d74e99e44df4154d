"""The report's tables as rows of strings, shared by report.md, report.html and the terminal."""

from __future__ import annotations

Table = tuple[tuple[str, ...], list[tuple[str, ...]], set[int]]  # header, rows, right-aligned columns


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.2%}"


def _bytes(n: int | float | None) -> str:
    return "-" if n is None else f"{int(n):,}"


def summary_rows(report: dict) -> list[tuple[str, str]]:
    """Headline figures: model, board, memory, speed, accuracy."""
    b = report.get("board")
    if not b:
        return []
    model = report.get("model_name")
    rows = [
        ("model", f"{model} ({b['model']})" if model and model != b["model"] else b["model"]),
        ("board", f"{b['board']} ({b['core']} @ {b['clock_hz'] / 1e6:g} MHz, {b['opt']})"),
        ("flash", f"{b['flash_bytes']:,} B of {b['flash_capacity']:,} B ({b['flash_percent']:.1f} %): code {b['text_bytes']:,}, "
                  f"constants {b['rodata_bytes']:,}, data {b['data_bytes']:,}"),
        ("RAM (static + stack used)", f"{b['ram_bytes']:,} B of {b['ram_capacity']:,} B ({b['ram_percent']:.1f} %): arena {b['arena_bytes']:,}, "
                f"stack {b['stack_bytes']:,} used of {b['stack_reserved']:,} reserved"),
        ("instructions / inference", f"{b['instructions_per_inference']:,} (exact)"
         + (f", {b['instructions_per_mac']:.2f} per MAC over {b['total_macs']:,} MACs" if b.get("instructions_per_mac") else "")),
        ("est. cycles / inference", f"{b['est_cycles_per_inference']:,} (estimate, see docs/cycle_model.md)"),
        ("est. time / inference", f"{b['ms_per_inference']:.3f} ms at {b['clock_hz'] / 1e6:g} MHz"),
    ]
    if "accuracy" in b:
        rows.append(("accuracy on the board", f"{b['accuracy']:.2%} on {b['inputs']} test samples"
                     + (" (bit-exact with the host runner)" if b.get("mismatches") == 0 else "")))
    elif "mismatches" in b:
        rows.append(("outputs vs host runner", "bit-exact" if b["mismatches"] == 0 else f"{b['mismatches']} mismatched samples"))
    return rows


def stage_table(report: dict) -> Table | None:
    stages = report.get("stages") or []
    if not stages:
        return None
    with_board = any(s.get("board") for s in stages)
    header = ("stage", "accuracy", "int8 acc.", "sparsity", "max unique", ".tflite bytes", "gzip bytes")
    if with_board:
        header += ("flash bytes", "RAM bytes", "instructions", "est. ms")
    rows = []
    for s in stages:
        row = (s["name"], _pct(s["accuracy"]), _pct(s.get("int8_accuracy", s["accuracy"])), f"{s['sparsity']:.1%}",
               str(s["max_unique_weights"]), _bytes(s.get("tflite_bytes")), _bytes(s.get("gzip_bytes")))
        if with_board:
            bd = s.get("board") or {}
            row += (_bytes(bd.get("flash_bytes")), _bytes(bd.get("ram_bytes")), _bytes(bd.get("instructions_per_inference")),
                    f"{bd['ms_per_inference']:.3f}" if bd else "-")
        rows.append(row)
    return header, rows, set(range(1, len(header)))


def layer_table(report: dict) -> Table | None:
    b = report.get("board") or {}
    layers = b.get("layers") or []
    if not layers:
        return None
    kernels = {l["index"]: l for l in (report.get("compile") or {}).get("layers", [])}
    total = max(1, b["instructions_per_inference"])
    header = ("#", "Keras layer", "op", "kernel", "output shape", "MACs", "instructions", "instr/MAC", "est. cycles",
              "% of inference")
    rows = []
    for l in layers:
        k = kernels.get(l["index"], {})
        rows.append((
            str(l["index"]), l.get("layer") or k.get("name", "-"), l["op"], k.get("kernel", "-"),
            "x".join(map(str, l.get("output_shape") or [])) or "-",
            f"{l['macs']:,}", f"{l['instructions']:,}",
            f"{l['instructions_per_mac']:.2f}" if l.get("instructions_per_mac") else "-",
            f"{l['est_cycles']:,}", f"{100.0 * l['instructions'] / total:.1f}",
        ))
    return header, rows, {0, 5, 6, 7, 8, 9}


def markdown_table(table: Table) -> str:
    header, rows, right = table
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row):
        return "| " + " | ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in right else "-" * (w + 2) for i, w in enumerate(widths)) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])
