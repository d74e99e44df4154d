"""Where tfedge finds its non-Python parts (firmware sources, board files) and keeps its caches."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
FIRMWARE_DIR = REPO_ROOT / "firmware"
RUNTIME_DIR = FIRMWARE_DIR / "runtime"
TEMPLATE_DIR = FIRMWARE_DIR / "template"
BOARDS_DIR = REPO_ROOT / "boards"


def cache_dir() -> Path:
    """Build cache (host runs, firmware builds, the QEMU plugin). `TFEDGE_CACHE` overrides it."""
    root = os.environ.get("TFEDGE_CACHE")
    path = Path(root) if root else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tfedge"
    path.mkdir(parents=True, exist_ok=True)
    return path


def reference_models_dir() -> Path:
    """The shared MLPerf-Tiny/TFLM reference models (`../shared/models` or `TFEDGE_REFERENCE_MODELS`)."""
    env = os.environ.get("TFEDGE_REFERENCE_MODELS")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "models"


def partial_path(path: Path) -> Path:
    """A temporary name beside `path` that no other process or thread uses, to write to and then
    os.replace() over `path`: readers never see a half-written file, and concurrent builds of the same
    cached artefact never write into the same temporary file."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.partial")
