"""Reports: one normalized :class:`ReportData` from an estimate, a tracked run or a codecarbon
file, and pure renderers that turn it into text.

Nothing here reads a file or prints; :mod:`carbonllm.report.inputs` finds and parses the inputs,
:mod:`carbonllm.report.codecarbon_csv` converts codecarbon rows. Every renderer returns a string.

Conventions followed, each with its source:

* Hugging Face model-card metadata ``co2_eq_emissions`` (huggingface.co/docs/hub/model-cards-co2,
  2024): ``emissions`` in **grams** of CO2e, ``source``, ``training_type`` ("pre-training" or
  "fine-tuning"), ``geographical_location``, ``hardware_used``.
* The paper statement lists what Lacoste et al. 2019 ("Quantifying the Carbon Emissions of
  Machine Learning") and Luccioni et al. 2022 (BLOOM) ask to disclose: hardware, device-hours,
  energy, PUE, grid intensity with its source and year, the emissions, whether measured or
  estimated, and what is left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from carbonllm._version import __version__
from carbonllm.errors import InputError
from carbonllm.units import G_PER_KG, KG_PER_TONNE, SECONDS_PER_HOUR

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
    return number


def _required(data: Mapping[str, Any], key: str, what: str) -> float:
    number = _float(data.get(key), f"{what} field {key!r}")
    if number is None:
        raise InputError(f"{what} lacks the field {key!r}")
    return number


def _span_text(value: float | None, low: float | None, high: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:g}{unit}"
    if low is not None and high is not None and low != high:
        text += f" ({low:g}-{high:g}{unit})"
    return text


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
        assumed.append(f"{a.get('dtype')} peak {a['peak_tflops']:g} TFLOP/s dense")
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
    )


RUN_FORMAT = "carbonllm.run/1"


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
    return ReportData(
        kind="run",
        method="measured",
        produced_by=f"carbonllm {version}" if version else "carbonllm",
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
        measurement_methods=tuple(methods),
        complete=complete,
        notes=tuple(extra),
    )


# --- number formatting ------------------------------------------------------------------------


def _rounded(value: float, digits: int) -> tuple[float, int]:
    """``value`` rounded to ``digits`` significant digits, and the decimals that shows."""
    exponent = math.floor(math.log10(abs(value)))
    return round(value, digits - 1 - exponent), max(0, digits - 1 - exponent)


def sig(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits with thousands separators: 94466.9 → ``94,500``."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    rounded, decimals = _rounded(value, digits)
    return f"{rounded:,.{decimals}f}"


def plain_number(value: float, digits: int = 6) -> str:
    """``value`` to ``digits`` significant digits, never in exponent notation (YAML 1.1 reads
    ``1e+07`` as a string): 37786774.6 → ``37786800``, 0.01234567 → ``0.0123457``."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    rounded, decimals = _rounded(value, digits)
    return f"{rounded:.{decimals}f}"


def mass_text(co2e_kg: float) -> str:
    """Emissions in a readable unit: ``12.3 tCO2e``, ``456 kgCO2e`` or ``7.89 gCO2e``."""
    if abs(co2e_kg) >= KG_PER_TONNE:
        return f"{sig(co2e_kg / KG_PER_TONNE)} tCO2e"
    if abs(co2e_kg) >= 1 or co2e_kg == 0:
        return f"{sig(co2e_kg)} kgCO2e"
    return f"{sig(co2e_kg * G_PER_KG)} gCO2e"


def energy_text(energy_kwh: float) -> str:
    """Energy in kWh, or Wh below 1 kWh: ``94,500 kWh``, ``12.3 Wh``."""
    if abs(energy_kwh) >= 1 or energy_kwh == 0:
        return f"{sig(energy_kwh)} kWh"
    return f"{sig(energy_kwh * 1000)} Wh"


# --- what a report says -----------------------------------------------------------------------


