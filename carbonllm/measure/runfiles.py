"""Tracked runs on disk: the ``carbonllm.run/1`` format, ``load_run`` and ``merge_runs``.

A run directory holds, per node (one tracker per node), two files named by host and node rank::

    <host>-node<R>.samples.jsonl   one JSON object per device per sample, appended as measured
    <host>-node<R>.summary.json    a RunSummary; provisional (complete=false) until the run ends

The fields are documented in ``docs/tracking.md``; fields may be added, never renamed. The
public API, which ``carbonllm report`` builds on:

* :func:`load_run` (a summary file, or a run directory merged) → :class:`RunSummary`
* :func:`merge_runs` (a directory of node files) → one :class:`RunSummary` for the whole run
* :func:`load_samples` → the sample records, skipping (and counting) truncated lines

Totals of a merge: energies, CO2e and GPU-hours add up over nodes; the duration runs from the
earliest start to the latest end; the run is complete only if every node is.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from carbonllm.errors import DataTableError, InputError
from carbonllm.measure.projection import EstimateComparison, Projection, build_projection
from carbonllm.measure.records import (
    COMPONENTS,
    FORMAT,
    DeviceSummary,
    Measurement,
    RunSummary,
    gpu_summary,
    iso_utc,
    parse_iso,
)
from carbonllm.names import require_path
from carbonllm.units import G_PER_KG, SECONDS_PER_HOUR, co2e_kg_from

SUMMARY_SUFFIX = ".summary.json"
SAMPLES_SUFFIX = ".samples.jsonl"


def node_stem(host: str, node_rank: int) -> str:
    """The file-name stem of a node's files: ``<host>-node<R>``."""
    return f"{host}-node{node_rank}"


def write_summary(summary: RunSummary, path: Path) -> None:
    """Write atomically (temp file, fsync, rename), so a reader never sees half a summary."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(summary.to_dict(), f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# --- reading ----------------------------------------------------------------------------------


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def read_summary(path: Path) -> RunSummary:
    """One node's summary file; ``InputError``/``DataTableError`` with one line if it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise InputError(f"{path} does not exist") from e
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataTableError(f"{path} is not a carbonllm run summary (not JSON: {e.msg} at line {e.lineno})") from e
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"{path} is not a carbonllm run summary (format {found!r}, expected {FORMAT!r})")
    try:
        return RunSummary.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DataTableError(f"{path} is a corrupt carbonllm run summary: {where}: {first['msg']}") from e


