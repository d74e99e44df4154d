import os
from pathlib import Path

import pytest

from tfedge.paths import reference_models_dir

SHARED_MODELS = ["hello_world_int8.tflite", "ad01_int8.tflite", "kws_ref_model.tflite", "pretrainedResnet_quant.tflite"]


def _require_reference_models() -> bool:
    return os.environ.get("TFEDGE_REQUIRE_REFERENCE_MODELS") == "1"


@pytest.fixture(scope="session")
def reference_models() -> dict[str, Path]:
    """name -> path of the shared reference models. Skips visibly when absent; CI makes that a failure."""
    root = reference_models_dir()
    paths = {name: root / name for name in SHARED_MODELS}
    missing = [name for name, path in paths.items() if not path.is_file()]
    if missing:
        message = f"reference models missing in {root}: {', '.join(missing)} (set TFEDGE_REFERENCE_MODELS)"
        if _require_reference_models():
            pytest.fail(message)
        pytest.skip(message)
    return paths
