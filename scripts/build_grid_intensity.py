"""Build ``data/grid_intensity.csv`` from the grid data that codecarbon ships.

Run ``python scripts/build_grid_intensity.py`` (optionally ``--output PATH``); it rewrites the
table, then prints what it wrote and how many rows of each kind. It reads the installed
codecarbon package's data files by path (found with ``importlib.util.find_spec``, which does
not import codecarbon) and makes no network call. Rows, in this order (the loader lets earlier
rows win a name clash):

- ``world``: codecarbon's ``world_average`` (carbon_intensity_per_source.json).
- ``country``: every entry of global_energy_mix.json (Our World in Data energy dataset), zone =
  ISO alpha-3, alias = ISO alpha-2 (from pycountry) and pycountry's names.
- ``subregion``: US states (EPA eGRID, usa_emissions.json, lb/MWh converted to g/kWh), Canadian
  provinces (generation mix in canada_energy_mix.json, turned into an intensity the way
  codecarbon does), Chinese provinces (MEE/NBS, china_provincial_emissions.json) and Nordic
  bidding zones (nordic_emissions.json).
- ``cloud``: Google Cloud regions from cloud/impact.csv, with Google's own published figure;
  AWS and Azure regions (absent from this codecarbon's impact.csv) placed on the grid zone of
  their documented location, with that zone's figure. ``grid_zone`` names the zone either way.

The sourced constants (world average, cloud-region locations, Canadian fossil factors) live in
``scripts/grid_sources.py`` beside this script.

Name clashes: zone codes and display names must be unique (the build fails otherwise); an
alias already claimed by an earlier row is dropped and reported (e.g. the bare name
``Georgia`` stays with the country, the US state keeps ``US Georgia``).
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import json
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pycountry

from carbonllm.names import normalize
from carbonllm.units import G_PER_KG, KWH_PER_MWH

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from grid_sources import (  # noqa: E402  (the sibling module; scripts/ is not a package)
    AWS_LOCATION_SOURCE,
    AWS_REGIONS,
    AZURE_LOCATION_SOURCE,
    AZURE_REGIONS,
    CANADA_FOSSIL_KG_PER_KWH,
    G_PER_LB,
    GCP_COUNTRY_OVERRIDES,
    GCP_DATA_YEAR,
    GCP_GRID_ZONES,
    GCP_REGION_FIXES,
    GCP_SOURCE_URL,
    GCP_YEAR_FINGERPRINT,
    MIX_FACTOR_KEYS,
    SUBREGION_PARENTS,
    WORLD_AVERAGE_G_PER_KWH,
    WORLD_AVERAGE_SOURCE_URL,
    WORLD_AVERAGE_YEAR,
)

DEFAULT_OUTPUT = REPO_ROOT / "data" / "grid_intensity.csv"
COLUMNS = ("zone", "aliases", "name", "kind", "grid_zone", "intensity_g_per_kwh", "year", "source")


class BuildError(Exception):
    """codecarbon's data is not what this script expects; the table is not written."""


@dataclass
class Row:
    zone: str
    name: str
    kind: str
    intensity_g_per_kwh: float
    year: int
    source: str
    aliases: list[str] = field(default_factory=list)
    grid_zone: str = ""
    country: str = ""  # ISO alpha-3 of the country the zone lies in (not written)

    def as_csv(self) -> dict[str, str]:
        return {
            "zone": self.zone,
            "aliases": ";".join(self.aliases),
            "name": self.name,
            "kind": self.kind,
            "grid_zone": self.grid_zone,
            "intensity_g_per_kwh": f"{self.intensity_g_per_kwh:.1f}",
            "year": str(self.year),
            "source": self.source,
        }


