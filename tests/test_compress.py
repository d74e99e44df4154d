"""Clustered weights as 4-bit indices + codebook: packing round-trips, the _c4 kernels are bit-exact with
TFLM (conv, depthwise, fully connected; per-layer and per-channel codebooks), and the weights take
about half their int8 flash."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import modelgen
from modelgen import get_model
from tfedge.compiler import compile_model
from tfedge.compiler.compress import codebook, decode
from tfedge.compiler.host_run import run_model
from tflm_ref import random_inputs, tflm_run


def clustered_cnn(keras, clusters=16, **_):
    """Conv, depthwise, 1x1 conv and dense layers whose float kernels take `clusters` values each, as
    tfmot's clustering leaves them (a per-tensor export then has <= clusters int8 values per layer,
    a per-channel export <= clusters per channel)."""
    L = keras.layers
    inp = keras.Input((12, 11, 3))
    x = L.Conv2D(16, 3, padding="same", activation="relu")(inp)
    x = L.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    x = L.Conv2D(24, 1, activation="relu")(x)
    x = L.Conv2D(24, 3, strides=2, padding="valid")(x)
    x = L.Flatten()(x)
    x = L.Dense(7)(x)
    model = keras.Model(inp, x)
    rng = np.random.default_rng(5)
    for layer in model.layers:
        if layer.get_weights():
            kernel, *rest = layer.get_weights()
            centroids = rng.normal(0, 0.3, clusters)
            kernel = centroids[rng.integers(0, clusters, kernel.shape)].astype(np.float32)
            layer.set_weights([kernel, *rest])
    return model


modelgen.BUILDERS["clustered_cnn"] = clustered_cnn


def test_codebook_round_trip():
    rng = np.random.default_rng(0)
    per_layer = rng.choice(np.array([-128, -3, 0, 5, 127], np.int8), (6, 19))
    cb = codebook(per_layer)
    assert cb.stride == 0 and cb.indices.size == 6 * 10 and np.array_equal(decode(cb, 6, 19), per_layer)
    per_channel = np.stack([rng.choice(rng.integers(-128, 128, 16).astype(np.int8), 33) for _ in range(5)])
    cb = codebook(per_channel)
    assert cb.stride == 16 and np.array_equal(decode(cb, 5, 33), per_channel)
    assert codebook(np.arange(-20, 20, dtype=np.int8)[None]) is None  # 40 values: not clustered


@pytest.mark.parametrize("per_channel", [False, True])
def test_clustered_model_bit_exact_and_half_flash(tmp_path, per_channel):
    m = get_model("clustered_cnn", per_channel=per_channel, clusters=16)
    report = compile_model(m["tflite"], tmp_path).report
    packed = [layer for layer in report["layers"] if layer["variant"] == "codebook4"]
    assert {layer["op"] for layer in packed} >= ({"CONV_2D", "FULLY_CONNECTED"} if per_channel else
                                                 {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"})
    x = random_inputs(report["inputs"][0]["shape"], np.int8, 120, seed=4)
    ours, ref = run_model(m["tflite"], x), tflm_run(m["tflite"], x)
    assert np.array_equal(ours.reshape(ref.shape), ref)
    if not per_channel:  # one codebook per layer: the weights' flash is about half
        sizes = [re.search(r"(\d+) B instead of (\d+) B", layer["variant_reason"]).groups() for layer in packed]
        packed_bytes, int8_bytes = (sum(int(s[k]) for s in sizes) for k in (0, 1))
        print(f"weights: int8 {int8_bytes} B, 4-bit + codebooks {packed_bytes} B ({packed_bytes / int8_bytes:.3f}x)")
        assert packed_bytes <= 0.55 * int8_bytes


def test_clustered_model_on_cortex_m4(tmp_path):
    """The _c4 kernels on the emulated Cortex-M4 (in place by rows where the plan says so): 0 mismatches.
    By default a core with its own kernels keeps the faster int8 ones (compress_weights=None)."""
    from tfedge.compiler import generate_sources

    m = get_model("clustered_cnn", per_channel=False, clusters=16)
    auto = json.loads(generate_sources(m["tflite"], arch="dsp")["compile_report.json"])
    assert "codebook4" not in {layer["variant"] for layer in auto["layers"]}
    from tfedge.emulate.flash import flash_model

    m = get_model("clustered_cnn", per_channel=False, clusters=16)
    x = random_inputs((1, 12, 11, 3), np.int8, 8, seed=9)
    path = tmp_path / "clustered.tflite"
    path.write_bytes(m["tflite"])
    metrics = flash_model(path, "mps2-an386", x, progress=False, compress_weights=True)  # opt-in on DSP cores
    assert metrics["mismatches"] == 0 and "codebook4" in {layer["variant"] for layer in metrics["layers"]}
    assert np.array_equal(metrics["outputs"].reshape(8, -1), tflm_run(m["tflite"], x).reshape(8, -1))