def hardware_text(data: ReportData) -> str:
    """``64 × A100 SXM4 80GB`` or ``A100 SXM4 80GB`` or ``CPU only``."""
    if data.gpu_count == 0 or (data.kind != "estimate" and not data.gpu_name and not data.gpu_count):
        return "CPU only (no GPU seen)"
    name = data.gpu_name or "GPU"
    return f"{data.gpu_count} x {name}" if data.gpu_count else name


def location_text(data: ReportData) -> str:
    """Where the electricity came from, as precisely as the input says."""
    if data.region == "custom" or (data.region is None and data.intensity_g_per_kwh is not None):
        return "not given (a grid intensity was given directly)"
    if data.region_name and data.region and data.region_name != data.region:
        text = f"{data.region_name} ({data.region})"
    else:
        text = data.region_name or data.region or "unknown"
    if data.region_is_default:
        text += ", default: no region was given"
    return text


def exclusions(data: ReportData) -> list[str]:
    """What the figures leave out, for the statement."""
    left_out = []
    if data.embodied_co2e_kg is None:
        left_out.append("embodied (manufacturing) emissions of the hardware")
    if data.kind == "estimate":
        left_out.append("host CPUs and memory beyond the accelerators' power (only PUE adds overhead)")
    else:
        if data.pue is None or data.pue == 1:
            left_out.append("data-centre overhead (cooling, power conversion): PUE 1 was applied")
        if "gpu" not in data.energy_kwh_by_component and data.gpu_count:
            left_out.append("GPU energy (no GPU reading)")
    left_out += [
        "networking and storage",
        "failed, preliminary and tuning runs" if data.records <= 1 else "runs not included in this aggregate",
        "idle time of the allocation outside the measured window" if data.method == "measured"
        else "idle and queueing time of the allocation",
        "inference and deployment",
    ]
    return left_out


def _intensity_sentence(data: ReportData) -> str:
    if data.intensity_g_per_kwh is None:
        return "unknown"
    source = data.intensity_source or "source not recorded"
    if data.intensity_year and str(data.intensity_year) not in source:
        source += f", {data.intensity_year}"
    return f"{sig(data.intensity_g_per_kwh)} gCO2e/kWh ({location_text(data)}; {source})"


def _range_text(data: ReportData) -> str:
    if data.co2e_kg_low is None or data.co2e_kg_high is None or data.co2e_kg_low == data.co2e_kg_high:
        return ""
    return f" (plausible range {mass_text(data.co2e_kg_low)} to {mass_text(data.co2e_kg_high)})"


def statement_facts(data: ReportData) -> list[tuple[str, str]]:
    """The statement as (label, text) pairs, shared by the Markdown and LaTeX renderers."""
    verb = "Measured" if data.method == "measured" else "Estimated"
    facts: list[tuple[str, str]] = [("Hardware", hardware_text(data))]
    if data.device_hours is not None and data.gpu_count != 0:
        facts.append(("Device-hours", f"{sig(data.device_hours)} GPU-hours"))
    if data.duration_s is not None:
        facts.append(("Wall-clock", f"{sig(data.duration_s / SECONDS_PER_HOUR)} h"))
    energy = energy_text(data.energy_kwh)
    if data.it_energy_kwh is not None and data.pue is not None:
        energy += f" (IT energy {energy_text(data.it_energy_kwh)} x PUE {data.pue:g})"
    components = {k: v for k, v in sorted(data.energy_kwh_by_component.items()) if v}
    if components and data.kind != "estimate":
        energy += "; IT energy by component: " + ", ".join(f"{k} {energy_text(v)}" for k, v in components.items())
    facts.append(("Energy", energy))
    facts.append(("Grid intensity", _intensity_sentence(data)))
    co2 = f"{mass_text(data.co2e_kg)} operational, location-based{_range_text(data)}"
    if data.embodied_co2e_kg is not None:
        co2 += f"; plus {mass_text(data.embodied_co2e_kg)} embodied"
    facts.append(("Emissions", co2))
    how = f"{verb} with {data.produced_by}"
    if data.kind == "codecarbon":
        how = f"Measured with {data.produced_by}"
    if data.measurement_methods:
        how += " (" + "; ".join(data.measurement_methods) + ")"
        modelled = [m.split(":")[0] for m in data.measurement_methods if "model" in m.split(":", 1)[-1]]
        if modelled:
            how += f"; {', '.join(modelled)} from a power model, not metered"
    how += f"; reported with carbonllm {__version__}"
    facts.append(("Method", how))
    if data.assumptions:
        facts.append(("Assumptions", "; ".join(data.assumptions) + " (sources: carbonllm report --format json)"))
    facts.append(("Excluded", "; ".join(exclusions(data))))
    if data.notes:
        facts.append(("Notes", "; ".join(data.notes)))
    return facts


