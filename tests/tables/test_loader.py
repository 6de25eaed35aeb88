"""The hardware and MFU tables and their loaders."""

from __future__ import annotations

import os
from importlib import resources

import pytest
from helpers import fails_after

from carbonllm.errors import DataTableError, UnknownHardwareError
from carbonllm.tables import loader

REQUIRED_CHIPS = [
    "V100 SXM2", "V100 PCIe", "A100 40GB", "A100 80GB", "A100 PCIe 40GB", "A100 PCIe 80GB", "H100 SXM",
    "H100 PCIe", "H200", "B200", "L4", "L40S", "A10G", "T4", "RTX 3090", "RTX 4090", "RTX A6000",
    "MI250X", "MI300X", "TPU v2", "TPU v3", "TPU v4", "TPU v5e", "TPU v5p", "TPU v6e", "Gaudi 2", "Gaudi 3",
]


@pytest.mark.parametrize("name", REQUIRED_CHIPS)
def test_required_chips_are_present(name: str):
    assert loader.find_accelerator(name).source


def test_every_row_is_sane():
    for acc in loader.hardware_table():
        assert acc.source and acc.year >= 2017
        assert acc.generation in loader.mfu_defaults(), acc.name
        assert acc.tdp_w is None or 50 <= acc.tdp_w <= 1500
        # tensor rates are never below the fp32 vector rate
        for dtype in ("tf32", "bf16", "fp16", "fp8"):
            if dtype in acc.peak_tflops and "fp32" in acc.peak_tflops:
                assert acc.peak_tflops[dtype] >= acc.peak_tflops["fp32"], acc.name


def test_published_peaks():
    # NVIDIA A100 datasheet: 312 TFLOP/s dense bf16; H100 SXM: 989.4 dense bf16 (1,979 with sparsity).
    assert loader.find_accelerator("A100").peak_tflops_for("bf16") == 312
    assert loader.find_accelerator("H100").peak_tflops_for("bf16") == pytest.approx(989.4)
    # Google Cloud TPU v4 docs: 275 TFLOP/s bf16.
    assert loader.find_accelerator("tpu-v4").peak_tflops_for("bf16") == 275


def test_blackwell_fp32_and_tpu_v5p_fp8_follow_the_vendor_tables():
    # NVIDIA's Blackwell spec table, "Individual Blackwell GPU Specifications": HGX B200 FP32 75
    # TFLOPS, GB200 NVL72 FP32 80 TFLOPS, GB200 186 GB HBM3E, up to 1,200 W per GPU.
    b200, gb200 = loader.find_accelerator("B200"), loader.find_accelerator("GB200")
    assert b200.peak_tflops_for("fp32") == 75
    assert gb200.peak_tflops_for("fp32") == 80
    assert (gb200.memory_gb, gb200.tdp_w) == (186, 1200)
    # cloud.google.com/tpu/docs/v5p lists bf16 459 only; no FP8 rate is published.
    v5p = loader.find_accelerator("TPU v5p")
    assert "fp8" not in v5p.peak_tflops and v5p.peak_tflops_for("bf16") == 459


@pytest.mark.parametrize(("alias", "name"), [("A100", "A100 SXM4 80GB"), ("v100", "V100 SXM2 32GB"),
                                             ("h100", "H100 SXM5 80GB"), ("TPU_V3", "TPU v3"),
                                             ("tpuv5p", "TPU v5p"), ("gaudi-3", "Gaudi 3")])
def test_aliases_and_forgiving_names(alias: str, name: str):
    assert loader.find_accelerator(alias).name == name


def test_unknown_accelerator_suggests():
    with pytest.raises(UnknownHardwareError) as info:
        loader.find_accelerator("A1000")
    assert info.value.suggestions and "A100" in " ".join(info.value.suggestions)


def test_mfu_defaults_have_sources_and_order():
    for generation, (mfu, low, high, source) in loader.mfu_defaults().items():
        assert 0 < low <= mfu <= high <= 1 and source, generation


