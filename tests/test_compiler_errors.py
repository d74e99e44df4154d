"""Bad input gets a clear error; names from the file cannot inject C; the generated C builds for
Cortex-M0 and with the profiling hook; the memory plan never overlaps live buffers."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from modelgen import get_model
from tfedge.compiler import compile_model, load_graph, runtime_include_dirs, runtime_sources
from tfedge.compiler.host_run import run_model
from tfedge.compiler.planner import plan_memory
from tfedge.compiler.ops import REGISTRY
from tfedge.errors import DataError, ModelError, UnsupportedModelError


def test_unsupported_ops_listed_at_once(tmp_path):
    with pytest.raises(UnsupportedModelError) as info:
        compile_model(get_model("unsupported_ops2")["tflite"], tmp_path)
    text = "\n".join(info.value.problems)
    # each named by its Keras layer (from the tensor names), the operator text kept
    assert re.search(r"layer '[^']+': operator 1 \(MIRROR_PAD\): op not supported", text), text
    assert re.search(r"layer '[^']+': operator 2 \(LOG_SOFTMAX\): op not supported", text), text
    assert not (tmp_path / "model.c").exists()  # nothing half-written


def test_float_model_refused_with_the_fix(tmp_path):
    with pytest.raises(UnsupportedModelError) as info:
        compile_model(get_model("conv2d", converter="float")["tflite"], tmp_path)
    assert "float model" in str(info.value) and "tfedge export" in str(info.value)


def test_not_a_tflite(tmp_path, reference_models):
    for data in (b"", b"hello world, not a model", reference_models["kws_ref_model.tflite"].read_bytes()[:5000]):
        with pytest.raises(ModelError):
            compile_model(data, tmp_path)
    with pytest.raises(ModelError, match="cannot read"):
        compile_model(tmp_path / "missing.tflite", tmp_path)


def test_names_cannot_inject_code(reference_models, tmp_path):
    data = reference_models["hello_world_int8.tflite"].read_bytes()
    name = b"serving_default_dense_input:0"
    payload = b'*/"); int evil(void){return 1;}/*'[: len(name)]
    assert data.count(name) >= 1
    crafted = data.replace(name, payload.ljust(len(name), b"x"))
    result = compile_model(crafted, tmp_path)
    c = result.model_c.read_text()
    assert "evil(" not in c and "*/\"" not in c
    cc = shutil.which("cc") or shutil.which("gcc")
    proc = subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-c", str(result.model_c), f"-I{tmp_path}",
                           *(f"-I{d}" for d in runtime_include_dirs()), "-o", str(tmp_path / "m.o")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(not shutil.which("arm-none-eabi-gcc"), reason="arm-none-eabi-gcc not installed (apt-get install gcc-arm-none-eabi)")
def test_cortex_m0_build_warning_free(reference_models, tmp_path):
    """The kernel library and the generated C of every test model compile for Cortex-M0 (32-bit int,
    no FPU) with -Wall -Wextra -Werror."""
    from test_compiler_ops import CASES, TFLM_WRONG

    models = [compile_model(reference_models[name], tmp_path / name).model_c for name in reference_models]
    for case, (builder, params) in {**CASES, **TFLM_WRONG}.items():  # the generated C of every op and option
        models.append(compile_model(get_model(builder, **params)["tflite"], tmp_path / case).model_c)
    for src in models + runtime_sources():
        proc = subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m0", "-mthumb", "-O2", "-Wall", "-Wextra", "-Werror",
                               "-std=c99", f"-I{src.parent}", *(f"-I{d}" for d in runtime_include_dirs()), "-c", str(src),
                               "-o", str(tmp_path / f"{src.parent.name}-{src.stem}.o")], capture_output=True, text=True)
        assert proc.returncode == 0, f"{src}: {proc.stderr}"
    for src in runtime_sources():  # no libc beyond memcpy/memset, no heap
        text = src.read_text()
        assert "malloc" not in text and "printf" not in text and "<math.h>" not in text, src.name


def test_profile_hooks_called_around_every_layer(reference_models, tmp_path):
    result = compile_model(reference_models["kws_ref_model.tflite"], tmp_path, profile_hooks=True)
    n = len(result.report["layers"])
    main = tmp_path / "main.c"
    main.write_text("""
        #include <stdio.h>
        #include "tfedge_model.h"
        static int calls[64], count;
        void tfedge_layer_boundary(int i) { if (count < 64) calls[count] = i; count++; }
        int main(void) {
          int i;
          tfedge_model_init(); tfedge_model_invoke();
          printf("%d %d", count, tfedge_model_num_layers());
          for (i = 0; i < count && i < 64; ++i) if (calls[i] != i) return 1;
          return 0;
        }
    """)
    exe = tmp_path / "prof"
    cc = shutil.which("cc") or shutil.which("gcc")
    subprocess.run([cc, "-std=c99", "-O1", f"-I{tmp_path}", *(f"-I{d}" for d in runtime_include_dirs()), str(main),
                    str(result.model_c), *map(str, runtime_sources()), "-o", str(exe)], check=True)
    proc = subprocess.run([str(exe)], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == f"{n + 1} {n}"


@pytest.mark.parametrize("model", ["kws_ref_model.tflite", "pretrainedResnet_quant.tflite", "small_cnn"])
def test_plan_never_overlaps_live_buffers(reference_models, model):
    g = load_graph(get_model(model)["tflite"] if model == "small_cnn" else reference_models[model])
    layers = [op for op in g.ops if not REGISTRY[op.kind].alias]
    plan = plan_memory(g, layers)
    bufs = list(plan.buffers.values())
    for i, a in enumerate(bufs):
        assert a.offset % 16 == 0 and a.offset + a.size <= plan.arena_bytes
        assert a.size >= g.tensors[a.tensor].nbytes
        for b in bufs[i + 1:]:
            if a.first <= b.last and b.first <= a.last:
                assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset, (a, b)


def test_cli_compile_and_run(reference_models, tmp_path):
    model = reference_models["kws_ref_model.tflite"]
    cli = [sys.executable, "-m", "tfedge.cli"]
    proc = subprocess.run(cli + ["compile", str(model), "-o", str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 0 and re.search(r"arena [\d,]+ B", proc.stdout), proc.stderr
    x = np.random.default_rng(1).integers(-128, 128, (7, 49, 10, 1), dtype=np.int8)  # stacked form (N, H, W, C)
    np.save(tmp_path / "x.npy", x)
    proc = subprocess.run(cli + ["run", str(model), "--inputs", str(tmp_path / "x.npy"), "-o", str(tmp_path / "y.npy")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    y = np.load(tmp_path / "y.npy")
    assert y.shape == (7, 12) and np.array_equal(y, run_model(model, x[:, None]).reshape(7, 12))
    np.save(tmp_path / "bad.npy", x.astype(np.float32))
    proc = subprocess.run(cli + ["run", str(model), "--inputs", str(tmp_path / "bad.npy"), "-o", str(tmp_path / "z.npy")],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "error:" in proc.stderr and "Traceback" not in proc.stderr
    assert "int8" in proc.stderr and not (tmp_path / "z.npy").exists()
    for junk in (b"", b"\x93NUMPY"):  # an empty and a truncated .npy file
        (tmp_path / "junk.npy").write_bytes(junk)
        proc = subprocess.run(cli + ["run", str(model), "--inputs", str(tmp_path / "junk.npy"), "-o", str(tmp_path / "z.npy")],
                              capture_output=True, text=True)
        assert proc.returncode == 1 and "cannot read" in proc.stderr and "numpy.save" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr and not (tmp_path / "z.npy").exists()
    (tmp_path / "junk.tflite").write_bytes(b"junk" * 10)
    proc = subprocess.run(cli + ["compile", str(tmp_path / "junk.tflite"), "-o", str(tmp_path / "o2")], capture_output=True, text=True)
    assert proc.returncode == 1 and "not a TFLite flatbuffer" in proc.stderr and "Traceback" not in proc.stderr


def test_run_model_shape_errors(reference_models):
    with pytest.raises(DataError, match="expected"):
        run_model(reference_models["kws_ref_model.tflite"], np.zeros((3, 49, 11, 1), np.int8))
