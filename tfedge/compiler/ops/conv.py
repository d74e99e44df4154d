"""CONV_2D and DEPTHWISE_CONV_2D (incl. the dilated convolutions the dilation pass fuses)."""

from __future__ import annotations

import numpy as np

from tfedge.compiler import compress, quant, variants, variants_mve
from tfedge.compiler.graph import Graph, Op
from tfedge.compiler.ops import Layer, register
from tfedge.compiler.ops.packed import (mve_prepared_fields, packed_fc, packed_fields, packs, requant_arrays,
                                        storage as _storage)
from tfedge.compiler.ops.common import (INT8, activation, activation_ok, arity, const_input, out_size, pad_before,
                                        positive_ints, shape_is, where)


def geometry(op: Op, g: Graph) -> dict:
    """Strides, dilations, output size and leading padding. The dilation pass sets explicit
    'ExplicitPadding' (pad_top, pad_left, out_h, out_w) when it fuses SPACE_TO_BATCH_ND/BATCH_TO_SPACE_ND."""
    x, w = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
    o = op.options
    _, in_h, in_w, _ = x.shape
    k_h, k_w = w.shape[1], w.shape[2]
    sh, sw = o.get("StrideH", 1), o.get("StrideW", 1)
    dh, dw = o.get("DilationHFactor", 1), o.get("DilationWFactor", 1)
    if "ExplicitPadding" in o:
        pad_top, pad_left, out_h, out_w = o["ExplicitPadding"]
    else:
        out_h = out_size(o.get("Padding", 0), in_h, k_h, sh, dh)
        out_w = out_size(o.get("Padding", 0), in_w, k_w, sw, dw)
        pad_top = pad_before(in_h, k_h, sh, dh, out_h) if o.get("Padding", 0) == 0 else 0
        pad_left = pad_before(in_w, k_w, sw, dw, out_w) if o.get("Padding", 0) == 0 else 0
    return dict(in_h=in_h, in_w=in_w, k_h=k_h, k_w=k_w, stride_h=sh, stride_w=sw, dil_h=dh, dil_w=dw,
                out_h=out_h, out_w=out_w, pad_top=pad_top, pad_left=pad_left)


def _validate(op: Op, g: Graph, depthwise: bool, act: tuple[str, ...] = INT8, bias: str = "int32") -> list[str]:
    """act/bias: the activation and bias types (int16x8: ("int16",), "int64"; see conv_s16.py)."""
    problems = arity(op, (2, 3))
    if problems:
        return problems
    problems += activation(op, g, op.inputs[0], "input", act) + activation(op, g, op.outputs[0], "output", act)
    problems += const_input(op, g, op.inputs[1], "filter", "int8", rank=4)
    if len(op.inputs) == 3 and op.inputs[2] >= 0:
        problems += const_input(op, g, op.inputs[2], "bias", bias, rank=1)
    problems += activation_ok(op)
    if problems:
        return problems
    x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if len(x.shape) != 4:
        return [f"{where(op)}: input has shape {x.shape}; expected NHWC"]
    o = op.options
    problems += positive_ints(op, stride_h=o.get("StrideH", 1), stride_w=o.get("StrideW", 1),
                              dilation_h=o.get("DilationHFactor", 1), dilation_w=o.get("DilationWFactor", 1))
    if o.get("Padding", 0) not in (0, 1):
        problems.append(f"{where(op)}: unknown padding {o.get('Padding')}")
    if problems:
        return problems
    in_c = x.shape[3]
    if depthwise:
        mult = o.get("DepthMultiplier", 1)
        out_c = w.shape[3]
        if w.shape[0] != 1 or out_c != in_c * max(mult, 1) or mult < 1:
            # Newer converters may leave DepthMultiplier 0 and rely on the filter shape.
            if not (w.shape[0] == 1 and in_c > 0 and out_c % in_c == 0):
                problems.append(f"{where(op)}: filter shape {w.shape} does not match input channels {in_c} "
                                f"and depth multiplier {mult}")
    else:
        out_c = w.shape[0]
        if w.shape[3] != in_c:
            problems.append(f"{where(op)}: filter shape {w.shape} expects {w.shape[3]} input channels, input has "
                            f"{in_c} (grouped convolutions are not supported)")
    if w.quantized:
        if len(w.scale) not in (1, out_c) or (len(w.scale) > 1 and w.quant_axis != (3 if depthwise else 0)):
            problems.append(f"{where(op)}: filter quantization has {len(w.scale)} scales on axis {w.quant_axis}; "
                            f"expected per-tensor or per output channel")
        elif np.any(w.zero_point != 0):
            problems.append(f"{where(op)}: filter zero point must be 0 (symmetric int8 weights)")
    else:
        problems.append(f"{where(op)}: filter has no quantization parameters")
    if len(op.inputs) == 3 and op.inputs[2] >= 0 and g.tensors[op.inputs[2]].shape != (out_c,):
        problems.append(f"{where(op)}: bias has shape {g.tensors[op.inputs[2]].shape}; expected ({out_c},)")
    if problems:
        return problems
    geo = geometry(op, g)
    if geo["out_h"] < 1 or geo["out_w"] < 1:
        return [f"{where(op)}: output would be empty ({geo['out_h']}x{geo['out_w']})"]
    return shape_is(op, g, op.outputs[0], (x.shape[0], geo["out_h"], geo["out_w"], out_c))


