"""`tfedge deploy recipe.yaml --board B`: optimize -> export -> compile -> build -> run, then the report.

Each stage writes its product into the output folder and records a key (a hash of everything its
output depends on) in DIR/deploy.json; a rerun skips every stage whose output exists with the same
key, so editing the recipe's last stage redoes only what follows it, and an interrupted deploy
resumes where it stopped. `--from STAGE` redoes that stage and the ones after it; `--from FILE`
starts from a Keras model (.keras/.h5/SavedModel: export onwards) or an int8 .tflite (compile onwards).

    DIR/optimize/              the recipe's stages (tfedge optimize's folder, without the int8 stage)
    DIR/model_int8.tflite      the exported model          DIR/export.json   its accuracy and sizes
    DIR/compile/               model.c, model.h, compile_report.json
    DIR/firmware-<board>.elf   the firmware                DIR/board.json    measured on the board
    DIR/report.json, report.md, report.html, plots/        the report (tfedge.report)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from tfedge.errors import DataError, ModelError, RecipeError
from tfedge.paths import partial_path

STAGES = ("optimize", "export", "compile", "build", "run")
KERAS_SUFFIXES = (".keras", ".h5", ".savedmodel")
DEFAULT_SAMPLES = 256

Progress = Callable[[str], None]


# ----------------------------------------------------------------------------------------- helpers

def _digest(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else json.dumps(part, sort_keys=True, default=str).encode()
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:20]


def _path_digest(path: Path) -> str:
    """Content hash of a file, or of every file of a folder (a SavedModel)."""
    if path.is_dir():
        return _digest(*[(str(p.relative_to(path)), p.read_bytes()) for p in sorted(path.rglob("*")) if p.is_file()])
    return _digest(path.read_bytes())


def _toolkit_digest() -> str:
    """The compiler and the firmware sources: a new tfedge (or a kernel edit) recompiles and rebuilds."""
    from tfedge.paths import FIRMWARE_DIR, PACKAGE_DIR

    files = sorted([*(PACKAGE_DIR / "compiler").rglob("*.py"), *FIRMWARE_DIR.rglob("*.[ch]"), *(PACKAGE_DIR / "build").rglob("*.py")])
    return _digest(*[(str(p), p.read_bytes()) for p in files])


def _write_json(path: Path, data: dict) -> None:
    tmp = partial_path(path)
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _split_recipe(recipe):
    """(recipe without its int8 stage, the Int8 stage) — the export runs as its own deploy stage."""
    from tfedge.optimize.recipe import Int8

    stages = list(recipe.stages)
    int8 = stages.pop() if stages and isinstance(stages[-1], Int8) else Int8()
    return (replace(recipe, stages=stages) if stages else None), int8


def _recipe_inputs_key(recipe) -> list:
    """What the optimize stage reads besides the recipe itself: model and data files, by content."""
    parts = []
    for spec in (recipe.model, recipe.data):
        path = Path(spec) if spec else None
        if path is not None and recipe.base_dir is not None and not path.is_absolute():
            path = recipe.base_dir / path
        parts.append(_path_digest(path) if path is not None and path.exists() else spec)
    return parts


# ------------------------------------------------------------------------------------------ deploy

class Deployment:
    """One deploy into `out`: the stages as methods, each returning (output, key) or skipping."""

    def __init__(self, recipe, board: str, out: Path, *, samples: int, opt: str, stage_runs: bool, progress: Progress):
        from tfedge.boards import load_board

        self.recipe, self.out, self.samples, self.opt, self.stage_runs = recipe, out, samples, opt, stage_runs
        self.board = load_board(board)  # unknown board: fail before anything runs
        self.progress = progress
        self.optimize_recipe, self.int8 = _split_recipe(recipe)
        self.state_path = out / "deploy.json"
        self.state = (_read_json(self.state_path) or {}).get("stages", {})
        self.summary: list[dict] = []
        self._data = None

    @property
    def data(self):
        if self._data is None:
            from tfedge.optimize.data import load_dataset

            if self.recipe.data is None:
                raise DataError("the recipe names no data: add `data: digits` or `data: file.npz` (x_train, y_train, x_test, y_test)")
            self._data = load_dataset(self.recipe.data, self.recipe.base_dir)
        return self._data

    # A stage runs when forced, when its recorded key differs or when its output is missing.
    def _stage(self, number: int, name: str, key: str, outputs: list[Path], force: bool, work: Callable[[], str]) -> None:
        label = f"[{number}/{len(STAGES)}] {name}"
        recorded = self.state.get(name, {})
        if not force and recorded.get("key") == key and all(p.exists() for p in outputs):
            self.progress(f"{label}: up to date, skipped ({recorded.get('detail', '')})")
            self.summary.append({"stage": name, "status": "skipped (up to date)", "seconds": 0.0,
                                 "detail": recorded.get("detail", "")})
            return
        self.progress(f"{label}: running")
        start = time.monotonic()
        detail = work()
        seconds = round(time.monotonic() - start, 1)
        self.state[name] = {"key": key, "detail": detail, "seconds": seconds}
        _write_json(self.state_path, {"board": self.board.name, "stages": self.state})
        self.progress(f"{label}: done in {seconds}s ({detail})")
        self.summary.append({"stage": name, "status": "ran", "seconds": seconds, "detail": detail})

    def _given(self, number: int, name: str, why: str) -> None:
        self.progress(f"[{number}/{len(STAGES)}] {name}: not needed ({why})")
        self.summary.append({"stage": name, "status": f"not needed ({why})", "seconds": 0.0, "detail": ""})

    def run(self, start: str | Path | None) -> dict:
        first = STAGES.index(start) if isinstance(start, str) and start in STAGES else None
        start_file = Path(start) if start is not None and first is None else None
        force = lambda stage: first is not None and STAGES.index(stage) >= first  # noqa: E731
        if start_file is not None:
            if not start_file.exists():
                raise ModelError(f"--from {start_file}: no such file (or a stage name: {', '.join(STAGES)})")
            if start_file.suffix not in (".tflite", *KERAS_SUFFIXES) and not start_file.is_dir():
                raise ModelError(f"--from {start_file}: expected a stage name ({', '.join(STAGES)}), a Keras model "
                                 f"({', '.join(KERAS_SUFFIXES)}, SavedModel folder) or an int8 .tflite")
        self.out.mkdir(parents=True, exist_ok=True)

        optimize_report = None
        # 1. optimize
        if start_file is not None:
            self._given(1, "optimize", f"starting from {start_file.name}")
        elif self.optimize_recipe is None:
            self._given(1, "optimize", "the recipe has only an int8 stage")
        else:
            key = _digest(self.optimize_recipe.to_dict(), _recipe_inputs_key(self.recipe))
            self._stage(1, "optimize", key, [self.out / "optimize" / "report.json"], force("optimize"), self._optimize)
            optimize_report = _read_json(self.out / "optimize" / "report.json")

        # 2. export
        tflite = self.out / ("model_int16x8.tflite" if self.int8.int16x8 else "model_int8.tflite")
        if start_file is not None and start_file.suffix == ".tflite":
            self._given(2, "export", f"starting from {start_file.name}")
            tflite = start_file
            export = None
        else:
            source, reuse = self._export_source(start_file, optimize_report)
            key = _digest(_path_digest(source), str(self.int8), reuse is not None and _path_digest(reuse))
            self._stage(2, "export", key, [tflite, self.out / "export.json"], force("export"),
                        lambda: self._export(source, reuse, tflite))
            export = _read_json(self.out / "export.json")

        # 3. compile, 4. build
        compile_dir = self.out / "compile"
        toolkit = _toolkit_digest()
        key = _digest(_path_digest(tflite), self.board.kernel_arch, toolkit)  # the kernel arch shapes model.c
        self._stage(3, "compile", key, [compile_dir / "compile_report.json"], force("compile"), lambda: self._compile(tflite, compile_dir))
        compile_report = json.loads((compile_dir / "compile_report.json").read_text())
        elf = self.out / f"firmware-{self.board.name}.elf"
        key = _digest(_path_digest(compile_dir / "model.c"), self.board.name, self.opt, toolkit)
        self._stage(4, "build", key, [elf], force("build"), lambda: self._build(compile_dir, elf))

        # 5. run: the final model on test samples, and (when there are stages) each stage's export
        stage_files = [self.out / "optimize" / s["tflite_path"] for s in (optimize_report or {}).get("stages", [])
                       if "tflite_path" in s] if self.stage_runs else []
        key = _digest(_path_digest(elf), _path_digest(tflite), self.samples, _recipe_inputs_key(self.recipe)[1],
                      [_path_digest(p) for p in stage_files])
        self._stage(5, "run", key, [self.out / "board.json"], force("run"), lambda: self._run(tflite, stage_files))
        board = _read_json(self.out / "board.json")

        report = self._report(optimize_report, export, compile_report, board, tflite)
        report["model_name"] = self._model_name(start_file, tflite)
        _write_json(self.out / "report.json", report)
        from tfedge.report import write_reports

        files = write_reports(report, self.out, title=f"tfedge deploy: {report['model_name']} on {self.board.name}")
        report["files"] = {"html": str(files.html), "markdown": str(files.markdown)}
        return report

    def _model_name(self, start_file: Path | None, tflite: Path) -> str:
        """The user's name for the model: the file deployed from, else the recipe's `model:` (a built-in
        name or a file), else the .tflite's own name."""
        if start_file is not None:
            return start_file.stem if start_file.suffix else start_file.name
        if self.recipe.model:
            return Path(self.recipe.model).stem if Path(self.recipe.model).suffix else Path(self.recipe.model).name
        return tflite.stem

    # ------------------------------------------------------------------------------------ stages

    def _optimize(self) -> str:
        from tfedge.optimize.pipeline import run_recipe

        report = run_recipe(self.optimize_recipe, self.out / "optimize", progress=lambda msg: self.progress(f"    {msg}") if msg else None)
        last = report["stages"][-1]
        return f"{len(report['stages'])} stages, last: {last['name']} accuracy {last['accuracy']:.2%}"

    def _export_source(self, start_file: Path | None, optimize_report: dict | None) -> tuple[Path, Path | None]:
        """The Keras model to export and, when the optimize stage already exported it with the same
        options (its stages are sized with a default int8 export of 256 samples), that .tflite to reuse."""
        from tfedge.optimize.recipe import Int8

        if start_file is not None:
            return start_file, None
        if optimize_report is None:
            if self.recipe.model is None or not (self.recipe.base_dir or Path()).joinpath(self.recipe.model).exists():
                raise RecipeError("the recipe has no training stage and its `model:` is not a file: nothing to export "
                                  "(add stages, or point `model:` at a trained .keras file)")
            return (self.recipe.base_dir or Path()) / self.recipe.model, None
        last = optimize_report["stages"][-1]
        source = self.out / "optimize" / last["path"]
        reuse = self.out / "optimize" / last["tflite_path"] if self.int8 == Int8(representative_samples=256) else None
        return source, reuse

    def _export(self, source: Path, reuse: Path | None, tflite: Path) -> str:
        from tfedge.export import evaluate_tflite, export_int8
        from tfedge.export.litert import tflite_kernel_stats

        start = time.monotonic()
        if reuse is not None:
            data = reuse.read_bytes()
        else:
            from tfedge.export.keras_load import load_keras_model

            model = load_keras_model(source)
            data = export_int8(model, self.data.x_train[: self.int8.representative_samples], int16x8=self.int8.int16x8,
                               allow_float_fallback=self.int8.allow_float_fallback, per_channel=self.int8.per_channel)
        tmp = tflite.with_name(f".{tflite.name}.partial")
        tmp.write_bytes(data)
        os.replace(tmp, tflite)
        stats = tflite_kernel_stats(data)
        entry = {
            "name": "int16x8" if self.int8.int16x8 else "int8",
            "accuracy": evaluate_tflite(data, self.data.x_test, self.data.y_test),
            "sparsity": stats["sparsity"],
            "max_unique_weights": stats["max_unique_weights_per_channel"],
            "tflite_bytes": len(data),
            "gzip_bytes": len(gzip.compress(data, 9)),
            "path": tflite.name,
            "source": str(source),
            "seconds": round(time.monotonic() - start, 1),
        }
        _write_json(self.out / "export.json", entry)
        return f"{len(data):,} bytes, LiteRT accuracy {entry['accuracy']:.2%}"

    def _compile(self, tflite: Path, compile_dir: Path) -> str:
        from tfedge.compiler import compile_model

        tmp = compile_dir.with_name(f".{compile_dir.name}.partial")
        shutil.rmtree(tmp, ignore_errors=True)
        # The same arch as flash_model uses for the run stage, so the ELF built here is the one measured.
        result = compile_model(tflite, tmp, profile_hooks=True, arch=self.board.kernel_arch)
        shutil.rmtree(compile_dir, ignore_errors=True)
        tmp.rename(compile_dir)
        r = result.report
        return f"{len(r['layers'])} layers, arena {r['arena_bytes']:,} B, constants {r['flash_bytes']:,} B"

    def _build(self, compile_dir: Path, elf: Path) -> str:
        from tfedge.build.firmware import build_firmware
        from tfedge.compiler import runtime_include_dirs, runtime_sources
        from tfedge.emulate.flash import _check_fits

        report = json.loads((compile_dir / "compile_report.json").read_text())
        board = self.board.for_arena(report["arena_bytes"])  # as flash_model places it: the same ELF
        _check_fits(board, report)
        fw = build_firmware(board, [compile_dir / "model.c", *runtime_sources(self.board.kernel_arch)],
                            include_dirs=[compile_dir, *runtime_include_dirs()], defines=["TFEDGE_PROFILE_LAYERS"], opt=self.opt)
        tmp = elf.with_name(f".{elf.name}.partial")
        shutil.copyfile(fw.elf, tmp)
        os.replace(tmp, elf)
        return f"{elf.name}{' (from the build cache)' if fw.cached else ''}"

    def _run(self, tflite: Path, stage_files: list[Path]) -> str:
        from tfedge.emulate.figures import measure_on_board, stage_summary

        data = self.data if self.recipe.data is not None else None
        x, y = (data.x_test, data.y_test) if data is not None else (None, None)
        figures = measure_on_board(tflite, self.board.name, x, y, samples=self.samples, opt=self.opt, compare=True)
        board = dict(figures.metrics)
        stages = {}
        for path in stage_files:
            self.progress(f"    stage model {path.name} on {self.board.name}")
            stages[path.name] = stage_summary(measure_on_board(path, self.board.name, opt=self.opt).metrics)
        _write_json(self.out / "board.json", {"final": board, "stages": stages})
        acc = f", accuracy on the board {board['accuracy']:.2%} ({board['inputs']} samples)" if "accuracy" in board else ""
        return f"{board['instructions_per_inference']:,} instructions, est. {board['ms_per_inference']:.2f} ms{acc}"

    # ------------------------------------------------------------------------------------ report

    def _report(self, optimize_report, export, compile_report, board_file, tflite: Path) -> dict:
        from tfedge.emulate.figures import stage_summary

        stages = []
        for s in (optimize_report or {}).get("stages", []):
            entry = dict(s)
            for key in ("path", "tflite_path"):
                if key in entry:
                    entry[key] = f"optimize/{entry[key]}"
            measured = board_file["stages"].get(Path(s.get("tflite_path", "")).name)
            if measured:
                entry["board"] = measured
            stages.append(entry)
        final = board_file["final"]
        if export is not None:
            stages.append({**{k: v for k, v in export.items() if k != "source"}, "board": stage_summary(final)})
        return {
            "recipe": self.recipe.to_dict(),
            "board_name": self.board.name,
            "model": str(tflite),
            "stages": stages,
            "board": final,
            "compile": compile_report,
            "deploy": self.summary,
        }


