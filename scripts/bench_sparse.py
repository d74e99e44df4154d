#!/usr/bin/env python3
"""Does skipping zero weights pay on the device? Measures a FULLY_CONNECTED layer (512 -> 256 inputs,
int8) dense vs 50 % unstructured sparse (bitmap + values) vs 2:4 sparse (2 values + positions per 4),
on the Cortex-M0 (microbit), M3, M4 (DSP kernels) and M55 boards: instructions of that layer (QEMU
plugin, exact), its flash, and bit-exactness against the dense kernel on the host runner.

    .venv/bin/python scripts/bench_sparse.py [--json bench_sparse.json]

The sparse kernels are experiments in scripts/sparse/ (the compiler does not use them; the numbers
here are why: docs/compression.md)."""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tfedge.boards import load_board  # noqa: E402
from tfedge.build.firmware import build_firmware  # noqa: E402
from tfedge.compiler import compile_model, load_graph, runtime_include_dirs, runtime_sources  # noqa: E402
from tfedge.compiler.host_run import run_model  # noqa: E402
from tfedge.emulate.measure import run_samples  # noqa: E402

BOARDS = ["microbit", "mps2-an385", "mps2-an386", "mps3-an547"]
IN_F, OUT_F = 512, 256


def models(tmp: Path) -> dict[str, Path]:
    from tfedge._tf import keras
    from tfedge.export import export_int8

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    out = {}
    for kind in ("dense", "unstructured", "2:4"):
        inp = keras.Input((IN_F,))
        model = keras.Model(inp, keras.layers.Dense(OUT_F)(inp))
        w, b = model.layers[1].get_weights()
        if kind == "unstructured":
            w[np.abs(w) < np.median(np.abs(w))] = 0
        elif kind == "2:4":  # per output, in every 4 consecutive inputs keep the 2 largest
            g = np.abs(w).T.reshape(OUT_F, IN_F // 4, 4)
            drop = np.argsort(g, axis=2)[:, :, :2]
            wt = w.T.reshape(OUT_F, IN_F // 4, 4).copy()
            np.put_along_axis(wt, drop, 0, axis=2)
            w = wt.reshape(OUT_F, IN_F).T
        model.layers[1].set_weights([w, b])
        path = tmp / f"{kind.replace(':', '_')}.tflite"
        path.write_bytes(export_int8(model, rng.uniform(-1, 1, (128, IN_F)).astype(np.float32)))
        out[kind] = path
    return out


def c_array(ctype: str, name: str, values) -> str:
    return f"static const {ctype} {name}[] = {{{', '.join(str(int(v)) for v in np.ravel(values)) or '0'}}};"


def sparse_c(w: np.ndarray, kind: str) -> tuple[str, int]:
    """Declarations of the compact weights (w: int8 [out][in]) and their byte count."""
    if kind == "2:4":
        vals, nibs = [], []
        for row in w:
            for g in row.reshape(-1, 4):
                nz = [i for i in range(4) if g[i]][:2]
                nz += [i for i in range(4) if i not in nz][: 2 - len(nz)]
                nz.sort()
                vals += [g[nz[0]], g[nz[1]]]
                nibs.append(nz[0] | nz[1] << 2)
        nibs = np.array(nibs).reshape(len(w), -1)
        if nibs.shape[1] % 2:
            nibs = np.pad(nibs, ((0, 0), (0, 1)))
        meta = nibs[:, 0::2] | nibs[:, 1::2] << 4
        return c_array("int8_t", "sp_values", vals) + "\n" + c_array("uint8_t", "sp_meta", meta) + \
            "\nstatic const int32_t *const sp_row_start = 0;\n", len(vals) + meta.size
    bits = (w != 0).astype(np.uint8)
    meta = np.packbits(bits, axis=1, bitorder="little")
    vals = w[w != 0]
    starts = np.concatenate([[0], np.cumsum((w != 0).sum(axis=1))[:-1]])
    return (c_array("int8_t", "sp_values", vals) + "\n" + c_array("uint8_t", "sp_meta", meta) + "\n"
            + c_array("int32_t", "sp_row_start", starts) + "\n"), len(vals) + meta.size + 4 * len(starts)


def measure(path: Path, board_name: str, kind: str | None, tmp: Path) -> dict:
    board = load_board(board_name)
    work = tmp / f"{path.stem}-{board_name}-{kind}"
    result = compile_model(path, work / "model", profile_hooks=True, arch=board.kernel_arch)
    model_c = result.model_c.read_text()
    flash = None
    if kind:  # swap the FC call for the sparse kernel on the compact weights
        g = load_graph(path)
        w = next(t.data for t in g.tensors if t.is_const and t.dtype == "int8" and t.data.ndim == 2)
        decls, flash = sparse_c(w, kind)
        call = re.search(r"  (fully_connected\w*)\(&(l0_params), ([^;]*)\);", model_c)
        fn = "fc_s8_24" if kind == "2:4" else "fc_s8_bitmap"
        model_c = model_c.replace(call.group(0), f"  {fn}(&sp_params, {call.group(3)});")
        # The portable layout for the dense fields, whatever the board's variant packed.
        model_c = model_c.replace("int tfedge_model_init(void)", decls + "typedef struct { const tfedge_fc_params *fc; "
                                  "const int8_t *values; const uint8_t *meta; const int32_t *row_start; } fc_sparse_params;\n"
                                  f"void {fn}(const fc_sparse_params *s, const int8_t *input, int8_t *output);\n"
                                  "static const fc_sparse_params sp_params = {&l0_params, sp_values, sp_meta, sp_row_start};\n"
                                  "int tfedge_model_init(void)")
        result.model_c.write_text(model_c)
    sources = [result.model_c, *runtime_sources(board.kernel_arch)] + ([ROOT / "scripts" / "sparse" / "fc_sparse_s8.c"] if kind else [])
    fw = build_firmware(board, sources, include_dirs=[result.out_dir, *runtime_include_dirs()], defines=["TFEDGE_PROFILE_LAYERS"])
    x = np.random.default_rng(1).integers(-128, 128, (4, 1, IN_F)).astype(np.int8)
    raw, _, m = run_samples(board, fw.elf, x, OUT_F, workdir=work / "run", progress=False)
    ref = run_model(path, x).reshape(4, OUT_F)
    layer = m.mean_layers()[0]["insns"]
    dense_w = IN_F * OUT_F if flash is None else flash
    return {"instructions": int(round(layer)), "weights_bytes": dense_w,
            "bit_exact": bool(np.array_equal(raw.view(np.int8).reshape(4, OUT_F), ref))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default="bench_sparse.json")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = models(tmp)
        for board in BOARDS:
            dense = measure(paths["dense"], board, None, tmp)
            row = {"board": board, "dense": dense}
            for kind in ("unstructured", "2:4"):
                row[f"{kind} dense kernel"] = measure(paths[kind], board, None, tmp)
                row[f"{kind} sparse kernel"] = measure(paths[kind], board, kind, tmp)
            rows.append(row)
            print(board, json.dumps(row), flush=True)
    print(f"\nFC {IN_F}->{OUT_F}, layer instructions (weights bytes), 50 % sparse")
    print(f"{'board':<12}{'dense':>18}{'unstr. dense kern':>20}{'bitmap kernel':>20}{'2:4 dense kern':>20}{'2:4 kernel':>20}")
    for r in rows:
        cells = [r["dense"], r["unstructured dense kernel"], r["unstructured sparse kernel"], r["2:4 dense kernel"], r["2:4 sparse kernel"]]
        print(f"{r['board']:<12}" + "".join(f"{c['instructions']:>10,} ({c['weights_bytes'] // 1024}K)" + ("" if c["bit_exact"] else "!") for c in cells))
    Path(args.json).write_text(json.dumps({"in_features": IN_F, "out_features": OUT_F, "rows": rows}, indent=1) + "\n")
    return 0 if all(c["bit_exact"] for r in rows for k, c in r.items() if k != "board") else 1


if __name__ == "__main__":
    sys.exit(main())
