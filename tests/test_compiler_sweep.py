"""Seeded random sweep over convolution/pooling/dense geometries (sizes 1..9, strides 1..3, kernels
1..4, SAME/VALID, dilation, odd channel counts): bit-exact with TFLM on 150 inputs each."""

from __future__ import annotations

import numpy as np
import pytest

from modelgen import get_model
from tfedge.compiler.host_run import run_model
from tflm_ref import tflm_run

SEED = 2026
N_CASES = 12


def sweep_configs() -> list[tuple[str, dict]]:
    rng = np.random.default_rng(SEED)
    out = []
    while len(out) < N_CASES:
        kind = ["conv2d", "depthwise", "pool", "dense"][len(out) % 4]
        hw = (int(rng.integers(1, 10)), int(rng.integers(1, 10)))
        padding = str(rng.choice(["same", "valid"]))
        k = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        if padding == "valid" and (k[0] > hw[0] or k[1] > hw[1]):
            continue
        dilation = int(rng.choice([1, 1, 2])) if kind in ("conv2d", "depthwise") else 1
        strides = 1 if dilation > 1 else int(rng.integers(1, 4))
        if padding == "valid" and dilation > 1 and ((k[0] - 1) * 2 + 1 > hw[0] or (k[1] - 1) * 2 + 1 > hw[1]):
            continue
        act = [None, "relu", "relu6"][int(rng.integers(0, 3))]
        c = int(rng.integers(1, 10))
        if kind == "conv2d":
            cfg = dict(hw=hw, cin=c, filters=int(rng.integers(1, 10)), kernel=k, strides=strides, padding=padding,
                       dilation=dilation, activation=act)
        elif kind == "depthwise":
            cfg = dict(hw=hw, cin=c, kernel=k, strides=strides, padding=padding, multiplier=int(rng.integers(1, 4)),
                       dilation=dilation, activation=act)
        elif kind == "pool":
            cfg = dict(hw=hw, c=c, kind=str(rng.choice(["avg", "max"])), size=k, strides=int(rng.integers(1, 4)),
                       padding=padding)
        else:
            cfg = dict(shape=(int(rng.integers(1, 40)),), units=int(rng.integers(1, 20)),
                       use_bias=bool(rng.integers(0, 2)), activation=act)
        out.append((kind, cfg))
    return out


@pytest.mark.parametrize("index", range(N_CASES))
def test_sweep_bit_exact(index):
    kind, cfg = sweep_configs()[index]
    m = get_model(kind, **cfg)
    from tfedge.compiler.reader import read_model

    g = read_model(m["tflite"])
    shape = g.tensors[g.inputs[0]].shape
    x = np.random.default_rng(index).integers(-128, 128, (150, *shape), dtype=np.int8)
    ours, ref = run_model(m["tflite"], x), tflm_run(m["tflite"], x)
    assert int((ours != ref).sum()) == 0, f"{kind} {cfg}: differs from TFLM"