class Table:
    """Rows in output order, with the name-clash rules applied as each row is added."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.by_zone: dict[str, Row] = {}
        self._claimed: dict[str, str] = {}  # normalised key → zone that claimed it
        self.dropped_aliases: list[tuple[str, str, str]] = []  # (zone, alias, holder)

    def add(self, row: Row) -> None:
        for label, key in (("zone", row.zone), ("name", row.name)):
            holder = self._claimed.get(normalize(key))
            if holder is not None and holder != row.zone:
                raise BuildError(f"{label} {key!r} of {row.zone} is already taken by {holder}")
        if ";" in row.name or not row.source.strip():
            raise BuildError(f"{row.zone}: name contains ';' or source is empty")
        kept: list[str] = []
        own = {normalize(row.zone), normalize(row.name)}
        for alias in row.aliases:
            key = normalize(alias)
            holder = self._claimed.get(key)
            if key in own or any(normalize(k) == key for k in kept):
                continue
            if holder is not None:
                self.dropped_aliases.append((row.zone, alias, holder))
                continue
            kept.append(alias)
        row.aliases = kept
        for key in (row.zone, row.name, *kept):
            self._claimed.setdefault(normalize(key), row.zone)
        self.rows.append(row)
        self.by_zone[row.zone] = row

    def claimed(self, name: str) -> bool:
        return normalize(name) in self._claimed

    def zone(self, code: str) -> Row:
        try:
            return self.by_zone[code]
        except KeyError:
            raise BuildError(f"grid zone {code} is not in the table") from None


# --- codecarbon's data files -----------------------------------------------------------------


class CodecarbonData:
    """Paths and contents of the installed codecarbon's data files (read, never imported)."""

    def __init__(self) -> None:
        spec = find_spec("codecarbon")
        if spec is None or not spec.submodule_search_locations:
            raise BuildError("codecarbon is not installed in this environment")
        self.root = Path(next(iter(spec.submodule_search_locations)))
        self.version = importlib.metadata.version("codecarbon")

    def path(self, relative: str) -> Path:
        return self.root / "data" / relative

    def json(self, relative: str) -> Any:
        with self.path(relative).open(encoding="utf-8") as f:
            return json.load(f)

    def via(self, relative: str) -> str:
        return f"via codecarbon {self.version} data/{relative}"


GLOBAL_MIX = "private_infra/global_energy_mix.json"
PER_SOURCE = "private_infra/carbon_intensity_per_source.json"
USA = "private_infra/2023/usa_emissions.json"
CANADA = "private_infra/2023/canada_energy_mix.json"
CHINA = "private_infra/2023/china_provincial_emissions.json"
NORDIC = "private_infra/nordic_emissions.json"
IMPACT = "cloud/impact.csv"


# --- world and countries ---------------------------------------------------------------------


def world_row(cc: CodecarbonData) -> Row:
    """codecarbon's ``world_average``, checked against the figure whose year is pinned above."""
    per_source = cc.json(PER_SOURCE)
    figure, url = float(per_source["world_average"]), per_source.get("world_average_source", "")
    if (figure, url) != (WORLD_AVERAGE_G_PER_KWH, WORLD_AVERAGE_SOURCE_URL):
        raise BuildError(
            f"codecarbon's world_average is now {figure} from {url!r}; check its year and update "
            "WORLD_AVERAGE_* in this script"
        )
    return Row(
        zone="world",
        name="World",
        kind="world",
        aliases=["global", "world average"],
        intensity_g_per_kwh=figure,
        year=WORLD_AVERAGE_YEAR,
        source=(
            f"IEA, Global Energy & CO2 Status Report 2019: world average CO2 intensity of "
            f"electricity generation in {WORLD_AVERAGE_YEAR} ({url}); world_average "
            f"{cc.via(PER_SOURCE)}"
        ),
    )


def mix_intensity_g_per_kwh(entry: dict[str, Any], factors: dict[str, Any]) -> float:
    """Generation-weighted lifecycle intensity of a country's mix.

    intensity = Σ_source (TWh_source / TWh_total) × factor_source, factors in gCO2e/kWh from
    codecarbon's carbon_intensity_per_source.json (IPCC/WNA lifecycle medians). Used only where
    codecarbon's ``carbon_intensity`` is 0; fails unless the listed sources cover the total.
    """
    total_twh = float(entry["total_TWh"])
    covered_twh = sum(float(entry.get(column, 0.0)) for column in MIX_FACTOR_KEYS)
    if total_twh <= 0 or abs(covered_twh - total_twh) > 0.01 * total_twh:
        raise BuildError(f"{entry['iso_code']}: mix covers {covered_twh} of {total_twh} TWh")
    return sum(
        float(entry.get(column, 0.0)) / total_twh * float(factors[key])  # share × factor
        for column, key in MIX_FACTOR_KEYS.items()
    )


