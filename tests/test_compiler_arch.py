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


@pytest.mark.parametrize("arch, expected", [("mve", "mve"), ("armv6m", "armv6m"), ("portable", "portable")])
def test_report_names_the_arch_path_a_layer_runs(reference_models, tmp_path, arch, expected):
    report = compile_model(reference_models["kws_ref_model.tflite"], tmp_path, arch=arch).report
    convs = [layer for layer in report["layers"] if layer["op"] == "DEPTHWISE_CONV_2D"]
    assert convs and all(layer["variant"] == expected for layer in convs)
    for layer in report["layers"]:  # a label other than "portable" is a file that the firmware links
        if layer["variant"] in ARCH_PATHS[arch] and layer["variant"] != "portable":
            assert kernel_folder(arch, layer["kernel"]) == layer["variant"]
