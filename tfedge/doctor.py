"""`tfedge doctor`: is everything tfedge needs here, and how to install what is not.

    tfedge doctor          one line per tool and package: ok + version, or MISSING + the install command

The core flow (compile, run, flash, emulate, compare, the pytest plugin) needs a host C compiler,
arm-none-eabi-gcc with newlib, qemu-system-arm with TCG plugin support, the counting plugin (built
here with the host compiler, into the cache) and the core Python packages; the exit code is 0 when
all of them are present, 1 otherwise. Renode and the pip extras are reported but optional. Never
imports TensorFlow (versions come from the installed distributions' metadata).
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tfedge import __version__
from tfedge.extras import CORE, EXTRAS, distribution_version, install_command

APT = "sudo apt-get install"
GCC_PACKAGES = "gcc-arm-none-eabi libnewlib-arm-none-eabi"
RENODE_HINT = ("optional, runs the Renode scripts `tfedge flash --out-dir` writes: install Renode from "
               "https://renode.io (renode and renode-test on PATH)")
# Where a qemu-plugin.h would be; tfedge_count.c declares the API v1 subset itself, so none is needed.
PLUGIN_HEADERS = ("/usr/include/qemu-plugin.h", "/usr/include/qemu/qemu-plugin.h", "/usr/local/include/qemu-plugin.h",
                  "/usr/local/include/qemu/qemu-plugin.h")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str          # the version or path when present; the install command (or the failure) when not
    required: bool = True
    info: bool = False   # shown for information only, never missing


def _first_line(cmd: list[str]) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"({exc})"
    lines = (proc.stdout or proc.stderr).strip().splitlines()
    return lines[0] if lines else "(no version output)"


def _failure(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def check_host_cc() -> Check:
    from tfedge.compiler.host_run import _host_cc
    from tfedge.errors import ToolchainError

    try:
        cc = _host_cc()
    except ToolchainError:
        return Check("host C compiler", False, f"not found (cc/gcc/clang; `tfedge run`, the plugin): {APT} gcc")
    return Check("host C compiler", True, f"{_first_line([cc, '--version'])} ({shutil.which(cc)})")


def check_arm_gcc() -> list[Check]:
    from tfedge.build.toolchain import GCC, find_gcc, gcc_version
    from tfedge.errors import ToolchainError

    try:
        gcc = find_gcc()
    except ToolchainError:
        return [Check(GCC, False, f"not on PATH: {APT} {GCC_PACKAGES}"),
                Check("newlib (nano.specs)", False, f"needs {GCC} first: {APT} {GCC_PACKAGES}")]
    # gcc prints the bare name back when it does not find the file in its search paths.
    specs = _first_line([gcc, "-print-file-name=nano.specs"])
    newlib = (Check("newlib (nano.specs)", True, str(Path(specs).resolve())) if Path(specs).is_absolute() and Path(specs).is_file()
              else Check("newlib (nano.specs)", False, f"not found by {GCC}: {APT} libnewlib-arm-none-eabi"))
    return [Check(GCC, True, f"{gcc_version()} ({gcc})"), newlib]


def check_qemu() -> Check:
    from tfedge.emulate.qemu import QEMU, find_qemu
    from tfedge.errors import ToolchainError

    try:
        qemu = find_qemu()
    except ToolchainError:
        return Check(QEMU, False, f"not on PATH: {APT} {QEMU}")
    version = _first_line([qemu, "--version"])
    help_text = subprocess.run([qemu, "-help"], capture_output=True, text=True, timeout=60, check=False).stdout
    if "-plugin" not in help_text:
        return Check(QEMU, False, f"{version} has no TCG plugin support (-plugin): use a build with "
                                  f"--enable-plugins, e.g. Debian's: {APT} {QEMU}")
    return Check(QEMU, True, f"{version}, TCG plugins ({qemu})")


def check_plugin() -> list[Check]:
    from tfedge.emulate.plugin import PLUGIN_SOURCE, plugin_path
    from tfedge.errors import ToolchainError

    try:
        built = Check("TCG counting plugin", True, f"builds from {PLUGIN_SOURCE.name}: {plugin_path()}")
    except ToolchainError as exc:
        built = Check("TCG counting plugin", False, _failure(exc))
    header = next((h for h in PLUGIN_HEADERS if Path(h).is_file()), None)
    header_check = Check("qemu-plugin.h", True, (header or "not installed") + " (not needed: tfedge_count.c declares "
                         "the plugin API v1 subset it uses)", required=False, info=True)
    return [built, header_check]


def check_python(group: tuple[tuple[str, str], ...], hint: str, required: bool) -> list[Check]:
    checks = []
    for _module, dist in group:
        version = distribution_version(dist)
        checks.append(Check(dist, version is not None, version or f"not installed: {hint}", required))
    return checks


def check_renode() -> Check:
    found = [shutil.which(exe) for exe in ("renode", "renode-test")]
    if all(found):
        return Check("Renode", True, f"{_first_line([found[0], '--version'])} ({', '.join(found)})", required=False)
    return Check("Renode", False, RENODE_HINT, required=False)


def data_location() -> str:
    from tfedge.paths import DATA_DIR, PACKAGED_DATA

    return f"{DATA_DIR} ({'package data' if PACKAGED_DATA else 'source checkout'})"


def _guarded(name: str, check: Callable[[], Check | list[Check]]) -> list[Check]:
    """A check's rows; a check that cannot even import its tfedge module (a broken core install) is one
    failed row instead of a traceback."""
    try:
        result = check()
    except ImportError as exc:
        return [Check(name, False, f"cannot check: {_failure(exc)} (reinstall: pip install tfedge)")]
    return result if isinstance(result, list) else [result]


def run_checks() -> list[tuple[str, list[Check]]]:
    """(section title, checks) in the order doctor prints them."""
    core = [*_guarded("host C compiler", check_host_cc), *_guarded("arm-none-eabi-gcc", check_arm_gcc),
            *_guarded("qemu-system-arm", check_qemu), *_guarded("TCG counting plugin", check_plugin),
            *check_python(CORE, "pip install tfedge (its core dependencies)", True)]
    return [
        ("core flow: compile, run, flash, emulate, compare, the pytest plugin", core),
        ("optional: Renode", [check_renode()]),
        ("extra 'keras': optimize, export, deploy, demo, tfedge.callbacks",
         check_python(EXTRAS["keras"], install_command("keras"), False)),
        ("extra 'test': the test suite (TFLite Micro is its bit-exactness referee)",
         check_python(EXTRAS["test"], install_command("test"), False)),
    ]


def format_checks(sections: list[tuple[str, list[Check]]]) -> str:
    from tfedge.paths import cache_dir

    lines = [f"tfedge {__version__} (Python {platform.python_version()}) at {Path(__file__).resolve().parent}",
             f"firmware and boards: {data_location()}",
             f"build cache: {cache_dir()}"]
    width = max(len(c.name) for _, checks in sections for c in checks)
    for title, checks in sections:
        lines += ["", title]
        for c in checks:
            status = "info" if c.info else "ok" if c.ok else "MISSING" if c.required else "missing"
            lines.append(f"  {status:<8} {c.name:<{width}}  {c.detail}")
    broken = [c.name for _, checks in sections for c in checks if c.required and not c.ok]
    lines += ["", f"core flow: NOT ready, missing {', '.join(broken)} (install commands above)" if broken
              else "core flow: ready"]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options: it checks everything, in a few seconds (the plugin builds once, then is cached)


def run(args: argparse.Namespace) -> int:
    sections = run_checks()
    print(format_checks(sections))
    sys.stdout.flush()
    return 0 if all(c.ok for _, checks in sections for c in checks if c.required) else 1
