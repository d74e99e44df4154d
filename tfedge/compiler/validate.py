"""Validation: every reason the graph cannot be compiled, collected and raised at once."""

from __future__ import annotations

import numpy as np

from tfedge.compiler.graph import Graph
from tfedge.compiler.ops import REGISTRY
from tfedge.errors import UnsupportedModelError

IO_TYPES = ("int8", "int16", "int32", "uint8", "float32")  # what TFLM accepts at the model boundary (no bool)
MAX_ARENA = 1 << 30


def validate(g: Graph) -> None:
    problems: list[str] = []
    problems += _float_model(g)
    if problems:
        raise UnsupportedModelError(problems)
    problems += _scales_finite(g)
    unsupported: dict[str, list[int]] = {}
    for op in g.ops:
        spec = REGISTRY.get(op.kind)
        if spec is None:
            unsupported.setdefault(op.kind, []).append(op.index)
            continue
        try:
            problems += spec.validate(op, g)
        except Exception as exc:  # a malformed op must not crash the compiler
            problems.append(f"operator {op.index} ({op.kind}): malformed ({type(exc).__name__}: {exc})")
    for kind, indices in unsupported.items():
        problems.append(f"operator{'s' if len(indices) > 1 else ''} {', '.join(map(str, indices))} ({kind}): op not "
                        "supported by tfedge")
    if unsupported:
        problems.append(f"(tfedge compiles: {', '.join(sorted(REGISTRY))}; replace the layers that produce the "
                        "others, or see docs/compiler.md to add an op)")
    problems += _topology(g)
    for i in g.inputs + g.outputs:
        t = g.tensors[i]
        if t.dtype not in IO_TYPES:
            problems.append(f"model input/output '{t.name}' is {t.dtype}; tfedge supports int8, int16, int32 (e.g. "
                            "token ids, ARG_MAX), uint8 or float32 (around QUANTIZE/DEQUANTIZE) model inputs and outputs")
    if not g.ops:
        problems.append("the model has no operators")
    if problems:
        raise UnsupportedModelError(problems)


def _float_model(g: Graph) -> list[str]:
    export = ("export with `tfedge export` (or TFLiteConverter with optimizations=[DEFAULT], a representative "
              "dataset and supported_ops=[TFLITE_BUILTINS_INT8])")
    weighted = [op for op in g.ops if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
                and len(op.inputs) > 1 and op.inputs[1] >= 0 and op.inputs[0] >= 0]
    # Dynamic-range quantization (optimizations=[DEFAULT] without representative data) keeps float
    # activations and quantizes only the larger weights: int8 weights read by float activations.
    if any(g.tensors[op.inputs[0]].dtype == "float32" and g.tensors[op.inputs[1]].dtype == "int8" for op in weighted):
        return ["this is a dynamic-range quantized model (int8 weights, float32 activations): tfedge compiles "
                f"fully-int8 models, whose activations are int8 too; {export}"]
    if any(g.tensors[op.inputs[1]].dtype == "float32" for op in weighted):
        return [f"this is a float model (float32 weights): tfedge compiles fully-int8 models; {export}"]
    return []


def _scales_finite(g: Graph) -> list[str]:
    """Every quantization scale an op uses is a finite number: prepare-time arithmetic divides by them and
    rounds the results to integers (a corrupt file can hold NaN or infinity there)."""
    problems = []
    for op in g.ops:
        for i in sorted({*op.inputs, *op.outputs} - {-1}):
            t = g.tensors[i]
            if t.scale is not None and not np.all(np.isfinite(t.scale)):
                problems.append(f"operator {op.index} ({op.kind}): tensor '{t.name}' has a non-finite quantization "
                                "scale (the file is corrupt: re-export it)")
    return problems


def _topology(g: Graph) -> list[str]:
    """Ops in execution order: each reads tensors already written, each tensor written once."""
    problems = []
    written = set(g.inputs) | {t.index for t in g.tensors if t.variable}  # state: written by the last invoke
    for op in g.ops:
        for t in op.inputs:
            if t >= 0 and not g.tensors[t].is_const and t not in written:
                problems.append(f"operator {op.index} ({op.kind}): reads tensor '{g.tensors[t].name}' before any "
                                "operator writes it")
        for t in op.outputs:
            if t in written or g.tensors[t].is_const:
                problems.append(f"operator {op.index} ({op.kind}): writes tensor '{g.tensors[t].name}', which is "
                                "a constant, a model input or written by another operator")
            written.add(t)
    for t in g.outputs:
        if t not in written:
            problems.append(f"model output '{g.tensors[t].name}' is never computed")
    return problems
