"""The four shared reference models: compiled C bit-exact with TFLite Micro on 100 random inputs."""

import numpy as np
import pytest

from tfedge.compiler import compile_model
from tfedge.compiler.host_run import run_model
from tflm_ref import random_inputs, tflm_arena_head, tflm_run

MODELS = ["hello_world_int8.tflite", "ad01_int8.tflite", "kws_ref_model.tflite", "pretrainedResnet_quant.tflite"]


@pytest.mark.parametrize("name", MODELS)
def test_bit_exact_with_tflm(reference_models, name, tmp_path):
    path = reference_models[name]
    report = compile_model(path, tmp_path).report
    shape = report["inputs"][0]["shape"]
    x = random_inputs(shape, np.int8, 100, seed=len(name))
    ours = run_model(path, x)
    ref = tflm_run(path, x)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    mismatches = int((ours != ref).sum())
    assert mismatches == 0, f"{name}: {mismatches} of {ref.size} output values differ from TFLM"


def test_compile_report(reference_models, tmp_path):
    result = compile_model(reference_models["kws_ref_model.tflite"], tmp_path)
    r = result.report
    assert (tmp_path / "model.c").is_file() and (tmp_path / "compile_report.json").is_file()
    assert [layer["op"] for layer in r["layers"]][-2:] == ["FULLY_CONNECTED", "SOFTMAX"]  # RESHAPE is an alias
    assert r["layers"][0]["macs"] == 25 * 5 * 64 * 10 * 4  # 10x4 conv, 1 input channel, 25x5x64 output
    assert r["arena_bytes"] >= max(b["offset"] + b["bytes"] for b in r["arena_plan"])
    assert r["weights_bytes"] > 20000 and r["flash_bytes"] >= r["weights_bytes"]


@pytest.mark.parametrize("name", MODELS)
def test_plan_no_larger_than_tflm(reference_models, name, tmp_path):
    ours = compile_model(reference_models[name], tmp_path).report["arena_bytes"]
    head = tflm_arena_head(reference_models[name])
    print(f"{name}: tfedge arena {ours} B, TFLM head {head} B")
    assert ours <= head
