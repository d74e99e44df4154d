"""A small real deploy shared by the deploy, report and compare tests: demo_cnn on digits, trained
3 epochs, pruned 50 % for 1, exported int8 (64 calibration samples), run on stm32f405.

It runs once per test session even under pytest-xdist: the first worker deploys under a file lock
in the session's shared temp folder; the others (and later tests) reuse the folder.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

BOARD = "stm32f405"
SAMPLES = 64
RECIPE = """\
model: demo_cnn
data: digits
batch_size: 64
seed: 0
stages:
  - train: {epochs: 3, learning_rate: 0.005}
  - prune: {sparsity: 0.5, epochs: 1}
  - int8: {representative_samples: 64}
"""


def deployed_dir(tmp_path_factory) -> Path:
    """The deploy's output folder (with recipe.yaml beside it in the parent folder)."""
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's basetemp is a child of the run's folder; alone, basetemp is the run's.
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "tfedge-deploy-shared"
    shared.mkdir(exist_ok=True)
    out = shared / "out"
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "report.html").is_file():
            from tfedge.deploy import deploy

            recipe = shared / "recipe.yaml"
            recipe.write_text(RECIPE)
            deploy(recipe, BOARD, out, samples=SAMPLES, progress=lambda _msg: None)
    return out
