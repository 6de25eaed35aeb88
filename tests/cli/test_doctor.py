"""``carbonllm doctor``: what it reports, with RAPL faked on a tmp tree and NVML absent or faked."""

from __future__ import annotations

import json
from pathlib import Path

import pynvml
import pytest
from fakes import make_rapl, two_gpus

from carbonllm.cli.doctor_cmd import check_nvml, check_rapl


def test_doctor_json_with_rapl_and_no_nvml(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def init() -> None:
        raise pynvml.NVMLError(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)

    monkeypatch.setattr(pynvml, "nvmlInit", init)
    monkeypatch.setenv("CARBONLLM_RAPL_ROOT", str(make_rapl(tmp_path)))
    result = run_cli("doctor", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["nvml"]["available"] is False and "NVML init" in report["nvml"]["error"]
    assert report["rapl"]["packages"] == ["cpu:0"] and report["rapl"]["dram"] == ["ram:0"]
    assert all(f["readable"] for f in report["rapl"]["files"])
    assert report["plan"]["cpu"].startswith("rapl") and report["plan"]["gpu"].startswith("not measured")
    assert report["codecarbon"]["version"]  # codecarbon's version and its CPU-table lookup
    assert "in_codecarbon_table" in report["codecarbon"]["cpu"]
    assert "no network" in report["network"]


def test_doctor_table_runs(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBONLLM_RAPL_ROOT", str(tmp_path / "none"))
    result = run_cli("doctor")
    assert result.exit_code == 0
    assert "what carbonllm track will use" in result.stdout and "codecarbon-cpu-model" in result.stdout


def test_check_nvml_lists_gpus_and_counters(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = two_gpus()
    fake.gpus[1]["energy_mj"] = ("error", pynvml.NVML_ERROR_NOT_SUPPORTED)
    fake.install(monkeypatch)
    report = check_nvml(None, "1")
    assert report["available"] and report["driver"] == "550.54"
    assert [(g["index"], g["energy_counter"], g["method"]) for g in report["gpus"]] == [
        (0, True, "nvml-counter"), (1, False, "nvml-power-integration")]
    assert report["selected"] == [1] and report["selected_by"] == "CUDA_VISIBLE_DEVICES"
    assert fake.shutdown_calls == 1


def test_check_rapl_missing(tmp_path: Path) -> None:
    report = check_rapl(tmp_path / "absent")
    assert report["files"] == [] and "does not exist" in report["problem"]
