"""Where tfedge finds its non-Python parts (firmware sources, board files) and keeps its caches.

The C runtime, the firmware template, the QEMU plugin source and the board files live once in the
repository, in its top-level firmware/ and boards/ folders. A wheel carries them as package data in
tfedge/_data (setup.py copies them there at build time); an editable install or a source checkout has
no tfedge/_data and reads the repository's folders. This module is the one place that decides which.
Nothing is ever written there: builds go to cache_dir().
"""

from __future__ import annotations

import importlib.resources
import os
import uuid
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent  # the checkout's root (in an installed wheel: site-packages, unused)


def _data_root() -> tuple[Path, bool]:
    """(folder holding firmware/ and boards/, whether it is the wheel's package data)."""
    packaged = importlib.resources.files("tfedge") / "_data"
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged.resolve(), True
    return REPO_ROOT, False


DATA_DIR, PACKAGED_DATA = _data_root()
FIRMWARE_DIR = DATA_DIR / "firmware"
RUNTIME_DIR = FIRMWARE_DIR / "runtime"
TEMPLATE_DIR = FIRMWARE_DIR / "template"
QEMU_PLUGIN_DIR = FIRMWARE_DIR / "qemu_plugin"
BOARDS_DIR = DATA_DIR / "boards"


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
