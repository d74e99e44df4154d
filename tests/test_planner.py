"""Memory plan: in-place layers, residual blocks by rows, scratch in the arena and the layer order
stay bit-exact with TFLM, never overlap live buffers and shrink the arena of the shared models."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import modelgen
from modelgen import get_model
from tfedge.compiler import compile_model, generate_sources, load_graph
from tfedge.compiler.host_run import run_model
from tfedge.compiler.inplace import residual_rows_safe, row_lag, row_plan
from tfedge.compiler.ops import REGISTRY
from tfedge.compiler.planner import plan_memory
from tfedge.compiler.schedule import schedule, topological_orders
from tflm_ref import random_inputs, tflm_arena_head, tflm_run


def res_blocks(keras, hw=(16, 9), **_):
    """Residual blocks of several geometries (5x3 and dilated kernels, a strided projection), depthwise
    layers in place with strides, an activation in place: every memory-saving path at once."""
    L = keras.layers
    inp = keras.Input((*hw, 3))
    x = L.Conv2D(8, 3, padding="same", activation="relu")(inp)
    y = L.Conv2D(6, (5, 3), padding="same", activation="relu")(x)
    y = L.Conv2D(8, 3, padding="same", dilation_rate=2)(y)
    x = L.Add()([x, y])
    y = L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu")(x)
    y = L.Conv2D(12, 1)(y)
    p = L.Conv2D(12, 1, strides=2)(x)
    x = L.Add()([p, y])
    x = L.DepthwiseConv2D((3, 5), padding="same", dilation_rate=(2, 1))(x)
    x = L.Activation("sigmoid")(x)
    x = L.Conv2D(12, 3, padding="valid")(x)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(5)(x)
    return keras.Model(inp, x)


modelgen.BUILDERS["res_blocks"] = res_blocks


def _check_plan(g, layers, plan) -> None:
    bufs = [*plan.buffers.values(), *plan.scratch.values(), *plan.kernel_scratch.values()]
    for i, a in enumerate(bufs):
        assert a.offset % 16 == 0 and a.offset + a.size <= plan.arena_bytes
        for b in bufs[i + 1:]:
            if a.first <= b.last and b.first <= a.last:
                assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset, (a, b)
    for buf in plan.buffers.values():
        assert buf.size >= max(g.tensors[t].nbytes for t in buf.tensors)


def test_row_lag_and_residual_windows():
    assert row_lag(25, 320, 25, 320, 1, 1, 3) == 1  # 3x3 SAME depthwise: one row held back
    assert row_lag(25, 320, 25, 320, 1, 0, 1) == 0  # 1x1: straight back
    assert row_lag(32, 512, 16, 512, 2, 0, 1) == 0  # 1x1 stride 2 with twice the channels
    assert row_lag(8, 10, 8, 40, 1, 1, 3) is None  # output rows 4x the input rows: never safe
    assert row_lag(25, 320, 25, 320, 1, 1, 3, rows=3) == 1 and row_lag(25, 320, 25, 320, 1, 0, 1, rows=6) == 0
    assert row_plan(25, 320, 25, 320, 1, 1, 3) == (3, 1, 1920)  # ring within a quarter of the 8,000 B output
    assert row_plan(8, 10, 8, 40, 1, 1, 3) is None
    win = [(max(j - 1, 0), min(j + 2, 8)) for j in range(8)]
    assert residual_rows_safe(win, win) == 3
    assert residual_rows_safe([(0, 8)] * 8, win) is None  # every B row reads all of X


def test_res_blocks_bit_exact_and_smaller(tmp_path):
    m = get_model("res_blocks", hw=[16, 9])
    # patches off: the layer-by-layer savings under test (with patches the first blocks join the patch stage)
    report = compile_model(m["tflite"], tmp_path, patches="off").report
    notes = " ".join(layer["memory"] for layer in report["layers"])
    assert "residual block by rows" in notes
    assert re.search(r"in place by rows \(\d+ per call, lag 0", notes) and re.search(r"in place by rows \(\d+ per call, lag 2", notes)
    assert any(layer["memory"] == "in place" for layer in report["layers"])
    g = load_graph(m["tflite"])
    layers = [op for op in g.ops if not REGISTRY[op.kind].alias]
    assert report["arena_bytes"] < plan_memory(g, layers, inplace=False).arena_bytes
    x = np.concatenate([np.clip(np.round(m["x_float"] / report["inputs"][0]["scale"]) + report["inputs"][0]["zero_point"],
                                -128, 127).astype(np.int8)[:, None],
                        random_inputs(report["inputs"][0]["shape"], np.int8, 50, seed=3)])
    ours, ref = run_model(m["tflite"], x, patches="off"), tflm_run(m["tflite"], x)
    assert np.array_equal(ours.reshape(ref.shape), ref)
    assert np.array_equal(run_model(m["tflite"], x).reshape(ref.shape), ref)  # and with the patch stage


@pytest.mark.parametrize("model", ["kws_ref_model.tflite", "pretrainedResnet_quant.tflite", "small_cnn", "res_blocks"])
def test_plan_with_scratch_never_overlaps(reference_models, model):
    tflite = (get_model(model, **({"hw": [16, 9]} if model == "res_blocks" else {}))["tflite"]
              if model in ("small_cnn", "res_blocks") else reference_models[model])
    g = load_graph(tflite)
    layers = [op for op in g.ops if not REGISTRY[op.kind].alias]
    ordered, plan = schedule(g, layers)
    _check_plan(g, ordered, plan)
    for order in topological_orders(g, layers)[:20]:  # the chosen order is the smallest arena of those tried
        deps_ok = {op.index for op in ordered} == {op.index for op in layers}
        assert deps_ok and plan.arena_bytes <= plan_memory(g, [layers[i] for i in order]).arena_bytes


@pytest.mark.parametrize("model", ["kws_ref_model.tflite", "pretrainedResnet_quant.tflite", "res_blocks"])
def test_dsp_kernel_scratch_is_planned_in_the_arena(reference_models, model):
    """The DSP variants' im2col/widening buffers are arena buffers live only where their layer runs (a
    fused residual block: the whole block), never overlapping a live buffer; no static scratch is left."""
    from tfedge.compiler import generate_sources

    tflite = get_model(model, hw=[16, 9])["tflite"] if model == "res_blocks" else reference_models[model]
    files = generate_sources(tflite, arch="dsp")
    report = json.loads(files["compile_report.json"])
    plan = report["arena_plan"]
    kernel = [b for b in plan if b["tensor"].startswith("kernel scratch of layer")]
    # (the largest may be the patch stage's, whose layers share one buffer: "kernel scratch of the patch stage")
    every = [b for b in plan if b["tensor"].startswith("kernel scratch of")]
    assert kernel and report["scratch_bytes"] == max(b["bytes"] for b in every)
    for i, a in enumerate(plan):
        assert a["offset"] % 16 == 0 and a["offset"] + a["bytes"] <= report["arena_bytes"]
        for b in plan[i + 1:]:
            if a["first_layer"] <= b["last_layer"] and b["first_layer"] <= a["last_layer"]:
                assert a["offset"] + a["bytes"] <= b["offset"] or b["offset"] + b["bytes"] <= a["offset"], (a, b)
    for b in kernel:  # every variant that asked for scratch points into its own buffer
        layer = int(b["tensor"].rsplit(" ", 1)[1])
        assert f"(void *)(tfedge_arena + {b['offset']})" in files["model.c"], layer
    assert "tfedge_scratch" not in files["model.c"] and ".scratch = NULL" not in files["model.c"]


# TFLM's arena_used_bytes with CMSIS-NN as quoted by issue 6; the target is total RAM <= 0.6x of it.
TFLM_ARENA_USED = {"kws_ref_model.tflite": 22820, "pretrainedResnet_quant.tflite": 54996}


@pytest.mark.parametrize("name", sorted(TFLM_ARENA_USED))
def test_total_ram_on_m4_below_tflm(reference_models, name):
    """Total RAM on the Cortex-M4 board (data + bss + stack high-water, arena included), bit-exact."""
    from tfedge.emulate.flash import flash_model

    g = load_graph(reference_models[name])
    x = random_inputs(g.tensors[g.inputs[0]].shape, np.int8, 3, seed=5)
    m = flash_model(reference_models[name], "mps2-an386", x, progress=False)
    head = tflm_arena_head(reference_models[name])
    print(f"{name}: total RAM {m['ram_bytes']} B (arena {m['arena_bytes']} B), TFLM head {head} B, "
          f"quoted arena_used_bytes {TFLM_ARENA_USED[name]} B")
    assert m["mismatches"] == 0
    assert m["ram_bytes"] <= 0.6 * TFLM_ARENA_USED[name]
    # the arena also holds the DSP kernels' scratch buffers and the expanded requantization tables (TFLM keeps its
    # multipliers and shifts in its tail); the head of TFLM's (host) plan only activations
    plan = json.loads(generate_sources(reference_models[name], arch="dsp")["compile_report.json"])["arena_plan"]
    tables = sum(b["bytes"] for b in plan if b["tensor"].startswith("expanded tables"))
    assert m["arena_bytes"] - tables <= 0.7 * head