def country_names(alpha3: str, codecarbon_name: str) -> tuple[str, list[str]]:
    """(display name, aliases): codecarbon's name, then ISO alpha-2 and pycountry's names."""
    country = pycountry.countries.get(alpha_3=alpha3)
    if country is None:
        raise BuildError(f"{alpha3} ({codecarbon_name}) is not an ISO 3166-1 alpha-3 code")
    aliases = [country.alpha_2]
    for attr in ("name", "common_name", "official_name"):
        value = getattr(country, attr, None)
        if value:
            aliases.append(value)
            ascii_value = _ascii(value)
            if ascii_value != value:
                aliases.append(ascii_value)
    return codecarbon_name, aliases


def add_countries(table: Table, cc: CodecarbonData) -> None:
    mix = cc.json(GLOBAL_MIX)
    factors = cc.json(PER_SOURCE)
    for alpha3 in sorted(mix):
        entry = mix[alpha3]
        if entry.get("iso_code") != alpha3:
            raise BuildError(f"{GLOBAL_MIX}: key {alpha3} holds iso_code {entry.get('iso_code')}")
        name, aliases = country_names(alpha3, entry["country_name"])
        year = int(entry["year"])
        dataset = (
            f"Our World in Data energy dataset (carbon_intensity_elec: lifecycle gCO2e/kWh of "
            f"electricity generation, from Ember and the Energy Institute), {year}"
        )
        intensity = float(entry["carbon_intensity"])
        if intensity > 0:
            source = f"{dataset}, {cc.via(GLOBAL_MIX)}"
        else:
            # A zero intensity would make every estimate there zero; rebuild it from the mix.
            intensity = mix_intensity_g_per_kwh(entry, factors)
            parts = ", ".join(
                f"{key} {entry[column]} TWh at {factors[key]} g/kWh"
                for column, key in MIX_FACTOR_KEYS.items() if entry.get(column)
            )
            source = (
                f"{dataset} generation mix ({entry['total_TWh']} TWh) {cc.via(GLOBAL_MIX)}, whose "
                f"carbon_intensity is 0; recomputed here from that mix ({parts}) with the "
                f"lifecycle factors per source {cc.via(PER_SOURCE)}"
            )
        table.add(Row(zone=alpha3, name=name, kind="country", aliases=aliases,
                      intensity_g_per_kwh=round(intensity, 1), year=year, source=source,
                      country=alpha3))


# --- subregions ------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _subdivision(code: str) -> Any:
    found = pycountry.subdivisions.get(code=code)
    if found is None:
        raise BuildError(f"{code} is not an ISO 3166-2 subdivision code")
    return found


def _subregion_row(table: Table, code: str, place: str, country_alpha3: str, extra: Iterable[str],
                   intensity: float, year: int, source: str) -> Row:
    """A subregion row: ``US-CA``, name ``California (United States)``, aliases ``US California``,
    the bare place name (dropped by Table.add if a country already holds it) and ``extra``."""
    country = table.zone(country_alpha3)
    alpha2 = SUBREGION_PARENTS[country_alpha3]
    return Row(
        zone=code,
        name=f"{place} ({country.name})",
        kind="subregion",
        aliases=[f"{alpha2} {place}", place, *(name.title() for name in extra)],
        intensity_g_per_kwh=round(intensity, 1),
        year=year,
        source=source,
        country=country_alpha3,
    )


def add_us_states(table: Table, cc: CodecarbonData) -> None:
    """EPA eGRID state CO2e output emission rates, lb/MWh → g/kWh.

    g/kWh = lb/MWh × G_PER_LB (g per lb) / KWH_PER_MWH (kWh per MWh).
    """
    data = cc.json(USA)
    unit, meta = data["_unit"]["emissions"], data["_source"]
    if unit != "lbs/MWh":
        raise BuildError(f"{USA}: emissions are in {unit!r}, not lbs/MWh")
    year = int(meta["year"])
    states = {k: v for k, v in data.items() if not k.startswith("_") and k != "usa"}
    for key in sorted(states, key=lambda k: states[k]["regionCode"]):
        lb_per_mwh = float(states[key]["emissions"])
        code = f"US-{states[key]['regionCode']}"
        place = _subdivision(code).name
        intensity = lb_per_mwh * G_PER_LB / KWH_PER_MWH
        source = (
            f"US {meta['name']} (field {meta['field']}), {year}: {lb_per_mwh} lb/MWh "
            f"converted at {G_PER_LB} g/lb, {cc.via(USA)}"
        )
        table.add(_subregion_row(table, code, place, "USA", (), intensity, year, source))