def render_markdown(data: ReportData) -> str:
    """A short statement for a paper or README, in Markdown."""
    verb = "measured" if data.method == "measured" else "estimated"
    lead = (f"**Carbon footprint ({verb}).** Training emitted about {mass_text(data.co2e_kg)} "
            f"from {energy_text(data.energy_kwh)} of electricity{_range_text(data)}.")
    lines = [lead, ""]
    lines += [f"- **{label}:** {text}" for label, text in statement_facts(data)]
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters and write CO2e with a subscript."""
    escaped = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
    return escaped.replace("CO2e", r"CO\textsubscript{2}e")


def render_latex(data: ReportData) -> str:
    """The same statement as a LaTeX paragraph with an itemize list (no packages beyond the kernel)."""
    verb = "measured" if data.method == "measured" else "estimated"
    lead = (f"Training emitted about {mass_text(data.co2e_kg)} from {energy_text(data.energy_kwh)} "
            f"of electricity{_range_text(data)}.")
    lines = [f"\\paragraph{{Carbon footprint ({verb}).}} {latex_escape(lead)}", r"\begin{itemize}"]
    lines += [f"  \\item \\textbf{{{latex_escape(label)}:}} {latex_escape(text)}"
              for label, text in statement_facts(data)]
    lines.append(r"\end{itemize}")
    return "\n".join(lines) + "\n"


def _yaml_string(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML for printable text)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + " ".join(escaped.split()) + '"'


def model_card_source(data: ReportData) -> str:
    """The ``source`` field: which tool, and whether measured or estimated."""
    if data.kind == "codecarbon":
        return f"{data.produced_by} ({data.method}; read from a codecarbon emissions.csv by carbonllm {__version__})"
    if data.method == "measured":
        return f"carbonllm {__version__} (measured with the carbonllm tracker)"
    basis = data.estimated_from or "FLOPs"
    return f"carbonllm {__version__} (estimated from {basis}, hardware power, PUE and grid intensity; not measured)"


def render_model_card(data: ReportData, training_type: str = "pre-training") -> str:
    """The ``co2_eq_emissions`` block of Hugging Face model-card metadata, emissions in grams.

    Paste it into the YAML front matter of the model's README.md (between the ``---`` lines).
    Only the operational emissions go into ``emissions``; embodied emissions, if any were
    estimated, are given in a comment, since the convention has no field for them.
    """
    if training_type not in TRAINING_TYPES:
        raise InputError(f"training type must be one of {', '.join(TRAINING_TYPES)}, not {training_type!r}")
    lines = [
        "co2_eq_emissions:",
        f"  emissions: {plain_number(data.co2e_g)}",
        f"  source: {_yaml_string(model_card_source(data))}",
        f"  training_type: {training_type}",
        f"  geographical_location: {_yaml_string(location_text(data))}",
        f"  hardware_used: {_yaml_string(hardware_text(data))}",
    ]
    if data.embodied_co2e_kg is not None:
        lines.append(f"  # embodied (manufacturing) emissions, not included above: "
                     f"{plain_number(data.embodied_co2e_kg * G_PER_KG)} g")
    return "\n".join(lines) + "\n"
