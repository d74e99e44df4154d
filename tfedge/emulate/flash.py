"""`tfedge flash`: compile a .tflite, build it for a board, run it in QEMU and measure it.

    metrics = flash_model("model.tflite", "stm32f405", inputs=x)

One emulator session runs every input; the plugin's counters give setup, per-inference and
per-layer instructions; the cycle model turns them into estimated cycles and ms at the board clock;
the ELF gives flash/RAM; with inputs, on-device outputs are compared with the host int8 runner.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from tfedge import io_batches
from tfedge.boards import Board, load_board
from tfedge.build.elfinfo import code_by_source, elf_sizes, region_usage
from tfedge.build.firmware import HARNESS_SOURCE, OPT_LEVELS, TEMPLATE_SOURCES, build_firmware, shrink_advice
from tfedge.compiler.cli import add_patch_arguments, add_storage_arguments, kernel_arch, patch_line, patch_options
from tfedge.emulate import renode
from tfedge.emulate.cycles import (cycles_to_ms, error_band, estimate_cycles, estimate_cycles_precise, memory_traffic,
                                  explain_difference, precise_terms, roofline)
from tfedge.emulate.measure import Measurement, run_samples
from tfedge.errors import DataError, DoesNotFitError


def _check_fits(board: Board, report: dict) -> None:
    """Refuses, before compiling any C, a model whose arena or constants alone exceed their region."""
    problems, kinds = [], set()
    arena_region = board.region_for("arena")
    if report["arena_bytes"] > arena_region.size:
        problems.append(f"{arena_region.name} ({arena_region.kind}, holds {'/'.join(arena_region.holds)}): needed {report['arena_bytes']} bytes "
                        f"for the activation arena alone, available {arena_region.size} bytes")
        kinds.add(arena_region.kind)
    rodata_region = board.region_for("rodata")
    if report.get("flash_bytes", 0) > rodata_region.size:
        problems.append(f"{rodata_region.name} ({rodata_region.kind}, holds {'/'.join(rodata_region.holds)}): needed {report['flash_bytes']} bytes "
                        f"for the model's weights and tables alone, available {rodata_region.size} bytes")
        kinds.add(rodata_region.kind)
    if problems:
        raise DoesNotFitError(f"the model does not fit board {board.name}:\n  - " + "\n  - ".join(problems)
                              + "\n" + shrink_advice(kinds))


AUTO_CODE_RESERVE = 64 * 1024  # flash `--weights auto` leaves for code and data beside the int8 build's constants


def _auto_weights(board: Board, tflite: Path, arch: str, compress_weights: bool | None) -> str:
    """`auto` on a board: auto:BYTES with BYTES its rodata region less the int8 build's constants and a code reserve."""
    import json

    from tfedge.compiler import generate_sources

    int8 = json.loads(generate_sources(tflite, arch=arch, compress_weights=compress_weights,
                                       weights="int8")["compile_report.json"])
    return f"auto:{max(0, board.region_for('rodata').size - int8['flash_bytes'] - AUTO_CODE_RESERVE)}"


def _split_outputs(raw: np.ndarray, report: dict) -> list[np.ndarray]:
    outs, start = [], 0
    for o in report["outputs"]:
        chunk = raw[:, start:start + o["bytes"]].copy()
        outs.append(chunk.view(np.dtype(o["dtype"])).reshape((len(raw), *o["shape"])))
        start += o["bytes"]
    return outs


def _reserve_may_free_tables(report: dict, arch: str, targets: dict, ram_budget: int | None) -> bool:
    """Whether the compiler kept requantization tables whole in flash because expanding them would pass the RAM
    target on its per-arch guess of the RAM beside the arena (TABLES_RESERVE, the largest seen), with the flash
    ratio over the target and no reserve or budget given: only then can this build's measured reserve buy flash."""
    from tfedge.compiler import FLASH_TARGET
    from tfedge.compiler.variants import EXPAND_ARCHS

    flash = report.get("flash", {})
    ratio = flash.get("ratio")
    return (arch in EXPAND_ARCHS and ram_budget is None and "ram_reserve" not in targets and ratio is not None
            and ratio > targets.get("flash_target", FLASH_TARGET) and flash.get("tables_refused_for_ram", 0) > 0)


