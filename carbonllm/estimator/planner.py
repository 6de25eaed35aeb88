"""Compute-optimal model size and tokens for a budget, after Hoffmann et al. 2022 (Chinchilla).

The budget may be training FLOPs, device-hours, facility kWh or kgCO2e; it is turned into FLOPs by
inverting the estimator chain of :mod:`carbonllm.estimator.calculator` with the same resolved assumptions as
:func:`carbonllm.estimator.resolve.estimate` (peak × MFU, power × PUE, grid intensity), then split into
parameters N and tokens D with C = 6·N·D (Kaplan et al. 2020 §2.1, used by Hoffmann et al. 2022):

* **20 tokens per parameter** (Hoffmann et al. 2022 Table 3, Approach 1: 1B → 20.2B tokens,
  10B → 205.1B, 67B → 1.5T): D = 20·N, so C = 6·N·20·N ⇒ N = √(C/120), D = 20·N.
* **the parametric fit** (Approach 3, §3.3): L(N, D) = E + A/N^α + B/D^β with E = 1.69,
  A = 406.4, B = 410.7, α = 0.34, β = 0.28 (Eq. 10). Minimising L under C = 6·N·D gives
  N_opt = G·(C/6)^a, D_opt = G⁻¹·(C/6)^b with G = (αA/(βB))^(1/(α+β)), a = β/(α+β),
  b = α/(α+β) (Eq. 4). Its exponents (a = 0.45) differ from Approaches 1 and 2 (a ≈ 0.50),
  so it favours smaller models; Besiroglu et al. 2024 (a replication) found the published fit
  inconsistent with the paper's other approaches and refit it to agree with ≈ 20 tokens/parameter.

Everything here except :func:`plan_budget` is pure; that one resolves names and defaults through
:func:`carbonllm.estimator.resolve.estimate` (which reads the data tables).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict

from carbonllm.errors import InputError
from carbonllm.estimator.calculator import co2e_kg, device_seconds, energy_kwh
from carbonllm.units import FLOP_PER_TFLOP, G_PER_KG, SECONDS_PER_HOUR, W_PER_KW

BudgetKind = Literal["flops", "gpu_hours", "kwh", "co2e_kg"]
BUDGET_FLAGS: dict[str, str] = {"flops": "--flops", "gpu_hours": "--gpu-hours", "kwh": "--kwh",
                                "co2e_kg": "--co2e-kg"}

#: Hoffmann et al. 2022 Table 3 (Approach 1): compute-optimal tokens ≈ 20 × parameters.
TOKENS_PER_PARAM = 20.0
#: Budgets of the comparison table, as multiples of the given one.
DEFAULT_SCALES = (0.1, 0.3, 1.0, 3.0, 10.0)


class ParametricFit(BaseModel):
    """L(N, D) = E + A/N^α + B/D^β, fitted to final training losses (Hoffmann et al. 2022 §3.3)."""

    model_config = ConfigDict(frozen=True)

    e: float
    a: float
    b: float
    alpha: float
    beta: float
    source: str


#: Hoffmann et al. 2022, §3.3 Eq. 10 (Approach 3).
CHINCHILLA_FIT = ParametricFit(e=1.69, a=406.4, b=410.7, alpha=0.34, beta=0.28,
                               source="Hoffmann et al. 2022 §3.3 Eq. 10 (Approach 3 parametric fit)")


def optimal_by_ratio(flops: float, tokens_per_param: float = TOKENS_PER_PARAM) -> tuple[float, float]:
    """(N, D) with D = r·N and C = 6·N·D: N = √(C / (6·r)), D = r·N (Hoffmann et al. 2022 Table 3)."""
    params = math.sqrt(flops / (6.0 * tokens_per_param))  # C = 6·N·(r·N) = 6·r·N²
    return params, tokens_per_param * params


def optimal_by_fit(flops: float, fit: ParametricFit = CHINCHILLA_FIT) -> tuple[float, float]:
    """(N_opt, D_opt) minimising ``fit`` under C = 6·N·D (Hoffmann et al. 2022 Eq. 4).

    N_opt = G·(C/6)^a and D_opt = G⁻¹·(C/6)^b, with G = (αA/(βB))^(1/(α+β)), a = β/(α+β),
    b = α/(α+β); N_opt·D_opt = C/6 by construction.
    """
    total = fit.alpha + fit.beta
    g = (fit.alpha * fit.a / (fit.beta * fit.b)) ** (1.0 / total)
    c6 = flops / 6.0  # N·D = C/6
    return g * c6 ** (fit.beta / total), c6 ** (fit.alpha / total) / g


def predicted_loss(params: float, tokens: float, fit: ParametricFit = CHINCHILLA_FIT) -> float:
    """L(N, D) = E + A/N^α + B/D^β (nats per token on Hoffmann et al.'s MassiveText)."""
    return fit.e + fit.a / params**fit.alpha + fit.b / tokens**fit.beta


class Rates(BaseModel):
    """The resolved assumptions that link FLOPs to device-hours, kWh and kgCO2e (central values)."""

    model_config = ConfigDict(frozen=True)

    gpu: str
    dtype: str
    peak_tflops: float
    mfu: float
    mfu_source: str
    power_w: float
    power_source: str
    pue: float
    pue_source: str
    region: str
    intensity_g_per_kwh: float
    intensity_source: str

    def flops_per_device_hour(self) -> float:
        """Achieved FLOPs in one device-hour: peak × MFU × 3600 s (PaLM App. B's MFU)."""
        return self.peak_tflops * FLOP_PER_TFLOP * self.mfu * SECONDS_PER_HOUR

    def kwh_per_device_hour(self) -> float:
        """Facility kWh per device-hour: power / 1000 × PUE (Patterson et al. 2021 §2)."""
        return self.power_w / W_PER_KW * self.pue


def budget_flops(kind: BudgetKind, value: float, rates: Rates) -> float:
    """Training FLOPs a budget buys: the estimator chain run backwards, with the central values.

    device-hours = kWh / (P/1000 × PUE); kWh = kgCO2e × 1000 / intensity; FLOPs = device-hours ×
    peak × MFU × 3600. Inverse of :func:`carbonllm.estimator.calculator.calculate`.
    """
    flag = BUDGET_FLAGS.get(kind)
    if flag is None:
        raise InputError(f"unknown budget kind {kind!r}; choose one of {', '.join(BUDGET_FLAGS)}")
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{flag} must be greater than 0, got {value:g}")
    if kind == "flops":
        return value
    if kind == "co2e_kg":
        if rates.intensity_g_per_kwh <= 0:
            raise InputError("a --co2e-kg budget needs a grid intensity > 0; with 0 gCO2e/kWh any run fits")
        value = value * G_PER_KG / rates.intensity_g_per_kwh  # kgCO2e → kWh
        kind = "kwh"
    if kind == "kwh":
        value = value / rates.kwh_per_device_hour()  # kWh → device-hours
    return value * rates.flops_per_device_hour()  # device-hours → FLOPs


class PlanPoint(BaseModel):
    """One budget and its compute-optimal split, with what it costs on the resolved hardware."""

    model_config = ConfigDict(frozen=True)

    scale: float  # multiple of the given budget
    flops: float
    params: float  # by the tokens-per-parameter rule
    tokens: float
    fit_params: float  # by the parametric fit (Approach 3)
    fit_tokens: float
    predicted_loss: float  # L(N, D) of the rule's (N, D) under the fit
    device_hours: float
    energy_kwh: float
    co2e_kg: float


class Plan(BaseModel):
    """A compute-optimal plan: the optimum at the budget, a table around it, and the assumptions."""

    model_config = ConfigDict(frozen=True)

    method: str = "estimated"
    budget_kind: BudgetKind
    budget: float
    tokens_per_param: float
    rule_source: str
    fit: ParametricFit
    optimal: PlanPoint
    table: tuple[PlanPoint, ...]
    rates: Rates


def plan_point(flops: float, rates: Rates, scale: float = 1.0, tokens_per_param: float = TOKENS_PER_PARAM,
               fit: ParametricFit = CHINCHILLA_FIT) -> PlanPoint:
    """The optimum for ``flops`` and its device-hours, kWh and kgCO2e (estimator chain, forward)."""
    params, tokens = optimal_by_ratio(flops, tokens_per_param)
    fit_params, fit_tokens = optimal_by_fit(flops, fit)
    hours = device_seconds(flops, rates.peak_tflops, rates.mfu) / SECONDS_PER_HOUR
    energy = energy_kwh(hours, rates.power_w, rates.pue)
    return PlanPoint(scale=scale, flops=flops, params=params, tokens=tokens, fit_params=fit_params,
                     fit_tokens=fit_tokens, predicted_loss=predicted_loss(params, tokens, fit),
                     device_hours=hours, energy_kwh=energy, co2e_kg=co2e_kg(energy, rates.intensity_g_per_kwh))


def plan(kind: BudgetKind, value: float, rates: Rates, *, tokens_per_param: float = TOKENS_PER_PARAM,
         scales: tuple[float, ...] = DEFAULT_SCALES, fit: ParametricFit = CHINCHILLA_FIT) -> Plan:
    """The compute-optimal plan for a budget of ``value`` (in the unit ``kind`` names)."""
    if not math.isfinite(tokens_per_param) or tokens_per_param <= 0:
        raise InputError(f"--tokens-per-param must be greater than 0, got {tokens_per_param:g}")
    flops = budget_flops(kind, value, rates)
    return Plan(
        budget_kind=kind, budget=value, tokens_per_param=tokens_per_param,
        rule_source="Hoffmann et al. 2022 Table 3 (Approach 1): ~20 tokens per parameter; C = 6·N·D",
        fit=fit, optimal=plan_point(flops, rates, 1.0, tokens_per_param, fit),
        table=tuple(plan_point(flops * s, rates, s, tokens_per_param, fit) for s in scales), rates=rates,
    )


def resolve_rates(*, gpu: str | None = None, dtype: str | None = None, mfu: float | str | None = None,
                  power_w: float | str | None = None, pue: float | str | None = None,
                  region: str | None = None, intensity: float | str | None = None) -> Rates:
    """Resolve hardware, MFU, power, PUE and grid intensity exactly as :func:`carbonllm.estimate` does.

    It runs one estimate of a nominal 1e21 FLOPs through the estimator (defaults, validation and
    name lookups included) and keeps the central values it assumed. Reads the data tables.
    """
    from carbonllm.estimator.resolve import estimate

    result = estimate(flops=1e21, gpu=gpu, dtype=dtype, mfu=mfu, power_w=power_w, pue=pue,
                      region=region, intensity=intensity)
    a = result.assumptions
    if a.peak_tflops is None or a.mfu is None or a.dtype is None:  # compute mode always sets them
        raise InputError("the estimator did not resolve a peak rate and MFU")
    return Rates(gpu=a.gpu, dtype=a.dtype, peak_tflops=a.peak_tflops, mfu=a.mfu, mfu_source=a.mfu_source or "",
                 power_w=a.power_w, power_source=a.power_source, pue=a.pue, pue_source=a.pue_source,
                 region=f"{a.region} ({a.region_name})", intensity_g_per_kwh=result.intensity_g_per_kwh,
                 intensity_source=a.intensity_source)


def _check_scales(scales: object) -> tuple[float, ...]:
    """``scales`` as a tuple of finite positive floats (``InputError`` otherwise)."""
    from carbonllm.quantities import parse_quantity, require_positive

    if isinstance(scales, (str, bytes)) or not isinstance(scales, (tuple, list)) or not scales:
        raise InputError(f"scales must be a non-empty tuple of multiples of the budget, e.g. (0.5, 1, 2), "
                         f"not {scales!r:.40}")
    return tuple(require_positive(parse_quantity(s, "scales"), "scales") for s in scales)


def plan_budget(*, flops: float | str | None = None, gpu_hours: float | str | None = None,
                kwh: float | str | None = None, co2e_kg: float | str | None = None,
                gpu: str | None = None, dtype: str | None = None, mfu: float | str | None = None,
                power_w: float | str | None = None, pue: float | str | None = None, region: str | None = None,
                intensity: float | str | None = None, tokens_per_param: float | str = TOKENS_PER_PARAM,
                scales: tuple[float, ...] = DEFAULT_SCALES) -> Plan:
    """The Python face of ``carbonllm plan``: exactly one budget, the estimator's assumptions.

    Numbers may be strings such as ``"5.76e23"`` or ``"1.2M"``. Raises
    :class:`~carbonllm.errors.InputError` for no budget, two budgets, or a budget <= 0.
    """
    from carbonllm.quantities import parse_quantity

    scales = _check_scales(scales)
    given = {k: v for k, v in dict(flops=flops, gpu_hours=gpu_hours, kwh=kwh, co2e_kg=co2e_kg).items()
             if v is not None}
    if not given:
        raise InputError("give a budget: --flops, --gpu-hours, --kwh or --co2e-kg")
    if len(given) > 1:
        raise InputError(f"give one budget, not {' and '.join(BUDGET_FLAGS[k] for k in given)}")
    (kind, raw), = given.items()
    value = parse_quantity(raw, BUDGET_FLAGS[kind])
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{BUDGET_FLAGS[kind]} must be greater than 0, got {value:g}")
    ratio = parse_quantity(tokens_per_param, "--tokens-per-param")
    rates = resolve_rates(gpu=gpu, dtype=dtype, mfu=mfu, power_w=power_w, pue=pue, region=region,
                          intensity=intensity)
    return plan(kind, value, rates, tokens_per_param=ratio, scales=scales)  # type: ignore[arg-type]


__all__ = ["CHINCHILLA_FIT", "DEFAULT_SCALES", "TOKENS_PER_PARAM", "ParametricFit", "Plan",
           "PlanPoint", "Rates", "budget_flops", "optimal_by_fit", "optimal_by_ratio", "plan", "plan_budget",
           "plan_point", "predicted_loss", "resolve_rates"]
