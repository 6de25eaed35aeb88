"""AMD GPUs through amdsmi, faked at the amdsmi calls (tests/fakes.py): chosen by discovery where
NVML has no GPU, the accumulator's units, the power fall-back, and ``doctor``."""

from __future__ import annotations

import json
from pathlib import Path

import pynvml
import pytest
from fakes import FakeAmdSmi, make_rapl, two_amd_gpus

from carbonllm.errors import DeviceUnavailableError
from carbonllm.measure import amd
from carbonllm.measure.sampler import Sampler
from carbonllm.measure.sensors import METHODS, discover_sensors
from carbonllm.measure.track_config import resolve_config


@pytest.fixture
def no_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    def init() -> None:
        raise pynvml.NVMLError(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)

    monkeypatch.setattr(pynvml, "nvmlInit", init)


def config(tmp_path: Path, **flags: object):
    return resolve_config({"intensity_g_per_kwh": 100, "rapl_root": str(make_rapl(tmp_path / "rapl")), **flags},
                          environ={}, read_file=False)


def test_discovery_picks_amd_gpus_when_nvml_has_none(no_nvml: None, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    fake = two_amd_gpus()
    fake.install(monkeypatch)
    found = discover_sensors(config(tmp_path))
    gpus = [s for s in found.sensors if s.component == "gpu"]
    assert [(s.device, s.name, s.method) for s in gpus] == [
        ("gpu:0", "AMD Instinct MI300X", "amdsmi-counter"),
        ("gpu:1", "AMD Instinct MI250X", "amdsmi-power-integration")]
    assert all(s.method in METHODS for s in gpus)
    assert any("not yet verified on AMD hardware" in n for n in found.notes)
    assert any("gpu:1: no amdsmi energy counter" in n for n in found.notes)
    found.close()
    assert fake.shutdown_calls == 1


def test_accumulator_ticks_times_resolution_and_power_fallback(no_nvml: None, monkeypatch: pytest.MonkeyPatch) -> None:
    two_amd_gpus().install(monkeypatch)
    gpus = amd.open_gpus(None)
    mi300, mi250 = gpus.sensors
    # the probe read 5,000,000 ticks; each read adds 1,000,000 ticks × 15.259 µJ = 15.259 J
    assert mi300.read_energy_j() == pytest.approx(6_000_000 * 15.259e-6)
    assert mi300.read_energy_j() == pytest.approx(7_000_000 * 15.259e-6)
    assert mi250.read_energy_j() is None
    assert mi250.read_power_w() == 400.0  # current_socket_power; socket_power is "N/A"
    # the sampler: the counter's deltas (2 reads after the baseline: 2 × 15.259 J) and a trapezoid
    times = iter([0.0, 1.0, 2.0])  # one clock read per sample
    sampler = Sampler(gpus.sensors, 1.0, clock=lambda: next(times), wall_clock=lambda: 0.0)
    sampler.sample_now()
    sampler.sample_now()
    final = sampler.sample_now()
    by_device = {d.device: d.energy_j for d in final.devices}
    assert by_device["gpu:0"] == pytest.approx(2 * 15.259)
    assert by_device["gpu:1"] == pytest.approx(400.0 * 2.0)  # 400 W × 2 s
    gpus.close()


def test_gpu_ids_select_amd_gpus_and_a_bad_one_is_said(no_nvml: None, monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    two_amd_gpus().install(monkeypatch)
    found = discover_sensors(config(tmp_path, gpu_ids="1"))
    assert [s.name for s in found.sensors if s.component == "gpu"] == ["AMD Instinct MI250X"]
    found.close()
    with pytest.raises(DeviceUnavailableError, match="NVML"):  # neither NVML nor amdsmi has GPU 5
        discover_sensors(config(tmp_path / "b", gpu_ids="5"))


def test_no_amd_gpu_means_no_gpu_measured(no_nvml: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    FakeAmdSmi([]).install(monkeypatch)
    found = discover_sensors(config(tmp_path))
    assert not [s for s in found.sensors if s.component == "gpu"]
    assert any(n.startswith("gpu: not measured") for n in found.notes)


def test_amdsmi_not_installed_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "amdsmi", None)  # import amdsmi raises ImportError
    with pytest.raises(DeviceUnavailableError, match="amdsmi"):
        amd.open_gpus(None)


def test_doctor_shows_amd_gpus(no_nvml: None, monkeypatch: pytest.MonkeyPatch, run_cli, tmp_path: Path) -> None:
    two_amd_gpus().install(monkeypatch)
    monkeypatch.setenv("CARBONLLM_RAPL_ROOT", str(make_rapl(tmp_path)))
    result = run_cli("doctor", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["amd"]["available"] is True
    assert [(g["name"], g["method"]) for g in report["amd"]["gpus"]] == [
        ("AMD Instinct MI300X", "amdsmi-counter"), ("AMD Instinct MI250X", "amdsmi-power-integration")]
    assert report["plan"]["gpu"] == "2 AMD GPU(s) via amdsmi-counter, amdsmi-power-integration (amdsmi)"
    table = run_cli("doctor")
    assert "AMD SMI" in table.stdout and "AMD Instinct MI300X" in table.stdout


def test_the_tracker_measures_amd_gpus(no_nvml: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import carbonllm

    two_amd_gpus().install(monkeypatch)
    monkeypatch.setenv("CARBONLLM_RAPL_ROOT", str(make_rapl(tmp_path / "rapl")))
    with carbonllm.track(intensity=100, interval_s=60, output_dir=tmp_path / "out") as t:
        pass
    summary = t.result
    assert summary is not None
    gpus = {d.device: d for d in summary.devices if d.component == "gpu"}
    assert gpus["gpu:0"].method == "amdsmi-counter" and gpus["gpu:1"].method == "amdsmi-power-integration"
    # baseline and final sample: one read apart on the accumulator = 1,000,000 ticks × 15.259 µJ
    assert gpus["gpu:0"].energy_kwh * 3.6e6 == pytest.approx(15.259)
    assert summary.gpu_count == 2 and any("not yet verified on AMD hardware" in n for n in summary.notes)
