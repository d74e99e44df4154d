"""Hand-crafted .tflite files no converter writes: the compiler refuses each with a message naming
the problem, and the well-formed one is bit-exact with TFLM."""

from __future__ import annotations

import numpy as np
import pytest

from tfedge.compiler import compile_model
from tfedge.compiler.host_run import run_model
from tfedge.errors import ModelError, UnsupportedModelError
from tflite_craft import fc_model
from tflm_ref import tflm_run


def test_crafted_base_model_bit_exact():
    x = np.random.default_rng(0).integers(-128, 128, (200, 1, 4), dtype=np.int8)
    assert np.array_equal(run_model(fc_model(), x), tflm_run(fc_model(), x))


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(out_shape=(1, 300)), UnsupportedModelError, "has shape (1, 300), but the op computes (1, 3)"),
    (dict(out_shape=(1, -3)), ModelError, "has shape"),
    (dict(out_shape=(1 << 20, 1 << 20)), ModelError, "far too large"),
    (dict(subgraphs=2), ModelError, "2 subgraphs"),
    (dict(weights_offset=1 << 20), ModelError, "points outside the file"),
    (dict(op_inputs=(3, 1, 2)), UnsupportedModelError, "before any operator writes it"),
    (dict(op_inputs=(0, 9, 2)), ModelError, "refer to tensor 9"),
    (dict(op_inputs=(0, 0, 2)), UnsupportedModelError, "weights 'input' must be a constant"),
])
def test_crafted_problems_refused(kwargs, error, text, tmp_path):
    with pytest.raises(error) as info:
        compile_model(fc_model(**kwargs), tmp_path)
    assert text in str(info.value)
    assert not (tmp_path / "model.c").exists()
