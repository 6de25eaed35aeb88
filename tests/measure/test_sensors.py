"""Sensors: the fake sensor, the NVML adapter over faked pynvml functions, RAPL over a tmp tree,
codecarbon's models (no network), and import hygiene."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pynvml
import pytest
from fakes import make_rapl, two_gpus

from carbonllm.errors import DevicePermissionError, DeviceUnavailableError, MeasurementError
from carbonllm.measure import nvml, rapl
from carbonllm.measure.sensors import FakeSensor, Sensor, discover_sensors
from carbonllm.measure.track_config import resolve_config


def test_fake_sensor_replays_its_script_and_repeats_the_last_value() -> None:
    s = FakeSensor(energies_j=[1.0, 2.0, MeasurementError("boom"), 4.0], powers_w=[10.0])
    assert isinstance(s, Sensor)
    assert [s.read_energy_j(), s.read_energy_j()] == [1.0, 2.0]
    with pytest.raises(MeasurementError, match="boom"):
        s.read_energy_j()
    assert s.read_energy_j() == 4.0
    assert s.read_energy_j() == 4.0  # the script ran out: the last value repeats
    assert s.read_power_w() == 10.0
    assert FakeSensor(powers_w=[5.0]).read_energy_j() is None  # no counter


# --- NVML, faked at the pynvml functions --------------------------------------------------------


def test_nvml_counter_converts_mj_and_mw(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = two_gpus()
    fake.install(monkeypatch)
    gpus = nvml.open_gpus(None, None)
    assert [s.device for s in gpus.sensors] == ["gpu:0", "gpu:1"]
    s = gpus.sensors[0]
    assert s.method == "nvml-counter"
    assert s.read_energy_j() == 5000.0  # 5,000,000 mJ
    assert s.read_power_w() == 300.0  # 300,000 mW
    gpus.close()
    assert fake.shutdown_calls == 1


def test_nvml_without_counter_falls_back_to_power_integration(monkeypatch: pytest.MonkeyPatch) -> None:
    two_gpus(counter=False).install(monkeypatch)
    gpus = nvml.open_gpus(None, None)
    s = gpus.sensors[1]
    assert s.method == "nvml-power-integration"
    assert s.read_energy_j() is None
    assert s.read_power_w() == 250.0
    assert any("integrating power" in n for n in gpus.notes)


def test_nvml_errors_are_translated(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = two_gpus()
    fake.install(monkeypatch)
    s = nvml.open_gpus(None, None).sensors[0]
    fake.gpus[0]["energy_mj"] = ("error", pynvml.NVML_ERROR_NO_PERMISSION)
    with pytest.raises(DevicePermissionError) as info:
        s.read_energy_j()
    assert isinstance(info.value.__cause__, pynvml.NVMLError)
    fake.gpus[0]["energy_mj"] = ("error", pynvml.NVML_ERROR_GPU_IS_LOST)
    with pytest.raises(DeviceUnavailableError):
        s.read_energy_j()
    fake.gpus[0]["energy_mj"] = ("error", pynvml.NVML_ERROR_UNKNOWN)
    with pytest.raises(MeasurementError):
        s.read_energy_j()


def test_nvml_library_missing_is_device_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    def init() -> None:
        raise pynvml.NVMLError(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)

    monkeypatch.setattr(pynvml, "nvmlInit", init)
    with pytest.raises(DeviceUnavailableError, match="NVML init"):
        nvml.open_gpus(None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0,1", ["0", "1"]), ("1", ["1"]), ("", []), ("-1", []), ("0,-1,1", ["0"]), ("0,foo,1", ["0"]),
     ("GPU-bbbb,0", ["GPU-bbbb", "0"])],
)
def test_cuda_visible_devices_is_read_as_cuda_does(text: str, expected: list[str]) -> None:
    assert nvml.parse_visible_devices(text) == expected


def test_gpu_selection_by_cuda_visible_devices_and_gpu_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    two_gpus().install(monkeypatch)
    assert [s.device for s in nvml.open_gpus(None, "1").sensors] == ["gpu:1"]
    assert [s.device for s in nvml.open_gpus(None, "GPU-bbbb").sensors] == ["gpu:1"]  # UUID prefix
    assert [s.device for s in nvml.open_gpus(("GPU-aaaa1111",), "1").sensors] == ["gpu:0"]  # ids win
    assert nvml.open_gpus(None, "").sensors == []
    with pytest.raises(DeviceUnavailableError, match="NVML sees 2 GPU"):
        nvml.open_gpus(("7",), None)
    with pytest.raises(DeviceUnavailableError, match="matches no GPU"):
        nvml.open_gpus(("GPU-zzzz",), None)


def test_discovery_with_explicit_gpu_ids_and_no_nvml_raises(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def init() -> None:
        raise pynvml.NVMLError(pynvml.NVML_ERROR_DRIVER_NOT_LOADED)

    monkeypatch.setattr(pynvml, "nvmlInit", init)
    config = resolve_config({"intensity_g_per_kwh": 100, "gpu_ids": "0", "rapl_root": str(tmp_path)},
                            environ={}, read_file=False)
    with pytest.raises(DeviceUnavailableError):
        discover_sensors(config)


# --- RAPL, on a temporary tree -------------------------------------------------------------------


def test_rapl_reads_packages_and_dram_in_joules(tmp_path: Path) -> None:
    found = rapl.find_rapl(make_rapl(tmp_path, packages=2))
    assert [s.device for s in found.packages] == ["cpu:0", "cpu:1"]  # core and psys are skipped
    assert [s.device for s in found.dram] == ["ram:0", "ram:1"]
    s = found.packages[0]
    assert s.read_energy_j() == 1.0  # 1,000,000 µJ
    assert s.energy_range_j == pytest.approx(262_143.328850)
    assert found.dram[0].read_energy_j() == 2.0
    (tmp_path / "intel-rapl:0" / "energy_uj").write_text("3500000\n")
    assert s.read_energy_j() == 3.5


def test_rapl_permission_error_is_translated_and_discovery_falls_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_rapl(tmp_path)
    real_read_text = Path.read_text

    def read_text(self: Path, *args: object, **kwargs: object) -> str:
        if self.name == "energy_uj":  # root-only on most distributions since CVE-2020-8694
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", read_text)
    with pytest.raises(DevicePermissionError, match="not readable") as info:
        rapl._read_int(tmp_path / "intel-rapl:0" / "energy_uj")
    assert isinstance(info.value.__cause__, PermissionError)
    found = rapl.find_rapl(tmp_path)
    assert found.packages == [] and "not readable" in found.problem


def test_rapl_absent(tmp_path: Path) -> None:
    assert "does not exist" in rapl.find_rapl(tmp_path / "nope").problem


def test_discovery_prefers_rapl_and_needs_no_codecarbon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def init() -> None:
        raise pynvml.NVMLError(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)

    monkeypatch.setattr(pynvml, "nvmlInit", init)
    config = resolve_config({"intensity_g_per_kwh": 100, "rapl_root": str(make_rapl(tmp_path))},
                            environ={}, read_file=False)
    found = discover_sensors(config)
    assert [(s.device, s.method) for s in found.sensors] == [("cpu:0", "rapl"), ("ram:0", "rapl")]
    assert any("gpu: not measured" in n for n in found.notes)
    found.close()


def test_codecarbon_models_without_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CPU/RAM fall-back uses codecarbon's TDP table and load model, and opens no socket."""
    from carbonllm.measure.modelled import CodecarbonModels, CpuModelSensor, RamModelSensor

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("codecarbon tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    models = CodecarbonModels()
    ticks = iter([0.0, 2.0, 4.0])
    cpu = CpuModelSensor(models, clock=lambda: next(ticks))
    assert cpu.read_energy_j() == 0.0  # the baseline never waits for codecarbon
    models.wait()
    energy_j = cpu.read_energy_j()
    info, _ = models.cpu()
    # codecarbon's load model: power between 10% and 100% of TDP, here over 2 s
    assert 0.1 * info.max_power_w * 2 - 1e-9 <= energy_j <= info.max_power_w * 2 + 1e-9
    assert info.max_power_w > 0
    assert cpu.method == "codecarbon-cpu-model"
    ram = RamModelSensor(models, clock=iter([0.0, 10.0]).__next__)
    ram.read_energy_j()
    assert ram.read_energy_j() == pytest.approx(models.ram().power_w * 10.0)


def test_import_does_not_load_vendor_libraries() -> None:
    code = ("import sys, carbonllm, carbonllm.measure.sensors, carbonllm.measure.sampler, carbonllm.measure.tracker, "
            "carbonllm.measure.runfiles, carbonllm.measure.projection, carbonllm.measure.track_config, "
            "carbonllm.cli.track_cmd;"
            "print(sorted(m for m in ('pynvml', 'codecarbon', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_cpu_model_covers_the_time_codecarbon_takes_to_load() -> None:
    """The load is read from the first sample; once codecarbon gives the TDP, the energy of the
    intervals before it is charged at their own load (codecarbon 3.x: TDP × (0.1 + 0.9·load³))."""
    from carbonllm.measure.modelled import CpuModelInfo, CpuModelSensor

    class SlowModels:  # codecarbon still loading for the first two reads, then a 100 W CPU
        def __init__(self) -> None:
            self.calls = 0

        @property
        def ready(self) -> bool:
            self.calls += 1
            return self.calls > 2

        def cpu(self) -> tuple[CpuModelInfo, None]:
            return CpuModelInfo(model="Test CPU", tdp_w=100.0, sockets=1, max_power_w=100.0, matched=True), None

    clock = iter([0.0, 10.0, 20.0, 30.0]).__next__
    # (busy, total) CPU-seconds: 100% busy for the first 10 s, 50% for the next 10, idle for the last
    times = iter([(0.0, 0.0), (20.0, 20.0), (30.0, 40.0), (30.0, 60.0)]).__next__
    cpu = CpuModelSensor(SlowModels(), clock=clock, cpu_times=times)  # type: ignore[arg-type]
    assert cpu.read_energy_j() == 0.0
    assert cpu.read_energy_j() == 0.0  # loading: nothing charged yet
    assert cpu.read_energy_j() == 0.0
    # by hand: 10 s at 100 W × (0.1 + 0.9·1³) + 10 s × 100 W × (0.1 + 0.9·0.5³) + 10 s × 100 W × 0.1
    expected_j = 10 * 100 * 1.0 + 10 * 100 * (0.1 + 0.9 * 0.125) + 10 * 100 * 0.1
    assert cpu.read_energy_j() == pytest.approx(expected_j)
    assert cpu.read_power_w() == pytest.approx(10.0)