def load_samples(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The sample records of a ``.samples.jsonl`` file and the number of lines skipped.

    A line that is not a JSON object (typically the last one, cut by a crash) is skipped and
    counted, never fatal.
    """
    records: list[dict[str, Any]] = []
    skipped = 0
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from e
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            skipped += 1
            continue
        if isinstance(record, dict) and "device" in record and "energy_j" in record:
            records.append(record)
        else:
            skipped += 1
    return records, skipped


def _with_sample_check(summary: RunSummary, path: Path) -> RunSummary:
    """An incomplete summary, with notes on its samples file (truncated lines)."""
    notes = list(summary.notes)
    notes.append(f"{path.name}: incomplete - the tracker did not finish (killed or still running); "
                 "figures are those of the last provisional summary")
    samples = path.with_name(path.name[: -len(SUMMARY_SUFFIX)] + SAMPLES_SUFFIX)
    if samples.exists():
        _, skipped = load_samples(samples)
        if skipped:
            notes.append(f"{samples.name}: skipped {skipped} truncated or malformed line(s)")
    return summary.model_copy(update={"notes": notes})


def load_run(path: str | Path) -> RunSummary:
    """A run: a ``.summary.json`` file, or a run directory (its node files merged).

    Raises :class:`InputError` for a path that is not a carbonllm run and
    :class:`DataTableError` for a corrupt summary, each with a one-line message.
    """
    path = require_path(path)
    if path.is_dir():
        return merge_runs(path)
    summary = read_summary(path)
    return summary if summary.complete else _with_sample_check(summary, path)


def merge_runs(directory: str | Path) -> RunSummary:
    """Every node summary in ``directory`` (``*.summary.json``) combined into one run.

    Energies, facility energy, CO2e and GPU-hours add up; the duration runs from the earliest
    start to the latest end; PUE and intensity of the merge are the effective ratios
    (facility / IT energy, CO2e / facility energy); devices keep their host and node rank. A
    projection is recomputed over all nodes. Raises :class:`InputError` if there is no summary.
    """
    directory = require_path(directory, "directory")
    if not directory.is_dir():
        raise InputError(f"{directory} is not a directory of carbonllm runs")
    files = sorted(directory.glob(f"*{SUMMARY_SUFFIX}"))
    if not files:
        raise InputError(f"{directory} holds no carbonllm run summary (*{SUMMARY_SUFFIX})")
    nodes = [load_run(f) for f in files]
    if len(nodes) == 1:
        return nodes[0].model_copy(update={"node_files": [files[0].name]})
    return combine(nodes, [f.name for f in files])


def combine(nodes: Sequence[RunSummary], names: Sequence[str] | None = None) -> RunSummary:
    """The merge of several node summaries (see :func:`merge_runs`)."""
    first = nodes[0]
    started = min(parse_iso(n.started_at) for n in nodes)
    ended = max(parse_iso(n.ended_at) for n in nodes)
    devices = [d.model_copy(update={"host": d.host or n.host,
                                    "node_rank": d.node_rank if d.node_rank is not None else n.node_rank})
               for n in nodes for d in n.devices]
    by_component = {c: sum(n.energy_kwh_by_component.get(c, 0.0) for n in nodes) for c in COMPONENTS}
    energy = sum(n.energy_kwh for n in nodes)
    facility = sum(n.facility_energy_kwh for n in nodes)
    co2e = sum(n.co2e_kg for n in nodes)
    regions = {n.region for n in nodes}
    gpu_count, gpu_name = gpu_summary(devices)
    statuses = [n.exit_status for n in nodes]
    exit_status = next((s for s in statuses if s), None if None in statuses else 0)
    run_ids = sorted({n.run_id for n in nodes})
    notes = [note for n in nodes for note in n.notes]
    if len(run_ids) > 1:
        notes.append(f"merged {len(run_ids)} different run ids: {', '.join(run_ids)}")
    if len(regions) > 1:
        notes.append(f"nodes in different regions: {', '.join(sorted(regions))}")
    duration_s = ended - started
    merged = RunSummary(
        carbonllm_version=first.carbonllm_version,
        run_id="+".join(run_ids),
        host=",".join(dict.fromkeys(n.host for n in nodes)),
        node_rank=None,
        node_count=sum(n.node_count for n in nodes),
        command=first.command,
        exit_status=exit_status,
        started_at=iso_utc(started),
        ended_at=iso_utc(ended),
        duration_s=duration_s,
        devices=devices,
        energy_kwh_by_component=by_component,
        energy_kwh=energy,
        pue=facility / energy if energy > 0 else first.pue,
        pue_is_default=all(n.pue_is_default for n in nodes),
        pue_source=_merged_pue_source(nodes),
        facility_energy_kwh=facility,
        region=first.region if len(regions) == 1 else "mixed",
        region_name=first.region_name if len(regions) == 1 else "several regions",
        region_is_default=all(n.region_is_default for n in nodes),
        intensity_g_per_kwh=co2e * G_PER_KG / facility if facility > 0 else first.intensity_g_per_kwh,
        intensity_year=first.intensity_year if len(regions) == 1 else None,
        intensity_source=first.intensity_source if len(regions) == 1 else "per node; see the node summaries",
        co2e_kg=co2e,
        gpu_count=gpu_count,
        gpu_name=gpu_name,
        gpu_hours=sum(n.gpu_hours for n in nodes),
        projection=_merged_projection(nodes, duration_s, energy, gpu_count),
        complete=all(n.complete for n in nodes),
        interval_s=first.interval_s,
        tokens_done=max((n.tokens_done for n in nodes if n.tokens_done is not None), default=None),
        steps_done=max((n.steps_done for n in nodes if n.steps_done is not None), default=None),
        windows=[],
        notes=notes,
        node_files=list(names or []),
    )
    return merged


def _merged_pue_source(nodes: Sequence[RunSummary]) -> str | None:
    """Where the merged PUE comes from: the nodes' common source, or, when the nodes differ in
    PUE or in whether it was given, that the merged value is their energy-weighted mean."""
    kinds = sorted({(n.pue, n.pue_is_default) for n in nodes})
    if len(kinds) == 1:
        sources = {n.pue_source for n in nodes}
        return sources.pop() if len(sources) == 1 else None
    parts = ", ".join(f"{pue:g} {'default' if is_default else 'given'}" for pue, is_default in kinds)
    return f"energy-weighted mean of the nodes' PUE ({parts})"


def _merged_projection(nodes: Sequence[RunSummary], duration_s: float, energy_kwh: float,
                       gpu_count: int) -> Projection | None:
    projections = [n.projection for n in nodes if n.projection is not None]
    if not projections:
        return None
    p = max(projections, key=lambda q: q.done)
    estimates = [q.estimate for q in projections if q.estimate is not None]
    estimate = None
    if estimates and len(estimates) == len(nodes):  # each is its node's share: they add up
        e0 = estimates[0]
        estimate = EstimateComparison(energy_kwh=sum(e.energy_kwh for e in estimates),
                                      co2e_kg=sum(e.co2e_kg for e in estimates),
                                      device_hours=sum(e.device_hours for e in estimates),
                                      gpu=e0.gpu, mfu=e0.mfu, power_w=e0.power_w)
    facility = sum(n.facility_energy_kwh for n in nodes)
    co2e = sum(n.co2e_kg for n in nodes)
    return build_projection(
        unit=p.unit, done=p.done, total=p.total, duration_s=duration_s, energy_kwh=energy_kwh,
        gpu_count=gpu_count, pue=facility / energy_kwh if energy_kwh > 0 else 1.0,
        intensity_g_per_kwh=co2e * G_PER_KG / facility if facility > 0 else 0.0,
        nodes_in_run=max(max(round(q.nodes / q.node_share) for q in projections), len(nodes)),
        nodes_measured=len(nodes), params=p.params, peak_tflops=p.peak_tflops, estimate=estimate,
    )


def summarize(
    *,
    config: Any,
    snapshot: Any,
    started_unix: float,
    ended_unix: float,
    complete: bool,
    run_id: str,
    command: list[str] | None = None,
    pid: int | None = None,
    exit_status: int | None = None,
    projection: Projection | None = None,
    tokens_done: float | None = None,
    steps_done: float | None = None,
    windows: Sequence[Measurement] = (),
    notes: Sequence[str] = (),
    samples_file: str | None = None,
) -> RunSummary:
    """A node's :class:`RunSummary` from the sampler's :class:`~carbonllm.measure.sampler.Snapshot` and
    the resolved :class:`~carbonllm.measure.track_config.TrackConfig`. No I/O."""
    from carbonllm._version import __version__

    duration_s = max(0.0, ended_unix - started_unix)
    devices = [
        DeviceSummary(device=d.device, component=d.component, name=d.name, energy_kwh=d.energy_kwh,
                      method=d.method, samples=d.samples, errors=list(d.errors), host=config.host,
                      node_rank=config.node_rank,
                      mean_power_w=d.energy_j / duration_s if duration_s > 0 else None)
        for d in snapshot.devices
    ]
    by_component = {c: sum(d.energy_kwh for d in devices if d.component == c) for c in COMPONENTS}
    energy = sum(by_component.values())
    facility = energy * config.pue  # measured IT energy × PUE
    gpu_count, gpu_name = gpu_summary(devices)
    return RunSummary(
        carbonllm_version=__version__,
        run_id=run_id,
        host=config.host,
        node_rank=config.node_rank,
        command=command,
        pid=pid,
        exit_status=exit_status,
        started_at=iso_utc(started_unix),
        ended_at=iso_utc(ended_unix),
        duration_s=duration_s,
        devices=devices,
        energy_kwh_by_component=by_component,
        energy_kwh=energy,
        pue=config.pue,
        pue_is_default=config.pue_is_default,
        pue_source=config.pue_source,
        facility_energy_kwh=facility,
        region=config.region,
        region_name=config.region_name,
        region_is_default=config.region_is_default,
        intensity_g_per_kwh=config.intensity_g_per_kwh,
        intensity_year=config.intensity_year,
        intensity_source=config.intensity_source,
        co2e_kg=co2e_kg_from(facility, config.intensity_g_per_kwh),
        gpu_count=gpu_count,
        gpu_name=gpu_name,
        gpu_hours=duration_s / SECONDS_PER_HOUR * gpu_count,
        projection=projection,
        complete=complete,
        interval_s=config.interval_s,
        tokens_done=tokens_done,
        steps_done=steps_done,
        windows=list(windows),
        notes=list(notes),
        samples_file=samples_file,
    )


__all__ = ["FORMAT", "DeviceSummary", "Measurement", "RunSummary", "combine", "iso_utc", "load_run",
           "load_samples", "merge_runs", "node_stem", "read_summary", "summarize", "write_summary"]
