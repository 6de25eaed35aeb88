"""Projection of a partly measured run to the whole run, and the MFU it implies. Pure arithmetic.

* Linear projection: a quantity measured over the first ``done`` of ``total`` units of progress
  (tokens or steps) is projected to ``measured × total / done``. It assumes the rest of the run
  costs what the measured part cost per unit of progress (steady state; warm-up and evaluation
  pauses in the measured part bias it).
* Implied MFU (model FLOPs utilisation, PaLM, Chowdhery et al. 2022 App. B):
  ``6 · N · tokens_done / (GPU-seconds × peak FLOP/s)``, with 6·N training FLOPs per token
  (Kaplan et al. 2020 §2.1) and GPU-seconds = wall-clock seconds × GPUs measured.
* Several nodes: progress counts the whole run's tokens, a node measures only its own GPUs, so a
  node's share of the progress is ``done / nodes`` (data parallelism splits tokens evenly).

Nothing here reads a file or a device.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from carbonllm.units import FLOP_PER_TFLOP, SECONDS_PER_HOUR, co2e_kg_from


def project_linear(measured: float, done: float, total: float) -> float | None:
    """``measured × total / done``; None when nothing is done yet (``done <= 0``)."""
    if done <= 0:
        return None
    return measured * total / done  # linear in progress


def implied_mfu(params: float, tokens_done: float, gpu_seconds: float, peak_tflops: float) -> float | None:
    """``6·N·tokens / (GPU-seconds × peak FLOP/s)``; None when no GPU time was measured."""
    if gpu_seconds <= 0 or peak_tflops <= 0:
        return None
    model_flops = 6.0 * params * tokens_done  # 2N forward + 4N backward per token (Kaplan et al. 2020)
    return model_flops / (gpu_seconds * peak_tflops * FLOP_PER_TFLOP)


class EstimateComparison(BaseModel):
    """The FLOP-model estimate (``carbonllm.estimator.resolve.estimate``) for the same run, for comparison."""

    model_config = ConfigDict(frozen=True)

    energy_kwh: float  # facility energy (× PUE), as the estimator reports it
    co2e_kg: float
    device_hours: float
    gpu: str
    mfu: float
    power_w: float


class Projection(BaseModel):
    """The measured part of a run projected to the whole run."""

    model_config = ConfigDict(frozen=True)

    unit: Literal["tokens", "steps"]
    done: float  # progress of the whole run so far
    total: float  # planned progress of the whole run
    fraction_done: float
    nodes: int  # nodes whose energy the measured figures cover (1 for one node's share)
    node_share: float  # share of the run's progress attributed to the measured devices
    measured_duration_s: float
    measured_energy_kwh: float  # IT energy measured so far
    projected_duration_s: float | None
    projected_energy_kwh: float | None  # IT energy of the whole run (this share)
    projected_facility_energy_kwh: float | None  # × PUE
    projected_co2e_kg: float | None
    projected_gpu_hours: float | None
    implied_mfu: float | None = None
    peak_tflops: float | None = None
    params: float | None = None
    estimate: EstimateComparison | None = None  # FLOP-model estimate for this share of the run
    ratio_to_estimate: float | None = None  # projected facility energy / estimated energy
    method: str = "linear in progress from measured energy"


def build_projection(
    *,
    unit: Literal["tokens", "steps"],
    done: float,
    total: float,
    duration_s: float,
    energy_kwh: float,
    gpu_count: int,
    pue: float,
    intensity_g_per_kwh: float,
    nodes_in_run: int = 1,
    nodes_measured: int = 1,
    params: float | None = None,
    peak_tflops: float | None = None,
    estimate: EstimateComparison | None = None,
) -> Projection:
    """Project measured ``energy_kwh`` (IT) and ``duration_s`` to ``total`` units of progress.

    The measured devices cover ``nodes_measured`` of the run's ``nodes_in_run`` nodes, so they
    did ``done × nodes_measured / nodes_in_run`` of the progress. ``estimate`` is the FLOP-model
    estimate for that same share.
    """
    share = nodes_measured / nodes_in_run if nodes_in_run > 0 else 1.0
    energy = project_linear(energy_kwh, done, total)
    duration = project_linear(duration_s, done, total)  # shares run in parallel: same wall-clock
    facility = energy * pue if energy is not None else None
    mfu = None
    if unit == "tokens" and params is not None and peak_tflops is not None:
        mfu = implied_mfu(params, done * share, duration_s * gpu_count, peak_tflops)
    ratio = None
    if estimate is not None and facility is not None and estimate.energy_kwh > 0:
        ratio = facility / estimate.energy_kwh
    return Projection(
        unit=unit,
        done=done,
        total=total,
        fraction_done=done / total,
        nodes=nodes_measured,
        node_share=share,
        measured_duration_s=duration_s,
        measured_energy_kwh=energy_kwh,
        projected_duration_s=duration,
        projected_energy_kwh=energy,
        projected_facility_energy_kwh=facility,
        projected_co2e_kg=co2e_kg_from(facility, intensity_g_per_kwh) if facility is not None else None,
        projected_gpu_hours=duration * gpu_count / SECONDS_PER_HOUR if duration is not None else None,
        implied_mfu=mfu,
        peak_tflops=peak_tflops,
        params=params,
        estimate=estimate,
        ratio_to_estimate=ratio,
    )


__all__ = ["EstimateComparison", "Projection", "build_projection", "implied_mfu", "project_linear"]
