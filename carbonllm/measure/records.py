"""The records of a measured run: :class:`RunSummary`, its per-device and per-window parts.

The ``carbonllm.run/1`` format's fields, as frozen pydantic models with units in every name
(``energy_kwh``, ``duration_s``, ``intensity_g_per_kwh``). Written and read by
:mod:`carbonllm.measure.runfiles`; documented field by field in ``docs/tracking.md``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict

from carbonllm.measure.projection import Projection

FORMAT = "carbonllm.run/1"
COMPONENTS = ("gpu", "cpu", "ram")


class DeviceSummary(BaseModel):
    """One measured device of one node."""

    model_config = ConfigDict(frozen=True)

    device: str  # "gpu:0", "cpu:0", "ram", "ram:0"
    component: str  # gpu / cpu / ram
    name: str
    energy_kwh: float  # IT energy of this device over the run
    method: str  # nvml-counter, nvml-power-integration, rapl, codecarbon-cpu-model, ram-model, fake
    samples: int
    errors: list[str] = []
    host: str | None = None
    node_rank: int | None = None
    mean_power_w: float | None = None


class Measurement(BaseModel):
    """The result of a named measurement window (``with tracker.window("epoch-3") as w``)."""

    model_config = ConfigDict(frozen=True)

    name: str
    method: str  # "measured", or "not-measured" on a local rank other than 0
    start_elapsed_s: float
    duration_s: float
    energy_kwh: float  # IT energy
    energy_kwh_by_component: dict[str, float]
    energy_kwh_by_device: dict[str, float]
    methods_by_device: dict[str, str]
    pue: float
    facility_energy_kwh: float
    intensity_g_per_kwh: float
    co2e_kg: float


class RunSummary(BaseModel):
    """One node's run (or, from :func:`merge_runs`, every node's together)."""

    model_config = ConfigDict(frozen=True)

    format: str = FORMAT
    carbonllm_version: str
    run_id: str
    host: str
    node_rank: int | None
    node_count: int = 1
    command: list[str] | None = None
    pid: int | None = None
    exit_status: int | None = None
    started_at: str
    ended_at: str
    duration_s: float
    devices: list[DeviceSummary]
    energy_kwh_by_component: dict[str, float]
    energy_kwh: float  # IT energy: the sum over devices
    pue: float
    pue_is_default: bool = False
    pue_source: str | None = None  # "given (flag)", the default's source, or how a merge mixed them
    facility_energy_kwh: float  # energy_kwh × pue
    region: str
    region_name: str
    region_is_default: bool
    intensity_g_per_kwh: float
    intensity_year: int | None
    intensity_source: str
    co2e_kg: float  # facility_energy_kwh × intensity / 1000
    intensity_basis: str | None = None  # lifecycle, direct_combustion, co2_direct, user_given
    market_intensity_g_per_kwh: float | None = None  # market-based (GHG Protocol Scope 2), if given
    market_co2e_kg: float | None = None  # facility_energy_kwh × market intensity / 1000
    market_source: str | None = None
    method: str = "measured"
    gpu_count: int
    gpu_name: str | None
    gpu_hours: float  # duration_s / 3600 × gpu_count (summed over nodes when merged)
    projection: Projection | None = None
    complete: bool
    interval_s: float | None = None
    tokens_done: float | None = None
    steps_done: float | None = None
    windows: list[Measurement] = []
    notes: list[str] = []
    samples_file: str | None = None
    node_files: list[str] = []

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def iso_utc(time_unix: float) -> str:
    """``2025-01-31T12:00:00.123456Z``."""
    return datetime.fromtimestamp(time_unix, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def gpu_summary(devices: Sequence[DeviceSummary]) -> tuple[int, str | None]:
    """GPU count and the most common GPU name (None without GPUs)."""
    names = [d.name for d in devices if d.component == "gpu"]
    return len(names), (Counter(names).most_common(1)[0][0] if names else None)
