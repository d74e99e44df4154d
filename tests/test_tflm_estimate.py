"""stage_plan.tflm_arena_estimate against TFLM's arena (the tflite-micro package's head + tail): the RAM targets of
the patch stage and of the expanded tables come from it, so it must not exceed TFLM's arena, and it must not be far
below it either (a low estimate leaves RAM the targets could use: audio_dw8's tables missed the flash target by it)."""

from __future__ import annotations

import pytest
from modelgen import get_model
from tflm_ref import tflm_arena_head

from tfedge.compiler import REGISTRY, load_graph, stage_plan

# generated models of the op kinds the tail model knows (MAX_POOL_2D: one it does not, counted 0 B)
GENERATED = ["conv2d", "depthwise", "separable", "dense", "pool", "mean", "activation", "broadcast_mul", "residual",
             "small_cnn"]
SLACK = 128  # bytes the estimate may lie below TFLM's arena (0-85 B on these, 0-22 B of tail on the corpus)


def _estimate(path) -> tuple[int, int]:
    g = load_graph(path)
    layers = [op for op in g.ops if not REGISTRY[op.kind].alias]
    return stage_plan.tflm_arena_estimate(g, layers, host=True), tflm_arena_head(path, "total")


@pytest.mark.parametrize("name", GENERATED)
def test_estimate_is_tflms_arena_within_a_little_below(tmp_path, name):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(get_model(name)["tflite"])
    est, total = _estimate(path)
    assert total - SLACK <= est <= total, (est, total)


@pytest.mark.parametrize("name", ["kws_ref_model.tflite", "pretrainedResnet_quant.tflite", "ad01_int8.tflite",
                                  "hello_world_int8.tflite"])
def test_estimate_on_the_shared_models(reference_models, name):
    est, total = _estimate(reference_models[name])
    assert total - SLACK <= est <= total, (est, total)


def test_tail_counts_per_channel_arrays_and_nodes(tmp_path):
    # the tail grows with the channels (two int32 arrays per conv) as TFLM's does: wider filters, same graph
    small, wide = (tmp_path / "c6.tflite", tmp_path / "c40.tflite")
    small.write_bytes(get_model("conv2d")["tflite"])
    wide.write_bytes(get_model("conv2d", filters=40)["tflite"])
    tails = [stage_plan.tflm_tail_estimate(load_graph(p), host=True) for p in (small, wide)]
    real = [tflm_arena_head(p, "tail") for p in (small, wide)]
    assert tails[1] - tails[0] == real[1] - real[0] == 2 * (160 - 32)  # 2 x (40 - 6 channels) x 4 B, 16-aligned
    assert all(r - SLACK <= t <= r for t, r in zip(tails, real))
