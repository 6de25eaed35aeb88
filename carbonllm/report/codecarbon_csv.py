"""codecarbon interop: read a codecarbon ``emissions.csv`` into a report, write codecarbon rows.

The column layout is that of codecarbon 3.3.2's ``EmissionsData`` (codecarbon/output_methods/
emissions_data.py), in its order. Units, from codecarbon's ``EmissionsTracker``:
``emissions`` kgCO2e, ``emissions_rate`` kg/s, ``*_power`` W (averages), ``*_energy`` and
``energy_consumed`` kWh, ``duration`` s, ``water_consumed`` L, ``ram_total_size`` GB.
codecarbon multiplies every power and energy by the PUE before writing it, so
``energy_consumed`` is facility energy and the IT energy is ``energy_consumed / pue``.

codecarbon appends a row each time it flushes, and each row holds the run's running totals; so
for each ``run_id`` only the last (longest) row counts, and distinct runs are summed. A task file
(with a ``task_name`` column) holds one row per task, all summed.

codecarbon itself is never imported: its import initialises NVML.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from carbonllm._version import __version__
from carbonllm.errors import InputError
from carbonllm.files import MIB, read_text
from carbonllm.names import require_path
from carbonllm.report.data import ReportData
from carbonllm.units import J_PER_KWH, SECONDS_PER_HOUR

#: codecarbon 3.3.2 ``EmissionsData`` fields, in order: the header of its emissions.csv.
CODECARBON_COLUMNS: tuple[str, ...] = (
    "timestamp", "project_name", "run_id", "experiment_id", "duration", "emissions", "emissions_rate",
    "cpu_power", "gpu_power", "ram_power", "cpu_energy", "gpu_energy", "ram_energy", "energy_consumed",
    "water_consumed", "country_name", "country_iso_code", "region", "cloud_provider", "cloud_region", "os",
    "python_version", "codecarbon_version", "cpu_count", "cpu_model", "gpu_count", "gpu_model", "longitude",
    "latitude", "ram_total_size", "tracking_mode", "cpu_utilization_percent", "gpu_utilization_percent",
    "ram_utilization_percent", "ram_used_gb", "on_cloud", "pue", "wue",
)

#: A codecarbon file larger than this is refused (a row is ~700 bytes: this is ~750,000 rows;
#: codecarbon writes one row per run, or per flush with ``save_to_file`` on every measurement).
MAX_CSV_BYTES = 512 * MIB

#: Columns without which a file is not read as a codecarbon output.
REQUIRED_COLUMNS = ("emissions", "energy_consumed", "duration")

#: ``tracking_mode`` written for an estimate (codecarbon's own are "machine" and "process").
ESTIMATED_MODE = "estimated"


def looks_like_codecarbon(header: Sequence[str]) -> bool:
    """Whether a CSV header is that of a codecarbon emissions file."""
    return all(c in header for c in REQUIRED_COLUMNS)


def _number(row: Mapping[str, Any], column: str, line: int, default: float | None = None) -> float | None:
    """The number in ``column``: empty or ``nan`` gives ``default``; anything else must be a
    finite number >= 0 (every column read here is an energy, power, duration, count or PUE)."""
    text = (row.get(column) or "").strip()
    if not text or text.lower() == "nan":
        return default
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"codecarbon file line {line}: column {column} is not a number: {text[:40]!r}") from None
    if not math.isfinite(value) or value < 0:
        raise InputError(f"codecarbon file line {line}: column {column} must be a finite number >= 0, "
                         f"not {text[:40]!r}")
    return value


def _runs(rows: list[tuple[int, dict[str, str]]], tasks: bool) -> list[tuple[int, dict[str, str]]]:
    """The rows that count: every task row, or the last (longest) row of each run_id."""
    if tasks:
        return rows
    last: dict[str, tuple[float, int, dict[str, str]]] = {}
    for line, row in rows:
        run_id = (row.get("run_id") or "").strip() or f"(no run_id, line {line})"
        duration = _number(row, "duration", line, 0.0) or 0.0
        kept = last.get(run_id)
        if kept is None or duration >= kept[0]:
            last[run_id] = (duration, line, row)
    return sorted(((line, row) for _, line, row in last.values()), key=lambda pair: pair[0])


def _distinct(rows: Iterable[dict[str, str]], column: str) -> list[str]:
    """The distinct non-empty values of ``column``, in order of first appearance (linear)."""
    seen: dict[str, None] = {}
    for row in rows:
        value = (row.get(column) or "").strip()
        if value:
            seen.setdefault(value, None)
    return list(seen)


def _is_time(text: str) -> bool:
    """Whether ``text`` is an ISO 8601 time (codecarbon writes ``2025-01-01T00:00:00``)."""
    from datetime import datetime

    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _joined(values: Sequence[str], limit: int = 5) -> str | None:
    """``a, b, c`` — or, past ``limit`` values, the first ones and how many there are."""
    if not values:
        return None
    if len(values) <= limit:
        return ", ".join(values)
    return f"{', '.join(values[:limit])}, … ({len(values):,} in all)"


def report_from_rows(rows: Sequence[tuple[int, dict[str, str]]], *, tasks: bool = False,
                     notes: Sequence[str] = ()) -> ReportData:
    """ReportData from codecarbon rows (each with its line number), aggregated as the module says."""
    if not rows:
        raise InputError("the codecarbon file has no data rows")
    used = _runs(list(rows), tasks)
    energy = co2e = it_energy = duration = device_hours = 0.0
    components = {"cpu": 0.0, "gpu": 0.0, "ram": 0.0}
    pues: set[float] = set()
    gpu_count = 0
    for line, row in used:
        given_pue = _number(row, "pue", line)
        pue = 1.0 if given_pue is None else given_pue  # codecarbon's default PUE is 1
        if pue < 1:
            raise InputError(f"codecarbon file line {line}: pue must be >= 1, got {pue:g}")
        pues.add(pue)
        row_energy = _number(row, "energy_consumed", line)
        row_co2e = _number(row, "emissions", line)
        row_duration = _number(row, "duration", line, 0.0) or 0.0
        if row_energy is None or row_co2e is None:
            raise InputError(f"codecarbon file line {line}: emissions or energy_consumed is empty")
        energy += row_energy
        co2e += row_co2e
        it_energy += row_energy / pue  # codecarbon writes energy x PUE
        for component in components:
            components[component] += (_number(row, f"{component}_energy", line, 0.0) or 0.0) / pue
        duration += row_duration
        count = int(_number(row, "gpu_count", line, 0.0) or 0)
        gpu_count = max(gpu_count, count)
        device_hours += count * row_duration / SECONDS_PER_HOUR
    rows_used = [row for _, row in used]
    versions = _distinct(rows_used, "codecarbon_version")
    produced = [v.replace("-", " ", 1) if v.startswith("carbonllm") else f"codecarbon {v}" for v in versions]
    modes = _distinct(rows_used, "tracking_mode")
    countries = _distinct(rows_used, "country_iso_code")
    names = _distinct(rows_used, "country_name")
    regions = _distinct(rows_used, "region")
    clouds = [f"{p}:{r}" for p, r in zip(_distinct(rows_used, "cloud_provider"), _distinct(rows_used, "cloud_region"),
                                          strict=False)]
    timestamps = sorted(t for t in _distinct(rows_used, "timestamp") if _is_time(t))
    extra = list(notes)
    if tasks:
        extra.append(f"summed {len(used)} codecarbon task rows")
    elif len(used) > 1 or len(used) < len(rows):
        extra.append(f"aggregated {len(used)} codecarbon run(s) from {len(rows)} row(s): for each run_id the "
                     "last row (codecarbon's running total) was used, and the runs were summed")
    pue_value = next(iter(pues)) if len(pues) == 1 else None
    if len(pues) > 1:
        extra.append("the rows use different PUEs (" + ", ".join(f"{p:g}" for p in sorted(pues)) + ")")
    region_name = ", ".join(names + [r for r in regions if r not in names]) or None
    if clouds:
        region_name = f"{region_name or ''} (cloud {', '.join(clouds)})".strip()
    estimated = modes == [ESTIMATED_MODE]
    gpu_models = _distinct(rows_used, "gpu_model")
    return ReportData(
        kind="codecarbon",
        method="estimated" if estimated else "measured",
        produced_by=", ".join(produced) or "codecarbon",
        run_id=_joined(_distinct(rows_used, "run_id")),
        records=len(used),
        started_at=timestamps[0] if len(timestamps) > 1 else None,
        ended_at=timestamps[-1] if timestamps else None,
        duration_s=duration,
        gpu_name=", ".join(gpu_models) or None,
        gpu_count=gpu_count,
        device_hours=device_hours if gpu_count else None,
        it_energy_kwh=it_energy,
        energy_kwh_by_component={k: v for k, v in components.items() if v},
        pue=pue_value,
        energy_kwh=energy,
        intensity_g_per_kwh=co2e / energy * 1000 if energy > 0 else None,
        intensity_source="implied by codecarbon's emissions / energy_consumed (codecarbon's own grid data)",
        region=", ".join(countries) or None,
        region_name=region_name,
        co2e_kg=co2e,
        measurement_methods=tuple(f"codecarbon tracking_mode={m}" for m in modes if m != ESTIMATED_MODE),
        notes=tuple(extra),
    )


def read_emissions_csv(path: Path) -> ReportData:
    """ReportData from a codecarbon ``emissions.csv``; ``InputError`` if it is not one.

    Rows cut short (a file truncated while codecarbon was writing) are skipped and said so in
    the report's notes.
    """
    path = require_path(path)
    text = read_text(path, "codecarbon file", MAX_CSV_BYTES)
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = list(reader.fieldnames or [])
    except csv.Error as e:
        raise InputError(f"{path} line 1: not a readable CSV header ({e})") from e
    if not looks_like_codecarbon(header):
        missing = ", ".join(c for c in REQUIRED_COLUMNS if c not in header)
        raise InputError(f"{path} is not a codecarbon emissions file (no column {missing})")
    rows: list[tuple[int, dict[str, str]]] = []
    skipped: list[int] = []
    try:
        for line, row in enumerate(reader, start=2):
            if None in row or any(row.get(c) is None for c in header):  # too many or too few fields
                skipped.append(line)
                continue
            rows.append((line, row))
    except csv.Error as e:  # a field over csv's size limit, a NUL byte, ...
        raise InputError(f"{path} line {reader.line_num}: not a readable CSV row ({e})") from e
    notes = [f"skipped malformed line(s) {_joined([str(n) for n in skipped], 10)} of {path.name}"] if skipped else []
    return report_from_rows(rows, tasks="task_name" in header, notes=notes)


# --- writing ----------------------------------------------------------------------------------


def codecarbon_row(data: ReportData, *, timestamp: str, country_name: str = "", country_iso_code: str = "",
                   region: str = "", cloud_provider: str = "", cloud_region: str = "") -> dict[str, Any]:
    """One row in codecarbon 3.3.2's layout for ``data`` (energies × PUE, as codecarbon writes them)."""
    pue = data.pue or 1.0
    duration_s = data.duration_s
    if duration_s is None and data.device_hours is not None:
        duration_s = data.device_hours * SECONDS_PER_HOUR  # an estimate with no device count: one device
    duration_s = duration_s or 0.0
    by_component = data.energy_kwh_by_component

    def energy(component: str) -> float:
        return by_component.get(component, 0.0) * pue

    def power_w(component: str) -> float:
        return energy(component) * J_PER_KWH / duration_s if duration_s else 0.0

    row: dict[str, Any] = {c: "" for c in CODECARBON_COLUMNS}
    row.update(
        timestamp=timestamp,
        project_name="carbonllm",
        run_id=data.run_id or data.kind,
        experiment_id=data.kind,
        duration=duration_s,
        emissions=data.co2e_kg,
        emissions_rate=data.co2e_kg / duration_s if duration_s else 0.0,
        cpu_power=power_w("cpu"), gpu_power=power_w("gpu"), ram_power=power_w("ram"),
        cpu_energy=energy("cpu"), gpu_energy=energy("gpu"), ram_energy=energy("ram"),
        energy_consumed=data.energy_kwh,
        water_consumed=0.0,
        country_name=country_name,
        country_iso_code=country_iso_code,
        region=region,
        cloud_provider=cloud_provider,
        cloud_region=cloud_region,
        codecarbon_version=f"carbonllm-{__version__}",
        gpu_count=data.gpu_count or 0,
        gpu_model=data.gpu_name or "",
        tracking_mode=ESTIMATED_MODE if data.method == "estimated" else "machine",
        on_cloud="Y" if cloud_provider else "N",
        pue=pue,
        wue=0.0,
    )
    return row