def quant_arrays(op: Op, g: Graph, out_c: int) -> tuple[list[int], list[int]]:
    """PopulateConvolutionQuantizationParams: input_scale * filter_scale[c] / output_scale in double."""
    x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    scales = np.broadcast_to(w.scale, (out_c,)) if len(w.scale) == 1 else w.scale
    mults, shifts = [], []
    for s in scales:
        m, sh = quant.quantize_multiplier(float(x.q_scale) * float(s) / float(y.q_scale))
        mults.append(m)
        shifts.append(sh)
    return mults, shifts


def _window_first(ctx) -> bool:
    """variants_mve.window_first over the model's DEPTHWISE_CONV_2D layers (the same for each of them)."""
    g = ctx.graph
    layers = [(geometry(op, g), g.tensors[op.inputs[0]].shape[3], g.tensors[op.inputs[1]].shape[3] // g.tensors[op.inputs[0]].shape[3])
              for op in ctx.layers if op.kind == "DEPTHWISE_CONV_2D"]
    return variants_mve.window_first(layers)


def _emit(op: Op, g: Graph, ctx, depthwise: bool) -> Layer:
    x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    geo = geometry(op, g)
    out_c = y.shape[3]
    in_c = x.shape[3]
    mults, shifts = quant_arrays(op, g, out_c)
    bias = g.tensors[op.inputs[2]].data if len(op.inputs) == 3 and op.inputs[2] >= 0 else None
    act_min, act_max = quant.activation_range(op.options.get("FusedActivationFunction", 0), y.q_scale, y.q_zero)
    rows = compress.conv_rows(w.data, depthwise)
    consts = variants.constant_channels(rows, bias, x.q_zero, mults, shifts, y.q_zero, act_min, act_max)
    if not depthwise and variants.conv_is_fc(geo) and packs(ctx, rows, "conv"):
        return _emit_as_fc(op, g, ctx, rows, mults, shifts, bias, (act_min, act_max), consts)
    filt = w.data
    as_conv = depthwise and out_c != in_c and in_c <= variants.DW_AS_CONV_MAX_IN and ctx.arch in variants.FAST_ARCHS
    why = ""
    if as_conv:  # depth multiplier > 1 on few input channels: the same sums as a convolution (exact)
        filt = variants.depthwise_as_conv_weights(w.data, in_c)
        why = f"depthwise, multiplier {out_c // in_c} on {in_c} input channel(s), run as a convolution: "
    compact = None
    if ctx.arch in variants.FAST_ARCHS and (not depthwise or as_conv):
        kp = (filt[0].size + 3) // 4 * 4
        compact = variants.compaction(consts, 0.75 * kp + 6)
    live = compact.live if compact else list(range(out_c))
    b_live = None if bias is None else np.asarray(bias)[live]
    records = variants.requant_records(b_live, [mults[c] for c in live], [shifts[c] for c in live], y.q_zero,
                                       None if compact else consts)
    if depthwise and not as_conv:
        choice = variants.depthwise_choice(ctx.arch, in_c, out_c // in_c, records, geo, _storage(ctx))
    else:
        choice = variants.conv_choice(ctx.arch, geo, in_c, out_c, records, compact, why, _storage(ctx))
    before = ctx.flash_bytes
    clustered = compress.emit(ctx, rows, "depthwise" if depthwise else "conv")
    i8 = 0  # packed conv weights stored int8 (weights_i8)
    storage = "codebook4" if clustered else _storage(ctx) if choice.packed else "int8"
    if clustered:  # <= 16 values per channel: 4-bit indices + codebook (compress.py), no int8 copy
        choice, weights, compact = clustered[0], "NULL", None
    elif not choice.packed:
        weights = ctx.array("int8_t", w.data, "weights")
    elif choice.kernel.startswith("depthwise"):  # int8 (widened per call) or int16, word-aligned for LDRD
        weights, i8 = variants.packed_weights(ctx, variants.widen_depthwise_weights(filt, storage == "int16"))
    else:  # int16-widened or int8 (the kernel widens), word-aligned for LDRD
        weights, i8 = variants.packed_weights(ctx, variants.pack_conv_weights(filt[live], _storage(ctx) == "int16"))
    storage_bytes = ctx.flash_bytes - before
    params = dict(batches=x.shape[0], in_c=in_c, out_c=out_c, depth_multiplier=out_c // in_c if depthwise else 1,
                  input_offset=-x.q_zero, output_offset=y.q_zero, act_min=act_min, act_max=act_max,
                  weights=weights, **geo)
    prepared = ctx.arch == "mve" and not choice.packed and not clustered  # Helium's prepared data (variants_mve)
    if depthwise and ctx.arch == "mve":  # after params: the model-level path choice is no field of the C struct
        geo = dict(geo, window_first=_window_first(ctx))
    rq = bias, mults, shifts
    if not choice.records and ctx.table_mode():  # constant channels' huge biases brought into the compact range
        rq = variants.settle_constants(rows, bias, consts, x.q_zero, mults, shifts, y.q_zero, act_min, act_max)
    in_arena = prepared and mve_prepared_fields(ctx, depthwise, w.data, *rq, -x.q_zero, geo, in_c)
    if in_arena:  # bias, mult, shift and the effective biases expanded from the compact channels
        params.update(in_arena)
    elif not choice.records:  # the packed kernels read bias, multiplier and shift from their records only
        params.update(requant_arrays(ctx, *rq, choice.const_shape))
    if choice.records:
        params.update(packed_fields(ctx, records, compact, i8, y.q_zero))
    if choice.scratch_bytes:
        params["scratch"] = ctx.scratch(choice.scratch_bytes)
    if clustered:
        params.update(clustered[1])
    elif prepared and not in_arena:
        params.update(variants_mve.conv_fields(ctx, depthwise, w.data, rq[0], -x.q_zero, geo, in_c))
    name = ctx.params("tfedge_conv_params", params)
    per_out = geo["k_h"] * geo["k_w"] * (1 if depthwise else in_c)
    macs = x.shape[0] * geo["out_h"] * geo["out_w"] * out_c * per_out
    variant = choice.variant
    if geo["dil_h"] > 1 or geo["dil_w"] > 1:
        variant += "+dilated"
    fn = ctx.kernel_function(choice, "tfedge_conv_params", name, from_call=("batches", "in_h", "out_h", "pad_top"))
    call = f"{fn}(&{name}, {ctx.ptr(op.inputs[0], const=True)}, {ctx.ptr(op.outputs[0])});"
    n_live = len(compact.live) if compact else out_c
    effective = macs * n_live // out_c * (in_c if as_conv and not clustered else 1)
    paths = ("W16",) if choice.packed and not clustered and not i8 else ()
    if choice.kernel == "conv_packed_s8_nhwc":  # the conv kernel's optional paths (else their code is left out)
        paths += variants.conv_paths(geo, in_c, n_live, "int8" if i8 else "int16", records.general)
    if choice.kernel == "depthwise_conv_packed_s8_nhwc":
        paths += variants.dw_paths(geo, in_c, records)  # the band path's parts or the per-pixel loops
    reason = choice.reason
    if ctx.arch == "mve":  # the Helium kernels' optional paths (variants_mve.USES)
        mve_paths = variants_mve.conv_paths(depthwise, geo, in_c, out_c, prepared=not clustered,
                                            left_shift=any(int(v) > 0 for v in rq[2]))
        paths += mve_paths
        if depthwise and not as_conv and not clustered:  # the path the kernel takes, named in the report
            variant, reason = variant.replace("portable", "mve"), variants_mve.depthwise_reason(mve_paths, geo)
    mve_conv = (geo, in_c, out_c if not clustered else None) if ctx.arch == "mve" and not depthwise else None
    return Layer(kernel=choice.kernel, call=call, macs=int(macs), variant=variant, variant_reason=reason,
                 effective_macs=int(effective), storage=storage, storage_bytes=storage_bytes, paths=paths,
                 mve_conv=mve_conv)


def _emit_as_fc(op: Op, g: Graph, ctx, rows: np.ndarray, mults: list[int], shifts: list[int], bias,
                act: tuple[int, int], consts: list[int | None]) -> Layer:
    """A CONV_2D with one output pixel whose window is its whole input (variants.conv_is_fc: SE blocks' 1x1 convs
    on a pooled pixel, a last conv over the whole map) as the packed FULLY_CONNECTED kernel over the flattened
    input: its 4 rows per pass compute that one pixel, where the conv kernel's 2-pixel blocks would compute it
    twice. Exact: the input offset folded into the biases gives the same int32 sums, the conv's multipliers."""
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    b = np.zeros(rows.shape[0], np.int64) if bias is None else np.asarray(bias, np.int64)
    folded = quant.wrap_int32(b - x.q_zero * rows.astype(np.int64).sum(axis=1))
    io = (ctx.ptr(op.inputs[0], const=True), ctx.ptr(op.outputs[0]))
    why = (f"1 output pixel, its window the whole {x.shape[1]}x{x.shape[2]}x{x.shape[3]} input: as a fully connected "
           f"layer of {rows.shape[1]} inputs; ")
    return packed_fc(ctx, x, y, rows, folded, mults, shifts, consts, act, x.shape[0], io, why)


register("CONV_2D", lambda op, g: _validate(op, g, False), lambda op, g, ctx: _emit(op, g, ctx, False))
register("DEPTHWISE_CONV_2D", lambda op, g: _validate(op, g, True), lambda op, g, ctx: _emit(op, g, ctx, True))
