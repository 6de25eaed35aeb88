"""Exact unit constants. Every conversion in carbonllm goes through these names.

A value that changes unit changes name (``energy_j`` → ``energy_kwh``); there is no bare
``/ 1000`` anywhere else in the package.
"""

from __future__ import annotations

SECONDS_PER_HOUR = 3600.0
HOURS_PER_YEAR = 365.0 * 24.0  # a 365-day year, as in Luccioni et al. 2022's amortisation
J_PER_KWH = 3.6e6  # 1 kWh = 1000 W × 3600 s
W_PER_KW = 1000.0
WH_PER_KWH = 1000.0
KWH_PER_MWH = 1000.0
G_PER_KG = 1000.0
KG_PER_TONNE = 1000.0
FLOP_PER_TFLOP = 1e12
MJ_PER_J = 1000.0  # NVML reports energy in millijoules
MW_PER_W = 1000.0  # NVML reports power in milliwatts
UJ_PER_J = 1e6  # RAPL reports energy in microjoules


def j_to_kwh(energy_j: float) -> float:
    """Joules to kilowatt-hours."""
    return energy_j / J_PER_KWH


def kwh_to_j(energy_kwh: float) -> float:
    """Kilowatt-hours to joules."""
    return energy_kwh * J_PER_KWH


def co2e_kg_from(energy_kwh: float, intensity_g_per_kwh: float) -> float:
    """Emissions in kg CO2e of ``energy_kwh`` drawn from a grid of ``intensity_g_per_kwh``.

    co2e_kg = energy_kwh × intensity_g_per_kwh / 1000 (GHG Protocol Scope 2, location-based).
    """
    return energy_kwh * intensity_g_per_kwh / G_PER_KG
