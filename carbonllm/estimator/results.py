"""What an estimate returns: :class:`Estimate` and the :class:`Assumptions` it rests on.

Plain frozen models with units in every field name; ``Estimate.to_dict()`` is the
``--format json`` object and ``to_flat_dict()`` the CSV row. Built by
:func:`carbonllm.estimator.resolve.estimate`.
"""

from __future__ import annotations

from carbonllm._version import __version__
from carbonllm.frozen import Record, record


@record
class Assumptions(Record):
    """What an estimate assumed, with where each figure comes from. Printed with every result."""

    gpu: str
    dtype: str | None
    peak_tflops: float | None
    mfu: float | None
    mfu_low: float | None
    mfu_high: float | None
    mfu_source: str | None
    power_w: float
    power_w_low: float
    power_w_high: float
    power_source: str
    pue: float
    pue_low: float
    pue_high: float
    pue_source: str
    region: str
    region_name: str
    intensity_year: int | None
    intensity_source: str
    flop_method: str | None
    embodied_source: str | None
    #: The basis of the intensity used: lifecycle, direct_combustion, co2_direct, or user_given.
    intensity_basis: str | None = None
    #: A note on the intensity (a zone on another basis than asked, or a flagged upstream value).
    intensity_note: str | None = None
    #: Where the market-based intensity comes from (None when no market input was given).
    market_source: str | None = None
    intensity_spread_source: str | None = None  # why the intensity has a low-high (None: given)
    # which assumptions were defaults rather than given: any of "gpu", "mfu", "power_w", "pue", "region"
    defaults: tuple[str, ...] = ()


@record
class Estimate(Record):
    """The result of an estimate. Units are in the field names; ``method`` says it is estimated."""

    method: str = "estimated"
    carbonllm_version: str = __version__
    mode: str
    flops: float | None
    device_hours: float
    device_hours_low: float
    device_hours_high: float
    devices: int | None
    wall_clock_hours: float | None
    energy_kwh: float
    energy_kwh_low: float
    energy_kwh_high: float
    intensity_g_per_kwh: float
    co2e_kg: float
    co2e_kg_low: float
    co2e_kg_high: float
    embodied_co2e_kg: float | None
    assumptions: Assumptions
    #: Market-based figures (GHG Protocol Scope 2), beside the location-based ``co2e_kg`` above,
    #: which stays the headline; None unless --market-intensity or --renewable-share was given.
    market_intensity_g_per_kwh: float | None = None
    market_co2e_kg: float | None = None
    market_co2e_kg_low: float | None = None
    market_co2e_kg_high: float | None = None
    # the intensity's accounting-basis spread (defaults.GRID_INTENSITY_SPREAD); equal to
    # intensity_g_per_kwh when the intensity was given
    intensity_g_per_kwh_low: float | None = None
    intensity_g_per_kwh_high: float | None = None

    def to_dict(self) -> dict[str, object]:
        """A plain dict (the ``--format json`` object)."""
        return self.model_dump()

    def to_flat_dict(self) -> dict[str, object]:
        """One level of keys (``assumptions_mfu`` …), for CSV."""
        flat = {k: v for k, v in self.model_dump().items() if k != "assumptions"}
        flat.update({f"assumptions_{k}": v for k, v in self.assumptions.model_dump().items()})
        # a list (the defaults' names) as "gpu;mfu", not as Python's "('gpu', 'mfu')"
        return {k: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v for k, v in flat.items()}
