"""Build ``data/grid_intensity.csv`` from the grid data that codecarbon ships.

Run ``python scripts/build_grid_intensity.py`` (optionally ``--output PATH``); it rewrites the
table, then prints what it wrote and how many rows of each kind. It reads the installed
codecarbon package's data files by path (found with ``importlib.util.find_spec``, which does
not import codecarbon) and makes no network call. Rows, in this order (the loader lets earlier
rows win a name clash):

- ``world``: codecarbon's ``world_average`` (carbon_intensity_per_source.json).
- ``country``: every entry of global_energy_mix.json (Our World in Data energy dataset), zone =
  ISO alpha-3, alias = ISO alpha-2 (from pycountry) and pycountry's names.
- ``subregion``: US states (lifecycle from EIA's 2023 state generation mix, vendored under
  data/grid_inputs/; direct = EPA eGRID, usa_emissions.json, lb/MWh converted to g/kWh),
  Canadian provinces (generation mix in canada_energy_mix.json × the same lifecycle factors),
  Chinese provinces (MEE/NBS, china_provincial_emissions.json) and Nordic
  bidding zones (nordic_emissions.json).
- ``cloud``: Google Cloud regions from cloud/impact.csv, with Google's own published figure;
  AWS and Azure regions (absent from this codecarbon's impact.csv) placed on the grid zone of
  their documented location, with that zone's figure. ``grid_zone`` names the zone either way.

The sourced constants (per-source factors, source mappings, cloud-region locations) live in
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
from carbonllm.units import KWH_PER_MWH

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from grid_sources import (  # noqa: E402  (the sibling module; scripts/ is not a package)
    AWS_LOCATION_SOURCE,
    AWS_REGIONS,
    AZURE_LOCATION_SOURCE,
    AZURE_REGIONS,
    BIOGENIC_RATIO,
    CANADA_MIX_SOURCES,
    COUNTRY_MIX_SOURCES,
    DIRECT_G_PER_KWH,
    EIA_STATE_MIX_SOURCE,
    ELECTRICITYMAPS_SOURCE,
    EMBER_SOURCE,
    FACTORS_SOURCE,
    G_PER_LB,
    GCP_2024_SOURCE,
    GCP_2024_YEAR,
    GCP_GRID_ZONES,
    GCP_REGION_FIXES,
    GCP_SOURCE_URL,
    GWH_PER_TWH,
    IMPLAUSIBLE_RATIO,
    LIFECYCLE_G_PER_KWH,
    MIX_FACTOR_KEYS,
    SMALL_STATE_GENERATION_TWH,
    SUBREGION_PARENTS,
    TINY_GENERATION_TWH,
    US_BALANCING_AREA_STATES,
    US_STATE_MIX_SOURCES,
    US_STATE_MIX_TOLERANCE,
)

DEFAULT_OUTPUT = REPO_ROOT / "data" / "grid_intensity.csv"
INPUTS = REPO_ROOT / "data" / "grid_inputs"
COLUMNS = ("zone", "aliases", "name", "kind", "grid_zone", "intensity_g_per_kwh", "basis", "gases",
           "year", "direct_g_per_kwh", "method", "quality", "source")

#: The bases a row's ``intensity_g_per_kwh`` may be on (carbonllm.tables.grid.BASES).
LIFECYCLE, DIRECT, CO2_DIRECT = "lifecycle", "direct_combustion", "co2_direct"


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
    basis: str = LIFECYCLE
    gases: str = "CO2e"
    direct_g_per_kwh: float | None = None
    method: str = ""
    quality: str = ""
    country: str = ""  # ISO alpha-3 of the country the zone lies in (not written)

    def as_csv(self) -> dict[str, str]:
        return {
            "zone": self.zone,
            "aliases": ";".join(self.aliases),
            "name": self.name,
            "kind": self.kind,
            "grid_zone": self.grid_zone,
            "intensity_g_per_kwh": f"{self.intensity_g_per_kwh:.1f}",
            "basis": self.basis,
            "gases": self.gases,
            "year": str(self.year),
            "direct_g_per_kwh": "" if self.direct_g_per_kwh is None else f"{self.direct_g_per_kwh:.1f}",
            "method": self.method,
            "quality": self.quality,
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
        if ";" in row.name or not row.source.strip() or not row.method.strip():
            raise BuildError(f"{row.zone}: name contains ';' or source or method is empty")
        if row.basis not in (LIFECYCLE, DIRECT, CO2_DIRECT):
            raise BuildError(f"{row.zone}: unknown basis {row.basis!r}")
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


def read_inputs_csv(name: str) -> list[dict[str, str]]:
    """A vendored input under data/grid_inputs/ (see its README.md for where each came from)."""
    path = INPUTS / name
    if not path.is_file():
        raise BuildError(f"vendored input {path.relative_to(REPO_ROOT)} is missing")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def read_ember() -> dict[str, tuple[float, int]]:
    """Ember's latest lifecycle figure per ISO alpha-3 code (and ``World``): (g/kWh, year)."""
    ember = {}
    for record in read_inputs_csv("ember_yearly_latest.csv"):
        ember[record["country_code"]] = (float(record["emissions_intensity_gco2_per_kwh"]),
                                         int(record["year"]))
    return ember


