"""The pure core of the estimator: FLOPs → device-hours → kWh → kgCO2e.

Plain functions over frozen pydantic models. Nothing here reads a file, prints, or touches a
device; the names of every value carry its unit. The formulas, each cited where it is defined:

* training FLOPs            C = 6·N·D                      (Kaplan et al. 2020 §2.1; Hoffmann et al. 2022 App. F)
* device-seconds            C / (peak FLOP/s × MFU)        (MFU as defined in PaLM, Chowdhery et al. 2022 App. B)
* energy                    E = device-hours × P × PUE     (Patterson et al. 2021 §2; Luccioni et al. 2022 Eq. 1)
* operational emissions     CO2e = E × carbon intensity    (GHG Protocol Scope 2, location-based)
* embodied emissions        device-hours / (life × use) × embodied per device   (Luccioni et al. 2022 §4.3)
"""

from __future__ import annotations

import math

from carbonllm.errors import InputError
from carbonllm.estimator import defaults
from carbonllm.estimator.defaults import Span
from carbonllm.frozen import Record, record
from carbonllm.quantities import parse_quantity
from carbonllm.units import FLOP_PER_TFLOP, HOURS_PER_YEAR, SECONDS_PER_HOUR, W_PER_KW, co2e_kg_from

TYPE_CHECKING = False  # typing is for type checkers only (start-up; docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import Literal


def training_flops_6nd(params: float, tokens: float) -> float:
    """Training FLOPs of a dense transformer: ``6 · N · D``.

    Kaplan et al. 2020, §2.1 ("C ≈ 6N floating point operators per training token"): the forward
    pass costs 2 FLOPs per parameter per token (one multiply-accumulate = 2 FLOPs), and the
    backward pass twice the forward (4N), so 2N + 4N = 6N per token. For a mixture-of-experts
    model ``params`` is the number of parameters active per token. Raises ``InputError`` unless
    both are finite numbers >= 0.
    """
    for value, what in ((params, "params"), (tokens, "tokens")):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{what} must be a number, not {type(value).__name__}")
        if parse_quantity(value, what) < 0:
            raise InputError(f"{what} cannot be negative, got {value:g}")
    flops = 6.0 * params * tokens
    if not math.isfinite(flops):
        raise InputError(f"6 x params x tokens overflows a number ({params:g} x {tokens:g}); check their magnitudes")
    return flops  # 2N forward + 4N backward, per token, × D tokens


def device_seconds(flops: float, peak_tflops: float, mfu: float) -> float:
    """Device-seconds to execute ``flops`` at ``mfu`` of a ``peak_tflops`` chip.

    MFU (model FLOPs utilisation, PaLM App. B) = model FLOP/s achieved ÷ peak FLOP/s, so the
    achieved rate is peak × MFU and the time is FLOPs ÷ that rate.
    """
    return flops / (peak_tflops * FLOP_PER_TFLOP * mfu)


def energy_kwh(device_hours: float, power_w: float, pue: float) -> float:
    """Facility energy: ``device-hours × average power per device (W) / 1000 × PUE``.

    Patterson et al. 2021 §2 (energy = hours × processors × average power × PUE); Luccioni et al.
    2022 Eq. 1. PUE scales IT energy up to what the facility draws (cooling, conversion).
    """
    return device_hours * power_w / W_PER_KW * pue


def co2e_kg(energy_kwh: float, intensity_g_per_kwh: float) -> float:
    """Operational emissions in kgCO2e: ``energy_kwh × intensity_g_per_kwh / 1000``."""
    return co2e_kg_from(energy_kwh, intensity_g_per_kwh)


def embodied_co2e_kg(
    device_hours: float, embodied_kg_per_device: float, lifetime_years: float, utilisation: float
) -> float:
    """Manufacturing emissions charged to ``device_hours`` of use (Luccioni et al. 2022 §4.3).

    A device's embodied emissions are spread over the hours it is used in its life
    (``lifetime_years × 8760 h × utilisation``); a run is charged its share.
    """
    used_hours_in_life = lifetime_years * HOURS_PER_YEAR * utilisation
    return device_hours * embodied_kg_per_device / used_hours_in_life


