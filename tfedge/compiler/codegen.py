"""C code generation: model.c (weights and parameters as const data, the arena, one kernel call per
layer) and model.h. Only validated integers, symbols made here and sanitised names reach the C text."""

from __future__ import annotations

import re

import numpy as np

from tfedge.compiler.graph import Graph, Op
from tfedge.compiler import patches, variants, variants_mve
from tfedge.compiler.inplace import CannotRunInPlace, fused_call, row_call
from tfedge.compiler.ops import REGISTRY, Layer
from tfedge.compiler.planner import Plan

_C_TYPES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t", "float32": "float"}
_TFEDGE_TYPES = {"int8": "TFEDGE_INT8", "uint8": "TFEDGE_UINT8", "int16": "TFEDGE_INT16", "int32": "TFEDGE_INT32",
                 "float32": "TFEDGE_FLOAT32"}
_RANGES = {"int8_t": (-128, 127), "uint8_t": (0, 255), "int16_t": (-32768, 32767), "uint16_t": (0, 65535),
           "int32_t": (-(1 << 31), (1 << 31) - 1),
           "int64_t": (-(1 << 63) + 1, (1 << 63) - 1)}  # int64: int16x8 conv/FC biases


# ctx.array hints whose arrays hold the model's weights (the rest are prepared tables: biases, multipliers,
# records, lookup tables, live maps); the flash accounting compares weights + tables with the .tflite.
WEIGHT_HINTS = frozenset({"weights", "indices", "codebook", "inw", "recw", "tensor"})
FLASH_KINDS = ("weights", "tables", "params")


def c_int(value) -> str:
    v = int(value)
    if v != value or not -(1 << 31) <= v < (1 << 31):
        raise ValueError(f"not an int32: {value!r}")
    return "(-2147483647 - 1)" if v == -(1 << 31) else str(v)


def c_float(value: float) -> str:
    """An exact C99 hex float literal of a float32 value."""
    v = float(np.float32(value))
    if not np.isfinite(v):
        raise ValueError(f"not finite: {value!r}")
    return f"{v.hex()}f" if v != 0 else "0.0f"


def c_double(value: float) -> str:
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"not finite: {value!r}")
    return v.hex() if v != 0 else "0.0"


def c_string(text: str) -> str:
    return '"' + re.sub(r"[^A-Za-z0-9_./:;,+=\[\] -]", "_", text)[:80] + '"'


def c_comment(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.,:;+=()\[\] -]", "_", text)[:100]


