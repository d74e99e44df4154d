"""Kernel architecture paths: what a firmware links, and what the compile report says each layer runs."""

import pytest

from tfedge.compiler import ARCH_PATHS, compile_model, runtime_sources
from tfedge.compiler.arch import kernel_folder


@pytest.mark.parametrize("arch", sorted(ARCH_PATHS))
def test_each_kernel_is_linked_once_from_the_most_specific_folder(arch):
    sources = runtime_sources(arch)
    stems = [s.stem for s in sources]
    assert len(stems) == len(set(stems))
    for src in sources:
        assert src.parent.name == kernel_folder(arch, src.stem)
        assert src.parent.name in ARCH_PATHS[arch]


def test_unknown_arch_is_refused():
    with pytest.raises(ValueError, match="unknown kernel architecture 'riscv'"):
        runtime_sources("riscv")


@pytest.mark.parametrize("arch, expected", [("mve", "mve"), ("armv6m", "armv6m"), ("portable", "const_shape")])
def test_report_names_the_arch_path_a_layer_runs(reference_models, tmp_path, arch, expected):
    report = compile_model(reference_models["kws_ref_model.tflite"], tmp_path, arch=arch).report
    convs = [layer for layer in report["layers"] if layer["op"] == "DEPTHWISE_CONV_2D"]
    assert convs and all(layer["variant"] == expected for layer in convs)
    for layer in report["layers"]:  # a label other than "portable" is a file that the firmware links
        if layer["variant"] in ARCH_PATHS[arch] and layer["variant"] != "portable":
            assert kernel_folder(arch, layer["kernel"]) == layer["variant"]


def test_const_shape_layers_on_the_portable_arch(reference_models, tmp_path):
    """arch portable: every conv, depthwise and FC layer calls a function of its own that inlines the
    kernel body with the layer's constant parameters (in-place layers through the row loop too); arch
    reference keeps the plain kernel calls."""
    res = compile_model(reference_models["kws_ref_model.tflite"], tmp_path / "p", arch="portable")
    model_c = res.model_c.read_text()
    kinds = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"}
    layers = [layer for layer in res.report["layers"] if layer["op"] in kinds]
    assert len(layers) == 10 and all(layer["variant"] == "const_shape" for layer in layers)
    for layer in layers:
        i = layer["index"]
        assert f"static void l{i}_const_shape(" in model_c and f"tfedge_{layer['kernel']}_body(&" in model_c
        assert f"l{i}_const_shape(&l{i}_params" in model_c or f"&l{i}_params, l{i}_const_shape," in model_c
    assert "tfedge_conv_rows_inplace_s8(&l1_params, l1_const_shape," in model_c
    ref = compile_model(reference_models["kws_ref_model.tflite"], tmp_path / "r", arch="reference")
    assert "_const_shape" not in ref.model_c.read_text()
    assert {layer["variant"] for layer in ref.report["layers"]} == {"portable"}


def test_const_shape_on_the_m3_is_bit_exact_and_executes_fewer_instructions(reference_models):
    """On the Cortex-M3 board (arch portable) the specialised layers give the host runner's outputs and
    execute fewer instructions than the plain loops (exact QEMU counts; the figures are in docs/kernels.md)."""
    import numpy as np

    from tfedge.compiler import load_graph
    from tfedge.emulate.flash import flash_model

    tflite = reference_models["kws_ref_model.tflite"]
    t = load_graph(tflite).tensors[load_graph(tflite).inputs[0]]
    x = np.random.default_rng(4).integers(-128, 128, (3, *t.shape)).astype(np.int8)
    spec = flash_model(tflite, "mps2-an385", x, progress=False)
    plain = flash_model(tflite, "mps2-an385", x, kernel_arch="reference", progress=False)
    assert spec["mismatches"] == 0 and plain["mismatches"] == 0
    assert spec["instructions_per_inference"] < 0.8 * plain["instructions_per_inference"]