def default_embodied_co2e_kg(gpu_hours: float, gpu_name: str | None) -> tuple[float, str]:
    """The embodied share of ``gpu_hours`` (measured, or summed over a report) and its source.

    :func:`embodied_co2e_kg` with Luccioni et al. 2022 §4.3's figures
    (:mod:`carbonllm.estimator.defaults`): (150 + 2,500 / 8) = 462.5 kgCO2e per GPU over
    6 years × 8,760 h × 0.85 = 44,676 h of use, i.e. 0.01035 kg per GPU-hour. The figures are for
    an A100 server; for any other GPU the source says they were applied to it. Used by
    ``carbonllm track --embodied`` and ``carbonllm report --embodied``.
    """
    kg = embodied_co2e_kg(gpu_hours, defaults.EMBODIED_KG_PER_DEVICE, defaults.EMBODIED_LIFETIME_YEARS,
                          defaults.EMBODIED_UTILISATION)
    return kg, default_embodied_source(gpu_name)


def default_embodied_source(gpu_name: str | None) -> str:
    """The source of the default embodied figures, saying when they are applied to a GPU other
    than the A100 they were published for (``estimate --embodied``, ``track``, ``report``)."""
    name = gpu_name or "the GPUs"
    return defaults.EMBODIED_SOURCE + ("" if "A100" in name else f"; A100-server figures applied to {name}")


@record
class Embodied(Record):
    """How manufacturing emissions are amortised."""

    kg_per_device: float
    lifetime_years: float
    utilisation: float
    source: str


@record
class RunSpec(Record):
    """Everything the calculator needs, already resolved from names and defaults.

    Exactly one of ``flops`` (compute mode) or ``device_hours`` (time mode) is set.
    """

    flops: float | None = None
    device_hours: float | None = None
    devices: int | None = None
    peak_tflops: float | None = None
    mfu: Span | None = None
    power_w: Span
    pue: Span
    intensity_g_per_kwh: float
    embodied: Embodied | None = None
    # the intensity's plausible low and high (the accounting-basis spread of a table value);
    # None: no spread (a value the user gave)
    intensity_low_g_per_kwh: float | None = None
    intensity_high_g_per_kwh: float | None = None


@record
class Calculation(Record):
    """The numbers the calculator produced, central values with their low–high range."""

    mode: Literal["compute", "time"]
    flops: float | None
    device_hours: float
    device_hours_low: float
    device_hours_high: float
    wall_clock_hours: float | None
    energy_kwh: float
    energy_kwh_low: float
    energy_kwh_high: float
    co2e_kg: float
    co2e_kg_low: float
    co2e_kg_high: float
    embodied_co2e_kg: float | None


def calculate(spec: RunSpec) -> Calculation:
    """Run the chain for the central value and the two ends of the range.

    The low end takes the high MFU (fewest device-hours), the low power, the low PUE and the low
    grid intensity; the high end the opposite. Factors the user gave have no spread, so they do not widen the range.
    """
    if spec.flops is not None:
        if spec.peak_tflops is None or spec.mfu is None:
            raise ValueError("compute mode needs peak_tflops and mfu")
        mode: Literal["compute", "time"] = "compute"
        hours = device_seconds(spec.flops, spec.peak_tflops, spec.mfu.value) / SECONDS_PER_HOUR
        hours_low = device_seconds(spec.flops, spec.peak_tflops, spec.mfu.high) / SECONDS_PER_HOUR
        hours_high = device_seconds(spec.flops, spec.peak_tflops, spec.mfu.low) / SECONDS_PER_HOUR
    elif spec.device_hours is not None:
        mode = "time"
        hours = hours_low = hours_high = spec.device_hours
    else:
        raise ValueError("RunSpec needs flops or device_hours")

    energy = energy_kwh(hours, spec.power_w.value, spec.pue.value)
    energy_low = energy_kwh(hours_low, spec.power_w.low, spec.pue.low)
    energy_high = energy_kwh(hours_high, spec.power_w.high, spec.pue.high)
    embodied = None
    if spec.embodied is not None:
        e = spec.embodied
        embodied = embodied_co2e_kg(hours, e.kg_per_device, e.lifetime_years, e.utilisation)
    return Calculation(
        mode=mode,
        flops=spec.flops,
        device_hours=hours,
        device_hours_low=hours_low,
        device_hours_high=hours_high,
        wall_clock_hours=hours / spec.devices if spec.devices else None,
        energy_kwh=energy,
        energy_kwh_low=energy_low,
        energy_kwh_high=energy_high,
        co2e_kg=co2e_kg(energy, spec.intensity_g_per_kwh),
        co2e_kg_low=co2e_kg(energy_low, spec.intensity_g_per_kwh if spec.intensity_low_g_per_kwh is None
                            else spec.intensity_low_g_per_kwh),
        co2e_kg_high=co2e_kg(energy_high, spec.intensity_g_per_kwh if spec.intensity_high_g_per_kwh is None
                             else spec.intensity_high_g_per_kwh),
        embodied_co2e_kg=embodied,
    )
