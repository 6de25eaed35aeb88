"""Merging node summaries into one run: energies, CO2e, GPU-hours and embodied CO2e add up over nodes.

The duration runs from the earliest start to the latest end; the run is complete only if every
node is; the exit status is the first non-zero one. Used by
:func:`carbonllm.measure.runfiles.merge_runs` and by ``carbonllm report`` on a run directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carbonllm.measure.projection import EstimateComparison, Projection, build_projection
from carbonllm.measure.records import COMPONENTS, RunSummary, gpu_summary, iso_utc, parse_iso
from carbonllm.units import G_PER_KG


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
    embodied = _merged_embodied(nodes, notes)
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
        **_merged_market(nodes, facility),
        gpu_count=gpu_count,
        gpu_name=gpu_name,
        gpu_hours=sum(n.gpu_hours for n in nodes),
        **embodied,
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


def _merged_market(nodes: Sequence[RunSummary], facility: float) -> dict[str, Any]:
    """Basis and market-based fields of a merge: one basis if every node has it (else
    "mixed"); market CO2e summed only when every node carries it."""
    bases = {n.intensity_basis for n in nodes}
    fields: dict[str, Any] = {"intensity_basis": bases.pop() if len(bases) == 1 else "mixed"}
    if all(n.market_co2e_kg is not None for n in nodes):
        market = sum(n.market_co2e_kg or 0.0 for n in nodes)
        sources = {n.market_source for n in nodes}
        fields.update(market_co2e_kg=market,
                      market_intensity_g_per_kwh=market * G_PER_KG / facility if facility > 0 else None,
                      market_source=sources.pop() if len(sources) == 1 else "per node; see the node summaries")
    return fields


def _merged_embodied(nodes: Sequence[RunSummary], notes: list[str]) -> dict[str, Any]:
    """Embodied CO2e of a merge: the nodes' shares added up (each is its own GPU-hours × the
    per-GPU-hour share, so the sum is the merged GPU-hours' share). Only when every node that
    measured GPU-hours carries one: a node tracked without ``--embodied`` leaves the merge without
    it, and a note says so (``report --embodied`` then charges all the GPU-hours). A node without
    GPUs has nothing to charge and does not count."""
    charged = [n for n in nodes if n.embodied_co2e_kg is not None]
    if not charged:
        return {}
    missing = [n for n in nodes if n.embodied_co2e_kg is None and n.gpu_hours > 0]
    if missing:
        names = ", ".join(n.host if n.node_rank is None else f"{n.host}-node{n.node_rank}" for n in missing)
        notes.append(f"embodied emissions not added up: {names} tracked without --embodied; "
                     "'carbonllm report --embodied' charges every node's GPU-hours")
        return {}
    sources = {n.embodied_source for n in charged}
    return {"embodied_co2e_kg": sum(n.embodied_co2e_kg or 0.0 for n in charged),
            "embodied_source": sources.pop() if len(sources) == 1 else "per node; see the node summaries"}


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