def world_row(ember: dict[str, tuple[float, int]]) -> Row:
    """Ember's World figure (lifecycle gCO2e/kWh of generation, latest year)."""
    figure, year = ember["World"]
    return Row(
        zone="world", name="World", kind="world", aliases=["global", "world average"],
        intensity_g_per_kwh=round(figure, 1), year=year,
        method="Ember's World total: lifecycle gCO2e per kWh generated, as published",
        source=f"{EMBER_SOURCE}: World, {year}",
    )


def mix_factor_g_per_kwh(shares: dict[str, float], factors: dict[str, float]) -> float:
    """Generation-weighted factor of a mix: Σ_source (share_source / Σ shares) × factor_source.

    ``shares`` maps factor keys (coal, gas, …) to generation in any one unit (TWh or %); the
    factors are IPCC AR5 WG3 Annex III medians (LIFECYCLE_G_PER_KWH / DIRECT_G_PER_KWH).
    """
    total = sum(shares.values())
    if total <= 0:
        raise BuildError("a generation mix sums to zero")
    return sum(share / total * factors[key] for key, share in shares.items())


def country_mix(entry: dict[str, Any]) -> dict[str, float] | None:
    """A country's generation by factor key (TWh), or None unless the listed sources cover
    codecarbon's ``total_TWh`` to 1%."""
    shares: dict[str, float] = {}
    for column, key in COUNTRY_MIX_SOURCES.items():
        shares[key] = shares.get(key, 0.0) + float(entry.get(column) or 0.0)
    total = float(entry["total_TWh"])
    if total <= 0 or abs(sum(shares.values()) - total) > 0.01 * total:
        return None
    return shares


