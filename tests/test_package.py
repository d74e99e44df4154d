"""tfedge as an installed package: the wheel carries firmware and boards, the core needs no TensorFlow,
`tfedge --version`, `tfedge doctor`, and the one-line error when a command needs the keras extra."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import tfedge
from tfedge import cli, extras
from tfedge.paths import REPO_ROOT
from tflm_ref import tflm_run

KERAS_HINT = "pip install 'tfedge[keras]'"
KERAS_MODULES = ("tensorflow", "tf_keras", "tensorflow_model_optimization", "ai_edge_litert", "sklearn")
# The core: every module these commands and the pytest plugin load.
CORE_MODULES = ("tfedge.cli", "tfedge.compiler.cli", "tfedge.compiler.host_run", "tfedge.boards", "tfedge.emulate.flash",
                "tfedge.emulate.cli", "tfedge.emulate.figures", "tfedge.compare", "tfedge.testing", "tfedge.doctor",
                "tfedge.report")
# Sources the wheel is built from (a copy: building in the checkout would leave build/ and *.egg-info there).
SOURCE_ITEMS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "tfedge", "firmware", "boards")


def _tfedge(python: Path | str, *args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "tfedge.cli", *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=300, check=False)


def _source_env() -> dict:
    """This checkout first on the path (a subprocess must import the tfedge under test)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in requirements}


# ------------------------------------------------------------------------------------- fast checks

def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"tfedge {tfedge.__version__}"
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "tfedge.__version__"}  # one version


def test_extras_agree_with_pyproject():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert _names(project["dependencies"]) == {dist for _, dist in extras.CORE}
    for extra, modules in extras.EXTRAS.items():
        assert {dist for _, dist in modules} <= _names(project["optional-dependencies"][extra]), extra
    assert not {"tensorflow", "tf-keras", "tensorflow-model-optimization", "ai-edge-litert"} & _names(project["dependencies"])
    setup_sh = (REPO_ROOT / "scripts" / "setup.sh").read_text()
    assert set(extras.EXTRAS) == set(project["optional-dependencies"])
    every_extra = ",".join(sorted(project["optional-dependencies"]))
    assert f'-e ".[{every_extra}]"' in setup_sh  # the README's set-up still installs everything


