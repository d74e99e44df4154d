"""The benchmark corpus (scripts/corpus): models built on demand from seeds and cached content-keyed, and
tfedge's compiled C bit-exact with TFLite Micro on 50 random inputs per model.

The unit suite checks a representative subset, the cheap models that have the corpus's kinds of layer:
odd channel counts, per-tensor weights, zeroed and tiny filters, dilated 1-D convs, a depth-multiplier-8
first layer, residual adds, an FC autoencoder. Building all 23 models from an empty cache takes several
minutes of TensorFlow (the MobileNets, MCUNet and MobileNetV3 1-5 minutes each under load); this file took
5 minutes from an empty cache (models, host runners, TFLM) under load 10 on 2 cores, with a ninth model
(hswish_cnn, 75 s of it) since dropped. `scripts/bench --corpus` checks every model the same
way (host vs TFLM on 50 inputs) before it measures them on the boards; TFEDGE_CORPUS_FULL=1 runs the
whole corpus here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from tfedge.compiler import load_graph
from tfedge.compiler.host_run import run_model
from tflm_ref import random_inputs, tflm_run

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from corpus import build, models  # noqa: E402

SUBSET = ["narrow_c5", "narrow_c7", "narrow_c20", "ae_128_pt", "tcn_1d", "audio_dw8", "resnet8", "resnet14"]
NAMES = [m.name for m in models.CORPUS] if os.environ.get("TFEDGE_CORPUS_FULL") == "1" else SUBSET
# resnet14 chains residual blocks run by rows (a block whose input X is the output of an earlier fused
# block or in-place ADD): the case where the planner once mapped X to a buffer nothing wrote.


@pytest.fixture(scope="session")
def corpus() -> dict[str, Path]:
    return build.build_corpus(NAMES, jobs=2, log=lambda m: print(m, file=sys.stderr, flush=True))


def test_corpus_definition():
    assert len(models.CORPUS) >= 20 and len(models.BY_NAME) == len(models.CORPUS)  # names unique
    assert len({m.seed for m in models.CORPUS}) == len(models.CORPUS)
    assert set(SUBSET) <= set(models.BY_NAME) and set(models.QUICK) <= set(models.BY_NAME)
    kinds = {m.builder.__name__ for m in models.CORPUS}
    assert {"mobilenet_v1", "mobilenet_v2", "mcunet_se", "mobilenet_v3_small", "ds_cnn", "audio_dw_first",
            "resnet_cifar", "fc_autoencoder", "tcn_1d", "narrow_cnn"} <= kinds
    assert {m.params["channels"] for m in models.CORPUS if m.builder is models.narrow_cnn} == {3, 5, 7, 12, 20}
    assert any(m.zero_filters for m in models.CORPUS) and any(m.tiny_filters for m in models.CORPUS)
    assert any(not m.per_channel for m in models.CORPUS) and any(m.train_epochs for m in models.CORPUS)
    with pytest.raises(ValueError, match="unknown corpus model.*nope.*known: mbv1_025_rgb"):
        models.select(["nope"])


def test_cache_key_follows_the_recipe():
    spec = models.BY_NAME["narrow_c5"]
    key = build.cache_key(spec)
    assert build.cache_key(spec) == key  # deterministic
    from dataclasses import replace

    assert build.cache_key(replace(spec, seed=spec.seed + 1)) != key
    assert build.cache_key(replace(spec, per_channel=False)) != key
    assert build.cache_key(replace(spec, builder=models.hswish_cnn)) != key  # builder source


def test_cached_models_are_reused(corpus, monkeypatch):
    # A second request finds every file: no worker (hence no TensorFlow) is started.
    monkeypatch.setattr(build, "ProcessPoolExecutor", None)
    again = build.build_corpus(NAMES, jobs=2, log=lambda m: pytest.fail(f"rebuilt: {m}"))
    assert again == corpus
    meta = build.metadata(corpus["narrow_c20"])
    assert meta["name"] == "narrow_c20" and meta["seed"] == models.BY_NAME["narrow_c20"].seed
    assert meta["key"] == build.cache_key(models.BY_NAME["narrow_c20"]) and meta["tflite_bytes"] == corpus["narrow_c20"].stat().st_size


def test_zeroed_filters_make_dead_channels(corpus):
    """narrow_c20 zeroes 5 of 20 filters in its last three weighted layers: the .tflite has all-zero
    int8 filters, as channel-pruned and VWW-like models do."""
    g = load_graph(corpus["narrow_c20"])
    dead = 0
    for t in g.tensors:
        if t.is_const and t.dtype == "int8" and t.data.ndim == 4:
            per_filter = np.abs(t.data.astype(np.int32)).reshape(t.data.shape[0], -1).max(axis=1)
            depthwise = t.data.shape[0] == 1
            dead += int((np.abs(t.data).reshape(-1, t.data.shape[-1]).max(axis=0) == 0).sum()) if depthwise \
                else int((per_filter == 0).sum())
    assert dead == 15


@pytest.mark.parametrize("name", NAMES)
def test_bit_exact_with_tflm(corpus, name):
    path = corpus[name]
    g = load_graph(path)
    t = g.tensors[g.inputs[0]]
    assert t.dtype == "int8" and g.tensors[g.outputs[0]].dtype == "int8"  # fully int8, int8 I/O
    x = random_inputs(t.shape, np.int8, 50, seed=models.BY_NAME[name].seed)
    ours, ref = run_model(path, x), tflm_run(path, x)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    mismatches = int((ours != ref).sum())
    assert mismatches == 0, f"{name}: {mismatches} of {ref.size} output values differ from TFLM"