def mix_intensity_g_per_kwh(entry: dict[str, Any], factors: dict[str, Any]) -> float:
    """Generation-weighted lifecycle intensity of a country's mix with codecarbon's per-source
    factors (carbon_intensity_per_source.json), for the one case where codecarbon's
    ``carbon_intensity`` is 0; fails unless the listed sources cover the total.
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


def country_quality(owid: float, mix: dict[str, float] | None, mix_year: int) -> str:
    """A note where the upstream series is implausible for the country's own mix, or rests on
    tiny generation (thresholds IMPLAUSIBLE_RATIO and TINY_GENERATION_TWH). ``owid`` is the OWID
    figure of the mix's own year, so a change of mix between years is not mistaken for an
    error."""
    if mix is None:
        return ""
    total = sum(mix.values())
    if total < TINY_GENERATION_TWH:
        return (f"low confidence: rests on {total:g} TWh of generation ({mix_year}), so the figure "
                f"is a rounding artefact")
    implied = mix_factor_g_per_kwh(mix, LIFECYCLE_G_PER_KWH)
    if owid > IMPLAUSIBLE_RATIO * implied:
        return (f"implausible upstream series: its {mix_year} figure {owid:.0f} g/kWh is "
                f"{owid / implied:.1f}x the {implied:.0f} g/kWh its own {mix_year} generation mix "
                f"implies with IPCC AR5 lifecycle factors")
    return ""


def add_countries(table: Table, cc: CodecarbonData, ember: dict[str, tuple[float, int]]) -> None:
    """Ember's latest lifecycle figure where Ember has the country, else the OWID figure that
    codecarbon ships; the direct value from codecarbon's OWID generation mix × AR5 direct
    factors."""
    mix_data = cc.json(GLOBAL_MIX)
    factors = cc.json(PER_SOURCE)
    for alpha3 in sorted(mix_data):
        entry = mix_data[alpha3]
        if entry.get("iso_code") != alpha3:
            raise BuildError(f"{GLOBAL_MIX}: key {alpha3} holds iso_code {entry.get('iso_code')}")
        name, aliases = country_names(alpha3, entry["country_name"])
        mix_year = int(entry["year"])
        mix = country_mix(entry)
        dataset = (
            f"Our World in Data energy dataset (carbon_intensity_elec: lifecycle gCO2e/kWh of "
            f"electricity generation, from Ember and the Energy Institute), {mix_year}"
        )
        if alpha3 in ember and ember[alpha3][0] > 0:
            intensity, year = ember[alpha3]
            method = "Ember's lifecycle figure for the country's generation, latest year published"
            source = f"{EMBER_SOURCE}: {alpha3}, {year}"
        elif float(entry["carbon_intensity"]) > 0:
            intensity, year = float(entry["carbon_intensity"]), mix_year
            method = ("OWID lifecycle figure for the country's generation (Ember has no figure "
                      "for it)")
            source = f"{dataset}, {cc.via(GLOBAL_MIX)}"
        else:
            # A zero intensity would make every estimate there zero; rebuild it from the mix.
            intensity, year = mix_intensity_g_per_kwh(entry, factors), mix_year
            parts = ", ".join(
                f"{key} {entry[column]} TWh at {factors[key]} g/kWh"
                for column, key in MIX_FACTOR_KEYS.items() if entry.get(column)
            )
            method = ("lifecycle, recomputed from the generation mix because every published "
                      "figure is 0")
            source = (
                f"{dataset} generation mix ({entry['total_TWh']} TWh) {cc.via(GLOBAL_MIX)}, whose "
                f"carbon_intensity is 0; recomputed here from that mix ({parts}) with the "
                f"lifecycle factors per source {cc.via(PER_SOURCE)}"
            )
        direct = None
        if mix is not None:
            direct = mix_factor_g_per_kwh(mix, DIRECT_G_PER_KWH)
            method += f"; direct = its {mix_year} OWID generation mix x IPCC AR5 direct factors"
            source += f". Direct: OWID {mix_year} mix {cc.via(GLOBAL_MIX)} x {FACTORS_SOURCE}"
        table.add(Row(zone=alpha3, name=name, kind="country", aliases=aliases,
                      intensity_g_per_kwh=round(intensity, 1), year=year, source=source,
                      method=method, direct_g_per_kwh=None if direct is None else round(direct, 1),
                      quality=country_quality(float(entry["carbon_intensity"]), mix, mix_year), country=alpha3))


# --- subregions ------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _subdivision(code: str) -> Any:
    found = pycountry.subdivisions.get(code=code)
    if found is None:
        raise BuildError(f"{code} is not an ISO 3166-2 subdivision code")
    return found


def _subregion_row(table: Table, code: str, place: str, country_alpha3: str, extra: Iterable[str],
                   intensity: float, year: int, source: str, **labels: Any) -> Row:
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
        **labels,
    )


def read_us_state_mixes() -> dict[str, tuple[dict[str, float], int, str]]:
    """EIA's 2023 net generation per state by factor key (GWh), with its year and a listing for
    the row's source: {"VA": ({"coal": 1415.0, …}, 2023, "coal 1415, …"), …}."""
    name = "eia_state_generation_2023.csv"
    records = read_inputs_csv(name)
    needed = {"state", "year", "all_fuels_utility_gwh", *US_STATE_MIX_SOURCES}
    missing = sorted(needed - set(records[0] if records else ()))
    if missing:
        raise BuildError(f"{name} lacks column(s) {', '.join(missing)}")
    mixes = {}
    for record in records:
        shares: dict[str, float] = {}
        try:
            for column, key in US_STATE_MIX_SOURCES.items():
                shares[key] = shares.get(key, 0.0) + float(record[column])
            total = float(record["all_fuels_utility_gwh"])
        except (TypeError, ValueError):
            raise BuildError(f"{name}: {record['state']} has a value that is not a number") from None
        listed = sum(shares.values())
        if abs(listed - total) > US_STATE_MIX_TOLERANCE * total:  # more than pumped storage
            raise BuildError(f"{name}: {record['state']}'s sources sum to "
                             f"{listed:g} GWh, its all-fuels total is {total:g}")
        parts = ", ".join(f"{column.removesuffix('_gwh')} {record[column]}"
                          for column in US_STATE_MIX_SOURCES if float(record[column]))
        mixes[record["state"]] = (shares, int(record["year"]), parts)
    return mixes