def test_core_modules_never_import_tensorflow():
    code = ("import sys\n" + "".join(f"import {m}\n" for m in CORE_MODULES)
            + f"print(sorted(m for m in sys.modules if m.split('.')[0] in {KERAS_MODULES!r}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_source_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_command_needing_keras_extra_fails_in_one_line(monkeypatch, capsys):
    real_find_spec = extras.importlib.util.find_spec
    monkeypatch.setattr(extras.importlib.util, "find_spec",
                        lambda name, *a: None if name in ("tensorflow", "sklearn") else real_find_spec(name, *a))
    for command in ("optimize", "export", "deploy", "demo"):
        assert cli.main([command, "recipe.yaml"]) == 1
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and KERAS_HINT in err and "tensorflow, scikit-learn not installed" in err, err
    assert cli.main(["boards"]) == 0  # core commands are not gated


def test_missing_extra_module_imported_late_is_the_same_one_line():
    exc = extras.as_missing_extra(ModuleNotFoundError("No module named 'ai_edge_litert'", name="ai_edge_litert"), "x")
    assert isinstance(exc, ImportError) and str(exc) == f"x needs the 'keras' extra (ai-edge-litert not installed): {KERAS_HINT}"
    assert extras.as_missing_extra(ModuleNotFoundError("No module named 'nope'", name="nope"), "x") is None


def test_source_checkout_reads_the_repository_folders():
    from tfedge import paths

    # No tfedge/_data in a checkout (setup.py makes it only inside a wheel's build tree).
    assert not paths.PACKAGED_DATA and not (paths.PACKAGE_DIR / "_data").exists()
    assert paths.FIRMWARE_DIR == REPO_ROOT / "firmware" and paths.BOARDS_DIR == REPO_ROOT / "boards"
    assert (paths.QEMU_PLUGIN_DIR / "tfedge_count.c").is_file() and (paths.TEMPLATE_DIR / "harness.c").is_file()


# ------------------------------------------------------------------------------------------ doctor

@pytest.mark.qemu
def test_doctor_everything_present():
    proc = _tfedge(sys.executable, "doctor", env=_source_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert out.rstrip().endswith("core flow: ready")
    for name in ("host C compiler", "arm-none-eabi-gcc", "newlib (nano.specs)", "qemu-system-arm", "TCG counting plugin"):
        assert re.search(rf"^  ok +{re.escape(name)} ", out, re.M), name
    assert re.search(r"^  ok +qemu-system-arm +QEMU emulator version \d+\.\d+", out, re.M)
    assert re.search(r"^  ok +tensorflow +2\.", out, re.M)  # the extras, versions from the metadata


@pytest.mark.qemu
def test_doctor_without_qemu_names_the_install_command(tmp_path):
    """A PATH holding every tool of this machine except qemu-system-*: doctor says how to install it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            target = bin_dir / entry.name
            if not entry.name.startswith("qemu-system-") and not target.exists() and not target.is_symlink():
                target.symlink_to(entry.path)
    assert shutil.which("qemu-system-arm", path=str(bin_dir)) is None
    proc = _tfedge(sys.executable, "doctor", env={**_source_env(), "PATH": str(bin_dir)})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.search(r"^  MISSING +qemu-system-arm +not on PATH: sudo apt-get install qemu-system-arm$", proc.stdout, re.M)
    assert "core flow: NOT ready, missing qemu-system-arm" in proc.stdout
    assert re.search(r"^  ok +arm-none-eabi-gcc ", proc.stdout, re.M)  # the rest is still found


# ------------------------------------------------------------------------- the wheel, installed fresh

def _package_files(site: Path) -> set[str]:
    return {str(p.relative_to(site)) for p in (site / "tfedge").rglob("*") if p.is_file() and "__pycache__" not in p.parts}


@pytest.mark.slow
@pytest.mark.qemu
def test_wheel_core_install_outside_the_repository(tmp_path, reference_models):
    """pip wheel -> a fresh venv with the core dependencies only -> tfedge flash / run from elsewhere:
    bit-exact with TFLM and the editable install, same instruction counts; optimize names the extra."""
    from tfedge.compiler.host_run import run_model
    from tfedge.emulate.flash import flash_model

    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    src = tmp_path / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_data")
    for item in SOURCE_ITEMS:
        (shutil.copytree if (REPO_ROOT / item).is_dir() else shutil.copy2)(REPO_ROOT / item, src / item, **(
            {"ignore": ignore} if (REPO_ROOT / item).is_dir() else {}))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    # Both steps mostly wait on package indexes: the core dependencies (as pyproject.toml lists them) go in
    # while the wheel builds; installing the wheel then checks them against its own metadata.
    core = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    deps = subprocess.Popen([*pip, "--python", str(python), "install", "-q", "--no-compile", *core],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    build = subprocess.run([*pip, "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(src)],
                           capture_output=True, text=True, timeout=300)
    deps_log = deps.communicate(timeout=600)[0]
    assert build.returncode == 0, build.stderr[-3000:]
    assert deps.returncode == 0, deps_log[-3000:]
    (wheel,) = (tmp_path / "dist").glob("tfedge-*.whl")
    install = subprocess.run([*pip, "--python", str(python), "install", "-q", "--no-compile", str(wheel)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    installed = subprocess.run([*pip, "--python", str(python), "list", "--format=json"], capture_output=True, text=True,
                               check=True).stdout
    assert not {d["name"].lower() for d in json.loads(installed)} & {"tensorflow", "tf-keras", "ai-edge-litert", "scikit-learn"}
    files_before = _package_files(site)
    assert "tfedge/_data/firmware/qemu_plugin/tfedge_count.c" in files_before
    assert "tfedge/_data/boards/mps2-an386.toml" in files_before

    # Outside the repository, nothing of it on the path, and a cache of its own (so the wheel's kernels,
    # template and plugin source are what gets built, not a cached build of the checkout's).
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["TFEDGE_CACHE"] = str(tmp_path / "cache")
    model = reference_models["hello_world_int8.tflite"]
    x = np.random.default_rng(0).integers(-128, 128, (16, 1, 1)).astype(np.int8)
    np.save(work / "x.npy", x)

    version = _tfedge(python, "--version", env=env, cwd=work)
    assert version.stdout.strip() == f"tfedge {tfedge.__version__}"
    doctor = _tfedge(python, "doctor", env=env, cwd=work)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert f"firmware and boards: {site / 'tfedge' / '_data'} (package data)" in doctor.stdout
    assert re.search(rf"^  missing +tensorflow +not installed: {re.escape(KERAS_HINT)}$", doctor.stdout, re.M)

    flashed = _tfedge(python, "flash", str(model), "--board", "mps2-an386", "--inputs", "x.npy", "-o", "y_dev.npy",
                      "--json", "m.json", env=env, cwd=work)
    assert flashed.returncode == 0, flashed.stdout + flashed.stderr
    ran = _tfedge(python, "run", str(model), "--inputs", "x.npy", "-o", "y_host.npy", env=env, cwd=work)
    assert ran.returncode == 0, ran.stderr
    optimize = _tfedge(python, "optimize", "recipe.yaml", "-o", "out", env=env, cwd=work)
    assert optimize.returncode == 1 and optimize.stdout == ""
    assert optimize.stderr.count("\n") == 1 and KERAS_HINT in optimize.stderr, optimize.stderr

    wheel_metrics = json.loads((work / "m.json").read_text())
    y_dev, y_host = np.load(work / "y_dev.npy"), np.load(work / "y_host.npy")
    reference = tflm_run(model, x)
    assert np.array_equal(y_dev, reference) and np.array_equal(y_host, reference)
    editable = flash_model(model, "mps2-an386", x, progress=False)
    assert np.array_equal(editable["outputs"], y_dev) and np.array_equal(run_model(model, x), y_host)
    for key in ("instructions_per_inference", "setup_instructions", "flash_bytes", "ram_bytes", "arena_bytes"):
        assert wheel_metrics[key] == editable[key], key
    assert [layer["instructions"] for layer in wheel_metrics["layers"]] == [layer["instructions"] for layer in editable["layers"]]
    assert wheel_metrics["mismatches"] == 0

    # The builds went to the cache; the installed package is read-only data.
    assert _package_files(site) == files_before
    assert any((tmp_path / "cache" / "qemu_plugin").glob("libtfedge_count-*.so"))