class EmitContext:
    """Collects the const declarations of the layers being emitted."""

    def __init__(self, graph: Graph, plan: Plan, layers: list[Op], arch: str = "portable", *,
                 compress_weights: bool | None = None, weights: str | None = None,
                 weights_by_layer: dict[int, str] | None = None):
        self.graph, self.plan, self.layers = graph, plan, layers
        self.arch = arch  # kernel architecture: decides the layers' kernel variants (variants.py)
        self.compress_weights = compress_weights  # clustered layers as 4-bit codebooks (compress.py)
        self.weights = weights  # packed conv/FC weight storage: int8 unless "int16" (variants.WEIGHTS)
        self.weights_by_layer = dict(weights_by_layer or {})  # layer index -> storage (`auto`: variants.auto_storage)
        self.scratch_needs: dict[int, int] = {}  # operator index -> kernel scratch bytes (im2col, widened inputs)
        self.decls: list[str] = []
        self.includes: set[str] = set()  # kernels whose body headers model.c includes (const-shape layers)
        self.flash_bytes = 0
        self.flash_parts: dict[int, dict[str, int]] = {}  # layer -> bytes per FLASH_KINDS (compile report "flash")
        self.layer = 0
        self._n = 0
        self._const_tensors: dict[int, str] = {}
        self.init: list[str] = []  # statements of tfedge_model_init (resetting state tensors)
        self._states: set[int] = set()
        self.table_needs: dict[int, int] = {}  # operator index -> bytes of its tables expanded in the arena
        self.prologues: dict[int, list[str]] = {}  # layer -> statements run once per inference before its first call
        self.full_tables: frozenset[int] = frozenset()  # operator indices keeping their tables in flash in full (RAM)
        self.table_note = ""  # the layer's requantization tables in the compile report's variant_reason
        self.unneeded_tables: frozenset[int] = frozenset()  # operator indices the flash target does not need expanded
        self.table_savings: dict[int, tuple[int, int]] = {}  # operator index -> flash its 2 compact forms save
        self.dense_tables: frozenset[int] = frozenset()  # operator indices on the dense compact form
        self.expand = True  # False: every table whole in flash (compiler.generate_sources' first plans)

    def _count(self, kind: str, nbytes: int) -> None:
        self.flash_bytes += nbytes
        parts = self.flash_parts.setdefault(self.layer, dict.fromkeys(FLASH_KINDS, 0))
        parts[kind] += nbytes

    def array(self, ctype: str, values, hint: str) -> str:
        a = np.asarray(values).ravel()
        lo, hi = _RANGES[ctype]
        if a.size and (a.dtype.kind not in "iub" or a.min() < lo or a.max() > hi):
            raise ValueError(f"{hint}: values outside {ctype}")
        name = f"l{self.layer}_{hint}_{self._n}"
        self._n += 1
        items = a.astype(np.int64).tolist()  # range-checked above: plain decimal literals are safe
        lines = [", ".join(map(str, items[i:i + 24])) for i in range(0, len(items), 24)] or ["0"]
        # word-aligned: the fast kernels read weights with LDRD/LDM, which fault on unaligned addresses
        self.decls.append(f"static const {ctype} {name}[{max(len(items), 1)}] TFEDGE_ALIGN4 = {{\n  " + ",\n  ".join(lines) + "\n};")
        self._count("weights" if hint in WEIGHT_HINTS else "tables", max(len(items), 1) * np.dtype(ctype.replace("_t", "")).itemsize)
        return name

    def params_name(self) -> str:
        """The name `params` gives the layer's parameter struct (the expansion calls in invoke() take its address)."""
        return f"l{self.layer}_params"

    def params(self, ctype: str, fields: dict) -> str:
        name = self.params_name()
        body = []
        for key, value in fields.items():
            if not re.fullmatch(r"[a-z_0-9]+", key):
                raise ValueError(key)
            if isinstance(value, str):
                if not re.fullmatch(r"NULL|\(void \*\)\(tfedge_arena \+ \d+\)|(\(const int8_t \*\))?l\d+_[a-z0-9]+(_\d+)?", value):
                    raise ValueError(value)
                text = value
            elif isinstance(value, (list, tuple)):
                text = "{" + ", ".join(c_int(v) for v in value) + "}"
            elif isinstance(value, np.float32):
                text = c_float(value)
            elif isinstance(value, float):
                text = c_double(value)
            else:
                text = c_int(value)
            body.append(f"  .{key} = {text},")
        self.decls.append(f"static const {ctype} {name} = {{\n" + "\n".join(body) + "\n};")
        self._count("params", 4 * len(fields))
        return name

    def records(self, rows: list[list[int]]) -> str:
        """A const tfedge_requant_ch array (per-channel requantization prepared for the fast kernels)."""
        name = f"l{self.layer}_rq_{self._n}"
        self._n += 1
        items = ", ".join("{" + ", ".join(c_int(v) for v in r) + "}" for r in rows)
        self.decls.append(f"static const tfedge_requant_ch {name}[{max(len(rows), 1)}] = {{{items}}};")
        self._count("tables", 16 * max(len(rows), 1))
        return name

    def table_mode(self) -> str | None:
        """How the layer being emitted keeps its requantization tables: None (whole in flash), "words" (the 2-word
        compact form) or "dense" (bit streams), both expanded into the arena (variants.EXPAND_ARCHS; the RAM
        check and the flash target of compiler.generate_sources decide per layer)."""
        index = self.layers[self.layer].index
        if (not self.expand or self.arch not in variants.EXPAND_ARCHS or index in self.full_tables
                or index in self.unneeded_tables):
            return None
        return "dense" if index in self.dense_tables else "words"

    def expanded(self, nbytes: int, function: str, args: list[str | int], parts: tuple[int, ...] = (0,),
                 saved: tuple[int, int] = (0, 0), in_call: bool = True) -> list[str]:
        """The arena buffer (nbytes) the layer's tables are expanded into by `function(*args, *destinations)` once
        per inference before the layer's first call: one destination pointer per part (byte offsets in the
        buffer), returned for the params; NULL until the plan has the buffer (as scratch). saved: the flash bytes
        the 2-word and the dense forms save over the full tables (compiler._choose_tables). in_call False: the
        function finds the destinations in the params it is given (`function(*args)`)."""
        self.table_needs[self.layers[self.layer].index] = int(nbytes)
        self.table_savings[self.layers[self.layer].index] = tuple(int(v) for v in saved)
        form = "the dense form" if self.table_mode() == "dense" else "2 words per channel"
        self.table_note = (f"requantization tables compact in flash ({form}), expanded by {function} into {nbytes} B "
                           "of arena once per inference (docs/kernels.md)")
        b = self.plan.tables.get(self.layer)
        ok = b is not None and b.size >= nbytes
        dsts = [f"(void *)(tfedge_arena + {c_int(b.offset + part)})" if ok else "NULL" for part in parts]
        text = [a if isinstance(a, str) else c_int(a) for a in args]
        self.prologues.setdefault(self.layer, []).append(f"{function}({', '.join([*text, *(dsts if in_call else [])])});")
        return dsts

    def scratch(self, nbytes: int) -> str:
        """The layer's kernel scratch: its buffer in the arena plan. Records the need; until the plan has a
        large enough buffer (the first pass of compiler.generate_sources) the pointer is NULL and the
        generated code is discarded."""
        op = self.layers[self.layer]
        self.scratch_needs[op.index] = int(nbytes)
        b = self.plan.kernel_scratch.get(self.layer)
        if b is None or b.size < nbytes:
            return "NULL"
        return f"(void *)(tfedge_arena + {c_int(b.offset)})"

    def kernel_function(self, choice, ctype: str, params: str, from_call: tuple[str, ...] = ()) -> str:
        """The C function this layer calls: the kernel, or for a const-shape choice a function of this layer
        that inlines the kernel's body (tfedge_<kernel>_body.h) with the layer's static const parameters,
        so the C compiler sees every shape as a constant. That function keeps the kernel signature (the
        row loops of inplace.py call it like the kernel) and takes from its argument only `from_call`, the
        fields those loops change (batches, rows, top padding)."""
        if not choice.const_shape:
            return choice.kernel
        body = f"tfedge_{choice.kernel}_body"
        if not (re.fullmatch(r"l\d+_params", params) and re.fullmatch(r"[a-z0-9_]+", choice.kernel)
                and re.fullmatch(r"tfedge_[a-z]+_params", ctype) and all(re.fullmatch(r"[a-z_]+", f) for f in from_call)):
            raise ValueError(body)
        name = f"l{self.layer}_const_shape"
        head = f"static void {name}(const {ctype} *p, const int8_t *input, int8_t *output) {{\n"
        if from_call:
            text = (head + f"  {ctype} q = {params};\n  " + ", ".join(f"q.{f} = p->{f}" for f in from_call) + ";\n"
                    f"  {body}(&q, input, output);\n}}")
        else:
            text = head + f"  (void)p;\n  {body}(&{params}, input, output);\n}}"
        self.decls.append(text)
        self.includes.add(choice.kernel)
        return name

    def state(self, tensor: int, ctype: str) -> str:
        """The pointer to a variable tensor (state kept across invokes, e.g. an LSTM's hidden and cell state),
        which tfedge_model_init resets as TFLM's ResetVariableTensors does (int8 to its zero point, else 0), or
        sets to a resource variable's initial value."""
        t = self.graph.tensors[tensor]
        if tensor not in self._states:
            self._states.add(tensor)
            if t.initial is not None:  # a resource variable: its CALL_ONCE initial value
                init = self.array(_C_TYPES[t.dtype], t.initial, "init")
                self.init.append(f"  memcpy({self.ptr(tensor)}, {init}, {c_int(t.nbytes)}u);")
            else:
                fill = t.q_zero if t.dtype == "int8" else 0
                self.init.append(f"  memset({self.ptr(tensor)}, {c_int(fill)}, {c_int(t.nbytes)}u);")
        return self.ptr(tensor, ctype)

    def ptr(self, tensor: int, ctype: str = "int8_t", const: bool = False) -> str:
        t = self.graph.tensors[tensor]
        if t.is_const:
            if tensor not in self._const_tensors:
                self._const_tensors[tensor] = self.array(_C_TYPES[t.dtype], t.data, "tensor")
            return self._const_tensors[tensor]
        offset = c_int(self.plan.offset(self.graph, tensor))
        return f"({'const ' if const else ''}{ctype} *)(tfedge_arena + {offset})"


