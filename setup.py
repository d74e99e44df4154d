"""Build hook: the wheel carries the repository's firmware/ and boards/ as package data.

They stay in one place in the repository (top-level firmware/ and boards/); building a wheel copies
them into tfedge/_data inside the build tree, where tfedge/paths.py finds them with importlib.resources.
An editable install copies nothing: paths.py then reads the repository's folders directly, so an edit
to a kernel is live. Everything else is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DATA_FOLDERS = ("firmware", "boards")
IGNORED = shutil.ignore_patterns("__pycache__", "*.o", "*.so", "*.elf", "*.partial", ".*")


class BuildPyWithData(build_py):
    """build_py, then firmware/ and boards/ -> <build>/tfedge/_data/ (not in editable mode)."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "tfedge" / "_data"
        shutil.rmtree(target, ignore_errors=True)  # a stale build tree must not keep deleted kernels
        for name in DATA_FOLDERS:
            source = ROOT / name
            if not source.is_dir():
                raise SystemExit(f"tfedge build: {source} is missing (build from a full checkout or sdist)")
            shutil.copytree(source, target / name, ignore=IGNORED)


setup(cmdclass={"build_py": BuildPyWithData})
