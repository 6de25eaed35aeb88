"""Grid carbon intensity: the frozen model of one row of ``data/grid_intensity.csv``.

Intensities are location-based average emission factors in gCO2e per kWh consumed (GHG
Protocol Scope 2 guidance, location-based method). Cloud regions carry ``grid_zone``, the
country or subregion grid they draw from, and that grid's intensity. Sources per row; the table
is regenerated from codecarbon's shipped data by ``scripts/build_grid_intensity.py``.
"""

from __future__ import annotations

from carbonllm.records import Record, record


@record
class GridZone(Record):
    """A country, subregion or cloud region and the carbon intensity of its electricity."""

    zone: str
    aliases: tuple[str, ...] = ()
    name: str
    kind: str  # world / country / subregion / cloud
    grid_zone: str | None = None  # for cloud regions: the grid zone they sit on
    intensity_g_per_kwh: float
    year: int
    source: str
