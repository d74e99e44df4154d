"""pytest plugin: run models on emulated boards from your own test suite (loaded automatically once
tfedge is installed, through the `pytest11` entry point).

    import pytest

    def test_fits_and_is_fast(board):
        run = board("stm32f405").run("model_int8.tflite", x)      # x: int8, or float (quantized for you)
        assert run.ms < 50                                          # est. ms at the board's clock
        assert (run.outputs.argmax(-1) == host_top1).all()

    @pytest.mark.board("stm32f405", "mps2-an500")                  # one test per board
    def test_on_each_board(board):
        assert board.run("model_int8.tflite", x).metrics["flash_bytes"] < 256 * 1024

    pytest --tfedge-board stm32f405          # only these boards (repeat or comma-separate); an explicit
                                             # board("other") runs on the first of them

Without arm-none-eabi-gcc or qemu-system-arm the tests that use `board` are skipped, naming the
install command; `--tfedge-require-tools` (or TFEDGE_REQUIRE_TOOLS=1) makes that a failure (for CI).
Importing this module is cheap: tfedge's compiler and emulator load when a test first runs a model.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

DEFAULT_BOARD = "mps2-an386"
TOOLS = {
    "arm-none-eabi-gcc": "gcc-arm-none-eabi libnewlib-arm-none-eabi",
    "qemu-system-arm": "qemu-system-arm",
}
INSTALL = "sudo apt-get install " + " ".join(TOOLS.values())


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tfedge", "tfedge: models on emulated boards")
    group.addoption("--tfedge-board", action="append", default=[], metavar="NAME[,NAME]",
                    help="run board tests only on these boards (default: each test's @pytest.mark.board list, "
                         f"or {DEFAULT_BOARD} for an unnamed marker)")
    group.addoption("--tfedge-require-tools", action="store_true",
                    help="fail instead of skip when arm-none-eabi-gcc or qemu-system-arm is missing")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "board(*names): run the test once per named emulated board, through the "
                                       "`board` fixture (tfedge); no names: the --tfedge-board selection")


def _selected(config: pytest.Config) -> list[str]:
    return [name.strip() for value in config.getoption("tfedge_board") for name in value.split(",") if name.strip()]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("board")
    if marker is None or "tfedge_board_name" not in metafunc.fixturenames:
        return
    selected = _selected(metafunc.config)
    names = list(marker.args) or selected or [DEFAULT_BOARD]
    params = []
    for name in names:
        marks = ()
        if selected and name not in selected:
            marks = pytest.mark.skip(reason=f"board {name} not selected (--tfedge-board {','.join(selected)})")
        params.append(pytest.param(name, id=name, marks=marks))
    metafunc.parametrize("tfedge_board_name", params, indirect=True)


@pytest.fixture
def tfedge_board_name(request: pytest.FixtureRequest) -> str | None:
    """The board of this test's @pytest.mark.board parametrization (None without the marker)."""
    return getattr(request, "param", None)


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


@dataclass
class BoardRun:
    """One run of a model on a board: on-device outputs and the measured metrics (docs/boards.md)."""

    board: str
    outputs: Any  # numpy array in the form of the inputs (or a list for several outputs); None without inputs
    metrics: dict = field(repr=False)

    @property
    def ms(self) -> float:
        """Estimated ms per inference at the board's clock (cycle model estimate)."""
        return self.metrics["ms_per_inference"]

    @property
    def instructions(self) -> int:
        """Instructions per inference (exact count)."""
        return self.metrics["instructions_per_inference"]

    @property
    def flash_bytes(self) -> int:
        return self.metrics["flash_bytes"]

    @property
    def ram_bytes(self) -> int:
        return self.metrics["ram_bytes"]


class Board:
    """The `board` fixture's value: `board("name")` picks a board, `.run(model, inputs)` runs on it."""

    def __init__(self, name: str | None, workdir: Path, selected: list[str] | None = None):
        self.name = name
        self._workdir = workdir
        self._selected = list(selected or [])

    def __call__(self, name: str) -> Board:
        """The board `name`; under `--tfedge-board`, a board outside the selection is redirected to the
        first selected one (only the selected boards run, and a suite written for one board retargets)."""
        from tfedge.boards import load_board

        load_board(name)  # an unknown name fails here, listing the boards
        if self._selected and name not in self._selected:
            name = self._selected[0]
        return Board(name, self._workdir, self._selected)

    def __repr__(self) -> str:
        return f"<tfedge board {self.name or '(none chosen)'}>"

    def _model_path(self, model: str | Path | bytes) -> Path:
        if isinstance(model, (bytes, bytearray)):
            path = self._workdir / f"model-{hashlib.sha256(model).hexdigest()[:16]}.tflite"
            if not path.exists():
                path.write_bytes(bytes(model))
            return path
        return Path(model)

    def run(self, model: str | Path | bytes, inputs=None, *, opt: str = "-O2", compare: bool = False,
            timeout: float | None = None) -> BoardRun:
        """Compile, build (cached), run `inputs` on the emulated board in one session and measure.

        model: .tflite path or bytes. inputs: (N, *input shape) or (N, *input shape[1:]) of the model's
        dtype, or float data quantized with the model's input scale. compare=True also checks the
        outputs against the host int8 runner (metrics["mismatches"])."""
        if self.name is None:
            raise pytest.UsageError("no board chosen: call board('stm32f405').run(...) or mark the test "
                                    "@pytest.mark.board('stm32f405')")
        from tfedge.emulate.flash import flash_model
        from tfedge.emulate.figures import compile_report
        from tfedge.io_batches import quantize_inputs

        path = self._model_path(model)
        x = None
        if inputs is not None:
            import numpy as np

            x = quantize_inputs(np.asarray(inputs), compile_report(path)["inputs"][0])
        metrics = flash_model(path, self.name, x, opt=opt, timeout=timeout, progress=False, compare=compare)
        return BoardRun(board=self.name, outputs=metrics.pop("outputs", None), metrics=metrics)


@pytest.fixture
def board(request: pytest.FixtureRequest, tfedge_board_name: str | None, tmp_path_factory: pytest.TempPathFactory) -> Board:
    """Runs models on emulated boards: board("stm32f405").run(model, inputs) -> BoardRun."""
    missing = missing_tools()
    if missing:
        message = f"tfedge board test needs {', '.join(missing)}, not found on PATH; install with: {INSTALL}"
        if request.config.getoption("tfedge_require_tools") or os.environ.get("TFEDGE_REQUIRE_TOOLS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    workdir = tmp_path_factory.mktemp("tfedge-board")
    chosen = Board(None, workdir, _selected(request.config))
    return chosen(tfedge_board_name) if tfedge_board_name else chosen
