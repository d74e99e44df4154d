"""Issue 12's ops on an emulated Cortex-M4 (mps2-an386): the on-device outputs equal the host build's
(which the host tests hold bit-exact with TFLM) on 50 inputs. Four firmware builds: one model with most
of the new ops, the dynamic-batch Dense on 3-D input, DIV (its fixed-point reciprocal on the core) and a
Conv2DTranspose decoder (a conv, then two TRANSPOSE_CONV)."""

from __future__ import annotations

import numpy as np
import pytest

from modelgen import get_model
from tfedge.compiler import load_graph
from tfedge.compiler.host_run import run_model
from tfedge.emulate.flash import flash_model
from tflm_ref import tflm_run

pytestmark = pytest.mark.qemu

N_INPUTS = 50
MODELS = {
    "many_ops": ("many_ops", {}),
    "dense_3d_dynamic_batch": ("dense_3d", {"converter": "from_keras_model"}),
    "div": ("binary_math", {"fn": "div"}),
    "conv_transpose_decoder": ("conv_transpose", {"decoder": True, "hw": (3, 4), "filters": 2}),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_new_ops_bit_exact_on_mps2_an386(name, tmp_path):
    builder, params = MODELS[name]
    tflite = tmp_path / f"{name}.tflite"
    tflite.write_bytes(get_model(builder, **params)["tflite"])
    g = load_graph(tflite)
    t = g.tensors[g.inputs[0]]
    x = np.random.default_rng(5).integers(-128, 128, (N_INPUTS, *t.shape), dtype=np.int8)
    m = flash_model(tflite, "mps2-an386", x, progress=False, out_dir=tmp_path / "build")
    assert m["mismatches"] == 0 and m["mismatched_values"] == 0, m["max_abs_diff"]
    host = run_model(tflite, x)
    np.testing.assert_array_equal(m["outputs"].reshape(host.shape), host)
    if name in ("many_ops", "conv_transpose_decoder"):  # TFLM runs these: the device equals TFLM too
        np.testing.assert_array_equal(m["outputs"].reshape(host.shape), tflm_run(tflite, x).reshape(host.shape))
    print(f"{name}: {N_INPUTS} inputs bit-exact on mps2-an386; {m['instructions_per_inference']:,} instructions, "
          f"flash {m['flash_bytes']:,} B, RAM {m['ram_bytes']:,} B")