def deploy(
    recipe,
    board: str,
    out_dir: str | Path,
    *,
    start: str | Path | None = None,
    samples: int = DEFAULT_SAMPLES,
    opt: str = "-O2",
    stage_runs: bool = True,
    progress: Progress = print,
) -> dict:
    """Deploys `recipe` (a Recipe or a YAML path) to `board` in `out_dir`; returns the report (report.json).

    start: None (resume: skip what is up to date), a stage name (redo it and the rest), or a file:
    a Keras model (export onwards) or an int8 .tflite (compile onwards)."""
    from tfedge.optimize.recipe import Recipe

    if not isinstance(recipe, Recipe):
        recipe = Recipe.from_yaml(recipe)
    return Deployment(recipe, board, Path(out_dir), samples=samples, opt=opt, stage_runs=stage_runs,
                      progress=progress).run(start)


def format_summary(report: dict) -> str:
    from tfedge.report.tables import markdown_table, stage_table, summary_rows

    rows = [(s["stage"], s["status"], f"{s['seconds']:.1f}", s["detail"]) for s in report["deploy"]]
    parts = [markdown_table((("stage", "status", "seconds", "result"), rows, {2}))]
    stages = stage_table(report)
    if stages:
        parts += ["", markdown_table(stages)]
    parts += ["", *(f"{k:>26}  {v}" for k, v in summary_rows(report))]
    return "\n".join(parts)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recipe", type=Path, help="recipe YAML (see docs/optimize.md); its data gives the test samples")
    parser.add_argument("--board", required=True, help="board name (see `tfedge boards`)")
    parser.add_argument("--out", type=Path, help="output folder (default: <recipe>-<board> next to the recipe)")
    parser.add_argument("--from", dest="start", metavar="STAGE|FILE",
                        help=f"redo from this stage ({', '.join(STAGES)}), or start from a Keras model or an int8 .tflite")
    parser.add_argument("--samples", type=int, default=DEFAULT_SAMPLES,
                        help=f"test samples run on the board for its accuracy (default {DEFAULT_SAMPLES}; 0: all)")
    parser.add_argument("-O", dest="opt", choices=["2", "s", "3", "0"], default="2", help="firmware optimization level")
    parser.add_argument("--no-stage-runs", action="store_true", help="measure only the final model, not every stage's export")


def run(args: argparse.Namespace) -> int:
    if args.samples < 0:
        raise DataError("--samples must be >= 0")
    out = args.out or args.recipe.resolve().parent / f"{args.recipe.stem}-{args.board}"
    report = deploy(args.recipe, args.board, out, start=args.start, samples=args.samples or None,
                    opt=f"-O{args.opt}", stage_runs=not args.no_stage_runs)
    print()
    print(format_summary(report))
    print(f"\nreport: {report['files']['html']}")
    return 0


__all__ = ["deploy", "Deployment", "STAGES", "format_summary"]
