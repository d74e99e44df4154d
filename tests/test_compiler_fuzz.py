"""Corrupt .tflite files (random byte flips and truncations of the shared models, 1200 cases, and of
generated models with the other ops, 700 cases): the
compiler gives a clear tfedge error or a valid compile; it never crashes, hangs or emits C that does
not compile. The mutation loop runs in a child process so that a hang or a hard crash fails the test
instead of killing the session."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from modelgen import get_model
from tfedge.compiler import runtime_include_dirs

CASES = {"hello_world_int8.tflite": 450, "kws_ref_model.tflite": 350, "pretrainedResnet_quant.tflite": 250,
         "ad01_int8.tflite": 150}  # 1200 in all; fewer of the large models keep the test fast

CHILD = textwrap.dedent("""
    import json, sys, time, traceback
    from pathlib import Path
    import numpy as np
    from tfedge.compiler import generate_sources
    from tfedge.errors import TfedgeError

    path, n, seed, out_dir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    data = Path(path).read_bytes()
    rng = np.random.default_rng(seed)
    result = {"cases": 0, "compiled": 0, "errors": 0, "crashes": [], "max_seconds": 0.0, "samples": [],
              "messages": {}}
    for case in range(n):
        buf = bytearray(data)
        kind = case % 4
        if kind == 0:  # truncation
            buf = buf[: int(rng.integers(0, len(buf)))]
        else:  # 1..8 random bytes, half of them in the first/last 4 KB where the flatbuffer tables are
            for _ in range(int(rng.integers(1, 9))):
                if kind == 1 or rng.random() < 0.5:
                    pos = int(rng.integers(0, min(4096, len(buf))))
                    pos = pos if rng.random() < 0.5 else len(buf) - 1 - pos
                else:
                    pos = int(rng.integers(0, len(buf)))
                buf[pos] = int(rng.integers(0, 256))
        start = time.monotonic()
        try:
            files = generate_sources(bytes(buf))
            result["compiled"] += 1
            if bytes(buf) != data and len(result["samples"]) < 3:
                sample = out_dir / f"case{case}"
                sample.mkdir()
                for name, text in files.items():
                    (sample / name).write_text(text)
                result["samples"].append(str(sample))
        except TfedgeError as exc:
            result["errors"] += 1
            first = str(exc).splitlines()[0][:60]
            result["messages"][first] = result["messages"].get(first, 0) + 1
        except Exception:
            result["crashes"].append(traceback.format_exc()[-1500:])
        result["max_seconds"] = max(result["max_seconds"], time.monotonic() - start)
        result["cases"] += 1
    print(json.dumps(result))
""")


# Generated models whose ops the shared models lack (concat, pad, resize, mean, mul, logistic, quantize, ...).
GENERATED = {"small_cnn": ("small_cnn", {}), "concat_requantize": ("concat_requantize", {}),
             "upsample_pad": ("zero_pad", {}), "resize": ("upsample", {}), "se_mul": ("broadcast_mul", {}),
             "activations": ("activation", {"fn": "hard_swish"}), "float_io": ("activation", {"fn": "tanh", "converter": "float_io"})}
GENERATED_CASES = 100


@pytest.mark.parametrize("name", sorted(CASES) + sorted(GENERATED))
def test_corrupt_models_never_crash(reference_models, name, tmp_path):
    if name in GENERATED:
        builder, params = GENERATED[name]
        path, n = tmp_path / f"{name}.tflite", GENERATED_CASES
        path.write_bytes(get_model(builder, **params)["tflite"])
    else:
        path, n = reference_models[name], CASES[name]
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), str(n), str(len(name)), str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"the compiler process died (exit {proc.returncode}): {proc.stderr[-2000:]}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"{name}: {result['cases']} corrupt variants: {result['compiled']} compiled, {result['errors']} clear "
          f"errors, {len(result['crashes'])} crashes; slowest {result['max_seconds']:.2f}s")
    for message, count in sorted(result["messages"].items(), key=lambda kv: -kv[1])[:5]:
        print(f"  {count:4d} x {message}")
    assert result["cases"] == n
    assert not result["crashes"], result["crashes"][0]
    assert result["max_seconds"] < 10
    assert result["errors"] > 0  # truncations alone guarantee some
    # The C of mutated models that still compiled must itself compile.
    cc = shutil.which("cc") or shutil.which("gcc")
    for sample in result["samples"]:
        cmd = [cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-O0", "-c", f"{sample}/model.c", f"-I{sample}",
               *(f"-I{d}" for d in runtime_include_dirs()), "-o", f"{sample}/model.o"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, f"generated C from a corrupt model does not compile:\n{proc.stderr[-2000:]}"
