"""Corrupt .tflite files never crash the compiler: scripts/fuzz in a reduced form over the seeds of
tests/fuzz_seeds.py (generated models holding every registry op and the patterns the graph passes
rewrite: dynamic-batch shape arithmetic, SPACE_TO_BATCH_ND dilations, Conv2DTranspose, SE and residual
blocks, several inputs and outputs; plus the shared reference models). Each corrupt file gives a clear
tfedge error or compiles; no traceback, no dead or hung worker; some of those that compile, and every
unmutated seed the registry supports, are built and run on the host with one array per model input.
The fuzzer runs its cases in worker processes with a timeout, so a hang or a hard crash fails the test
instead of killing the session. Long runs: `scripts/fuzz 10000` (docs/compiler.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fuzz_seeds import SEEDS, all_seeds, missing_ops, seed_bytes, seed_ops
from tfedge.compiler import host_run, passes, variables
from tfedge.compiler.host_run import RunnerCrashed
from tfedge.compiler.ops import REGISTRY
from tfedge.compiler.reader import read_model
from tfedge.compiler.validate import validate
from tfedge.errors import UnsupportedModelError
from tfedge.paths import reference_models_dir

ROOT = Path(__file__).resolve().parent.parent
CASES, RUNS = 2500, 40
REWRITTEN = {"SHAPE", "STRIDED_SLICE", "PACK", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND", "REDUCE_PROD", "FILL",
             "ZEROS_LIKE", "CAST",  # folded or fused by the passes
             *variables.REWRITTEN}  # resource-variable handles and their CALL_ONCE


def test_seeds_cover_every_registry_op():
    missing = missing_ops(all_seeds())
    assert not missing, f"no fuzz seed holds {missing}: add a (builder, params) entry to SEEDS in tests/fuzz_seeds.py"


def test_corrupt_models_never_crash(reference_models, tmp_path):
    out = tmp_path / "fuzz-out"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "fuzz"), str(CASES), "--runs", str(RUNS),
                           "--jobs", "2", "--timeout", "30", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    result = json.loads((out / "fuzz.json").read_text())
    t = result["tally"]
    print(f"{CASES} corrupt variants in {result['seconds']} s: {t['error']} clear errors, {t['compiled']} compiled, "
          f"{t['ran']} of them also ran on the host; slowest {result['slowest']['seconds']:.2f} s")
    for message, count in list(result["top_errors"].items())[:5]:
        print(f"  {count:4d} x {message}")
    bugs = result["bugs"]
    assert not bugs, f"{len(bugs)} bug(s), first: case {bugs[0]['case']} ({bugs[0]['seed']}, " \
                     f"{bugs[0]['mutation']}): {bugs[0]['outcome']}\n{bugs[0]['trace']}"
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sum(t.values()) == CASES
    assert t["ran"] == RUNS and t["error"] > CASES // 2  # truncations alone give many clear errors
    # every seed was mutated; every unmutated seed whose ops tfedge supports compiled and ran on the host
    seeds = all_seeds(reference_models_dir())
    assert set(result["per_seed"]) == set(seeds) and set(SEEDS) <= set(seeds)
    for name, ops in seed_ops(seeds).items():
        unsupported = ops - set(REGISTRY) - REWRITTEN
        if unsupported:
            assert result["baseline"][name].startswith("error"), (name, unsupported)
        else:
            assert result["baseline"][name] == "ran", (name, result["baseline"][name])
    assert result["slowest"]["seconds"] < 20


def _passes_then_validate(g) -> UnsupportedModelError:
    passes.fold_constants(g)
    passes.fuse_dilated_convolutions(g)
    with pytest.raises(UnsupportedModelError) as info:
        validate(g)
    return info.value


def test_fold_constants_leaves_a_shape_of_the_wrong_length():
    """Issue 18's first traceback: a SHAPE whose input lost its dims folded into a (2,) tensor."""
    g = read_model(seed_bytes("flatten_dense_dynamic"))
    shape_op = next(op for op in g.ops if op.kind == "SHAPE")
    g.tensors[shape_op.inputs[0]].shape = ()
    error = _passes_then_validate(g)
    assert f"operator {shape_op.index} (SHAPE): op not supported" in str(error)


@pytest.mark.parametrize("broken", ["no_quantization", "omitted_block", "negative_crop", "float_pads"])
def test_dilation_pass_leaves_a_malformed_pattern(broken):
    """Issue 18's second traceback (the batched tensor without quantization) and its relatives: the
    pattern is left unfused, and validation names the ops tfedge cannot compile."""
    g = read_model(seed_bytes("conv1d_causal_dilated_dynamic"))
    stb = next(op for op in g.ops if op.kind == "SPACE_TO_BATCH_ND")
    bts = next(op for op in g.ops if op.kind == "BATCH_TO_SPACE_ND")
    if broken == "no_quantization":
        g.tensors[stb.outputs[0]].scale = g.tensors[stb.outputs[0]].zero_point = None
    elif broken == "omitted_block":
        stb.inputs[1] = -1
    elif broken == "negative_crop":
        g.tensors[bts.inputs[2]].data = g.tensors[bts.inputs[2]].data - 1
    else:
        pads = g.tensors[stb.inputs[2]]
        pads.dtype, pads.data = "float32", pads.data.astype("float32") + 0.5
    error = _passes_then_validate(g)
    assert any(op.kind == "BATCH_TO_SPACE_ND" for op in g.ops)
    assert f"operator {bts.index} (BATCH_TO_SPACE_ND): op not supported" in str(error)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_weight_scale_is_a_clear_error(value):
    """Found by scripts/fuzz: a NaN filter scale reached codegen ("cannot convert float NaN to integer",
    no operator named); infinity would have been an OverflowError."""
    g = read_model(seed_bytes("conv2d_strided_relu6"))
    conv = next(op for op in g.ops if op.kind == "CONV_2D")
    g.tensors[conv.inputs[1]].scale = np.array([value], np.float32)
    error = _passes_then_validate(g)
    assert f"operator {conv.index} (CONV_2D): tensor '{g.tensors[conv.inputs[1]].name}' has a non-finite" in str(error)


def test_a_runner_killed_by_a_signal_is_reported_as_such(tmp_path):
    """scripts/fuzz counts a C-side crash as a signal: host_run says which one, as RunnerCrashed."""
    exe = tmp_path / "runner"
    exe.write_text("#!/bin/sh\nkill -SEGV $$\n")
    exe.chmod(0o755)
    report = {"outputs": [{"bytes": 1, "dtype": "int8", "shape": [1]}]}
    with pytest.raises(RunnerCrashed, match="SIGSEGV"):
        host_run._run(exe, [np.zeros((1, 1), np.int8)], report)
