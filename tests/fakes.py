"""Hardware faked at the thinnest boundary: the pynvml functions and a RAPL powercap tree.

Imported by the tests of :mod:`carbonllm.measure` and ``carbonllm doctor`` (``from fakes import
...``; pytest puts ``tests/`` on the import path through ``pythonpath`` in pyproject.toml).
"""

from __future__ import annotations

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
