"""One normalized :class:`ReportData` from an estimate, a tracked run or a codecarbon file.

Every report format is rendered from a ReportData (:mod:`carbonllm.report.statement`), so a model
card from an estimate and one from a measured run say the same things in the same words. The
builders check every number they take (finite, present where required) and raise
:class:`~carbonllm.errors.InputError` naming the field otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from carbonllm._version import __version__
from carbonllm.errors import InputError
from carbonllm.quantities import sig, span_text
from carbonllm.units import G_PER_KG, SECONDS_PER_HOUR

TRAINING_TYPES = ("pre-training", "fine-tuning")


class ReportData(BaseModel):
    """What a report says about one training run (or an aggregate of several), whatever its input.

    ``energy_kwh`` is facility energy (IT energy × PUE), the energy the emissions are computed
    from; ``it_energy_kwh`` is what the devices drew. ``method`` says whether the figures were
    measured or estimated.
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["estimate", "run", "codecarbon"]
    method: Literal["measured", "estimated"]
    produced_by: str  # the tool (and version) that made the input: "carbonllm 0.1.0", "codecarbon 3.3.2"
    run_id: str | None = None
    hosts: tuple[str, ...] = ()
    records: int = 1  # runs, nodes or rows aggregated into this report
    started_at: str | None = None
    ended_at: str | None = None
    duration_s: float | None = None  # wall-clock
    gpu_name: str | None = None
    gpu_count: int | None = None
    device_hours: float | None = None
    it_energy_kwh: float | None = None
    energy_kwh_by_component: dict[str, float] = {}  # IT energy per component (gpu, cpu, ram)
    pue: float | None = None
    energy_kwh: float
    energy_kwh_low: float | None = None
    energy_kwh_high: float | None = None
    intensity_g_per_kwh: float | None = None
    intensity_source: str | None = None
    intensity_year: int | None = None
    region: str | None = None
    region_name: str | None = None
    region_is_default: bool = False
    co2e_kg: float
    co2e_kg_low: float | None = None
    co2e_kg_high: float | None = None
    embodied_co2e_kg: float | None = None
    assumptions: tuple[str, ...] = ()  # estimates: what was assumed, in short
    assumption_sources: tuple[str, ...] = ()  # estimates: where each assumption comes from
    estimated_from: str | None = None  # estimates: "FLOPs" (compute mode) or "device-hours" (time mode)
    measurement_methods: tuple[str, ...] = ()  # runs: how each component was measured
    complete: bool = True
    notes: tuple[str, ...] = ()
    #: The basis of the grid intensity (lifecycle, direct_combustion, co2_direct, user_given).
    intensity_basis: str | None = None
    #: Market-based figures (GHG Protocol Scope 2), beside the location-based co2e_kg above.
    market_intensity_g_per_kwh: float | None = None
    market_co2e_kg: float | None = None
    market_source: str | None = None

    @property
    def co2e_g(self) -> float:
        """Operational emissions in grams (the unit of the Hugging Face convention)."""
        return self.co2e_kg * G_PER_KG

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (the ``--format json`` object), with the reporting tool's version."""
        data = self.model_dump()
        data["reported_with"] = f"carbonllm {__version__}"
        return data

    def to_flat_dict(self) -> dict[str, Any]:
        """One level of keys for CSV: components become ``energy_kwh_gpu`` …, lists join with ``; ``."""
        flat: dict[str, Any] = {}
        for key, value in self.to_dict().items():
            if key == "energy_kwh_by_component":
                for component in ("gpu", "cpu", "ram"):
                    flat[f"it_energy_kwh_{component}"] = value.get(component)
            elif isinstance(value, (tuple, list)):
                flat[key] = "; ".join(str(v) for v in value)
            else:
                flat[key] = value
        return flat


# --- building ReportData ----------------------------------------------------------------------


def market_fields(data: Mapping[str, Any], source: Any, basis: Any, what: str) -> dict[str, Any]:
    """The market-based and basis fields of an estimate or run summary, checked (finite, >= 0)."""
    fields: dict[str, Any] = {"intensity_basis": str(basis) if basis else None}
    market_kg = _float(data.get("market_co2e_kg"), f"{what} field 'market_co2e_kg'")
    market_g = _float(data.get("market_intensity_g_per_kwh"), f"{what} field 'market_intensity_g_per_kwh'")
    for key, value in (("market_co2e_kg", market_kg), ("market_intensity_g_per_kwh", market_g)):
        if value is not None and value < 0:
            raise InputError(f"{what} field {key!r} is negative: {value:g}")
    if market_kg is not None:
        fields.update(market_co2e_kg=market_kg, market_intensity_g_per_kwh=market_g,
                      market_source=str(source) if source else None)
    return fields


