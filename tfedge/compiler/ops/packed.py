"""What the conv and FC emitters share: the packed FULLY_CONNECTED layer (FULLY_CONNECTED and the CONV_2D that is
one), the weight storage choice, and the requantization fields of the kernels, compact in flash where the arch
expands them into the arena (variants.compact_records / compact_arrays, portable/requant_expand.c)."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import compress, variants, variants_mve
from tfedge.compiler.graph import Tensor
from tfedge.compiler.ops import Layer


def storage(ctx) -> str:
    """The packed conv/FC weight storage of the layer being emitted: the per-layer choice of `--weights auto`
    (ctx.weights_by_layer) or compile_model(weights=...): int8 (the default) unless int16."""
    return "int16" if ctx.weights_by_layer.get(ctx.layer, ctx.weights) == "int16" else "int8"


def packs(ctx, rows: np.ndarray, kind: str) -> bool:
    """The layer's weights go to the packed kernels: a fast arch, compress.emit would not cluster them, and (FC)
    the packed padding would not outweigh the weights of a tiny layer (variants.fc_padding_costs)."""
    if kind == "fc" and variants.fc_padding_costs(rows.shape[1], rows.shape[0]):
        return False
    return ctx.arch in variants.FAST_ARCHS and compress.codebook_for(ctx, rows, kind) is None


def _form(ctx, words: variants.CompactTables | None, dense: variants.CompactTables | None, full: int
          ) -> tuple[variants.CompactTables | None, tuple[int, int]]:
    """The compact form the layer uses (ctx.table_mode: none, the 2-word form or the dense one) and the flash bytes
    each form saves over the `full` tables (compiler._choose_tables decides from them)."""
    saved = tuple(full - (0 if t is None or t.words is None else 4 * t.words.size) for t in (words, dense))
    mode = ctx.table_mode()
    return (None if mode is None or words is None else dense if mode == "dense" and dense is not None else words), saved


def rq_fields(ctx, records: variants.Records, zp: int) -> dict:
    """The packed kernels' records: compact in flash and expanded into the arena before the layer's first call
    (ctx.table_mode), else the full records in flash."""
    t, saved = _form(ctx, records.compact, records.dense, 16 * len(records.rows))
    if t is None:
        _full_note(ctx, records.compact is None and bool(records.rows))
        return {"rq": ctx.records(records.rows)}
    src = "NULL" if t.words is None else ctx.array("int32_t", t.words, "rqc")
    return {"rq": ctx.expanded(16 * len(records.rows), t.function, [src, *t.args, zp], saved=saved)[0]}


def _full_note(ctx, unfit: bool) -> None:
    """Why a layer of an expanding arch keeps its requantization tables whole in flash (compile report)."""
    if ctx.arch not in variants.EXPAND_ARCHS:
        return
    if unfit:
        ctx.table_note = ("requantization tables whole in flash: a channel does not fit the compact form (bias over "
                          "26 bits, a left shift, a zero multiplier)")
    elif ctx.layers[ctx.layer].index in ctx.full_tables:
        ctx.table_note = ("requantization tables whole in flash: expanding them would lift the arena past the RAM target "
                          "(0.6x TFLM's arena by default: --ram-share, --ram-reserve, --ram-budget)")
    elif ctx.table_mode() is None:
        ctx.table_note = ("requantization tables whole in flash: the model meets the flash target (1.1x by default, "
                          "--flash-target) without expanding them (no run-time cost)")


def requant_arrays(ctx, bias, mults: list[int], shifts: list[int], const_shape: bool) -> dict:
    """bias/mult/shift of the plain (unpacked) conv kernels: compact in flash and expanded into the arena (bias,
    mult, shift one after the other; a per-tensor layer's bias stays in flash), or the three flash arrays (also
    for const-shape layers, whose compiler folds the flash values)."""
    n = len(mults)
    words = None if const_shape else variants.compact_arrays(bias, mults, shifts)
    dense = None if const_shape else variants.compact_arrays(bias, mults, shifts, dense=True)
    t, saved = _form(ctx, words, dense, 12 * n if bias is not None else 8 * n)
    if t is not None and t.per_tensor:
        saved = (8 * n, 8 * n)  # (its bias stays in flash either way)
    flash_bias = ctx.array("int32_t", bias, "bias") if bias is not None and (t is None or t.per_tensor) else "NULL"
    if t is None:
        if not const_shape:
            _full_note(ctx, words is None)
        return dict(bias=flash_bias, mult=ctx.array("int32_t", mults, "mult"), shift=ctx.array("int32_t", shifts, "shift"))
    if t.per_tensor:  # mult and shift filled, the bias (4 B per channel) read from flash
        mult, shift = ctx.expanded(8 * n, t.function, list(t.args), (0, 4 * n), saved=saved)
        return dict(bias=flash_bias, mult=mult, shift=shift)
    b, mult, shift = ctx.expanded(12 * n, t.function, [ctx.array("int32_t", t.words, "rqc"), *t.args],
                                  (0, 4 * n, 8 * n), saved=saved)
    return dict(bias=b, mult=mult, shift=shift)


def packed_fields(ctx, records: variants.Records, compact: variants.Compaction | None, i8: int, zp: int) -> dict:
    """The params fields of the packed conv/FC kernels: records (and how many are general), the constant
    channels skipped (variants.Compaction), int8 weight storage."""
    fields = {**rq_fields(ctx, records, zp), "rq_general": records.general}
    if compact:
        fields.update(live_c=len(compact.live), live_map=ctx.array("uint16_t", compact.live or [0], "live"),
                      const_row=ctx.array("int8_t", compact.const_row, "const"))
    if i8:
        fields["weights_i8"] = 1
    return fields


def packed_fc(ctx, x: Tensor, y: Tensor, rows: np.ndarray, folded: np.ndarray, mults: list[int], shifts: list[int],
              consts: list[int | None], act: tuple[int, int], batches: int, call_io: tuple[str, str],
              why: str = "") -> Layer:
    """A FULLY_CONNECTED layer (rows: [out][in] int8, folded: bias + input_offset * row sums, one multiplier and
    shift per output) on the packed kernel: constant channels skipped where it pays, records, packed weights."""
    out_f, in_f = rows.shape
    compact = variants.compaction(consts, 0.8 * ((in_f + 3) // 4 * 4) + 8)
    live = compact.live if compact else list(range(out_f))
    records = variants.requant_records(folded[live], [mults[c] for c in live], [shifts[c] for c in live], y.q_zero,
                                       None if compact else consts)
    kept = storage(ctx)
    choice = variants.fc_choice(ctx.arch, in_f, out_f, records, compact, kept)
    before = ctx.flash_bytes
    weights, i8 = variants.packed_weights(ctx, variants.pack_fc_weights(rows[live], kept == "int16"))
    storage_bytes = ctx.flash_bytes - before
    params = dict(batches=batches, in_features=in_f, out_features=out_f, output_offset=y.q_zero, act_min=act[0],
                  act_max=act[1], per_channel=1, weights=weights)
    params.update(packed_fields(ctx, records, compact, i8, y.q_zero))
    params["scratch"] = ctx.scratch(choice.scratch_bytes)
    name = ctx.params("tfedge_fc_params", params)
    call = f"{ctx.kernel_function(choice, 'tfedge_fc_params', name)}(&{name}, {call_io[0]}, {call_io[1]});"
    macs = batches * in_f * out_f
    return Layer(kernel=choice.kernel, call=call, macs=int(macs), variant=choice.variant,
                 variant_reason=why + choice.reason, effective_macs=int(batches * in_f * len(live)), storage=kept,
                 storage_bytes=storage_bytes, paths=variants.fc_paths(i8, in_f, records.general))


def mve_prepared_fields(ctx, depthwise: bool, weights: np.ndarray, bias, mults: list[int], shifts: list[int],
                        input_offset: int, geo: dict, in_c: int) -> dict | None:
    """The Helium conv/depthwise tables (bias, mult, shift, arch_prep {window, eb, window weight vectors})
    expanded into the arena from compact words (variants_mve.prepared_compact: eb instead of the bias; the
    window path's weight vectors rebuilt from the int8 filter), or None: the flash arrays (an eb that does not
    fit). bias is NULL (not in the arena) where the layer's Helium path reads only eb (variants_mve.bias_read)."""
    out_c = len(mults)
    window = depthwise and variants_mve.window_prepared(weights.shape, geo, in_c)
    wp = 16 * out_c * variants_mve.window_geometry(geo["k_h"], geo["k_w"], geo["dil_w"])[1] if window else 0
    full = (4 * out_c if bias is not None else 0) + 12 * out_c + 4 + wp  # bias, mult, shift, arch_prep
    forms = [variants_mve.prepared_compact(weights, bias, input_offset, depthwise, mults, shifts, dense=d)
             for d in (False, True)]
    t, saved = _form(ctx, *forms, full)
    if t is None:
        _full_note(ctx, forms[0] is None)
        return None
    need_bias = variants_mve.bias_read(depthwise, geo, in_c, out_c)
    # (t.args: per tensor (mult, shift) after the eb array; dense (bias bits,); the 2-word form none). The function
    # writes the params' own arrays (p->bias, mult, shift, arch_prep): the destinations are not in the call.
    head = [ctx.array("int32_t", t.words, "rqc"), *t.args, f"&{ctx.params_name()}", int(depthwise), int(window)]
    if not need_bias:  # the layer's Helium path reads eb only: no bias[] in the arena (4 B per channel less)
        mult, shift, prep = ctx.expanded(12 * out_c + 4 + wp, t.function, head, (0, 4 * out_c, 8 * out_c),
                                         saved=saved, in_call=False)
        return dict(bias="NULL", mult=mult, shift=shift, arch_prep=prep)
    b, mult, shift, prep = ctx.expanded(16 * out_c + 4 + wp, t.function, head, (0, 4 * out_c, 8 * out_c, 12 * out_c),
                                        saved=saved, in_call=False)
    return dict(bias=b, mult=mult, shift=shift, arch_prep=prep)
