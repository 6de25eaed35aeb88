"""Run summaries (``carbonllm.run/1``) for jobs measured by the cluster's own telemetry.

:func:`summary_from_dcgm` turns a :class:`~carbonllm.report.prometheus.DcgmReading` into the
same :class:`~carbonllm.measure.records.RunSummary` that ``carbonllm track`` writes (one device
per GPU, each with its host), so every report format, ``track --merge`` and ``report DIR`` work
on it. The carbon accounting (region or intensity, PUE) is resolved as for ``track``
(:func:`carbonllm.measure.track_config.resolve_config`: flags > environment > config file >
defaults) and the summary says which values are defaults. DCGM measures GPUs only: CPU and RAM
energy are not in it, and the notes say so.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from carbonllm.errors import InputError
from carbonllm.measure.records import DeviceSummary, RunSummary, gpu_summary, iso_utc
from carbonllm.measure.track_config import TrackConfig
from carbonllm.report.prometheus import DcgmReading
from carbonllm.report.slurm import SlurmJob
from carbonllm.units import J_PER_KWH, SECONDS_PER_HOUR, co2e_kg_from

SUMMARY_SUFFIX = ".summary.json"


def grid_config(region: str | None, intensity: Any, pue: Any) -> TrackConfig:
    """Region/intensity and PUE resolved exactly as ``track`` resolves them."""
    from carbonllm.measure.track_config import resolve_config

    return resolve_config({"region": region, "intensity_g_per_kwh": intensity, "pue": pue})


def summary_from_dcgm(reading: DcgmReading, config: TrackConfig, run_id: str, complete: bool = True,
                      notes: Sequence[str] = ()) -> RunSummary:
    """The run summary of the GPUs in ``reading`` over its window."""
    from carbonllm._version import __version__

    duration_s = reading.end_unix - reading.start_unix
    devices = [
        DeviceSummary(device=f"gpu:{g.gpu}", component="gpu", name=g.model, energy_kwh=g.energy_j / J_PER_KWH,
                      method=g.method, samples=g.samples, host=g.host,
                      mean_power_w=g.energy_j / g.covered_s if g.covered_s > 0 else None)  # while seen
        for g in reading.gpus
    ]
    energy_kwh = sum(d.energy_kwh for d in devices)
    facility = energy_kwh * config.pue  # measured IT energy × PUE
    gpu_count, gpu_name = gpu_summary(devices)
    hosts = list(dict.fromkeys(g.host for g in reading.gpus))
    intervals = [g.scrape_interval_s for g in reading.gpus if g.scrape_interval_s]
    all_notes = [*notes, *reading.notes,
                 *(f"query: {q}" for q in reading.queries),
                 "GPU energy only: DCGM does not measure CPUs or RAM"]
    if config.region_is_default:
        all_notes.append("region: default (world); give --region or --intensity")
    return RunSummary(
        carbonllm_version=__version__, run_id=run_id, host=",".join(hosts), node_rank=None,
        node_count=len(hosts), started_at=iso_utc(reading.start_unix), ended_at=iso_utc(reading.end_unix),
        duration_s=duration_s, devices=devices, energy_kwh_by_component={"gpu": energy_kwh, "cpu": 0.0, "ram": 0.0},
        energy_kwh=energy_kwh, pue=config.pue, pue_is_default=config.pue_is_default, pue_source=config.pue_source,
        facility_energy_kwh=facility, region=config.region, region_name=config.region_name,
        region_is_default=config.region_is_default, intensity_g_per_kwh=config.intensity_g_per_kwh,
        intensity_year=config.intensity_year, intensity_source=config.intensity_source,
        co2e_kg=co2e_kg_from(facility, config.intensity_g_per_kwh), gpu_count=gpu_count, gpu_name=gpu_name,
        gpu_hours=sum(g.covered_s for g in reading.gpus) / SECONDS_PER_HOUR,  # each GPU while it was seen
        complete=complete,
        interval_s=max(intervals) if intervals else None, notes=all_notes,
    )


def summary_from_slurm(job: SlurmJob, config: TrackConfig, end_unix: float, complete: bool) -> RunSummary:
    """The run summary of a job whose energy SLURM recorded (``ConsumedEnergyRaw``, in J).

    One device per job (``component="node"``, method ``slurm-consumed-energy``): sacct gives the
    job's total, not a split by node or component. What it covers is the plugin's scope.
    """
    from carbonllm._version import __version__

    if job.consumed_energy_j is None:
        raise InputError(f"SLURM job {job.job_id} has no ConsumedEnergy")
    energy_kwh = job.consumed_energy_j / J_PER_KWH
    facility = energy_kwh * config.pue
    duration_s = job.elapsed_s
    device = DeviceSummary(device="node", component="node", name=f"{len(job.nodes)} node(s): "
                           + ",".join(job.nodes), energy_kwh=energy_kwh, method="slurm-consumed-energy",
                           samples=1, host=",".join(job.nodes),
                           mean_power_w=job.consumed_energy_j / duration_s if duration_s > 0 else None)
    notes = [job.describe(),
             f"energy: SLURM's ConsumedEnergyRaw of the {job.energy_from} (acct_gather_energy); what it covers "
             "depends on the cluster's plugin (IPMI: whole nodes; RAPL: CPU and DRAM; GPU: GPUs)",
             "no split by component: energy_kwh_by_component is zero; the total is the job's"]
    if config.region_is_default:
        notes.append("region: default (world); give --region or --intensity")
    return RunSummary(
        carbonllm_version=__version__, run_id=f"slurm-{job.job_id}", host=",".join(job.nodes), node_rank=None,
        node_count=len(job.nodes), command=None, started_at=iso_utc(job.start_unix), ended_at=iso_utc(end_unix),
        duration_s=duration_s, devices=[device], energy_kwh_by_component={"gpu": 0.0, "cpu": 0.0, "ram": 0.0},
        energy_kwh=energy_kwh, pue=config.pue, pue_is_default=config.pue_is_default, pue_source=config.pue_source,
        facility_energy_kwh=facility, region=config.region, region_name=config.region_name,
        region_is_default=config.region_is_default, intensity_g_per_kwh=config.intensity_g_per_kwh,
        intensity_year=config.intensity_year, intensity_source=config.intensity_source,
        co2e_kg=co2e_kg_from(facility, config.intensity_g_per_kwh), gpu_count=job.gpus, gpu_name=job.gpu_type,
        gpu_hours=job.gpu_hours, complete=complete, notes=notes,
    )


def save_summary(summary: RunSummary, path: Path) -> Path:
    """Write ``summary`` to ``path`` (a ``*.summary.json``, or a directory, created if need be, to
    put ``<run id>.summary.json`` in); never over another file: ``InputError`` when it exists."""
    import json

    if not path.name.endswith(SUMMARY_SUFFIX):  # a directory (created if need be), as for track --output
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"--save {path}: cannot create the directory ({e.strerror or e}); give a directory "
                             f"or a file name ending in {SUMMARY_SUFFIX}") from e
        path = path / f"{_safe(summary.run_id)}{SUMMARY_SUFFIX}"
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            json.dump(summary.to_dict(), f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)  # fails if path exists: another run is never overwritten
    except FileExistsError as e:
        raise InputError(f"--save {path} exists; give another name (a run is never overwritten)") from e
    except OSError as e:
        raise InputError(f"--save {path}: cannot write ({e.strerror or e})") from e
    finally:
        try:
            tmp.unlink()
        except OSError:
            pass
    return path


def _safe(name: str) -> str:
    """A run id as a file name: letters, digits, ``.-_`` only."""
    return "".join(c if c.isalnum() or c in ".-_" else "_" for c in name).lstrip(".") or "run"


__all__ = ["grid_config", "save_summary", "summary_from_dcgm", "summary_from_slurm"]