def _stack_used(run) -> int:
    """The harness's stack high-water (bytes) from a run's console values."""
    return int(run.values.get("stack_used", "0").split()[0])


def _measured_reserve(elf: Path, stack_used: int, report: dict, arch: str) -> int | None:
    """The RAM beside the arena this build measured (statics + stack high-water, rounded up to 64 B) when it is less
    than the compiler's per-arch guess (TABLES_RESERVE); None otherwise."""
    from tfedge.compiler import TABLES_RESERVE

    beside = elf_sizes(elf).static_ram + stack_used - report["arena_bytes"]
    measured = -(-beside // 64) * 64
    return measured if measured < TABLES_RESERVE.get(arch, TABLES_RESERVE["dsp"]) else None


def _memory(board: Board, elf: Path, stack_used: int, arena_bytes: int) -> dict:
    sizes = elf_sizes(elf)
    ram = sizes.static_ram + stack_used
    return {
        "flash_bytes": sizes.flash, "flash_capacity": board.flash_bytes, "flash_percent": 100.0 * sizes.flash / board.flash_bytes,
        "ram_bytes": ram, "ram_capacity": board.ram_bytes, "ram_percent": 100.0 * ram / board.ram_bytes,
        "arena_bytes": arena_bytes, "stack_bytes": stack_used, "stack_reserved": sizes.stack_reserved,
        "text_bytes": sizes.text, "rodata_bytes": sizes.rodata, "data_bytes": sizes.data,
        "bss_bytes": sizes.bss + sizes.arena - arena_bytes,
        "regions": region_usage(elf, board),
        "code": code_accounting(elf),
    }


def code_accounting(elf: Path) -> dict:
    """Code bytes of the firmware by part: the test harness (firmware/template: startup, semihosting, console,
    harness), model.c, the kernel library and libc; runtime = everything but the harness (what an application
    links to run the model), per source file in by_source."""
    by_source = code_by_source(elf)
    harness = sum(v for k, v in by_source.items() if k in (*TEMPLATE_SOURCES, HARNESS_SOURCE))
    model = by_source.get("model.c", 0)
    libc = sum(v for k, v in by_source.items() if k == "(libc)" or k.endswith(".S") or k in LIBC_SOURCES)
    runtime = sum(by_source.values()) - harness
    return {"runtime_bytes": runtime, "model_bytes": model, "kernel_bytes": runtime - model - libc, "libc_bytes": libc,
            "harness_bytes": harness, "by_source": dict(sorted(by_source.items(), key=lambda kv: -kv[1]))}


LIBC_SOURCES = ("memset.c", "memmove.c", "memcmp.c", "strlen.c")  # newlib's C files (its assembler ones end in .S)


TIMINGS = ("precise", "fast")


def estimate(counts: dict, board: Board, timing: str) -> float:
    return estimate_cycles_precise(counts, board) if timing == "precise" else estimate_cycles(counts, board)


def measurement_metrics(board: Board, m: Measurement, timing: str = "fast") -> dict:
    mean = m.mean_inference()
    cycles = estimate(mean, board, timing)
    per = m.per_inference()
    metrics = {
        "instructions_per_inference": int(round(mean["insns"])),
        "instructions_per_inference_min": min(per),
        "instructions_per_inference_max": max(per),
        "setup_instructions": m.setup["insns"],
        "est_cycles_per_inference": int(round(cycles)),
        "ms_per_inference": cycles_to_ms(cycles, board),
        "instruction_classes": {k: int(round(v)) for k, v in mean.items()},
        "timing": timing,
        "est_cycles_range": [int(round(cycles * f)) for f in error_band(board, timing)],
    }
    if timing == "precise":
        metrics["est_cycles_per_inference_fast"] = int(round(estimate_cycles(mean, board)))
        metrics["est_cycles_terms"] = {k: int(round(v)) for k, v in precise_terms(mean, board).items()}  # by cause
        metrics["est_cycles_vs_fast"] = explain_difference(mean, board)  # [(cause, share of the fast estimate)]
        metrics["memory_traffic"] = memory_traffic(mean, board)
    elif board.flash_wait_states and board.flash_cache:  # the upper bound: every taken branch misses the cache
        metrics["est_cycles_per_inference_cache_miss"] = int(round(estimate_cycles(mean, board, cold_flash=True)))
    return metrics


def flash_model(
    tflite: str | Path,
    board: str | Board,
    inputs: np.ndarray | None = None,
    *,
    opt: str = "-O2",
    timeout: float | None = None,
    progress: bool | None = None,
    compare: bool = True,
    out_dir: str | Path | None = None,
    kernel_arch: str | None = None,
    compress_weights: bool | None = None,
    weights: str | None = None,
    timing: str = "precise",
    patches: str = "auto",
    ram_budget: int | None = None,
    stream_input: bool = False,
    flash_target: float | None = None,
    ram_share: float | None = None,
    ram_reserve: int | None = None,
) -> dict:
    """Compiles, builds and runs `tflite` on `board`; returns the metrics dict (see docs/boards.md).
    kernel_arch: kernel paths to link instead of the board's (e.g. "reference", the plain portable loops, to compare).
    compress_weights: clustered layers as 4-bit codebooks (see compile_model).
    weights: weight storage, int8 / int16 / codebook4 / auto[:BYTES] (see compile_model; None: the default, int8;
    plain auto: the board's free flash).
    timing: "precise" follows the executed stream (branch outcomes, flash caches, memory traffic per layer),
    "fast" prices the instruction classes only (docs/cycle_model.md).
    patches / ram_budget / stream_input: the patch stage of the first layers (see compile_model).
    flash_target / ram_share / ram_reserve: the memory targets (see compile_model; None: its defaults).

    With `inputs` (x as for `tfedge run`), the on-device outputs are in metrics["outputs"] (numpy, same
    form as x; not JSON) and, with compare=True, checked against the host int8 runner."""
    from tfedge.compiler import compile_model, runtime_include_dirs, runtime_sources

    board = load_board(board) if isinstance(board, str) else board
    if timing not in TIMINGS:
        raise DataError(f"timing '{timing}' is not one of {', '.join(TIMINGS)}")
    arch = kernel_arch or board.kernel_arch
    tflite = Path(tflite)
    if weights == "auto":  # the board's free flash for int16 layers
        weights = _auto_weights(board, tflite, arch, compress_weights)
    samples = with_batch = None
    targets = {k: v for k, v in dict(flash_target=flash_target, ram_share=ram_share, ram_reserve=ram_reserve).items()
               if v is not None}
    with tempfile.TemporaryDirectory(prefix="tfedge-flash-") as tmp:
        work = Path(tmp)

        def build(tag: str, **memory_targets):
            result = compile_model(tflite, work / tag / "model", profile_hooks=True, arch=arch,
                                   compress_weights=compress_weights, weights=weights, patches=patches,
                                   ram_budget=ram_budget, stream_input=stream_input, **memory_targets)
            report = result.report
            fits = board.for_arena(report["arena_bytes"])  # the first arena region with room (e.g. CCM, then SRAM)
            _check_fits(fits, report)
            if len(report["inputs"]) != 1:
                raise DataError("tfedge flash handles single-input models")
            fw = build_firmware(fits, [result.model_c, *runtime_sources(arch)],
                                include_dirs=[result.out_dir, *runtime_include_dirs()],
                                defines=["TFEDGE_PROFILE_LAYERS"], opt=opt)
            return result, report, fits, fw

        result, report, fits, fw = build("first", **targets)
        if _reserve_may_free_tables(report, arch, targets, ram_budget):
            # tables kept whole for RAM on the per-core guess of the RAM beside the arena: one bare inference gives
            # this build's stack high-water; compiled again on it, more tables may expand within the same RAM target
            _, probe, _ = run_samples(fits, fw.elf, None, 0, workdir=work / "probe", timeout=timeout, progress=False)
            reserve = _measured_reserve(fw.elf, _stack_used(probe), report, arch)
            if reserve is not None:
                second = build("measured", **{**targets, "ram_reserve": reserve})
                if second[1]["flash"]["ratio"] < report["flash"]["ratio"]:
                    result, report, fits, fw = second
                    report.setdefault("flash", {})["ram_reserve_measured"] = reserve
        if inputs is not None:
            inp = report["inputs"][0]
            x = io_batches.quantize_inputs(inputs, inp)  # float data: quantized with the input scale/zero point
            samples, with_batch = io_batches.split_samples(x, tuple(inp["shape"]), np.dtype(inp["dtype"]))
        out_bytes = sum(o["bytes"] for o in report["outputs"])
        raw, run, measurement = run_samples(fits, fw.elf, samples, out_bytes, workdir=work / "run", timeout=timeout,
                                            progress=progress, trace=timing == "precise")
        board = fits
        if out_dir is not None:
            out = Path(out_dir)
            out.mkdir(parents=True, exist_ok=True)
            elf_copy = out / f"{tflite.stem}-{board.name}.elf"
            shutil.copyfile(fw.elf, elf_copy)
            for src in result.sources:
                shutil.copyfile(src, out / src.name)
            renode_files = renode.write_files(board, elf_copy)

    stack_used = _stack_used(run)
    metrics = {"board": board.name, "core": board.core, "clock_hz": board.clock_hz, "model": tflite.name, "opt": opt,
               "kernel_arch": arch}
    if out_dir is not None:
        metrics["elf"] = str(elf_copy)
        if renode_files:
            metrics["renode_files"] = [str(p) for p in renode_files]
    metrics.update(measurement_metrics(board, measurement, timing))
    metrics.update(_memory(board, fw.elf, stack_used, report["arena_bytes"]))
    if "patches" in report:
        metrics["patches"] = {k: v for k, v in report["patches"].items() if k != "candidates"}
    if "flash" in report:  # weights + prepared tables against the .tflite's constants (compiler.flash_accounting)
        metrics["flash_accounting"] = report["flash"]
    total_macs = report.get("total_macs", sum(l["macs"] for l in report["layers"]))
    metrics["total_macs"] = total_macs
    metrics["instructions_per_mac"] = metrics["instructions_per_inference"] / total_macs if total_macs else None
    layers = []
    for row, cost in zip(report["layers"], measurement.mean_layers()):
        layers.append({
            "index": row["index"], "layer": row.get("name", f"operator {row['operator_index']}"), "op": row["op"],
            "output_shape": row.get("output_shape"), "macs": row["macs"],
            "variant": row.get("variant", ""), "memory": row.get("memory", ""),
            "storage": row.get("storage", ""), "storage_bytes": row.get("storage_bytes", 0),
            "flash": row.get("flash", {}),
            "instructions": int(round(cost["insns"])),
            "instructions_per_mac": cost["insns"] / row["macs"] if row["macs"] else None,
            "est_cycles": int(round(estimate(cost, board, timing))),
        })
        if timing == "precise":
            layers[-1]["memory_traffic"] = memory_traffic(cost, board)
    metrics["layers"] = layers
    if timing == "precise":
        metrics["roofline"] = roofline(layers, board, arch)
    if samples is not None:
        outputs = _split_outputs(raw, report)
        metrics["inputs"] = len(samples)
        if compare:
            from tfedge.compiler.host_run import run_model

            host = run_model(tflite, samples)
            host_list = host if isinstance(host, list) else [host]
            diff_samples = np.zeros(len(samples), dtype=bool)
            values, max_abs = 0, 0
            for dev, ref in zip(outputs, host_list):
                ref = np.asarray(ref).reshape(dev.shape)
                neq = dev != ref
                diff_samples |= neq.reshape(len(samples), -1).any(axis=1)
                values += int(neq.sum())
                if neq.any():
                    max_abs = max(max_abs, int(np.abs(dev.astype(np.int64) - ref.astype(np.int64)).max()))
            metrics["mismatches"] = int(diff_samples.sum())
            metrics["mismatched_values"] = values
            metrics["max_abs_diff"] = max_abs
        y = outputs[0] if len(outputs) == 1 else outputs
        metrics["outputs"] = io_batches.join_samples(list(y), with_batch) if len(outputs) == 1 else y
    return metrics


def _fmt_bytes(n: int) -> str:
    return f"{n:,} B" if n < 10 * 1024 else f"{n / 1024:,.1f} KB"


def _flash_lines(m: dict) -> list[str]:
    """The flash accounting lines: weights + tables against the .tflite's constants, runtime code by part."""
    lines = []
    f = m.get("flash_accounting")
    if f and f.get("ratio") is not None:
        lines.append(f"  model data  weights {_fmt_bytes(f['weights_bytes'])} + tables {_fmt_bytes(f['tables_bytes'])} = "
                     f"{f['ratio']:.2f}x the .tflite's constants ({_fmt_bytes(f['tflite_const_bytes'])}); layer params "
                     f"{_fmt_bytes(f['params_bytes'])}")
    c = m.get("code")
    if c:
        lines.append(f"  code        runtime {_fmt_bytes(c['runtime_bytes'])} (kernels {_fmt_bytes(c['kernel_bytes'])}, model.c "
                     f"{_fmt_bytes(c['model_bytes'])}, libc {_fmt_bytes(c['libc_bytes'])}) + test harness {_fmt_bytes(c['harness_bytes'])}")
    return lines


def format_report(metrics: dict) -> str:
    m = metrics
    lines = [
        f"{m['model']} on {m['board']} ({m['core']} @ {m['clock_hz'] / 1e6:g} MHz, {m['opt']})",
        "",
        f"  flash  {_fmt_bytes(m['flash_bytes']):>12} of {_fmt_bytes(m['flash_capacity']):>10}  ({m['flash_percent']:5.1f} %)"
        f"   code {_fmt_bytes(m['text_bytes'])}, constants {_fmt_bytes(m['rodata_bytes'])}, data {_fmt_bytes(m['data_bytes'])}",
        f"  RAM    {_fmt_bytes(m['ram_bytes']):>12} of {_fmt_bytes(m['ram_capacity']):>10}  ({m['ram_percent']:5.1f} %)"
        f"   arena {_fmt_bytes(m['arena_bytes'])}, stack {_fmt_bytes(m['stack_bytes'])} used of {_fmt_bytes(m['stack_reserved'])},"
        f" other {_fmt_bytes(m['data_bytes'] + m['bss_bytes'])}",
        *_flash_lines(m),
        "  regions (as linked)  " + ", ".join(f"{r['name']} {_fmt_bytes(r['used_bytes'])} of {_fmt_bytes(r['size_bytes'])}"
                                          f" ({r['percent']:.1f} %)" for r in m["regions"]),
        "",
        f"  instructions / inference  {m['instructions_per_inference']:>14,}"
        + (f"   ({m['instructions_per_mac']:.2f} per MAC, {m['total_macs']:,} MACs)" if m.get("instructions_per_mac") else ""),
        f"  setup instructions        {m['setup_instructions']:>14,}   (boot to first invoke)",
        f"  est. cycles / inference   {m['est_cycles_per_inference']:>14,}   ({m.get('timing', 'fast')} model; likely "
        + (f"{m['est_cycles_range'][0]:,}-{m['est_cycles_range'][1]:,}" if "est_cycles_range" in m else "-") + ": docs/cycle_model.md)",
        f"  est. time / inference     {m['ms_per_inference']:>14.3f} ms at {m['clock_hz'] / 1e6:g} MHz",
    ]
    if "est_cycles_per_inference_fast" in m:
        why = ", ".join(f"{cause} {share:+.1%}" for cause, share in m.get("est_cycles_vs_fast", []))
        lines.append(f"  (per-class fast model: {m['est_cycles_per_inference_fast']:,} cycles" + (f"; precise adds {why})" if why else ")"))
    if "memory_traffic" in m:
        t = m["memory_traffic"]
        lines.append(f"  memory traffic / inference  flash read {_fmt_bytes(t['flash_read_bytes'])}, RAM read "
                     f"{_fmt_bytes(t['ram_read_bytes'])}, written {_fmt_bytes(t['written_bytes'])}")
    if "est_cycles_per_inference_cache_miss" in m:
        lines.append(f"  (flash cache assumed to hit; every taken branch missing it: "
                     f"{m['est_cycles_per_inference_cache_miss']:,} cycles)")
    if m.get("patches", {}).get("chosen"):
        lines.append("  " + patch_line(m["patches"]))
    if "mismatches" in m:
        verdict = "bit-exact" if m["mismatches"] == 0 else f"{m['mismatches']} MISMATCHED samples ({m['mismatched_values']} values, max |diff| {m['max_abs_diff']})"
        lines.append(f"  outputs vs host runner    {m['inputs']} inputs: {verdict}")
    elif "inputs" in m:
        lines.append(f"  inputs run                {m['inputs']}")
    if m["layers"]:
        total = max(1, m["instructions_per_inference"])
        traffic = all("memory_traffic" in l for l in m["layers"])
        header = ("#", "layer", "op", "output shape", "MACs", "instructions", "instr/MAC", "est. cycles", "%")
        header += ("flash rd", "RAM rd", "written") if traffic else ()
        rows = [header]
        for l in m["layers"]:
            shape = "x".join(map(str, l["output_shape"])) if l["output_shape"] else "-"
            ipm = f"{l['instructions_per_mac']:.2f}" if l["instructions_per_mac"] else "-"
            row = (str(l["index"]), l.get("layer", "-"), l["op"], shape, f"{l['macs']:,}", f"{l['instructions']:,}", ipm,
                   f"{l['est_cycles']:,}", f"{100.0 * l['instructions'] / total:.1f}")
            if traffic:
                t = l["memory_traffic"]
                row += (f"{t['flash_read_bytes']:,}", f"{t['ram_read_bytes']:,}", f"{t['written_bytes']:,}")
            rows.append(row)
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        right = {0, 4, 5, 6, 7, 8, 9, 10, 11}
        lines.append("")
        for k, r in enumerate(rows):
            lines.append("  " + "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
            if k == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(path: str | Path, metrics: dict) -> None:
    path = Path(path)
    data = {k: v for k, v in metrics.items() if k != "outputs"}
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="int8 .tflite model")
    parser.add_argument("--board", required=True, help="board name (see `tfedge boards`)")
    parser.add_argument("--inputs", help="x.npy to run on the device: (N, *input shape) or (N, *input shape[1:])")
    parser.add_argument("-o", "--output", help="y.npy to write the on-device outputs to (needs --inputs)")
    parser.add_argument("--json", help="write the metrics to this JSON file")
    parser.add_argument("-O", dest="opt", choices=[o[2:] for o in OPT_LEVELS], default="2",
                        help="optimization level: -O2 (default) or -Os (also -O3, -O0)")
    parser.add_argument("--timeout", type=float, help="seconds before a run is declared hung (default 60 + 10 per input)")
    parser.add_argument("--out-dir", help="also keep the ELF, the generated C and Renode scripts here")
    parser.add_argument("--no-compare", action="store_true", help="do not compare outputs with the host runner")
    add_storage_arguments(parser)
    add_patch_arguments(parser)
    parser.add_argument("--timing", choices=TIMINGS, default="precise",
                        help="cycle model: precise (follows the executed stream, memory traffic per layer; default) "
                             "or fast (instruction classes only)")
    parser.add_argument("--roofline", metavar="PNG", help="write the per-layer roofline plot here (needs --timing precise)")


def run(args: argparse.Namespace) -> int:
    if args.output and not args.inputs:
        raise DataError("-o/--output needs --inputs (the outputs of which inputs?)")
    if args.roofline and args.timing != "precise":
        raise DataError("--roofline needs the per-layer memory traffic of --timing precise")
    x = io_batches.load_inputs(args.inputs) if args.inputs else None
    metrics = flash_model(args.model, args.board, x, opt=f"-O{args.opt}", timeout=args.timeout,
                          compare=not args.no_compare, out_dir=args.out_dir, weights=args.weights,
                          kernel_arch=kernel_arch(args.kernels, load_board(args.board).kernel_arch),
                          timing=args.timing, **patch_options(args))
    print(format_report(metrics))
    if args.roofline:
        from tfedge.report.roofline import write_roofline_png

        write_roofline_png(args.roofline, metrics)
        print(f"roofline -> {args.roofline}", file=sys.stderr)
    if args.output:
        io_batches.save_outputs(args.output, metrics["outputs"])
        print(f"\non-device outputs -> {args.output}")
    if args.json:
        write_json(args.json, metrics)
        print(f"metrics -> {args.json}", file=sys.stderr)
    if args.out_dir:
        files = metrics.get("renode_files")
        print(renode.run_if_available(load_board(args.board), tuple(map(Path, files)) if files else None), file=sys.stderr)
    return 1 if metrics.get("mismatches") else 0