def us_state_quality(shares_gwh: dict[str, float], lifecycle: float, direct: float, year: int) -> str:
    """Notes on a US state's figure, derived from its mix and its two figures (both as written,
    to 1 decimal), ``; ``-joined; empty for none:

    - small generation (under SMALL_STATE_GENERATION_TWH): the figure describes a few plants;
    - lifecycle below eGRID's measured combustion rate: impossible for the state's real plants
      (a lifecycle figure adds the fuel chain to the stack), so the generic AR5 factor of its
      coal or oil, whichever generates more, is under its own plants' rate and the figure
      understates;
    - biomass-heavy (lifecycle above BIOGENIC_RATIO × direct, biomass making at least half of
      the gap): eGRID counts biogenic CO2 as 0, AR5 gives biomass 230.
    """
    notes = []
    total_gwh = sum(shares_gwh.values())
    if total_gwh < SMALL_STATE_GENERATION_TWH * GWH_PER_TWH:
        notes.append(f"low confidence: rests on {total_gwh / GWH_PER_TWH:.2f} TWh of in-state "
                     f"generation ({year}), a few plants, so it says little about the electricity "
                     f"used there")
    if lifecycle < direct:
        fuel = max(("coal", "oil"), key=lambda key: shares_gwh.get(key, 0.0))
        notes.append(f"likely understates: lifecycle {lifecycle:.1f} g/kWh is below the "
                     f"plant-measured combustion rate {direct:.1f} (EPA eGRID {year}), because "
                     f"IPCC AR5's generic {fuel} factor is under the state's own {fuel} plants")
    biomass_g_per_kwh = shares_gwh.get("biomass", 0.0) / total_gwh * LIFECYCLE_G_PER_KWH["biomass"]
    if lifecycle > BIOGENIC_RATIO * direct and biomass_g_per_kwh >= (lifecycle - direct) / 2:
        share = shares_gwh["biomass"] / total_gwh
        notes.append(f"biomass-heavy: lifecycle {lifecycle:.1f} g/kWh is {lifecycle / direct:.1f}x "
                     f"the plant-measured {direct:.1f} (EPA eGRID {year}), which counts biogenic "
                     f"CO2 as 0; biomass is {share:.0%} of generation, at IPCC AR5's "
                     f"{LIFECYCLE_G_PER_KWH['biomass']:.0f} g/kWh")
    return "; ".join(notes)


