"""Default assumptions of the estimator, each with its source and year.

These are the numbers printed with every estimate. Where a user gives a value (``--pue 1.1``)
it replaces the default and its span collapses to that value: the low–high range only spreads
what was assumed, never what was given. MFU defaults per hardware generation live in
``data/mfu_defaults.csv`` (they are data, with a source per row); the rest are here.
"""

from __future__ import annotations

from carbonllm.errors import InputError
from carbonllm.frozen import Record, record


@record
class Span(Record):
    """A central value with the plausible low and high it is quoted with, and where it is from."""

    value: float
    low: float
    high: float
    source: str

    def check(self) -> None:
        if not self.low <= self.value <= self.high:
            raise InputError(f"span out of order: {self.low} <= {self.value} <= {self.high}")

    @classmethod
    def given(cls, value: float, source: str = "given by the user") -> Span:
        """A value the user gave: no spread."""
        return cls(value=value, low=value, high=value, source=source)


#: Power-usage effectiveness (facility energy / IT energy). 1.2 is the Jean Zay figure used for
#: BLOOM (Luccioni et al. 2022, §4.1); 1.10 is Google's 2023 fleet-wide trailing-twelve-month
#: PUE (Google 2024 Environmental Report); 1.58 is the industry-average PUE of the Uptime
#: Institute Global Data Center Survey 2023.
DEFAULT_PUE = Span(
    value=1.2,
    low=1.10,
    high=1.58,
    source=(
        "1.2 as for BLOOM on Jean Zay (Luccioni et al. 2022); span from Google's 2023 fleet PUE "
        "1.10 (Google Environmental Report 2024) to the 2023 industry average 1.58 (Uptime "
        "Institute Global Data Center Survey 2023)"
    ),
)

#: Average power per device as a fraction of its TDP. 1.0 (power = TDP) is the convention of the
#: BLOOM, LLaMA and Llama 2/3 model-card estimates (an upper bound for the chip alone). Low end:
#: Google's measured mean/max chip power for TPU v3 (220/262 W = 0.84) and v4 (170/192 W = 0.89)
#: (Cloud TPU system-architecture docs), rounded to 0.8. High end: Patterson et al. 2021 Table 4
#: measured 330 W per 300 W V100 including the host's share, i.e. 1.10.
POWER_FRACTION = Span(
    value=1.0,
    low=0.8,
    high=1.1,
    source=(
        "power = TDP as in the BLOOM and Llama model-card estimates; span 0.8x (Google's measured "
        "mean/max TPU v3/v4 chip power, 0.84-0.89) to 1.1x (Patterson et al. 2021: 330 W per "
        "300 W V100 including host share)"
    ),
)

#: Embodied (manufacturing) emissions, after Luccioni et al. 2022 §4.3 (BLOOM): 150 kgCO2e per
#: GPU plus 2,500 kgCO2e per 8-GPU server (HPE Apollo 6500 Gen10 Plus), i.e. 150 + 2500/8 =
#: 462.5 kg per device, amortised over a 6-year life at 85% utilisation. This reproduces the
#: paper's 11.2 tCO2e for BLOOM's 1,082,990 GPU-hours (see docs/methodology.md).
EMBODIED_KG_PER_DEVICE = 150.0 + 2500.0 / 8.0
EMBODIED_LIFETIME_YEARS = 6.0
EMBODIED_UTILISATION = 0.85
EMBODIED_SOURCE = (
    "Luccioni et al. 2022 (BLOOM) §4.3: 150 kgCO2e per GPU + 2,500 kgCO2e per 8-GPU server, "
    "6-year life at 85% use"
)

#: Relative spread of a grid intensity taken from data/grid_intensity.csv (not one given with
#: --intensity). Most rows are lifecycle figures (IPCC AR5 medians); the Chinese provinces are
#: CO2-only combustion factors and --basis direct picks combustion-only figures, and a lifecycle
#: figure built from a mix with generic medians can sit either side of the plant-level truth (US
#: states: shared/reference/data-audit-2026-12.md §4 finds lifecycle 0.95-1.32x eGRID's
#: combustion rate for five states). The widest basis gap among fossil fuels in IPCC AR5 WG3
#: Annex III Table A.III.2 (medians) is natural gas: 490 gCO2e/kWh lifecycle vs 370 direct, a
#: factor 1.32. The span applies that factor both ways, 1/1.32 = 0.76 to 1.32, so a figure on
#: either basis lies inside it for grids whose emissions are fossil. It does not cover low-carbon
#: grids' upstream emissions (hydro, nuclear: direct 0) nor hour-by-hour variation; give
#: --intensity for a measured or contractual figure.
GRID_INTENSITY_SPREAD = Span(
    value=1.0,
    low=round(370 / 490, 2),
    high=round(490 / 370, 2),
    source=(
        "x0.76-1.32 for the accounting basis (lifecycle vs direct combustion), the natural-gas gap in "
        "IPCC AR5 WG3 Annex III Table A.III.2 (490 vs 370 gCO2e/kWh); the grid table holds both bases"
    ),
)

#: Region used when none is given: the world average row of data/grid_intensity.csv.
DEFAULT_REGION = "world"