def _write_tables(directory, hardware: str) -> None:
    for name in ("mfu_defaults.csv", "grid_intensity.csv"):
        src = resources.files("carbonllm.data").joinpath(name)
        (directory / name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    (directory / "hardware.csv").write_text(hardware, encoding="utf-8")


def test_malformed_hardware_table_is_a_data_table_error(tmp_path, fresh_tables):
    header = "name,vendor,kind,generation,tdp_w,bf16_tflops,year,source\n"
    _write_tables(tmp_path, header + "X1,Acme,gpu,ampere,lots,100,2020,vendor sheet\n")
    fresh_tables.setenv(loader.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(DataTableError, match=r"hardware.csv, line 2: column tdp_w is not a number"):
        loader.hardware_table()


def test_hardware_row_without_source_is_rejected(tmp_path, fresh_tables):
    header = "name,vendor,kind,generation,tdp_w,bf16_tflops,year,source\n"
    _write_tables(tmp_path, header + "X1,Acme,gpu,ampere,300,100,2020,\n")
    fresh_tables.setenv(loader.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(DataTableError, match="source"):
        loader.hardware_table()


def test_missing_table_is_a_data_table_error(tmp_path, fresh_tables):
    fresh_tables.setenv(loader.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(DataTableError, match="hardware.csv is missing"):
        loader.find_accelerator("A100")


def test_missing_column_is_a_data_table_error(tmp_path, fresh_tables):
    _write_tables(tmp_path, "name,vendor\nX1,Acme\n")
    fresh_tables.setenv(loader.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(DataTableError, match="lacks column"):
        loader.hardware_table()


def test_tables_load_from_a_source_checkout():
    # python run from the repository root imports the checkout's carbonllm/, which has no
    # carbonllm/data until installed: the loader then reads the top-level data/ beside it.
    import subprocess
    import sys
    from pathlib import Path

    root = Path(loader.__file__).resolve().parents[2]
    if not (root / "data" / "hardware.csv").exists():
        pytest.skip("not a source checkout")
    code = "from carbonllm.tables.loader import find_accelerator, grid_table; print(find_accelerator('A100').name)"
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                         env={"PYTHONPATH": str(root), "PATH": ""})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "A100 SXM4 80GB"


@pytest.mark.parametrize(
    ("printed", "name"),
    [  # names as nvidia-smi / NVML print them
        ("NVIDIA H100 80GB HBM3", "H100 SXM5 80GB"), ("NVIDIA H100 PCIe", "H100 PCIe 80GB"),
        ("NVIDIA A100-SXM4-80GB", "A100 SXM4 80GB"), ("NVIDIA A100-SXM4-40GB", "A100 SXM4 40GB"),
        ("NVIDIA A100 80GB PCIe", "A100 PCIe 80GB"), ("Tesla V100-SXM2-32GB", "V100 SXM2 32GB"),
        ("Tesla T4", "T4"), ("NVIDIA L4", "L4"), ("NVIDIA GeForce RTX 4090", "RTX 4090"),
        ("nvidia h100", "H100 SXM5 80GB"),
        ("AMD Instinct MI300X", "MI300X"),
    ],
)
def test_names_as_nvidia_smi_prints_them(printed: str, name: str):
    assert loader.find_accelerator(printed).name == name


@pytest.mark.parametrize("kind", ["fifo", "binary", "directory"])
def test_an_unreadable_table_is_one_data_table_error_not_a_hang(tmp_path, fresh_tables, kind):
    # CARBONLLM_DATA_DIR is the user's: a FIFO there hung the estimate, a binary file was a traceback
    header = "name,vendor,kind,generation,tdp_w,bf16_tflops,year,source\n"
    _write_tables(tmp_path, header + "X1,Acme,gpu,ampere,300,100,2020,vendor sheet\n")
    grid = tmp_path / "grid_intensity.csv"
    grid.unlink()
    if kind == "fifo":
        os.mkfifo(grid)
    elif kind == "binary":
        grid.write_bytes(b"\xff\xfe\x00zone")
    else:
        grid.mkdir()
    fresh_tables.setenv(loader.DATA_DIR_ENV, str(tmp_path))
    with fails_after(10, "reading a FIFO as a table"), pytest.raises(DataTableError, match="grid_intensity.csv"):
        loader.find_zone("FR")