def add_us_states(table: Table, cc: CodecarbonData) -> None:
    """Lifecycle = the state's 2023 generation mix (EIA) × IPCC AR5 lifecycle medians, the code
    path of the Canadian provinces; direct = EPA eGRID's state CO2e output emission rate
    (combustion only), lb/MWh → g/kWh.

    g/kWh = lb/MWh × G_PER_LB (g per lb) / KWH_PER_MWH (kWh per MWh).
    """
    data = cc.json(USA)
    unit, meta = data["_unit"]["emissions"], data["_source"]
    if unit != "lbs/MWh":
        raise BuildError(f"{USA}: emissions are in {unit!r}, not lbs/MWh")
    year = int(meta["year"])
    mixes = read_us_state_mixes()
    states = {k: v for k, v in data.items() if not k.startswith("_") and k != "usa"}
    unmatched = sorted(set(mixes) ^ {v["regionCode"] for v in states.values()})
    if unmatched:
        raise BuildError(f"US states not in both eGRID ({USA}) and the EIA mix: {unmatched}")
    for key in sorted(states, key=lambda k: states[k]["regionCode"]):
        lb_per_mwh = float(states[key]["emissions"])
        state = states[key]["regionCode"]
        code = f"US-{state}"
        place = _subdivision(code).name
        direct = lb_per_mwh * G_PER_LB / KWH_PER_MWH
        shares, mix_year, parts = mixes[state]
        if mix_year != year:
            raise BuildError(f"{code}: EIA mix of {mix_year}, eGRID of {year}")
        lifecycle = mix_factor_g_per_kwh(shares, LIFECYCLE_G_PER_KWH)
        source = (
            f"{EIA_STATE_MIX_SOURCE}: {state} {mix_year} GWh {parts}; x {FACTORS_SOURCE}. "
            f"Direct: US {meta['name']} (field {meta['field']}), {year}: {lb_per_mwh} lb/MWh "
            f"converted at {G_PER_LB} g/lb, {cc.via(USA)}"
        )
        table.add(_subregion_row(
            table, code, place, "USA", (), lifecycle, year, source,
            direct_g_per_kwh=round(direct, 1),
            quality=us_state_quality(shares, round(lifecycle, 1), round(direct, 1), year),
            method=("in-state generation mix (EIA, utility-scale; pumped storage left out) x IPCC "
                    "AR5 lifecycle medians; direct = EPA eGRID combustion-only CO2e rate"),
        ))


def canada_shares(mix_percent: dict[str, float]) -> dict[str, float]:
    """A province's generation shares (%) by factor key (coal, gas, …)."""
    unknown = sorted(set(mix_percent) - set(CANADA_MIX_SOURCES) - {"total"})
    if unknown:
        raise BuildError(f"{CANADA}: sources {unknown} have no factor")
    shares: dict[str, float] = {}
    for column, key in CANADA_MIX_SOURCES.items():
        shares[key] = shares.get(key, 0.0) + float(mix_percent.get(column, 0.0))
    return shares


def add_canadian_provinces(table: Table, cc: CodecarbonData) -> None:
    """Lifecycle = the province's generation mix × IPCC AR5 lifecycle medians; direct = the same
    mix × AR5 direct factors (codecarbon counts fossil fuels only, at US factors, and hydro at 0,
    which puts Quebec at 3.9 g/kWh and Alberta at 627.7)."""
    data = cc.json(CANADA)
    year = int(Path(CANADA).parent.name)  # the file states no year; codecarbon files it under 2023/
    provinces = {_ascii(s.name).lower(): s for s in pycountry.subdivisions.get(country_code="CA")}
    rows = []
    for key, mix in data.items():
        subdivision = provinces.get(key)
        if subdivision is None:
            raise BuildError(f"{CANADA}: no ISO 3166-2:CA subdivision named {key!r}")
        shares = canada_shares(mix)
        lifecycle = mix_factor_g_per_kwh(shares, LIFECYCLE_G_PER_KWH)
        direct = mix_factor_g_per_kwh(shares, DIRECT_G_PER_KWH)
        listed = ", ".join(f"{s} {mix[s]}%" for s in CANADA_MIX_SOURCES if mix.get(s))
        source = (
            f"Provincial generation mix {cc.via(CANADA)} (the file names no publisher; year from "
            f"its 2023 folder): {listed}; x {FACTORS_SOURCE}"
        )
        rows.append(_subregion_row(
            table, subdivision.code, subdivision.name, "CAN", (), lifecycle, year, source,
            direct_g_per_kwh=round(direct, 1),
            method="generation mix x IPCC AR5 lifecycle medians (direct: x AR5 direct factors)",
        ))
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
        factor = float(entry["emission_factor"])
        table.add(_subregion_row(
            table, code, place, "CHN", entry.get("names", ()), factor, int(entry["year"]), source,
            basis=CO2_DIRECT, gases="CO2", direct_g_per_kwh=round(factor, 1),
            method=("MEE provincial CO2 factor kept on its own basis: the source gives no "
                    "provincial generation mix to compute a lifecycle value"),
            quality=("CO2-only direct factor (China MEE), not lifecycle CO2e: lifecycle values "
                     "are higher"),
        ))


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
                      year=int(entry["year"]), source=source, country=country.alpha_3,
                      method=("codecarbon's per-source lifecycle factors x the bidding zone's "
                              "generation (ENTSO-E), as published")))


