"""Fast elementwise paths: HARD_SWISH as a compile-time table (every arch but `reference`), and the DSP
cores' MUL / ADD kernels (firmware/runtime/arm_dsp/). Each is checked against the portable reference kernel
on shared vectors (the table on all 256 input bytes for many quantizations, the C kernel compiled on the
host), and in models against the host runner and TFLM on the M4."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from modelgen import get_model
from tflm_ref import tflm_run
from tfedge.compiler import load_graph, runtime_include_dirs
from tfedge.compiler.arch import RUNTIME_DIR
from tfedge.compiler.ops.activations import hard_swish_table
from tfedge.emulate.flash import flash_model

HS_MAIN = r"""
#include <stdio.h>
#include "tfedge_kernels.h"
int main(void) {
  tfedge_act_params p = {0};
  int8_t in[256], out[256];
  int i;
  while (scanf("%d %d %d %d %d %d", &p.input_zp, &p.output_zp, &p.mult, &p.shift, &p.mult2, &p.shift2) == 6) {
    p.size = 256;
    for (i = 0; i < 256; ++i) in[i] = (int8_t)(i - 128);
    hard_swish_s8(&p, in, out);
    for (i = 0; i < 256; ++i) printf("%d ", out[i]);
    printf("\n");
  }
  return 0;
}
"""


def _hs_cases(rng) -> list[dict]:
    """Quantizations as HardSwishPrepare makes them (16-bit multipliers, shift <= 0, shift2 in [-15, 15]),
    edges included."""
    cases = [dict(input_zp=zi, output_zp=zo, mult=m, shift=s, mult2=m2, shift2=s2)
             for zi, zo, m, s, m2, s2 in [(-128, -128, 16384, 0, 16384, 0), (127, 127, 32767, -7, 32767, 15),
                                          (0, 0, 16384, -3, 23170, -15), (-5, 100, 20000, -1, 30000, 3)]]
    for _ in range(60):
        cases.append(dict(input_zp=int(rng.integers(-128, 128)), output_zp=int(rng.integers(-128, 128)),
                          mult=int(rng.integers(16384, 32768)), shift=int(rng.integers(-12, 1)),
                          mult2=int(rng.integers(16384, 32768)), shift2=int(rng.integers(-15, 16))))
    return cases


def test_hard_swish_table_is_the_reference_kernel_on_every_byte(tmp_path):
    """hard_swish_table (what model.c ships) equals portable/hard_swish_s8.c on all 256 inputs, 64 quantizations."""
    main = tmp_path / "hs_main.c"
    main.write_text(HS_MAIN)
    exe = tmp_path / "hs"
    subprocess.run(["cc", "-O1", "-std=c99", "-Wall", "-Werror", *[f"-I{d}" for d in runtime_include_dirs()],
                    str(main), str(RUNTIME_DIR / "portable" / "hard_swish_s8.c"), "-o", str(exe)], check=True)
    cases = _hs_cases(np.random.default_rng(0))
    stdin = "".join(f"{c['input_zp']} {c['output_zp']} {c['mult']} {c['shift']} {c['mult2']} {c['shift2']}\n"
                    for c in cases)
    lines = subprocess.run([str(exe)], input=stdin, capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(lines) == len(cases)
    for c, line in zip(cases, lines):
        assert hard_swish_table(c) == [int(v) for v in line.split()], c
    assert len({tuple(hard_swish_table(c)) for c in cases}) > 50  # the cases really differ


# (builder, params, the op whose DSP path the model exercises, most instructions per element that path takes
# on the M4: the portable loops take 55-70)
BOARD_CASES = {
    "se_gate_mul_c12": ("broadcast_mul", dict(hw=(5, 5), c=12), "MUL", 20),  # 4 per pass
    "se_gate_mul_c6": ("broadcast_mul", dict(hw=(4, 3), c=6), "MUL", 30),  # 4 + 2 per row, 72 elements
    "residual_mul": ("residual", dict(hw=(6, 6), c=4, op="mul"), "MUL", 20),
    "residual_add_relu": ("residual", dict(hw=(12, 12), c=5, op="add", activation="relu"), "ADD", 30),
    "hard_swish": ("activation", dict(hw=(6, 6), c=8, fn="hard_swish"), "HARD_SWISH", 8),
    # 18 elements: without ADD_REF linked the first call builds its 256-entry table anyway (~3 k instructions)
    "residual_add_18_elements": ("residual", dict(hw=(2, 3), c=3, op="add"), "ADD", 400),
    "se_gate_mul_c3_mean_ref": ("broadcast_mul", dict(hw=(4, 4), c=3), "MUL", 40),  # MEAN on 3 channels: MEAN_REF
    "avg_pool_c8": ("pool", dict(hw=(9, 9), c=8), "AVERAGE_POOL_2D", 50),  # 4 channels per word (42)
    "avg_pool_c5_ref": ("pool", dict(hw=(9, 9), c=5), "AVERAGE_POOL_2D", 250),  # channels % 4: AVG_POOL_REF
}


@pytest.mark.qemu
@pytest.mark.parametrize("case", sorted(BOARD_CASES))
def test_elementwise_fast_paths_bit_exact_on_m4(case, tmp_path):
    """The M4 build equals the host runner and TFLM on many inputs, and the op ran its fast path."""
    builder, params, op, most = BOARD_CASES[case]
    m = get_model(builder, **params)
    tflite = tmp_path / f"{case}.tflite"
    tflite.write_bytes(m["tflite"])
    g = load_graph(m["tflite"])
    t = g.tensors[g.inputs[0]]
    x = np.random.default_rng(3).integers(-128, 128, (24, *t.shape)).astype(np.int8)
    dev = flash_model(tflite, "mps2-an386", x, progress=False)
    assert dev["mismatches"] == 0, f"{case}: {dev['mismatched_values']} values differ from the host runner"
    np.testing.assert_array_equal(dev["outputs"].reshape(len(x), -1), tflm_run(m["tflite"], x).reshape(len(x), -1))
    rows = [row for row in dev["layers"] if row["op"] == op]
    assert rows, f"{case}: no {op} layer"
    for row in rows:
        elements = int(np.prod(row["output_shape"]))
        assert row["instructions"] / elements <= most, (case, row["instructions"], elements)  # per inference


def test_dsp_paths_linked_per_quantization_and_activation(tmp_path):
    """ops/elementwise.dsp_paths mirrors arm_dsp add_fast / mul_fast on each bound: the portable fallback (ADD_REF /
    MUL_REF) only off the fast path, else the loop copy of the layer's activation range (_FULL / _CLAMP: a fused ReLU
    whose output zero point is -128 clamps nothing, so Keras models rarely need _CLAMP); MEAN links its portable loop
    (MEAN_REF) only for fewer than 4 inner elements, AVERAGE_POOL_2D (AVG_POOL_REF) for channels % 4; model.h says so."""
    from tfedge.compiler import compile_model
    from tfedge.compiler.ops.elementwise import dsp_paths

    add = dict(input1_mult=1 << 30, input1_shift=0, input2_mult=1518500250, input2_shift=-3, left_shift=20,
               output_mult=1 << 30, output_shift=-19, output_offset=5, act_min=-128, act_max=127)
    assert dsp_paths("add_s8", add) == ("ADD_FULL",) and dsp_paths("add_s8", {**add, "act_min": 5}) == ("ADD_CLAMP",)
    assert dsp_paths("add_s8", {**add, "input1_shift": -1}) == ("ADD_REF",)
    assert dsp_paths("add_s8", {**add, "input1_mult": 1 << 29, "input2_mult": 1 << 30, "input2_shift": 0}) == ("ADD_FULL",)
    for bad in (dict(left_shift=0), dict(left_shift=24), dict(output_shift=-1), dict(output_shift=-32),
                dict(output_mult=(1 << 30) - 1), dict(output_shift=-25, output_offset=64)):
        assert dsp_paths("add_s8", {**add, **bad}) == ("ADD_REF",), bad
    assert dsp_paths("add_s8", {**add, "output_shift": -25, "output_offset": 63}) == ("ADD_FULL",)  # k_hi < 2^30
    mul = dict(output_mult=1 << 30, output_shift=-2, output_offset=-128, act_min=-128, act_max=127)
    assert dsp_paths("mul_s8", mul) == ("MUL_FULL",) and dsp_paths("mul_s8", {**mul, "act_max": 100}) == ("MUL_CLAMP",)
    assert dsp_paths("mul_s8", {**mul, "output_shift": -1}) == ("MUL_REF",)
    assert dsp_paths("mul_s8", {**mul, "output_mult": 1 << 29}) == ("MUL_REF",)
    assert dsp_paths("mul_s8", {**mul, "output_shift": -31, "output_offset": 1}) == ("MUL_REF",)
    assert dsp_paths("sub_s8", add) == ()
    for builder, params, flags in (("residual", dict(hw=(2, 3), c=3, op="add"), ("ADD_REF 0", "ADD_FULL 1", "ADD_CLAMP 0")),
                                   ("broadcast_mul", dict(hw=(4, 4), c=3), ("MUL_REF 0", "MUL_FULL 1", "MEAN_REF 1")),
                                   ("broadcast_mul", dict(hw=(4, 4), c=6), ("MEAN_REF 0",)),
                                   ("pool", dict(c=5), ("AVG_POOL_REF 1",)), ("pool", dict(c=8), ("AVG_POOL_REF 0",))):
        out = compile_model(get_model(builder, **params)["tflite"], tmp_path / f"{builder}{len(flags)}{params['c']}", arch="dsp")
        header = (out.out_dir / "model.h").read_text()
        for flag in flags:
            assert f"#define TFEDGE_MODEL_USES_{flag}" in header, (builder, params, flag)
