"""Market-based CO2e beside the location-based figure (GHG Protocol Scope 2 dual reporting).

GHG Protocol, *Scope 2 Guidance* (2015), ch. 4 and 6: a company reports Scope 2 twice —
**location-based** (energy × the average intensity of the grid where it is used; carbonllm's
headline figure) and **market-based** (energy × the emission factor of the electricity it bought
by contract: a supplier's factor, or 0 for energy matched by renewable certificates or PPAs).
Meta's Llama 3.1 card reports both: 11,390 t location-based and 0 t market-based.

Two ways to give the contractual side:

- ``market_intensity`` G (gCO2e/kWh): the contractual factor itself (0 for 100% matched
  renewables, or a supplier-specific factor).
- ``renewable_share`` F in [0, 1]: the fraction matched by renewable instruments at 0 g/kWh;
  the unmatched rest is counted at the location-based intensity, i.e. G = (1 − F) × location.
  The Guidance asks for a residual mix for the unmatched part and allows the grid average where
  none is published, which carbonllm does not ship — so this is an upper-bound approximation,
  and the source string says so.
"""

from __future__ import annotations

import math

from carbonllm.errors import InputError
from carbonllm.estimator.results import Estimate
from carbonllm.quantities import MAX_INTENSITY_G_PER_KWH, check_plausible, parse_quantity
from carbonllm.units import G_PER_KG

Number = float | int | str


def market_intensity_g_per_kwh(
    location_g_per_kwh: float,
    market_intensity: Number | None = None,
    renewable_share: Number | None = None,
) -> tuple[float, str] | None:
    """(market-based gCO2e/kWh, where it comes from), or None when neither is given.

    Raises ``InputError`` for both at once, a negative or non-finite intensity, or a share
    outside [0, 1].
    """
    if market_intensity is not None and renewable_share is not None:
        raise InputError("give --market-intensity or --renewable-share, not both")
    if market_intensity is not None:
        value = parse_quantity(market_intensity, "--market-intensity")
        if not math.isfinite(value) or value < 0:
            raise InputError(f"--market-intensity must be a finite number >= 0 gCO2e/kWh, got {value:g}")
        check_plausible(value, MAX_INTENSITY_G_PER_KWH, "--market-intensity",
                        "give the contractual grams of CO2e per kWh, e.g. 0 for fully matched renewables")
        return value, (f"contractual emission factor given by the user ({value:g} gCO2e/kWh; "
                       "GHG Protocol Scope 2 market-based method)")
    if renewable_share is not None:
        share = parse_quantity(renewable_share, "--renewable-share")
        if not math.isfinite(share) or not 0 <= share <= 1:
            raise InputError(f"--renewable-share must be a fraction in [0, 1], got {share:g}")
        value = (1 - share) * location_g_per_kwh  # unmatched share at the grid average
        return value, (f"{share:g} of the energy matched by renewable instruments at 0 g/kWh, the "
                       f"rest at the location-based {location_g_per_kwh:g} gCO2e/kWh (no residual "
                       "mix shipped: an upper bound; GHG Protocol Scope 2 market-based method)")
    return None


def with_market_based(
    result: Estimate,
    market_intensity: Number | None = None,
    renewable_share: Number | None = None,
) -> Estimate:
    """``result`` with the market-based figures added beside the location-based ones (which stay
    the headline); ``result`` itself when neither market input is given.

    market CO2e (kg) = energy (kWh) × market intensity (g/kWh) / 1000, for the central value and
    the low/high energy bounds alike. A contractual factor (``market_intensity``) is exact; the
    unmatched rest of a ``renewable_share`` is at the grid average, so it carries the grid
    intensity's own low–high spread (``intensity_g_per_kwh_low/high``) as the location-based
    figure does.
    """
    market = market_intensity_g_per_kwh(result.intensity_g_per_kwh, market_intensity, renewable_share)
    if market is None:
        return result
    g_per_kwh, source = market
    low_factor = high_factor = 1.0
    if renewable_share is not None and result.intensity_g_per_kwh > 0:
        low_factor = (result.intensity_g_per_kwh_low or result.intensity_g_per_kwh) / result.intensity_g_per_kwh
        high_factor = (result.intensity_g_per_kwh_high or result.intensity_g_per_kwh) / result.intensity_g_per_kwh
    return result.model_copy(update={
        "market_intensity_g_per_kwh": g_per_kwh,
        "market_co2e_kg": result.energy_kwh * g_per_kwh / G_PER_KG,
        "market_co2e_kg_low": result.energy_kwh_low * g_per_kwh * low_factor / G_PER_KG,
        "market_co2e_kg_high": result.energy_kwh_high * g_per_kwh * high_factor / G_PER_KG,
        "assumptions": result.assumptions.model_copy(update={"market_source": source}),
    })
