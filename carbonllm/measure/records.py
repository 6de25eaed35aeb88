"""The records of a measured run: :class:`RunSummary`, its per-device and per-window parts.

The ``carbonllm.run/1`` format's fields, as frozen pydantic models with units in every name
(``energy_kwh``, ``duration_s``, ``intensity_g_per_kwh``). Written and read by
:mod:`carbonllm.measure.runfiles`; documented field by field in ``docs/tracking.md``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
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
    # with --embodied: the GPUs' manufacturing emissions for gpu_hours (Luccioni et al. 2022 §4.3),
    # beside co2e_kg, never added into it; None when not asked for or no GPU was measured
    embodied_co2e_kg: float | None = None
    embodied_source: str | None = None
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


#: Fields of a run summary that must be >= 0 (and finite, as every number must be), by dotted
#: path; ``*`` stands for every item of a list.
NON_NEGATIVE = (
    "duration_s", "energy_kwh", "facility_energy_kwh", "co2e_kg", "intensity_g_per_kwh", "gpu_hours",
    "gpu_count", "embodied_co2e_kg", "tokens_done", "steps_done", "devices.*.energy_kwh", "devices.*.samples",
    "devices.*.mean_power_w", "energy_kwh_by_component.*", "windows.*.duration_s", "windows.*.energy_kwh",
    "projection.done", "projection.total", "projection.measured_duration_s", "projection.measured_energy_kwh",
)


def _numbers(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every number inside ``value`` with its dotted path (list items as their index)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _numbers(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _numbers(item, f"{path}.{i}")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path, value


def _matches(path: str, pattern: str) -> bool:
    parts, want = path.split("."), pattern.split(".")
    return len(parts) == len(want) and all(w in ("*", p) for p, w in zip(parts, want, strict=True))


def summary_problem(summary: RunSummary) -> str | None:
    """What makes a (validated) summary's values impossible, as ``field: reason``; None if nothing.

    Every number finite; energies, durations, counts, CO2e and intensity >= 0; PUE >= 1; node
    count >= 1; a projection's total and node share > 0 (share at most 1); timestamps ISO 8601.
    A reader calls this so that no report divides by zero or prints ``inf`` from a bad file.
    """
    data = summary.model_dump(mode="python")
    for path, value in _numbers(data, ""):
        if not math.isfinite(value):
            return f"{path}: {value} is not a finite number"
        if value < 0 and any(_matches(path, p) for p in NON_NEGATIVE):
            return f"{path}: {value:g} is negative"
    if summary.pue < 1:
        return f"pue: {summary.pue:g} is less than 1"
    if summary.node_count < 1:
        return f"node_count: {summary.node_count} is less than 1"
    if summary.interval_s is not None and summary.interval_s <= 0:
        return f"interval_s: {summary.interval_s:g} is not positive"
    p = summary.projection
    if p is not None:
        if p.total <= 0:
            return f"projection.total: {p.total:g} is not positive"
        if not 0 < p.node_share <= 1:
            return f"projection.node_share: {p.node_share:g} is not in (0, 1]"
        if p.nodes < 1:
            return f"projection.nodes: {p.nodes} is less than 1"
    for name in ("started_at", "ended_at"):
        try:
            parse_iso(getattr(summary, name))
        except (ValueError, OverflowError, OSError):
            return f"{name}: {getattr(summary, name)!r} is not an ISO 8601 time"
    return None