def render_codecarbon_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV text with codecarbon's header and ``rows``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(CODECARBON_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in CODECARBON_COLUMNS})
    return out.getvalue()


def location_columns(data: ReportData) -> dict[str, str]:
    """codecarbon's location columns for ``data``'s region, looked up in the grid table.

    Countries give their name and ISO alpha-3 code (as codecarbon writes them); a subregion its
    country and its own code in ``region``; a cloud region its provider and name.
    """
    from carbonllm.errors import UnknownRegionError
    from carbonllm.tables.loader import find_zone

    columns = {"country_name": "", "country_iso_code": "", "region": "", "cloud_provider": "", "cloud_region": ""}
    if not data.region or data.region == "custom" or data.kind == "codecarbon":
        if data.kind == "codecarbon":
            columns["country_iso_code"] = data.region or ""
            columns["country_name"] = data.region_name or ""
        return columns
    try:
        zone = find_zone(data.region)
    except UnknownRegionError:
        columns["region"] = data.region
        return columns
    if zone.kind == "cloud":
        provider, _, name = zone.zone.partition(":")
        columns.update(cloud_provider=provider, cloud_region=name)
        zone_code = zone.grid_zone
    else:
        zone_code = zone.zone
    if zone_code and zone.kind != "world":
        try:
            grid = find_zone(zone_code)
        except UnknownRegionError:
            grid = None
        if grid is not None and grid.kind == "subregion":
            columns["region"] = grid.zone
            country = grid.zone.split("-")[0]
            try:
                grid = find_zone(country)
            except UnknownRegionError:
                grid = None
        if grid is not None and grid.kind == "country":
            columns.update(country_name=grid.name, country_iso_code=grid.zone)
    return columns