def add_us_balancing_areas(table: Table) -> None:
    """US balancing areas that cloud regions draw from (Electricity Maps 2024, lifecycle)."""
    for record in read_inputs_csv("electricitymaps_yearly_2024_us.csv"):
        code = record["zone"]
        state = table.zone(f"US-{US_BALANCING_AREA_STATES[code]}")
        figure, year = float(record["carbon_intensity_gco2eq_per_kwh"]), int(record["year"])
        table.add(Row(
            zone=code, name=f"{record['zone_name']} (balancing area, United States)",
            kind="subregion", aliases=[code.removeprefix("US-")], intensity_g_per_kwh=figure,
            year=year, country="USA",
            method=("Electricity Maps yearly average: lifecycle, consumption-based (imports "
                    "flow-traced), as published"),
            source=f"{ELECTRICITYMAPS_SOURCE}: {code}, {year}; filed beside {state.name}",
        ))


# --- cloud regions ---------------------------------------------------------------------------


def add_gcp_regions(table: Table) -> None:
    """Google Cloud regions from Google's 2024 file. intensity = the lifecycle figure of the grid
    zone the region sits on (GCP_GRID_ZONES), so that every default row is on one basis; direct =
    Google's own 2024 figure for the region (hourly operational emissions of its grid)."""
    records = {r["Google Cloud Region"]: r for r in read_inputs_csv("gcp_region_carbon_2024.csv")}
    unmapped = sorted(set(records) ^ set(GCP_GRID_ZONES))
    if unmapped:
        raise BuildError(f"GCP regions not in both the 2024 file and GCP_GRID_ZONES: {unmapped}")
    misspelt = {right: wrong for wrong, right in GCP_REGION_FIXES.items()}
    for region, record in records.items():
        grid = table.zone(GCP_GRID_ZONES[region])
        place = record["Location"]
        google = float(record["Grid carbon intensity (gCO2eq / kWh)"])
        aliases = [f"gcp:{misspelt[region]}"] if region in misspelt else []
        source = (
            f"Grid zone {grid.zone} ({grid.name}), where Google places {region} ({place}): "
            f"{grid.source}. Direct: {GCP_2024_SOURCE}, {region} {google:g} gCO2eq/kWh "
            f"({GCP_SOURCE_URL})"
        )
        table.add(Row(
            zone=f"gcp:{region}", name=f"Google Cloud {region} ({place})", kind="cloud",
            aliases=aliases, grid_zone=grid.zone, intensity_g_per_kwh=grid.intensity_g_per_kwh,
            year=grid.year, basis=grid.basis, gases=grid.gases, direct_g_per_kwh=google,
            quality=grid.quality, source=source,
            method=(f"grid zone {grid.zone}'s figure ({grid.method}); direct = Google's own "
                    f"{GCP_2024_YEAR} hourly operational figure for the region"),
        ))


def add_grid_placed_regions(table: Table, provider: str, label: str, location_source: str,
                            regions: dict[str, tuple[str, str]]) -> None:
    """intensity, basis, year, direct value and source = those of the grid zone the region
    sits on."""
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
                      basis=grid.basis, gases=grid.gases, direct_g_per_kwh=grid.direct_g_per_kwh,
                      quality=grid.quality, method=f"grid zone {grid.zone}'s figure ({grid.method})",
                      source=source))


# --- build -----------------------------------------------------------------------------------


def build(cc: CodecarbonData) -> Table:
    table = Table()
    ember = read_ember()
    table.add(world_row(ember))
    add_countries(table, cc, ember)
    add_us_states(table, cc)
    add_canadian_provinces(table, cc)
    add_chinese_provinces(table, cc)
    add_nordic_zones(table, cc)
    add_us_balancing_areas(table)
    add_gcp_regions(table)
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
    print(f"wrote {len(table.rows)} rows to {args.output} from codecarbon {cc.version} data and "
          f"{INPUTS.relative_to(REPO_ROOT)}")
    for kind in ("world", "country", "subregion", "cloud"):
        print(f"  {kind:<10} {counts[kind]:>4}")
    for zone, alias, holder in table.dropped_aliases:
        print(f"  alias {alias!r} of {zone} dropped: {holder} holds it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