def canada_intensity_g_per_kwh(mix_percent: dict[str, float]) -> float:
    """A province's intensity from its generation mix, exactly as codecarbon computes it.

    Reproduces ``Emissions._region_energy_mix_to_emissions_rate`` (codecarbon/core/emissions.py,
    codecarbon 3.3.2): intensity = Σ_fossil (share_source / total) × factor_source, with the
    coal, petroleum and natural-gas factors of CANADA_FOSSIL_KG_PER_KWH (energy-usage package)
    and every non-fossil source (hydro, nuclear, wind, solar, biomass, tidal, other) at 0.
    Dividing by the file's ``total`` (99.8–100.2) rather than 100 renormalises rounded shares.
    """
    total = float(mix_percent["total"])
    kg_per_kwh = sum(
        float(mix_percent[source]) / total * factor  # share of generation × fuel factor
        for source, factor in CANADA_FOSSIL_KG_PER_KWH.items()
    )
    return kg_per_kwh * G_PER_KG


def add_canadian_provinces(table: Table, cc: CodecarbonData) -> None:
    data = cc.json(CANADA)
    year = int(Path(CANADA).parent.name)  # the file states no year; codecarbon files it under 2023/
    provinces = {_ascii(s.name).lower(): s for s in pycountry.subdivisions.get(country_code="CA")}
    rows = []
    for key, mix in data.items():
        subdivision = provinces.get(key)
        if subdivision is None:
            raise BuildError(f"{CANADA}: no ISO 3166-2:CA subdivision named {key!r}")
        intensity = canada_intensity_g_per_kwh(mix)
        shares = ", ".join(f"{s} {mix[s]}%" for s in CANADA_FOSSIL_KG_PER_KWH)
        source = (
            f"Provincial generation mix {cc.via(CANADA)} (the file names no publisher; year from "
            f"its 2023 folder): {shares}, converted as codecarbon's "
            f"Emissions._region_energy_mix_to_emissions_rate does (coal 995.7, petroleum 816.7, "
            f"natural gas 743.8 gCO2/kWh from the energy-usage package; other sources 0)"
        )
        rows.append(_subregion_row(table, subdivision.code, subdivision.name, "CAN", (),
                                   intensity, year, source))
    for row in sorted(rows, key=lambda r: r.zone):
        table.add(row)


def add_chinese_provinces(table: Table, cc: CodecarbonData) -> None:
    data = cc.json(CHINA)
    meta = data["metadata"]
    for code in sorted(data["data"]):
        entry = data["data"][code]
        _subdivision(code)  # codecarbon's codes are ISO 3166-2:CN; fail if one is not
        if entry["unit"] != "gCO2/kWh":
            raise BuildError(f"{CHINA}: {code} is in {entry['unit']!r}")
        place = entry["description"]
        source = (
            f"{meta['source']} CO2 only (not CO2e), location-based. {cc.via(CHINA)}"
        )
        table.add(_subregion_row(table, code, place, "CHN", entry.get("names", ()),
                                 float(entry["emission_factor"]), int(entry["year"]), source))


def add_nordic_zones(table: Table, cc: CodecarbonData) -> None:
    """Nordic bidding zones under codecarbon's names (SE1…SE4, NO1…NO5); a name that is already
    a country's code or name (``FI`` is Finland's alpha-2) becomes ``NORDIC-<name>``."""
    data = cc.json(NORDIC)
    meta = data["metadata"]
    for name in sorted(data["data"]):
        entry = data["data"][name]
        if entry["unit"] != "gCO2eq/kWh":
            raise BuildError(f"{NORDIC}: {name} is in {entry['unit']!r}")
        clashes = table.claimed(name)
        zone = f"NORDIC-{name}" if clashes else name
        display = entry["description"]
        if table.claimed(display):
            display = f"{display} bidding zone {name} (Nordic)"
        aliases = [] if clashes else [f"{name[:2]}-{name}"]  # Electricity Maps' key, e.g. SE-SE1
        country = pycountry.countries.get(alpha_2=name[:2])
        if country is None:
            raise BuildError(f"{NORDIC}: {name} does not start with a country's alpha-2 code")
        source = f"{meta['source']} {cc.via(NORDIC)}; {name}, {entry['year']}."
        if entry.get("note"):
            source += f" {entry['note']}"
        table.add(Row(zone=zone, name=display, kind="subregion", aliases=aliases,
                      intensity_g_per_kwh=round(float(entry["emission_factor"]), 1),
                      year=int(entry["year"]), source=source, country=country.alpha_3))


# --- cloud regions ---------------------------------------------------------------------------


