"""Hardware faked at the thinnest boundary: the pynvml functions and a RAPL powercap tree.

Imported by the tests of :mod:`carbonllm.measure` and ``carbonllm doctor`` (``from fakes import
...``; pytest puts ``tests/`` on the import path through ``pythonpath`` in pyproject.toml).
"""

from __future__ import annotations

import os
from pathlib import Path

import pynvml
import pytest


class FakeNvml:
    """State behind the monkeypatched pynvml functions: GPUs with counters in mJ, power in mW."""

    def __init__(self, gpus: list[dict]) -> None:
        self.gpus = gpus
        self.init_calls = 0
        self.shutdown_calls = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def handle(index: int) -> int:
            if index >= len(self.gpus):
                raise pynvml.NVMLError(pynvml.NVML_ERROR_INVALID_ARGUMENT)
            return index

        def energy(h: int) -> int:
            value = self.gpus[h]["energy_mj"]
            if isinstance(value, tuple):  # ("error", NVML error code)
                raise pynvml.NVMLError(value[1])
            return value

        def init() -> None:
            self.init_calls += 1

        def shutdown() -> None:
            self.shutdown_calls += 1

        patches = {
            "nvmlInit": init,
            "nvmlShutdown": shutdown,
            "nvmlDeviceGetCount": lambda: len(self.gpus),
            "nvmlDeviceGetHandleByIndex": handle,
            "nvmlDeviceGetName": lambda h: self.gpus[h]["name"],
            "nvmlDeviceGetUUID": lambda h: self.gpus[h]["uuid"],
            "nvmlDeviceGetTotalEnergyConsumption": energy,
            "nvmlDeviceGetPowerUsage": lambda h: self.gpus[h]["power_mw"],
            "nvmlSystemGetDriverVersion": lambda: "550.54",
        }
        for name, fn in patches.items():
            monkeypatch.setattr(pynvml, name, fn)


def two_gpus(counter: bool = True) -> FakeNvml:
    return FakeNvml([
        {"name": "NVIDIA H100 80GB HBM3", "uuid": "GPU-aaaa1111", "power_mw": 300_000,
         "energy_mj": 5_000_000 if counter else ("error", pynvml.NVML_ERROR_NOT_SUPPORTED)},
        {"name": "NVIDIA H100 80GB HBM3", "uuid": "GPU-bbbb2222", "power_mw": 250_000,
         "energy_mj": 7_000_000 if counter else ("error", pynvml.NVML_ERROR_NOT_SUPPORTED)},
    ])


def make_rapl(root: Path, packages: int = 1, dram: bool = True, energy_uj: int = 1_000_000,
              max_uj: int = 262_143_328_850) -> Path:
    for p in range(packages):
        d = root / f"intel-rapl:{p}"
        d.mkdir(parents=True)
        (d / "name").write_text(f"package-{p}\n")
        (d / "energy_uj").write_text(f"{energy_uj}\n")
        (d / "max_energy_range_uj").write_text(f"{max_uj}\n")
        core = root / f"intel-rapl:{p}:0"
        core.mkdir()
        (core / "name").write_text("core\n")
        (core / "energy_uj").write_text("5\n")
        if dram:
            m = root / f"intel-rapl:{p}:1"
            m.mkdir()
            (m / "name").write_text("dram\n")
            (m / "energy_uj").write_text("2000000\n")
            (m / "max_energy_range_uj").write_text("65712999613\n")
    psys = root / f"intel-rapl:{packages}"
    psys.mkdir()
    (psys / "name").write_text("psys\n")
    (psys / "energy_uj").write_text("99\n")
    return root


class FakeAmdSmi:
    """A stand-in for the ``amdsmi`` module (its functions' names, return shapes and units, from
    ROCm/amdsmi's py-interface): GPUs with an energy accumulator in ticks of
    ``counter_resolution`` µJ (``None``: not supported) and socket power in W."""

    class AmdSmiException(Exception):
        pass

    def __init__(self, gpus: list[dict]) -> None:
        self.gpus = gpus
        self.shutdown_calls = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import sys
        import types

        module = types.ModuleType("amdsmi")
        fake = self

        def energy(handle: int) -> dict:
            ticks = fake.gpus[handle]["ticks"]
            if ticks is None:
                raise fake.AmdSmiException("AMDSMI_STATUS_NOT_SUPPORTED")
            fake.gpus[handle]["ticks"] = ticks + fake.gpus[handle].get("ticks_per_read", 0)
            return {"energy_accumulator": ticks, "counter_resolution": fake.gpus[handle]["resolution_uj"],
                    "timestamp": 0}

        def shut_down() -> None:
            fake.shutdown_calls += 1

        functions = {
            "AmdSmiException": self.AmdSmiException,
            "amdsmi_init": lambda *args: None,
            "amdsmi_shut_down": shut_down,
            "amdsmi_get_processor_handles": lambda: list(range(len(self.gpus))),
            "amdsmi_get_gpu_asic_info": lambda h: {"market_name": self.gpus[h]["name"]},
            "amdsmi_get_gpu_device_uuid": lambda h: self.gpus[h]["uuid"],
            "amdsmi_get_energy_count": energy,
            "amdsmi_get_power_info": lambda h: {"socket_power": "N/A", "current_socket_power": self.gpus[h]["power_w"],
                                                "average_socket_power": "N/A"},
        }
        for name, value in functions.items():
            setattr(module, name, value)
        monkeypatch.setitem(sys.modules, "amdsmi", module)


def two_amd_gpus() -> FakeAmdSmi:
    """An MI300X with an accumulator (15.259 µJ/tick, 1,000,000 ticks more per read = 15.259 J)
    and an MI250X without one (power only)."""
    return FakeAmdSmi([
        {"name": "AMD Instinct MI300X", "uuid": "amd-0001", "power_w": 600.0, "ticks": 5_000_000,
         "ticks_per_read": 1_000_000, "resolution_uj": 15.259},
        {"name": "AMD Instinct MI250X", "uuid": "amd-0002", "power_w": 400.0, "ticks": None, "resolution_uj": 15.259},
    ])


def tracker_env(tmp_path: Path, dram_energy_uj: int = 5000) -> dict[str, str]:
    """The environment for a real ``carbonllm track`` subprocess: this one without carbonllm's,
    rank and proxy variables, RAPL faked at its sysfs files (one package, one DRAM domain) under
    ``tmp_path/rapl``, and a fresh HOME (no user config file)."""
    package = tmp_path / "rapl" / "intel-rapl:0"
    package.mkdir(parents=True)
    (package / "name").write_text("package-0\n")
    (package / "energy_uj").write_text("1000000\n")
    (package / "max_energy_range_uj").write_text("262143328850\n")
    dram = tmp_path / "rapl" / "intel-rapl:0:0"
    dram.mkdir()
    (dram / "name").write_text("dram\n")
    (dram / "energy_uj").write_text(f"{dram_energy_uj}\n")
    (dram / "max_energy_range_uj").write_text("65712999613\n")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CARBONLLM_", "LOCAL_RANK", "SLURM_", "NODE_RANK")) and "proxy" not in k.lower()}
    env.update(CARBONLLM_RAPL_ROOT=str(tmp_path / "rapl"), HOME=str(tmp_path / "home"))
    return env
