"""`tfedge compile model.tflite -o outdir`: writes model.c, model.h and compile_report.json."""

from __future__ import annotations

import argparse

from tfedge.compiler import FLASH_TARGET, compile_model
from tfedge.compiler.stage_plan import RAM_SHARE
from tfedge.compiler.variants import WEIGHTS


def weights_arg(value: str) -> str:
    """--weights: one of WEIGHTS, auto or auto:BYTES."""
    if value in WEIGHTS or value == "auto" or value.startswith("auto:"):
        return value
    raise argparse.ArgumentTypeError(f"invalid choice {value!r}: one of {', '.join(WEIGHTS)}, auto, auto:BYTES")


def add_storage_arguments(parser: argparse.ArgumentParser, kernels_default: str = "arch") -> None:
    """--weights and --kernels, the same on compile, flash, run and compare."""
    parser.add_argument("--weights", type=weights_arg, metavar="{" + ",".join(WEIGHTS) + ",auto[:BYTES]}",
                        help="weight storage of the DSP conv/FC kernels: int8 (widened at run time, half the flash; "
                        "the default), int16 (widened at compile time, fastest), auto[:BYTES] (int16 on the layers "
                        "where it saves the most instructions per byte, within BYTES of extra flash; without "
                        "BYTES the board's free flash), codebook4 (clustered layers as 4-bit codebooks)")
    parser.add_argument("--kernels", choices=["reference", "portable", "arch"], default=kernels_default,
                        help="kernel paths: the plain reference loops, portable C (const-shape layers), or the "
                             f"core's own (default: {kernels_default}; on the host, arch = the DSP cores' layouts "
                             "run by their portable references)")


def add_patch_arguments(parser: argparse.ArgumentParser) -> None:
    """--patches, --ram-budget, --stream-input and the memory targets (--flash-target, --ram-share, --ram-reserve),
    the same on compile, flash, run and compare (docs/memory.md)."""
    parser.add_argument("--patches", choices=["auto", "on", "off"], default="auto",
                        help="the first layers as a patch stage (row bands through line buffers): auto (default: the "
                             "plan with the fewest estimated instructions whose arena meets 0.6x TFLM's, stage or "
                             "none), on (the least arena) or off (layer by layer)")
    parser.add_argument("--ram-budget", type=int, metavar="BYTES",
                        help="arena budget: the patch stage with the fewest estimated instructions that fits it "
                             "(none when layer by layer fits)")
    parser.add_argument("--stream-input", action="store_true",
                        help="the model pulls its input rows during invoke through tfedge_model_set_input_rows' "
                             "callback (no input buffer in RAM)")
    parser.add_argument("--flash-target", type=float, default=FLASH_TARGET, metavar="RATIO",
                        help="compact requantization tables are expanded into the arena (once per inference) until "
                             "weights + tables are at most RATIO x the .tflite's constants "
                             f"(default {FLASH_TARGET}; 0.01: every layer that can)")
    parser.add_argument("--ram-share", type=float, default=RAM_SHARE, metavar="RATIO",
                        help="RAM target as a share of TFLM's arena (estimated): bounds the patch stage and the "
                             f"expanded tables (default {RAM_SHARE})")
    parser.add_argument("--ram-reserve", type=int, metavar="BYTES",
                        help="RAM the firmware needs beside the arena (stack, statics), taken off the RAM target "
                             "(default: measured per core, docs/memory.md)")


def patch_options(args: argparse.Namespace) -> dict:
    """The compile_model keywords of add_patch_arguments."""
    return {"patches": args.patches, "ram_budget": args.ram_budget, "stream_input": args.stream_input,
            "flash_target": args.flash_target, "ram_share": args.ram_share, "ram_reserve": args.ram_reserve}


def kernel_arch(kernels: str, arch: str) -> str:
    """The kernel architecture --kernels asks for on a core whose own is `arch`."""
    return arch if kernels == "arch" else kernels


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="fully-int8 .tflite model")
    parser.add_argument("-o", "--out", required=True, help="output directory for model.c / model.h")
    parser.add_argument("--profile-hooks", action="store_true",
                        help="always call tfedge_layer_boundary() between layers (else only with -DTFEDGE_PROFILE_LAYERS)")
    parser.add_argument("--json", action="store_true", help="print the compile report as JSON")
    parser.add_argument("--arch", default="portable", choices=["portable", "armv6m", "dsp", "mve"],
                        help="kernel architecture the layers' variants are chosen for (a board's kernel_arch; "
                             "dsp = Cortex-M4/M7/M33). Default: portable")
    add_storage_arguments(parser)
    add_patch_arguments(parser)


def run(args: argparse.Namespace) -> int:
    result = compile_model(args.model, args.out, profile_hooks=args.profile_hooks,
                           arch=kernel_arch(args.kernels, args.arch), weights=args.weights, **patch_options(args))
    r = result.report
    if args.json:
        import json
        print(json.dumps(r, indent=1))
        return 0
    print(f"{'#':>3}  {'op':<20} {'output shape':<18} {'MACs':>12} {'effective':>12}  {'weights':<17}  kernel")
    for layer in r["layers"]:
        shape = "x".join(map(str, layer["output_shape"]))
        storage = f"{layer['storage']} {layer['storage_bytes']:,} B" if layer.get("storage") else ""
        print(f"{layer['index']:>3}  {layer['op']:<20} {shape:<18} {layer['macs']:>12,} {layer.get('effective_macs', layer['macs']):>12,}  {storage:<17}  {layer['kernel']}"
              + (f" ({layer['variant']}: {layer.get('variant_reason', '')})" if layer["variant"] != "portable" else ""))
    print(f"arena {r['arena_bytes']:,} B   (kernel scratch up to {r.get('scratch_bytes', 0):,} B of it)   const data (flash) {r['flash_bytes']:,} B   "
          f"MACs {r['total_macs']:,} (effective {r.get('total_effective_macs', r['total_macs']):,})   -> {', '.join(str(p) for p in result.sources)}")
    if "patches" in r:
        print(patch_line(r["patches"]))
    return 0


def patch_line(p: dict) -> str:
    """The compile report's patch choice in one line."""
    if not p.get("chosen"):
        return f"patches: none ({p['reason']}; arena {p['arena_before']:,} B)"
    return (f"patches: layers {p['layers'][0]}-{p['layers'][1]} in bands of {p['rows_per_band']} output rows"
            f"{', input streamed' if p['stream_input'] else ''} ({p['reason']}): arena {p['arena_before']:,} -> "
            f"{p['arena_after']:,} B, line buffers {p['line_buffer_bytes']:,} B, kernel calls {p['kernel_calls_layer_by_layer']} "
            f"-> {p['kernel_calls']}, {p['moved_bytes']:,} B moved, extra MACs {p['extra_macs']}")