def add_gcp_regions(table: Table, cc: CodecarbonData) -> None:
    """intensity = Google's published figure for the region (impact.csv); grid_zone = the grid
    it sits on (GCP_GRID_ZONES)."""
    with cc.path(IMPACT).open(encoding="utf-8-sig", newline="") as f:
        records = list(csv.DictReader(f))
    others = sorted({r["provider"] for r in records} - {"gcp"})
    if others:
        raise BuildError(f"{IMPACT} now has {others} rows: decide how to treat them here")
    figures = {GCP_REGION_FIXES.get(r["region"], r["region"]): r for r in records}
    unmapped = sorted(set(figures) ^ set(GCP_GRID_ZONES))
    if unmapped:
        raise BuildError(f"GCP regions not in both impact.csv and GCP_GRID_ZONES: {unmapped}")
    for region, expected in GCP_YEAR_FINGERPRINT.items():
        if float(figures[region]["impact"]) != expected:
            raise BuildError(f"{IMPACT} no longer holds Google's {GCP_DATA_YEAR} figures")
    for region, record in figures.items():
        grid = table.zone(GCP_GRID_ZONES[region])
        country = GCP_COUNTRY_OVERRIDES.get(region, record["countryIsoCode"])
        if grid.country != country:
            raise BuildError(f"gcp {region}: grid zone {grid.zone} is not in {country}")
        place = ", ".join(p for p in (record["city"], record["state"], record["country_name"]) if p)
        aliases = [f"gcp:{record['region']}"] if record["region"] != region else []
        source = (
            f"Google Cloud region carbon data, {GCP_DATA_YEAR} grid carbon intensity of {region} "
            f"(Google's own published location-based figure for the region, not grid zone "
            f"{grid.zone}'s figure; {GCP_SOURCE_URL}) {cc.via(IMPACT)}; region in {place}, on "
            f"grid zone {grid.zone} ({grid.name})"
        )
        table.add(Row(zone=f"gcp:{region}", name=f"Google Cloud {region} ({place})", kind="cloud",
                      aliases=aliases, grid_zone=grid.zone,
                      intensity_g_per_kwh=round(float(record["impact"]), 1),
                      year=GCP_DATA_YEAR, source=source))


def add_grid_placed_regions(table: Table, provider: str, label: str, location_source: str,
                            regions: dict[str, tuple[str, str]]) -> None:
    """intensity, year and source = those of the grid zone the region sits on."""
    for region, (location, grid_code) in regions.items():
        grid = table.zone(grid_code)
        source = (
            f"{label} publishes no per-region grid intensity: figure of grid zone {grid.zone} "
            f"({grid.name}), where {location_source} places {region} ({location}). "
            f"Grid zone source: {grid.source}"
        )
        table.add(Row(zone=f"{provider}:{region}", name=f"{label} {region} ({location})",
                      kind="cloud", grid_zone=grid.zone,
                      intensity_g_per_kwh=grid.intensity_g_per_kwh, year=grid.year,
                      source=source))


# --- build -----------------------------------------------------------------------------------


def build(cc: CodecarbonData) -> Table:
    table = Table()
    table.add(world_row(cc))
    add_countries(table, cc)
    add_us_states(table, cc)
    add_canadian_provinces(table, cc)
    add_chinese_provinces(table, cc)
    add_nordic_zones(table, cc)
    add_gcp_regions(table, cc)
    add_grid_placed_regions(table, "aws", "AWS", AWS_LOCATION_SOURCE, AWS_REGIONS)
    add_grid_placed_regions(table, "azure", "Azure", AZURE_LOCATION_SOURCE, AZURE_REGIONS)
    return table


def write(table: Table, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(row.as_csv() for row in table.rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help=f"CSV to write (default: {DEFAULT_OUTPUT.relative_to(REPO_ROOT)})")
    args = parser.parse_args(argv)
    try:
        cc = CodecarbonData()
        table = build(cc)
    except BuildError as e:
        parser.exit(1, f"build_grid_intensity: {e}\n")
    write(table, args.output)
    counts = Counter(row.kind for row in table.rows)
    print(f"wrote {len(table.rows)} rows to {args.output} from codecarbon {cc.version} data")
    for kind in ("world", "country", "subregion", "cloud"):
        print(f"  {kind:<10} {counts[kind]:>4}")
    for zone, alias, holder in table.dropped_aliases:
        print(f"  alias {alias!r} of {zone} dropped: {holder} holds it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
