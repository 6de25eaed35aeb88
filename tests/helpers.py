"""Inputs built by hand for tests in several folders: a run summary with hand-computed figures,
and the size of a PNG read from its header.

``from helpers import ...`` (pytest puts ``tests/`` on the import path through ``pythonpath`` in
pyproject.toml).
"""

from __future__ import annotations

import os
import signal
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def run_summary(**overrides: Any) -> dict[str, Any]:
    """A run summary as ``carbonllm track`` writes it (format carbonllm.run/1).

    Hand figures: IT energy 1.5 (gpu) + 0.4 (cpu) + 0.1 (ram) = 2.0 kWh; × PUE 1.2 = 2.4 kWh;
    × 50 gCO2e/kWh = 120 g = 0.12 kg.
    """
    summary: dict[str, Any] = {
        "format": "carbonllm.run/1",
        "carbonllm_version": "0.1.0",
        "run_id": "20260101-120000-abcd",
        "host": "gpu-node-1",
        "node_rank": 0,
        "command": ["python", "train.py"],
        "exit_status": 0,
        "started_at": "2026-01-01T12:00:00+00:00",
        "ended_at": "2026-01-01T13:00:00+00:00",
        "duration_s": 3600.0,
        "devices": [
            {"device": "gpu:0", "component": "gpu", "name": "NVIDIA A100-SXM4-80GB", "energy_kwh": 0.75,
             "method": "nvml-energy-counter", "samples": 360, "errors": []},
            {"device": "gpu:1", "component": "gpu", "name": "NVIDIA A100-SXM4-80GB", "energy_kwh": 0.75,
             "method": "nvml-energy-counter", "samples": 360, "errors": []},
            {"device": "cpu:0", "component": "cpu", "name": "Intel Xeon", "energy_kwh": 0.4,
             "method": "rapl", "samples": 360, "errors": []},
            {"device": "ram", "component": "ram", "name": "RAM", "energy_kwh": 0.1,
             "method": "rapl-dram", "samples": 360, "errors": []},
        ],
        "energy_kwh_by_component": {"gpu": 1.5, "cpu": 0.4, "ram": 0.1},
        "energy_kwh": 2.0,
        "pue": 1.2,
        "facility_energy_kwh": 2.4,
        "region": "FRA",
        "region_name": "France",
        "region_is_default": False,
        "intensity_g_per_kwh": 50.0,
        "intensity_year": 2023,
        "intensity_source": "test grid table, 2023",
        "co2e_kg": 0.12,
        "method": "measured",
        "gpu_count": 2,
        "gpu_name": "NVIDIA A100-SXM4-80GB",
        "gpu_hours": 2.0,
        "projection": None,
        "complete": True,
    }
    summary.update(overrides)
    return summary


def kill_orphan(pid: int | None) -> None:
    """Kill the command a killed tracker ran, if it is still there: it dies with the tracker on
    Linux (PR_SET_PDEATHSIG); elsewhere it is orphaned."""
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (PNG spec, ISO/IEC 15948 §11.2.2)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


class Hung(Exception):
    """A call ran past its alarm. Deliberately not an ``OSError`` (as ``TimeoutError`` is), so a
    reader that turns OS errors into one-line input errors cannot hide a hang."""


@contextmanager
def fails_after(seconds: int, what: str) -> Iterator[None]:
    """Raise :class:`Hung` in the body if it runs longer than ``seconds`` (SIGALRM): a hang
    becomes a test failure instead of a stuck suite."""
    def alarm(signum: int, frame: object) -> None:
        raise Hung(what)

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