def _float(value: Any, what: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InputError(f"{what} is not a number: {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} is not a number: {value!r}") from None
    if not math.isfinite(number):
        raise InputError(f"{what} is not a finite number: {value!r}")
    if number < 0:  # every figure read here is an energy, a mass, a time, a rate or a ratio
        raise InputError(f"{what} is {number:g}, below the limit of 0 (it cannot be negative); "
                         f"the file is damaged: write it again with carbonllm")
    return number


def _required(data: Mapping[str, Any], key: str, what: str) -> float:
    number = _float(data.get(key), f"{what} field {key!r}")
    if number is None:
        raise InputError(f"{what} lacks the field {key!r}")
    return number


def _span_text(value: float | None, low: float | None, high: float | None, unit: str = "") -> str:
    return "-" if value is None else span_text(value, low, high, unit)


def from_estimate(data: Mapping[str, Any]) -> ReportData:
    """ReportData from the object ``carbonllm estimate --format json`` prints (or ``Estimate.to_dict()``)."""
    what = "the estimate"
    a = data.get("assumptions")
    if not isinstance(a, Mapping):
        raise InputError("the estimate lacks its 'assumptions' object")
    energy = _required(data, "energy_kwh", what)
    pue = _float(a.get("pue"), "the estimate's assumed PUE")
    devices = data.get("devices")
    assumed: list[str] = []
    sources: list[str] = []
    if a.get("flop_method"):
        flops = _float(data.get("flops"), "flops")
        assumed.append(f"{flops:.3g} training FLOPs ({a['flop_method']})" if flops else str(a["flop_method"]))
    if a.get("peak_tflops") is not None:
        assumed.append(f"{a.get('dtype')} peak {sig(a['peak_tflops'], 4, trim=True)} TFLOP/s dense")
    if a.get("mfu") is not None:
        assumed.append(f"MFU {_span_text(a['mfu'], a.get('mfu_low'), a.get('mfu_high'))}")
        sources.append(f"MFU: {a.get('mfu_source')}")
    assumed.append(f"{_span_text(a.get('power_w'), a.get('power_w_low'), a.get('power_w_high'), ' W')} per device")
    sources.append(f"power: {a.get('power_source')}")
    assumed.append(f"PUE {_span_text(pue, a.get('pue_low'), a.get('pue_high'))}")
    sources.append(f"PUE: {a.get('pue_source')}")
    if a.get("embodied_source"):
        sources.append(f"embodied: {a['embodied_source']}")
    device_hours = _float(data.get("device_hours"), "device_hours")
    wall_clock_h = _float(data.get("wall_clock_hours"), "wall_clock_hours")
    region = a.get("region")
    return ReportData(
        kind="estimate",
        method="estimated",
        produced_by=str(data.get("carbonllm_version") and f"carbonllm {data['carbonllm_version']}" or "carbonllm"),
        gpu_name=a.get("gpu"),
        gpu_count=int(devices) if devices else None,
        device_hours=device_hours,
        duration_s=wall_clock_h * SECONDS_PER_HOUR if wall_clock_h is not None else None,
        it_energy_kwh=energy / pue if pue else None,
        energy_kwh_by_component={"gpu": energy / pue} if pue else {},
        pue=pue,
        energy_kwh=energy,
        energy_kwh_low=_float(data.get("energy_kwh_low"), "energy_kwh_low"),
        energy_kwh_high=_float(data.get("energy_kwh_high"), "energy_kwh_high"),
        intensity_g_per_kwh=_float(data.get("intensity_g_per_kwh"), "intensity_g_per_kwh"),
        intensity_source=a.get("intensity_source"),
        intensity_year=a.get("intensity_year"),
        region=region,
        region_name=a.get("region_name"),
        region_is_default=region == "world",
        co2e_kg=_required(data, "co2e_kg", what),
        co2e_kg_low=_float(data.get("co2e_kg_low"), "co2e_kg_low"),
        co2e_kg_high=_float(data.get("co2e_kg_high"), "co2e_kg_high"),
        embodied_co2e_kg=_float(data.get("embodied_co2e_kg"), "embodied_co2e_kg"),
        assumptions=tuple(assumed),
        assumption_sources=tuple(sources),
        estimated_from="FLOPs" if data.get("flops") is not None else "device-hours",
        notes=(str(a["intensity_note"]),) if a.get("intensity_note") else (),
        **market_fields(data, a.get("market_source"), a.get("intensity_basis"), what),
    )


RUN_FORMAT = "carbonllm.run/1"


#: who measured, for run summaries made from a cluster's telemetry (by their devices' methods)
CLUSTER_PRODUCERS = {"dcgm-": "NVIDIA DCGM via Prometheus", "slurm-": "SLURM's acct_gather_energy via sacct"}


def _run_producer(devices: Any, carbonllm: str) -> str:
    """``carbonllm X`` for a tracked run; ``NVIDIA DCGM via Prometheus, read by carbonllm X`` when
    every device was measured by the cluster (``carbonllm report --prometheus/--slurm-job``)."""
    methods = {str(d.get("method")) for d in devices if isinstance(d, Mapping)}
    for prefix, producer in CLUSTER_PRODUCERS.items():
        if methods and all(m.startswith(prefix) for m in methods):
            return f"{producer}, read by {carbonllm}"
    return carbonllm


def from_run_summary(summary: Mapping[str, Any], notes: tuple[str, ...] = ()) -> ReportData:
    """ReportData from a run summary (``carbonllm.run/1``: a ``*.summary.json`` or a merged run)."""
    what = "the run summary"
    if summary.get("format") != RUN_FORMAT:
        raise InputError(f"not a carbonllm run summary (format {summary.get('format')!r}, expected {RUN_FORMAT!r})")
    devices = summary.get("devices") or []
    methods = sorted({f"{d.get('component')}: {d.get('method')}" for d in devices if isinstance(d, Mapping)})
    errors = [f"{d.get('device')}: {e}" for d in devices if isinstance(d, Mapping) for e in (d.get("errors") or [])]
    by_component = {k: float(v) for k, v in (summary.get("energy_kwh_by_component") or {}).items()
                    if v is not None}
    gpu_count = summary.get("gpu_count")
    host = summary.get("host")
    hosts = tuple(h for h in str(host).split(",") if h) if host else ()  # a merged run joins its hosts
    extra = [*notes, *(summary.get("notes") or [])]
    complete = bool(summary.get("complete", True))
    if not complete:
        extra.append("the run summary is marked incomplete (the tracker did not finish: killed or still running)")
    if summary.get("exit_status") not in (None, 0):
        extra.append(f"the tracked command exited with status {summary.get('exit_status')}")
    if errors:
        extra.append(f"{len(errors)} sensor error(s) recorded, e.g. {errors[0]}")
    version = summary.get("carbonllm_version")
    embodied_source = summary.get("embodied_source")  # tracked with --embodied: charged once, here
    return ReportData(
        kind="run",
        method="measured",
        produced_by=_run_producer(devices, f"carbonllm {version}" if version else "carbonllm"),
        run_id=summary.get("run_id"),
        hosts=hosts,
        records=int(summary.get("node_count") or len(hosts) or 1),
        started_at=summary.get("started_at"),
        ended_at=summary.get("ended_at"),
        duration_s=_float(summary.get("duration_s"), "duration_s"),
        gpu_name=summary.get("gpu_name") or None,
        gpu_count=int(gpu_count) if gpu_count is not None else None,
        device_hours=_float(summary.get("gpu_hours"), "gpu_hours"),
        it_energy_kwh=_required(summary, "energy_kwh", what),
        energy_kwh_by_component=by_component,
        pue=_float(summary.get("pue"), "pue"),
        energy_kwh=_required(summary, "facility_energy_kwh", what),
        intensity_g_per_kwh=_float(summary.get("intensity_g_per_kwh"), "intensity_g_per_kwh"),
        intensity_source=summary.get("intensity_source"),
        intensity_year=summary.get("intensity_year"),
        region=summary.get("region"),
        region_name=summary.get("region_name"),
        region_is_default=bool(summary.get("region_is_default", False)),
        co2e_kg=_required(summary, "co2e_kg", what),
        embodied_co2e_kg=_float(summary.get("embodied_co2e_kg"), "embodied_co2e_kg"),
        assumption_sources=(f"embodied: {embodied_source}",) if embodied_source else (),
        measurement_methods=tuple(methods),
        complete=complete,
        notes=tuple(extra),
        **market_fields(summary, summary.get("market_source"), summary.get("intensity_basis"), what),
    )


# --- number formatting ------------------------------------------------------------------------


def with_embodied(data: ReportData) -> ReportData:
    """``data`` with the devices' embodied (manufacturing) emissions charged for its device-hours,
    as ``carbonllm estimate --embodied`` does: Luccioni et al. 2022 §4.3, amortised over a 6-year
    life at 85% use (:mod:`carbonllm.estimator.defaults`). A run with no GPU-hours (CPU only) has
    nothing to charge and is returned with a note. An estimate or a run that already has them
    (``estimate --embodied``, ``track --embodied``) is returned unchanged, so nothing is charged twice.
    """
    from carbonllm.estimator.calculator import default_embodied_co2e_kg

    if data.embodied_co2e_kg is not None:
        return data
    if not data.device_hours:
        note = "embodied emissions not charged: the run has no GPU-hours (the A100-server figures are per GPU)"
        return data.model_copy(update={"notes": (*data.notes, note)})
    embodied, source = default_embodied_co2e_kg(data.device_hours, data.gpu_name)
    return data.model_copy(update={
        "embodied_co2e_kg": embodied,
        "assumption_sources": (*data.assumption_sources, f"embodied: {source}"),
    })
