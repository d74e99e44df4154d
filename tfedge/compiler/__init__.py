"""The model compiler: int8 .tflite -> C (model.c/model.h) calling the portable int8 kernel library.

    result = compile_model("model.tflite", "out/")
    result.report["arena_bytes"], result.sources

Never imports TensorFlow: reading uses the `tflite` flatbuffer package, everything else is numpy.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from tfedge.compiler import codegen, passes, stage_plan, variables, variants_mve
from tfedge.compiler.graph import Graph
from tfedge.compiler.ops import REGISTRY
from tfedge.compiler.inplace import CannotRunInPlace
from tfedge.compiler.schedule import schedule
from tfedge.compiler.reader import keras_layer_names, read_model
from tfedge.compiler.validate import validate
from tfedge.compiler.arch import ARCH_PATHS, kernel_folder, runtime_sources
from tfedge.compiler.variants import EXPAND_ARCHS
from tfedge.errors import ModelError, UnsupportedModelError
from tfedge.paths import RUNTIME_DIR, partial_path

__all__ = ["ARCH_PATHS", "CompileResult", "compile_model", "generate_sources", "load_graph", "runtime_sources", "runtime_include_dirs"]


@dataclass
class CompileResult:
    out_dir: Path
    sources: list[Path]  # generated files (model.c, model.h, compile_report.json)
    report: dict

    @property
    def model_c(self) -> Path:
        return self.out_dir / "model.c"


def load_graph(tflite: str | Path | bytes) -> Graph:
    """Read, run the graph passes and validate (raises ModelError / UnsupportedModelError)."""
    g = read_model(tflite)
    variables.resolve(g)
    passes.fold_constants(g)
    passes.fuse_dilated_convolutions(g)
    passes.drop_unread_channels(g)
    try:
        validate(g)
    except UnsupportedModelError as exc:
        raise UnsupportedModelError([_name_operators(p, keras_layer_names(g)) for p in exc.problems]) from None
    passes.alias_reshapes(g, {k for k, spec in REGISTRY.items() if spec.alias})
    return g


# RAM beside the arena (stack high-water mark + statics) the expansions leave, measured (scripts/bench: ram_bytes -
# arena_bytes) on the models that expand tables (KWS, dscnn_s, audio_dw8, tcn_1d), the largest rounded up to 64 B:
# stack 736 B on the M4, 2,840 B on the M55, 1,420 B on the M0, statics 144 B (the patch stage's planner keeps its
# own, larger RESERVE, measured on the narrow nets)
TABLES_RESERVE = {"dsp": 896, "armv6m": 1600, "mve": 3008}
RAM_MIN_TFLM_ARENA = 4096  # issue 11's RAM target applies where TFLM's arena is at least this (scripts/bench_accept.py)
FLASH_TARGET = 1.095  # issue 11: weights + tables <= 1.1x the .tflite's constants (a little margin kept)


def generate_sources(tflite: str | Path | bytes, *, profile_hooks: bool = False, arch: str = "portable",
                     compress_weights: bool | None = None, weights: str | None = None, patches: str = "auto",
                     ram_budget: int | None = None, stream_input: bool = False, flash_target: float = FLASH_TARGET,
                     ram_share: float = stage_plan.RAM_SHARE, ram_reserve: int | None = None) -> dict[str, str]:
    """The generated files as text ({'model.c', 'model.h', 'compile_report.json'}); nothing written.
    patches/ram_budget/stream_input: the patch stage of the first layers (compiler/patches.py, stage_plan);
    flash_target/ram_share/ram_reserve: the memory targets (see compile_model)."""
    _check_targets(flash_target, ram_share, ram_reserve)
    targets = dict(flash_target=flash_target, ram_share=ram_share, ram_reserve=ram_reserve)
    by_layer: dict[int, str] = {}
    if weights is not None and weights.split(":")[0] == "auto":  # int8, then int16 where the budget buys most
        from tfedge.compiler.variants import auto_storage, auto_budget

        budget = auto_budget(weights)
        first = generate_sources(tflite, arch=arch, compress_weights=compress_weights, weights="int8", patches=patches,
                                 ram_budget=ram_budget, stream_input=stream_input, **targets)
        by_layer = auto_storage(json.loads(first["compile_report.json"])["layers"], budget)
        weights = "int8"
    compress_weights, weights = _weights_option(weights, compress_weights)
    g = load_graph(tflite)
    layers = [op for op in g.ops if not REGISTRY[op.kind].alias]
    excluded: set[int] = set()
    kernel_scratch: dict[int, int] = {}  # operator index -> bytes: the variants' scratch, planned in the arena
    tables: dict[int, int] = {}  # operator index -> bytes of its requantization tables expanded into the arena
    full_tables: set[int] = set()  # operator indices whose expansion would break the RAM target: full tables in flash
    unneeded: set[int] = set()  # operator indices whose expansion the flash target does not need: full tables
    dense: set[int] = set()  # operator indices on the dense compact form (the 2-word one does not reach the target)
    chosen = False  # _choose_tables has decided (on the plan expanding every layer the RAM check has not refused)
    expand = False  # tables expanded: only once the plan without them (and its patch stage) is settled
    stage_choice = None  # decided once the layer-by-layer plan is settled (stage_plan.choose_stage)
    while True:  # a layer whose kernel call the in-place row loop cannot wrap is planned again without it;
        # the kernel scratch each layer's variant needs is only known from codegen: plan again with it
        stage = stage_choice.stage if stage_choice else None
        ordered, plan = schedule(g, layers, excluded_ops=frozenset(excluded), kernel_scratch=kernel_scratch, stage=stage,
                                 tables=tables)
        try:
            model_c, model_h, emitted, flash, needs, table_needs, savings = codegen.generate(
                g, ordered, plan, profile_hooks=profile_hooks, arch=arch, compress_weights=compress_weights,
                weights=weights, weights_by_layer=by_layer, full_tables=frozenset(full_tables),
                unneeded_tables=frozenset(unneeded), dense_tables=frozenset(dense), expand=expand)
        except CannotRunInPlace as exc:
            excluded.add(exc.op_index)
            stage_choice = None if stage else stage_choice  # a stage layer's call cannot be wrapped: choose again
            continue
        except ValueError as exc:  # a value that cannot be represented in C: refuse rather than emit it
            raise ModelError(f"{g.name}: cannot generate C: {exc}") from None
        if needs == kernel_scratch and table_needs == tables:
            if stage_choice is None and (patches != "off" or stream_input):
                stage_choice = stage_plan.choose_stage(g, ordered, plan, kernel_scratch, frozenset(excluded), patches=patches,
                                                       ram_budget=ram_budget, stream=stream_input, arch=arch,
                                                       ram_share=ram_share, reserve=ram_reserve)
                if stage_choice.stage is not None:
                    layers = ordered  # the stage is the prefix of this order
                    continue
            # the same plan and stage as without compact tables, then them; not with int16 weights (the speed option:
            # flash already spent for instructions, the expansions would only add some)
            if not expand and arch in EXPAND_ARCHS and weights != "int16":
                expand = True
                continue
            if not chosen:  # this plan expands every layer not refused, in the 2-word form: choose the fewest
                chosen = True
                life = {ordered[i].index: b.last - b.first for i, b in plan.tables.items()}
                unneeded, dense = _choose_tables(g, flash, savings, flash_target, life)
                if unneeded or dense:
                    continue
            refused = _tables_over_ram(g, ordered, plan, kernel_scratch, frozenset(excluded), stage, arch, ram_budget,
                                       ram_share, ram_reserve)
            if refused:  # one layer at a time, then the choice again among the others (which may take its place)
                full_tables |= refused
                unneeded, dense, chosen = set(), set(), False
                continue
            break
        kernel_scratch, tables = needs, table_needs
    layers = ordered
    report = _report(g, layers, plan, [_label_arch_path(layer, arch) for layer in emitted], flash)
    report["flash"]["tables_refused_for_ram"] = len(full_tables)  # layers whose expansion the RAM target refused
    if stage_choice is not None:
        report["patches"] = stage_plan.report(stage_choice, plan, layers, report["layers"], g)
    ratio = report["flash"]["ratio"]
    if (stage is not None and patches == "auto" and not stream_input and ram_budget is None and not by_layer
            and ratio is not None and (ratio > flash_target or full_tables)):
        # the stage was chosen before the tables, and its layers' expanded tables all live through the stage: layer by
        # layer may reach the flash target within the RAM target where the stage cannot, or without the tables the
        # RAM check refused the stage (whose place dense forms take, ~2.5x the expansion's instructions: dscnn_s on
        # the M55 +2 %)
        alt = generate_sources(tflite, profile_hooks=profile_hooks, arch=arch, compress_weights=compress_weights,
                               weights=weights, patches="off", **targets)
        alt_report = json.loads(alt["compile_report.json"])
        room = max(report["arena_bytes"], _tables_target(g, layers, arch, ram_share, ram_reserve))
        if alt_report["flash"]["ratio"] <= flash_target and alt_report["arena_bytes"] <= room:
            alt_report["patches"] = {
                **{k: report["patches"][k] for k in ("arena_before", "candidates", "ram_target", "tflm_arena_estimate")
                   if k in report["patches"]},
                "chosen": False, "arena_after": alt_report["arena_bytes"],
                "reason": (f"layer by layer: its expanded tables meet the flash target ({alt_report['flash']['ratio']:.3f} "
                           f"<= {flash_target}) within the RAM target, the stage's ({ratio:.3f}, arena "
                           f"{report['arena_bytes']:,} B) "
                           + ("do not" if ratio > flash_target else f"only with {len(full_tables)} layer(s) kept whole "
                              "for RAM and dense forms in their place")
                           + f"; the stage had been chosen as: {report['patches']['reason']}")}
            return {**alt, "compile_report.json": json.dumps(alt_report, indent=1) + "\n"}
    return {"model.c": model_c, "model.h": model_h, "compile_report.json": json.dumps(report, indent=1) + "\n"}


def _choose_tables(g: Graph, parts: dict[int, dict[str, int]], savings: dict[int, tuple[int, int]],
                   flash_target: float = FLASH_TARGET, life: dict[int, int] | None = None) -> tuple[set[int], set[int]]:
    """(operator indices keeping full tables, those on the dense form) from the plan that expands every layer in
    the 2-word form: expansions cost instructions (per channel per inference) and arena, so a model keeps the
    fewest that bring weights + tables to flash_target x its .tflite constants: 2-word forms first, largest
    savings first (ties: the buffer living the fewest layers, `life`, e.g. not a patch stage's, whose tables all
    live through the stage), then, if that is not enough, dense forms (~2.5x the expansion's instructions for 1-2
    B less per channel), largest extra savings first. None when the full tables meet the target; all when it is
    out of reach. A form that saves nothing is never chosen."""
    tflite = sum(t.nbytes for t in g.tensors if t.is_const)
    data = sum(p["weights"] + p["tables"] for p in parts.values()) + sum(w for w, _ in savings.values())  # full
    life = life or {}
    words: set[int] = set()
    for op, (saved, _) in sorted(savings.items(), key=lambda kv: (-kv[1][0], life.get(kv[0], 0))):
        if data <= flash_target * tflite or saved <= 0:
            break
        words.add(op)
        data -= saved
    dense: set[int] = set()
    if data > flash_target * tflite:
        for op, (w, d) in sorted(savings.items(), key=lambda kv: kv[1][0] - kv[1][1]):
            if data <= flash_target * tflite or d <= w:
                break
            if op not in words:
                continue
            dense.add(op)
            data -= d - w
    return set(savings) - words, dense


def _tables_over_ram(g: Graph, layers, plan, kernel_scratch: dict[int, int], excluded: frozenset[int], stage, arch: str,
                     ram_budget: int | None, ram_share: float = stage_plan.RAM_SHARE,
                     ram_reserve: int | None = None) -> set[int]:
    """The operator index (a set of one) of the layer whose expanded tables to refuse while they lift the arena past
    the RAM target (ram_budget, or ram_share x the estimate of TFLM's arena, stage_plan.tflm_arena_estimate, a lower
    bound, less ram_reserve, by default TABLES_RESERVE) and past the arena without expansions: that layer keeps its
    tables whole in flash, generate_sources chooses the others again and checks again. Empty when the plan is within
    that limit, and for models whose TFLM arena is under RAM_MIN_TFLM_ARENA (where issue 11 sets no RAM target)."""
    if not plan.tables:
        return set()
    _, without = schedule(g, layers, excluded_ops=excluded, kernel_scratch=kernel_scratch, stage=stage)
    if ram_budget is None and stage_plan.tflm_arena_estimate(g, layers) < RAM_MIN_TFLM_ARENA:
        return set()
    target = ram_budget if ram_budget is not None else _tables_target(g, layers, arch, ram_share, ram_reserve)
    limit = max(target, without.arena_bytes)
    if plan.arena_bytes <= limit:
        return set()
    # the buffer reaching highest, of those the longest-lived (a stage's): refusing it may bring the others under
    i = max(plan.tables, key=lambda i: (plan.tables[i].offset + plan.tables[i].size, plan.tables[i].last - plan.tables[i].first, i))
    return {layers[i].index}


def _tables_target(g: Graph, layers, arch: str, ram_share: float, ram_reserve: int | None) -> int:
    """The arena the expanded tables may reach: ram_share x TFLM's arena (estimated) less the RAM beside the arena
    (ram_reserve, by default TABLES_RESERVE of the arch)."""
    reserve = TABLES_RESERVE.get(arch, TABLES_RESERVE["dsp"]) if ram_reserve is None else ram_reserve
    return int(ram_share * stage_plan.tflm_arena_estimate(g, layers)) - reserve


def _check_targets(flash_target: float, ram_share: float, ram_reserve: int | None) -> None:
    if not flash_target > 0:
        raise ModelError(f"flash target must be a positive ratio, not {flash_target}")
    if not ram_share > 0:
        raise ModelError(f"RAM share must be a positive ratio, not {ram_share}")
    if ram_reserve is not None and ram_reserve < 0:
        raise ModelError(f"RAM reserve must be a number of bytes >= 0, not {ram_reserve}")


def _weights_option(weights: str | None, compress_weights: bool | None) -> tuple[bool | None, str | None]:
    """weights (variants.WEIGHTS; None = the default, int8) -> (compress_weights, packed storage)."""
    from tfedge.compiler.variants import WEIGHTS

    if weights is None:
        return compress_weights, None
    if weights not in WEIGHTS:
        raise ModelError(f"unknown weight storage {weights!r}: one of {', '.join(WEIGHTS)}, auto[:BYTES]")
    if weights == "codebook4":  # clustered layers as 4-bit codebooks on every arch; the others int8
        return True, None
    return (False if compress_weights is None else compress_weights), weights


def compile_model(tflite: str | Path | bytes, out_dir: str | Path, *, profile_hooks: bool = False,
                  arch: str = "portable", compress_weights: bool | None = None, weights: str | None = None,
                  patches: str = "auto", ram_budget: int | None = None, stream_input: bool = False,
                  flash_target: float = FLASH_TARGET, ram_share: float = stage_plan.RAM_SHARE,
                  ram_reserve: int | None = None) -> CompileResult:
    """Compiles an int8 .tflite into out_dir/model.c and model.h (+ compile_report.json). `arch` (a key of
    ARCH_PATHS, e.g. Board.kernel_arch) picks each layer's kernel variant (variants.py). compress_weights:
    clustered layers as 4-bit indices + codebook (True), never (False), or None = only with the portable
    kernels, where decoding costs little time (the arch kernels are much faster; see docs/compression.md).
    weights: storage of the packed conv/FC weights on the DSP kernels, "int8" (the default: widened at run
    time, half the flash), "int16" (widened at compile time: fastest), "auto:BYTES" (int8, then int16 on the
    layers where it saves the most instructions per byte while the extra bytes fit BYTES) or "codebook4" (clustered layers as 4-bit
    codebooks on every arch). patches: "auto" (the default: the plan with the fewest estimated
    instructions whose arena meets 0.6x TFLM's, a stage or none), "on" (the least arena) or "off" (layer by layer);
    ram_budget (arena bytes): the cheapest plan that fits it; stream_input: input 0 is
    pulled row by row through tfedge_model_set_input_rows's callback and never resident (docs/memory.md).
    Memory targets (issue 11's by default; docs/memory.md "Memory targets"): flash_target, the (weights + tables) /
    .tflite constants ratio the compact requantization tables are expanded up to (FLASH_TARGET); ram_share, the
    share of TFLM's arena (estimated) the RAM may take, which bounds the patch stage's choice and the expansions
    (stage_plan.RAM_SHARE); ram_reserve, the bytes of RAM beside the arena (stack, statics) subtracted from it
    (None: the measured per-arch defaults, stage_plan.RESERVE and TABLES_RESERVE)."""
    files = generate_sources(tflite, profile_hooks=profile_hooks, arch=arch, compress_weights=compress_weights,
                             weights=weights, patches=patches, ram_budget=ram_budget, stream_input=stream_input,
                             flash_target=flash_target, ram_share=ram_share, ram_reserve=ram_reserve)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():  # each file appears whole or not at all
        path = out / name
        tmp = partial_path(path)
        tmp.write_text(text)
        os.replace(tmp, path)
        written.append(path)
    return CompileResult(out_dir=out, sources=written, report=json.loads(files["compile_report.json"]))


def _io(g: Graph, indices: list[int], plan) -> list[dict]:
    return [{"name": g.tensors[i].name, "shape": list(g.tensors[i].shape), "dtype": g.tensors[i].dtype,
             "scale": g.tensors[i].q_scale if g.tensors[i].quantized else 0.0,
             "zero_point": g.tensors[i].q_zero if g.tensors[i].quantized else 0,
             "bytes": g.tensors[i].nbytes, "arena_offset": plan.offset(g, i)} for i in indices]


def _memory_note(plan, i: int) -> str:
    if plan.stage is not None and i <= plan.stage.last:
        return (f"patch stage (layers 0-{plan.stage.last}, {plan.stage.rows} output rows per band, line buffers "
                f"{plan.stage.scratch_bytes} B{', input streamed' if plan.stage.stream else ''})")
    for k, block in plan.fused.items():
        if k <= i <= block.add:
            return (f"residual block by rows (layers {k}-{block.add}; ring {block.ring_bytes} B, row {block.row_bytes} B;"
                    f" sum over the block input)")
    how = plan.inplace.get(i)
    if how is None:
        return ""
    if how.by_rows:
        grow = f", the input at +{how.in_offset} B under the larger output" if how.in_offset else ""
        return f"in place by rows ({how.rows} per call, lag {how.lag}, scratch {plan.scratch[i].size} B{grow})"
    return "in place"


def _label_arch_path(layer, arch: str):
    """A layer left on the plain kernel signature runs the arch folder's file of that kernel when there is
    one (Helium, Thumb-1, DSP): say so in the report instead of "portable"."""
    if layer.variant != "portable":
        return layer
    try:
        folder = kernel_folder(arch, layer.kernel)
    except ValueError:  # no file named after the function: it lives in a shared file, portable only
        return layer
    if folder == "portable":
        return layer
    how = variants_mve.paths_reason(layer.paths) if arch == "mve" else ""
    return dataclasses.replace(layer, variant=folder,
                               variant_reason=f"{folder}/{layer.kernel}.c: the {arch} path of this kernel" + (f": {how}" if how else ""))


_OPERATORS = re.compile(r"\boperators? ([\d, ]+) \((\w+)\)")


def _name_operators(problem: str, names: dict[int, list[str]]) -> str:
    """'operator 4 (RESIZE_BILINEAR)' -> "layer 'up1': operator 4 (RESIZE_BILINEAR)": the Keras layer users
    know first, the operator as before (messages stay searchable by it)."""
    def named(match: re.Match) -> str:
        indices = [int(i) for i in match.group(1).replace(" ", "").split(",") if i]
        labelled = [f"'{layer_label(names.get(i, []))}'" for i in indices if names.get(i)]
        if len(labelled) != len(indices):
            return match.group(0)
        return f"{'layers' if len(indices) > 1 else 'layer'} {', '.join(labelled)}: {match.group(0)}"
    return _OPERATORS.sub(named, problem)


def layer_label(keras_layers: list[str]) -> str:
    """The Keras layer(s) of one operator as one name: 'conv1' or 'conv1+relu1' (fused)."""
    return "+".join(keras_layers[:3]) + ("+..." if len(keras_layers) > 3 else "")


def flash_accounting(g: Graph, layers, parts: dict[int, dict[str, int]]) -> tuple[dict, list[dict]]:
    """The model's flash against the .tflite's constant bytes: (totals, per layer). weights = the weight arrays
    as stored (packed, int8 or int16, codebooks), tables = what the kernels read besides them (biases,
    multipliers, requantization records, lookup tables, live maps), params = the per-layer parameter structs.
    ratio = (weights + tables) / the .tflite's constant tensors (after constant folding); ratio_with_quant also
    counts the file's per-channel quantization parameters of those tensors (float32 scale + int64 zero point per
    entry in the flatbuffer, which TFLM turns into multipliers and shifts in its arena at init)."""
    seen: set[int] = set()
    rows = []
    for i, op in enumerate(layers):
        consts = {t for t in op.inputs if t >= 0 and g.tensors[t].is_const} - seen
        seen |= consts
        p = parts.get(i, dict.fromkeys(codegen.FLASH_KINDS, 0))
        rows.append({"tflite_const_bytes": sum(g.tensors[t].nbytes for t in consts), **{f"{k}_bytes": p[k] for k in codegen.FLASH_KINDS}})
    tflite = sum(t.nbytes for t in g.tensors if t.is_const)
    quant = sum(12 * len(t.scale) for t in g.tensors if t.is_const and t.quantized)
    total = {k: sum(p[k] for p in parts.values()) for k in codegen.FLASH_KINDS}
    data = total["weights"] + total["tables"]
    totals = {"tflite_const_bytes": tflite, "tflite_quant_bytes": quant, **{f"{k}_bytes": v for k, v in total.items()},
              "ratio": data / tflite if tflite else None, "ratio_with_quant": data / (tflite + quant) if tflite + quant else None}
    return totals, rows


def _report(g: Graph, layers, plan, emitted, parts: dict[int, dict[str, int]]) -> dict:
    const_bytes = sum(t.nbytes for t in g.tensors if t.is_const)
    flash_total, flash_rows = flash_accounting(g, layers, parts)
    keras_layers = keras_layer_names(g)
    dropped = g.dropped_channels  # passes.drop_unread_channels
    layer_rows = []
    for i, (op, layer) in enumerate(zip(layers, emitted)):
        layer_rows.append({
            "index": i, "op": op.kind, "operator_index": op.index, "keras_layers": keras_layers.get(op.index, []),
            "name": layer_label(keras_layers.get(op.index, [])) or f"operator {op.index}",
            "kernel": layer.kernel, "variant": layer.variant,
            "variant_reason": "; ".join(r for r in (layer.variant_reason, layer.tables_note) if r),
            "input_shapes": [list(g.tensors[t].shape) for t in op.inputs if t >= 0 and not g.tensors[t].is_const],
            "output_shape": list(g.tensors[op.outputs[0]].shape) if op.outputs else [],
            "macs": layer.macs + dropped.get(op.index, {}).get("macs_saved", 0),  # nominal: the model's own
            "effective_macs": layer.macs if layer.effective_macs is None else layer.effective_macs,
            **({"channels_dropped": dropped[op.index]} if op.index in dropped else {}),
            "storage": layer.storage, "storage_bytes": layer.storage_bytes,
            "memory": _memory_note(plan, i), "flash": flash_rows[i],
        })
    return {
        "model": g.name,
        "arena_bytes": plan.arena_bytes,
        "arena_plan": [{"tensor": g.tensors[b.tensor].name if b.tensor >= 0 else b.label,
                        "offset": b.offset, "bytes": b.size, "first_layer": b.first, "last_layer": b.last,
                        "shared_by": [g.tensors[t].name for t in b.tensors[1:]]}
                       for b in sorted(plan.all_buffers(), key=lambda b: (b.offset, b.first))],
        "scratch_bytes": max((b.size for b in plan.kernel_scratch.values()), default=0),  # largest kernel scratch (in the arena)
        "weights_bytes": const_bytes,  # constant tensors in the .tflite (after folding)
        "flash_bytes": sum(sum(p.values()) for p in parts.values()),  # const data model.c emits: weights, tables, params
        "flash": flash_total,  # flash_accounting: weights + tables against the .tflite's constants
        "layers": layer_rows,
        "total_macs": sum(r["macs"] for r in layer_rows),
        "total_effective_macs": sum(r["effective_macs"] for r in layer_rows),
        "inputs": _io(g, g.inputs, plan),
        "outputs": _io(g, g.outputs, plan),
    }


def runtime_include_dirs() -> list[Path]:
    return [RUNTIME_DIR / "include"]
