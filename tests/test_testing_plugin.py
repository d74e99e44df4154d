"""The tfedge pytest plugin (tfedge.testing): the docs example runs as written, board selection by
marker and --tfedge-board, and the skip (or failure) that names the install command without tools.

Each case runs pytest in a child process on a file of its own, as a user's suite would: the plugin is
loaded through its pytest11 entry point, not by this suite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tfedge.paths import REPO_ROOT

EXAMPLE = REPO_ROOT / "docs" / "examples" / "test_on_board.py"

SELECTION_TESTS = """
import pytest

@pytest.mark.board("mps2-an386", "stm32f405")
def test_named(board):
    assert board.name in ("mps2-an386", "stm32f405")

@pytest.mark.board
def test_unnamed(board):
    print("BOARD=" + board.name)

def test_no_marker(board):
    assert board.name is None
    print("EXPLICIT=" + board("microbit").name)
"""


def _pytest(path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", str(path), "-p", "no:cacheprovider", "-o", "addopts=", "-rsx", *args],
                          capture_output=True, text=True, cwd=path.parent, env=env, timeout=600)


def _counts(out: str) -> dict[str, int]:
    last = out.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|skipped|error)", last)}


@pytest.mark.qemu
def test_the_docs_example_runs_as_written():
    proc = _pytest(EXAMPLE, "-v")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert _counts(proc.stdout) == {"passed": 3}
    assert "test_top1_on_device_equals_host[stm32f405] PASSED" in proc.stdout
    assert "test_top1_on_device_equals_host[mps2-an386] PASSED" in proc.stdout


def test_marker_and_command_line_select_boards(tmp_path):
    test_file = tmp_path / "test_selection.py"
    test_file.write_text(textwrap.dedent(SELECTION_TESTS))
    proc = _pytest(test_file, "-v", "-s")
    assert _counts(proc.stdout) == {"passed": 4}, proc.stdout
    assert "test_named[mps2-an386] PASSED" in proc.stdout and "test_named[stm32f405] PASSED" in proc.stdout
    assert "BOARD=mps2-an386" in proc.stdout  # an unnamed marker: the default board
    assert "EXPLICIT=microbit" in proc.stdout  # no selection: the board the test names

    proc = _pytest(test_file, "-v", "-s", "--tfedge-board", "stm32f405,mps2-an505")
    assert _counts(proc.stdout) == {"passed": 4, "skipped": 1}, proc.stdout
    assert "board mps2-an386 not selected (--tfedge-board stm32f405,mps2-an505)" in proc.stdout
    assert "BOARD=stm32f405" in proc.stdout and "BOARD=mps2-an505" in proc.stdout
    assert "EXPLICIT=stm32f405" in proc.stdout  # an explicit board('microbit') runs on the selection's first board


def test_unknown_board_fails_naming_it(tmp_path):
    test_file = tmp_path / "test_unknown.py"
    test_file.write_text("import pytest\n\n@pytest.mark.board('stm32f999')\ndef test_x(board):\n    pass\n")
    proc = _pytest(test_file)
    assert proc.returncode != 0 and "stm32f999" in proc.stdout


def test_missing_tools_skip_with_the_install_command(tmp_path):
    test_file = tmp_path / "test_tools.py"
    test_file.write_text("def test_x(board):\n    board('stm32f405').run('model.tflite')\n")
    bare = tmp_path / "bin"  # a PATH without the cross compiler and QEMU
    bare.mkdir()
    env = {**os.environ, "PATH": str(bare)}
    env.pop("TFEDGE_REQUIRE_TOOLS", None)
    proc = _pytest(test_file, env=env)
    assert _counts(proc.stdout) == {"skipped": 1}, proc.stdout
    assert "needs arm-none-eabi-gcc, qemu-system-arm" in proc.stdout
    assert "sudo apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm" in proc.stdout

    proc = _pytest(test_file, "--tfedge-require-tools", env=env)
    assert _counts(proc.stdout).get("error") == 1 and "sudo apt-get install" in proc.stdout