def generate(graph: Graph, layers: list[Op], plan: Plan, *, profile_hooks: bool = False,
             arch: str = "portable", compress_weights: bool | None = None, weights: str | None = None,
             weights_by_layer: dict[int, str] | None = None, full_tables: frozenset[int] = frozenset(),
             unneeded_tables: frozenset[int] = frozenset(), dense_tables: frozenset[int] = frozenset(),
             expand: bool = True) -> tuple[str, str, list[Layer], dict[int, dict[str, int]], dict[int, int], dict[int, int], dict]:
    """(model.c, model.h, the emitted layers, const bytes per layer and kind (FLASH_KINDS), kernel scratch
    bytes, expanded-table bytes and the flash they save per operator index). The C is only valid when the plan
    already holds those buffers (see compiler.generate_sources). full_tables / unneeded_tables: operator indices
    whose tables stay whole in flash (the RAM check refused them / the flash target does not need them);
    dense_tables: those on the dense compact form; expand False: every table whole in flash."""
    ctx = EmitContext(graph, plan, layers, arch, compress_weights=compress_weights, weights=weights,
                      weights_by_layer=weights_by_layer)
    ctx.expand = expand
    ctx.full_tables, ctx.unneeded_tables, ctx.dense_tables = full_tables, unneeded_tables, dense_tables
    emitted: list[Layer] = []
    for i, op in enumerate(layers):
        ctx.layer = i
        ctx.table_note = ""  # set by the conv/FC emitters (ops/packed.py): compact or whole tables, and why
        layer = REGISTRY[op.kind].emit(op, graph, ctx)
        layer.tables_note = ctx.table_note
        how = plan.inplace.get(i)
        if how is not None and how.by_rows:  # output over its input, a few rows at a time (inplace.py)
            call = row_call(layer.call, plan.scratch[i].offset, how.lag, how.rows, how.in_offset)
            if call is None:
                raise CannotRunInPlace(op.index)
            layer.call = call
        emitted.append(layer)
    for i, block in plan.fused.items():  # residual blocks run by rows: one call for three layers
        call = fused_call(tuple(emitted[k].call for k in (i, i + 1, i + 2)), block, plan.offset(graph, block.x),
                          plan.scratch[i].offset, -(-block.ring_bytes // 16) * 16)
        if call is None:
            raise CannotRunInPlace(layers[i].index)
        emitted[i].call = call
        emitted[i + 1].call = emitted[i + 2].call = f"/* in the row loop of layer {i} */"
    stage = plan.stage
    if stage is not None:  # the first layers as one patch stage (patches.py)
        whole = {k: plan.offset(graph, t) for k, t in enumerate(stage.tensors) if k not in stage.windows}
        made = patches.emit(stage, [e.call for e in emitted], whole, plan.scratch[0].offset)
        if isinstance(made, int):
            raise CannotRunInPlace(layers[made].index)
        ctx.decls.extend(made[0])
        emitted[0].call = made[1]
        for k in stage.layers[1:]:
            emitted[k].call = "/* in the patch stage (layer 0) */"
    mm_linked = any("MVE_CONV_MM" in layer.paths for layer in emitted)  # by a layer of K > 64 (or K <= 16)
    for i, layer in enumerate(emitted):
        if layer.mve_conv is not None:  # the Helium conv paths per call: single pixels, the matmul's last groups
            geo, in_c, out_c = layer.mve_conv
            layer.paths = tuple(p for p in layer.paths if not p.startswith("MVE_CONV_")) + variants_mve.conv2d_call_paths(
                geo, in_c, out_c, call_rows(plan, i, geo["out_h"]), mm_linked)

    out = []
    out.append(f"/* Generated by `tfedge compile` from {c_comment(graph.name)}. Do not edit. */")
    if profile_hooks:
        out.append("#ifndef TFEDGE_PROFILE_LAYERS\n#define TFEDGE_PROFILE_LAYERS 1\n#endif")
    out.append('#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n#include "model.h"\n#include "tfedge_kernels.h"')
    if ctx.prologues:
        out.append('#include "tfedge_requant_expand.h"')
    if stage is not None:
        out.append('#include "tfedge_patch.h"')
    out.extend(f'#include "tfedge_{k}_body.h"' for k in sorted(ctx.includes))
    out.append("")
    out.append("#if defined(__GNUC__) || defined(__clang__)\n#define TFEDGE_ALIGN4 __attribute__((aligned(4)))\n#else\n"
               "#define TFEDGE_ALIGN4\n#endif")
    out.append("#if defined(__GNUC__) || defined(__clang__)\n"
               "__attribute__((section(\".bss.tfedge_arena\"), aligned(16)))\n#endif")
    out.append(f"uint8_t tfedge_arena[{c_int(plan.arena_bytes)}];\n")
    out.append("static tfedge_input_rows_fn tfedge_input_rows;  /* input streaming (tfedge_model.h) */\nstatic void *tfedge_input_user;")
    out.extend(ctx.decls)
    out.append("")
    out.extend(_io_tables(graph, plan))
    streamed = int(stage is not None and stage.stream)
    out.append("void tfedge_model_set_input_rows(tfedge_input_rows_fn fn, void *user) {\n  tfedge_input_rows = fn;\n"
               "  tfedge_input_user = user;\n}\n")
    out.append(f"int tfedge_model_input_streamed(int index) {{ return index == 0 && {streamed}; }}\n")
    out.append("#ifdef TFEDGE_PROFILE_LAYERS\n#define TFEDGE_LAYER(i) tfedge_layer_boundary(i)\n#else\n"
               "#define TFEDGE_LAYER(i) ((void)0)\n#endif\n")
    out.append("int tfedge_model_init(void) {\n" + "".join(line + "\n" for line in ctx.init) + "  return 0;\n}\n")
    out.append("int tfedge_model_invoke(void) {")
    hosts = call_hosts(plan, len(layers))
    for i, (op, layer) in enumerate(zip(layers, emitted)):
        out.append(f"  /* layer {i}: {op.kind} (operator {op.index}) */")
        out.append(f"  TFEDGE_LAYER({i});")
        out.extend(f"  {line}" for k in range(len(layers)) if hosts[k] == i for line in ctx.prologues.get(k, []))
        out.append(f"  {layer.call}")
    out.append(f"  TFEDGE_LAYER({len(layers)});")
    out.append("  return 0;\n}\n")
    out.append(f"int tfedge_model_num_layers(void) {{ return {len(layers)}; }}")
    out.append(f"size_t tfedge_model_arena_bytes(void) {{ return {c_int(plan.arena_bytes)}u; }}")
    model_c = "\n".join(out) + "\n"
    model_h = ("/* Generated by `tfedge compile`. The API is tfedge_model.h (see docs/model_api.md). */\n"
               "#ifndef TFEDGE_GENERATED_MODEL_H\n#define TFEDGE_GENERATED_MODEL_H\n#include \"tfedge_model.h\"\n"
               f"#define TFEDGE_MODEL_ARENA_BYTES {c_int(plan.arena_bytes)}u\n"
               f"#define TFEDGE_MODEL_NUM_LAYERS {len(layers)}\n{_uses(emitted)}#endif\n")
    return model_c, model_h, emitted, ctx.flash_parts, ctx.scratch_needs, ctx.table_needs, ctx.table_savings


def call_rows(plan: Plan, i: int, out_h: int) -> list[int]:
    """The output rows of each kernel call of conv layer i (batch by batch): its patch stage steps' rows, 1 per call
    in a residual block run by rows, the chunks of the by-rows in-place loop, else the whole layer."""
    stage = plan.stage
    if stage is not None and i <= stage.last:
        return [s.out_h for s in stage.steps if s.kind == patches.CALL and s.layer == i]
    if any(i in (k, k + 1) for k in plan.fused):  # tfedge_residual_rows_s8: one output row per conv call
        return [1]
    how = plan.inplace.get(i)
    if how is not None and how.by_rows:  # tfedge_conv_rows_inplace_s8: chunks of `rows`, the last one shorter
        return [how.rows] + ([out_h % how.rows] if out_h % how.rows else [])
    return [out_h]


def call_hosts(plan: Plan, n: int) -> list[int]:
    """Per layer the layer whose statement in invoke() first calls its kernel: itself, or the first layer of the
    patch stage / residual block run by rows it belongs to (expanded tables are written before that call)."""
    hosts = list(range(n))
    for i, block in plan.fused.items():
        for k in range(i, block.add + 1):
            hosts[k] = i
    if plan.stage is not None:
        for k in range(plan.stage.last + 1):
            hosts[k] = 0
    return hosts


USES = ("W16", "CONV_PAIR", "CONV_K27", "CONV_1X1W", "CONV_1X1N", "CONV_ODD", "CONV_PX1", "DW_PIXEL", "DW_BAND3", "DW_BANDK", "FC_BLOCKED", "FC_WHOLE", "ADD_REF", "MUL_REF", "MEAN_REF", "ADD_FULL", "ADD_CLAMP", "MUL_FULL", "MUL_CLAMP", "AVG_POOL_REF", "CONV_ACC", "FC_GENERAL", *variants_mve.USES)  # the optional kernel paths (firmware/runtime/include/tfedge_uses.h)


def _uses(emitted: list[Layer]) -> str:
    """Which optional kernel code paths the model calls: the firmware, built with model.h, compiles only those
    (tfedge_uses.h); the paths are the layers' (ops.Layer.paths)."""
    used = {p for layer in emitted for p in layer.paths}
    return "/* kernel paths called (tfedge_uses.h): the others are left out of the firmware */\n" + "".join(
        f"#define TFEDGE_MODEL_USES_{p} {int(p in used)}\n" for p in USES)


def _io_tables(graph: Graph, plan: Plan) -> list[str]:
    out = []
    for kind, tensors in (("input", graph.inputs), ("output", graph.outputs)):
        infos = []
        for j, ti in enumerate(tensors):
            t = graph.tensors[ti]
            dims = ", ".join(c_int(d) for d in t.shape) or "1"
            out.append(f"static const int32_t {kind}{j}_dims[{max(len(t.shape), 1)}] = {{{dims}}};")
            scale = c_float(t.q_scale) if t.quantized else "0.0f"
            infos.append(f"  {{{c_string(t.name)}, {_TFEDGE_TYPES[t.dtype]}, {len(t.shape)}, {kind}{j}_dims, "
                         f"{c_int(t.nbytes)}u, {scale}, {c_int(t.q_zero if t.quantized else 0)}}},")
        n = len(tensors)
        out.append(f"static const tfedge_io_info {kind}_infos[{max(n, 1)}] = {{\n" + "\n".join(infos or ["  {0}"]) + "\n};")
        offsets = ", ".join(c_int(plan.offset(graph, ti)) for ti in tensors) or "0"
        out.append(f"static const size_t {kind}_offsets[{max(n, 1)}] = {{{offsets}}};")
        out.append(f"int tfedge_model_num_{kind}s(void) {{ return {n}; }}")
        if kind == "input" and plan.stage is not None and plan.stage.stream:  # no input buffer: rows come from a callback
            out.append("void *tfedge_model_input(int index) { (void)index; (void)input_offsets; return NULL; }")
        else:
            out.append(f"void *tfedge_model_{kind}(int index) {{ return (index >= 0 && index < {n}) ? "
                       f"(void *)(tfedge_arena + {kind}_offsets[index]) : NULL; }}")
        out.append(f"const tfedge_io_info *tfedge_model_{kind}_info(int index) {{ return (index >= 0 && index < {n}) ? "
                   f"&{kind}_infos[index] : NULL; }}\n")
    return out
