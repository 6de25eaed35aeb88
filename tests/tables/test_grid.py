"""The grid carbon-intensity table (data/grid_intensity.csv) and its loader.

Spot values are read by hand from the source files (codecarbon 3.3.2's data files, the vendored
Ember, Electricity Maps and Google files under data/grid_inputs/; quoted in the comments), and the
lifecycle values are recomputed here by hand from the generation mixes, not by the build script.
Nothing here uses the network.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import re
import sys
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

import pytest

from carbonllm.errors import DataTableError, UnknownRegionError
from carbonllm.tables import loader
from carbonllm.tables.loader import find_zone, grid_table

REPO_ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["zone", "aliases", "name", "kind", "grid_zone", "intensity_g_per_kwh", "basis", "gases",
           "year", "direct_g_per_kwh", "method", "quality", "source"]
INPUTS = REPO_ROOT / "data" / "grid_inputs"

# IPCC AR5 WG3 Annex III Table A.III.2 lifecycle medians (gCO2e/kWh), as Electricity Maps'
# config/defaults.yaml lists them: coal 820, gas 490, oil 650, nuclear 12, hydro 24, wind 11,
# solar 45, biomass 230; direct: coal 760, gas 370, oil 406, others 0.
AR5_LIFECYCLE = {"coal": 820, "gas": 490, "oil": 650, "nuclear": 12, "hydro": 24, "wind": 11,
                 "solar": 45, "biomass": 230}
KIND_ORDER = ["world", "country", "subregion", "cloud"]


def _codecarbon_data(relative: str) -> dict:
    locations = find_spec("codecarbon").submodule_search_locations  # path only; no import
    path = Path(next(iter(locations))) / "data" / relative
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _fresh_tables():
    loader.clear_caches()
    yield
    loader.clear_caches()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A CARBONLLM_DATA_DIR for a hand-written grid_intensity.csv, caches cleared around it."""
    monkeypatch.setenv(loader.DATA_DIR_ENV, str(tmp_path))
    loader.clear_caches()
    yield tmp_path
    monkeypatch.delenv(loader.DATA_DIR_ENV)
    loader.clear_caches()


# --- file shape --------------------------------------------------------------------------------


def test_columns_are_exactly_these_in_this_order():
    text = resources.files("carbonllm.data").joinpath("grid_intensity.csv").read_text("utf-8")
    assert next(csv.reader(text.splitlines())) == COLUMNS


def test_rows_run_world_then_countries_then_subregions_then_cloud():
    kinds = [z.kind for z in grid_table()]
    assert set(kinds) == set(KIND_ORDER)
    assert kinds == sorted(kinds, key=KIND_ORDER.index)
    assert kinds.count("world") == 1


def test_every_row_has_a_traceable_source_and_a_plausible_figure():
    for zone in grid_table():
        assert "via codecarbon" in zone.source or "data/grid_inputs/" in zone.source, zone.zone
        assert 0 < zone.intensity_g_per_kwh < 1500, zone.zone
        assert 2000 <= zone.year <= 2030, zone.zone
        assert zone.method, zone.zone


def test_every_row_has_a_basis_and_only_lifecycle_rows_go_without_a_reason():
    for zone in grid_table():
        assert zone.basis in {"lifecycle", "direct_combustion", "co2_direct"}, zone.zone
        assert zone.gases == ("CO2" if zone.basis == "co2_direct" else "CO2e"), zone.zone
        if zone.basis != "lifecycle":  # kept on another basis: the method and the note say why
            assert "no " in zone.method and zone.quality, zone.zone


def test_zone_codes_are_unique():
    codes = [z.zone for z in grid_table()]
    assert len(codes) == len(set(codes))


def test_cloud_rows_sit_on_a_grid_zone_of_the_table():
    by_code = {z.zone: z for z in grid_table()}
    for zone in grid_table():
        if zone.kind == "cloud":
            provider, _, region = zone.zone.partition(":")
            assert provider in {"gcp", "aws", "azure"} and region, zone.zone
            assert zone.grid_zone in by_code, zone.zone
            assert by_code[zone.grid_zone].kind in {"country", "subregion"}, zone.zone
            assert zone.grid_zone in zone.source
        else:
            assert zone.grid_zone is None, zone.zone


def test_cloud_rows_carry_their_grid_zones_figure_and_basis():
    by_code = {z.zone: z for z in grid_table()}
    for zone in grid_table():
        if zone.kind == "cloud":
            grid = by_code[zone.grid_zone]
            assert (zone.intensity_g_per_kwh, zone.year, zone.basis, zone.quality) == (
                grid.intensity_g_per_kwh, grid.year, grid.basis, grid.quality), zone.zone


# --- coverage against codecarbon's files ---------------------------------------------------------


def test_one_country_row_per_country_codecarbon_gives_an_intensity():
    mix = _codecarbon_data("private_infra/global_energy_mix.json")
    with_intensity = {
        code for code, entry in mix.items()
        if isinstance(entry.get("carbon_intensity"), (int, float))
        and not math.isnan(entry["carbon_intensity"])
    }
    countries = {z.zone for z in grid_table() if z.kind == "country"}
    assert len(countries) == len(with_intensity)
    assert countries == with_intensity


def test_every_us_state_canadian_and_chinese_province_and_nordic_zone_is_there():
    usa = _codecarbon_data("private_infra/2023/usa_emissions.json")
    states = {
        f"US-{v['regionCode']}" for k, v in usa.items() if not k.startswith("_") and k != "usa"
    }
    assert len(states) == 51  # 50 states and DC
    canada = _codecarbon_data("private_infra/2023/canada_energy_mix.json")
    china = _codecarbon_data("private_infra/2023/china_provincial_emissions.json")["data"]
    nordic = _codecarbon_data("private_infra/nordic_emissions.json")["data"]
    subregions = {z.zone for z in grid_table() if z.kind == "subregion"}
    assert states <= subregions
    assert sum(z.startswith("CA-") for z in subregions) == len(canada) == 13
    assert set(china) <= subregions
    assert {z.removeprefix("NORDIC-") for z in subregions if z[:2] in {"SE", "NO"}
            or z.startswith("NORDIC-")} == set(nordic)
    balancing_areas = {z for z in subregions if z.count("-") == 2 and z.startswith("US-")}
    assert len(balancing_areas) == 9
    assert len(subregions) == len(states) + len(canada) + len(china) + len(nordic) + 9


def test_every_gcp_region_of_googles_2024_file_is_there():
    with (INPUTS / "gcp_region_carbon_2024.csv").open(encoding="utf-8", newline="") as f:
        regions = {r["Google Cloud Region"] for r in csv.DictReader(f)}
    assert len(regions) == 44  # 40 regions of 2023 and europe-north2, northamerica-south1,
    assert {"europe-north2", "northamerica-south1", "us-central2", "us-east2"} <= regions  # …
    gcp = {z.zone for z in grid_table() if z.zone.startswith("gcp:")}
    assert gcp == {f"gcp:{r}" for r in regions}
    # codecarbon's misspelt "me-cenrtal1" stays an alias
    assert find_zone("gcp:me-cenrtal1").zone == "gcp:me-central1"


# --- spot values, read by hand from the source files -------------------------------------------


def test_france_is_embers_2024_figure():
    # data/grid_inputs/ember_yearly_latest.csv (Ember via co2.js): FRA,France,2024,44.18
    france = find_zone("FRA")
    assert (france.intensity_g_per_kwh, france.year, france.basis) == (44.2, 2024, "lifecycle")
    # Direct: OWID 2023 mix in codecarbon's global_energy_mix.json: coal 2.16, gas 31.43, oil
    # 9.71 of 514.11 TWh (the other sources are 0 direct; biofuel 9.5 and other renewables 0.6
    # TWh complete the total) → (2.16×760 + 31.43×370 + 9.71×406) / 514.11 = 33.5 g/kWh; RTE
    # reports 32 g/kWh direct for 2023.
    direct = (2.16 * 760 + 31.43 * 370 + 9.71 * 406) / (2.16 + 31.43 + 9.71 + 335.65 + 53.19
                                                     + 48.61 + 23.26 + 9.5 + 0.6)
    assert france.direct_g_per_kwh == pytest.approx(direct, abs=0.05)


def test_world_is_embers_figure():
    # ember_yearly_latest.csv: World,World,2024,472.94 (Ember's global electricity figure;
    # Ember gave 481 for 2023)
    world = find_zone("world")
    assert (world.kind, world.intensity_g_per_kwh, world.year) == ("world", 472.9, 2024)
    assert "Ember" in world.source and world.basis == "lifecycle"


def _us_state_mix(state: str) -> dict[str, float]:
    """A state's row of the vendored EIA 2023 mix (GWh), read here without the build script."""
    with (INPUTS / "eia_state_generation_2023.csv").open(encoding="utf-8", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["state"] == state)
    return {k.removesuffix("_gwh"): float(v) for k, v in row.items() if k.endswith("_gwh")}


def test_virginia_is_lifecycle_from_its_sourced_mix():
    # eia_state_generation_2023.csv, VA (EIA 2023 net generation, utility-scale, GWh):
    # coal 1415, petroleum liquids 135, natural gas 50605, nuclear 29663, hydro 1391, wind 47,
    # utility solar 5421, biomass 3361, other 477 (pumped storage, -1456, is not a source).
    #   Σ generation = 1415 + 135 + 50605 + 29663 + 1391 + 47 + 5421 + 3361 + 477 = 92515 GWh
    #   Σ gen × AR5 factor = 1415×820 + 135×650 + 50605×490 + 29663×12 + 1391×24 + 47×11
    #       + 5421×45 + 3361×230 + 477×700 (other/unknown)
    #     = 1160300 + 87750 + 24796450 + 355956 + 33384 + 517 + 243945 + 773030 + 333900
    #     = 27785232 GWh·g/kWh
    #   lifecycle = 27785232 / 92515 = 300.33 g/kWh
    mix = _us_state_mix("VA")
    assert (mix["coal"], mix["natural_gas"], mix["nuclear"], mix["all_fuels_utility"]) == (
        1415, 50605, 29663, 91059)
    by_hand = 27785232 / 92515
    virginia = find_zone("US-VA")
    assert virginia.intensity_g_per_kwh == pytest.approx(by_hand, rel=0.10)
    assert virginia.intensity_g_per_kwh == pytest.approx(300.3, abs=0.05)
    # the data audit (shared/reference/data-audit-2026-12.md §4) found ≈306 from EIA shares
    assert virginia.intensity_g_per_kwh == pytest.approx(306, rel=0.10)
    # usa_emissions.json "virginia": 539.599 lb/MWh (eGRID2023 STC2ERTA) × 0.45359237 = 244.76
    assert (virginia.basis, virginia.year, virginia.direct_g_per_kwh) == ("lifecycle", 2023, 244.8)
    assert "EIA" in virginia.source and "eGRID" in virginia.source and virginia.quality == ""


def test_california_and_oregon_lifecycle_are_plausible():
    # The data audit's lifecycle values (mix × AR5): California ≈237 (CEC in-state 2023 mix),
    # Oregon ≈205 (EIA quick facts, gas share inferred); eGRID2023 combustion-only beside them:
    # "california": 394.769 lb/MWh = 179.1 g/kWh, "oregon": 364.963 lb/MWh = 165.5 g/kWh.
    california, oregon = find_zone("US-CA"), find_zone("US-OR")
    assert california.intensity_g_per_kwh == pytest.approx(237, rel=0.10)
    assert oregon.intensity_g_per_kwh == pytest.approx(205, rel=0.10)
    assert california.direct_g_per_kwh == pytest.approx(394.769 * 0.45359237, abs=0.05)
    assert oregon.direct_g_per_kwh == pytest.approx(364.963 * 0.45359237, abs=0.05)
    # Oregon by hand (GWh): gas 23385×490 + hydro 26329×24 + wind 8954×11 + solar 1901×45
    # + geothermal 176×38 + biomass 924×230 + other 23×700 = 12509893, over 61692 GWh = 202.8
    assert oregon.intensity_g_per_kwh == pytest.approx(12509893 / 61692, abs=0.05)
    # lifecycle is above combustion-only where gas and low-carbon sources dominate
    assert california.intensity_g_per_kwh > california.direct_g_per_kwh
    assert oregon.intensity_g_per_kwh > oregon.direct_g_per_kwh


def test_every_us_state_is_lifecycle_with_egrid_direct_beside_it():
    usa = _codecarbon_data("private_infra/2023/usa_emissions.json")
    egrid = {v["regionCode"]: v["emissions"] for k, v in usa.items()
             if not k.startswith("_") and k != "usa"}
    states = [z for z in grid_table() if z.zone.startswith("US-") and len(z.zone) == 5]
    assert len(states) == len(egrid) == 51  # 50 states and DC
    for zone in states:
        assert (zone.basis, zone.gases, zone.year) == ("lifecycle", "CO2e", 2023), zone.zone
        assert zone.direct_g_per_kwh == pytest.approx(
            egrid[zone.zone[3:]] * 0.45359237, abs=0.05), zone.zone
        # AR5 medians put a grid between wind (11) and coal (820); the coal-heaviest states read
        # below eGRID, whose coal fleet burns at ~1000 g/kWh (data audit §4)
        assert 11 <= zone.intensity_g_per_kwh <= 820, zone.zone
    # West Virginia is ~86% coal (44798 of 52287 GWh): lifecycle 740.5 sits below eGRID's 893.1
    west_virginia = find_zone("US-WV")
    assert (west_virginia.intensity_g_per_kwh, west_virginia.direct_g_per_kwh) == (740.5, 893.1)


def _us_states():
    return [z for z in grid_table() if z.zone.startswith("US-") and len(z.zone) == 5]


def test_a_coal_state_below_its_plant_measured_rate_says_it_likely_understates():
    # Wyoming is 71% coal (30844 of 43181 GWh): AR5's coal 820 puts it at 620.5 g/kWh, under
    # eGRID2023's measured combustion rate 1833.263 lb/MWh × 0.45359237 = 831.6
    wyoming = find_zone("US-WY")
    assert wyoming.quality.startswith("likely understates:")
    assert "620.5" in wyoming.quality and "831.6" in wyoming.quality
    assert "coal" in wyoming.quality and "eGRID" in wyoming.quality
    # Hawaii burns oil (78% of its generation), not coal
    assert "generic oil factor" in find_zone("US-HI").quality
    # the region on Wyoming's grid carries the note too
    assert find_zone("azure:westcentralus").quality == wyoming.quality


def test_every_state_below_its_direct_figure_is_flagged_and_no_other_is():
    below = {z.zone for z in _us_states() if z.intensity_g_per_kwh < z.direct_g_per_kwh}
    flagged = {z.zone for z in _us_states() if "likely understates" in z.quality}
    assert flagged == below
    assert len(below) == 21 and {"US-WV", "US-KY", "US-HI", "US-IA"} <= below


def test_a_large_state_above_its_direct_figure_has_no_note():
    # Virginia: 300.3 lifecycle above eGRID's 244.8, on 92.5 TWh
    assert find_zone("US-VA").quality == ""
    assert find_zone("US-CA").quality == find_zone("US-TX").quality == ""


def test_the_district_of_columbias_tiny_generation_is_flagged():
    # eia_state_generation_2023.csv: DC 172 GWh (gas 89, solar 25, biomass 58); the next smallest
    # state, Vermont, generates 2480
    dc = find_zone("US-DC")
    assert dc.quality.startswith("low confidence:") and "0.17 TWh" in dc.quality
    small = {z.zone for z in _us_states() if z.quality.startswith("low confidence")}
    assert small == {"US-DC"}


def test_a_biomass_heavy_state_says_why_it_reads_far_above_egrid():
    # Vermont: biomass 403 of 2478 GWh (16%) at 230 g/kWh is 37.4 of its 59.1, 2.5x eGRID's 23.7,
    # which counts biogenic CO2 as 0
    vermont = find_zone("US-VT")
    assert vermont.quality.startswith("biomass-heavy:")
    assert "2.5x" in vermont.quality and "16%" in vermont.quality and "biogenic" in vermont.quality
    # Maine is 1.5x, and biomass makes only 26.8 g/kWh of its 71.8 gap: not flagged
    assert find_zone("US-ME").quality == ""


def test_us_cloud_regions_on_a_state_follow_its_lifecycle_row():
    # AWS Oregon and N. California stay on the state (several balancing areas serve it)
    for region, state in (("aws:us-west-2", "US-OR"), ("aws:us-west-1", "US-CA"),
                          ("azure:westus", "US-CA"), ("gcp:us-west2", "US-CA")):
        cloud, grid = find_zone(region), find_zone(state)
        assert (cloud.grid_zone, cloud.basis) == (state, "lifecycle"), region
        assert cloud.intensity_g_per_kwh == grid.intensity_g_per_kwh, region
        assert cloud.quality == "", region


def _canada_lifecycle(mix: dict) -> float:
    keys = {"coal": "coal", "naturalGas": "gas", "petroleum": "oil", "nuclear": "nuclear",
            "hydro": "hydro", "wind": "wind", "solar": "solar", "biomass": "biomass"}
    shares = {k: mix[k] for k in keys}
    return sum(mix[k] * AR5_LIFECYCLE[v] for k, v in keys.items()) / sum(shares.values())


def test_quebec_is_lifecycle_not_fossil_only():
    # canada_energy_mix.json "quebec": hydro 92.1, wind 6.7, biomass 0.7, petroleum 0.3,
    # naturalGas 0.2, solar 0.01 (others 0). × AR5: (92.1×24 + 6.7×11 + 0.7×230 + 0.3×650 +
    # 0.2×490 + 0.01×45) / 100.01 = 27.4 g/kWh; codecarbon's fossil-only rate was 3.9 (7× lower).
    quebec = find_zone("CA-QC")
    expected = (92.1 * 24 + 6.7 * 11 + 0.7 * 230 + 0.3 * 650 + 0.2 * 490 + 0.01 * 45) / 100.01
    assert quebec.intensity_g_per_kwh == pytest.approx(expected, abs=0.05)
    assert quebec.intensity_g_per_kwh > 15
    # direct: 0.3×406 + 0.2×370 over 100.01 = 2.0
    assert quebec.direct_g_per_kwh == pytest.approx((0.3 * 406 + 0.2 * 370) / 100.01, abs=0.05)


def test_every_canadian_province_is_its_mix_times_ar5_lifecycle():
    canada = _codecarbon_data("private_infra/2023/canada_energy_mix.json")
    for province, mix in canada.items():
        assert find_zone(province).intensity_g_per_kwh == pytest.approx(
            _canada_lifecycle(mix), abs=0.05), province
    # Alberta: the data audit's 434 (gas 73.5% at 490, coal 8% at 820), not codecarbon's 627.7
    assert find_zone("CA-AB").intensity_g_per_kwh == pytest.approx(434, abs=1)


def test_chinese_provinces_are_labelled_co2_only_and_nordic_spot_values():
    # china_provincial_emissions.json: "CN-SC": 156.4 gCO2/kWh, 2023.
    # nordic_emissions.json: "SE4": 24.7, "NO4": 51.7 gCO2eq/kWh, 2025; "FI": 72.0.
    sichuan = find_zone("CN-SC")
    assert (sichuan.intensity_g_per_kwh, sichuan.year) == (156.4, 2023)
    assert (sichuan.basis, sichuan.gases) == ("co2_direct", "CO2")
    assert find_zone("Sichuan").zone == "CN-SC"
    assert (find_zone("SE4").intensity_g_per_kwh, find_zone("SE4").year) == (24.7, 2025)
    assert find_zone("NO4").intensity_g_per_kwh == 51.7
    assert find_zone("NORDIC-FI").intensity_g_per_kwh == 72.0


def test_central_african_republic_zero_is_rebuilt_from_its_mix():
    # global_energy_mix.json: "CAF": carbon_intensity 0.0, hydroelectricity_TWh 0.15 of
    # total_TWh 0.15 (2022); carbon_intensity_per_source.json: hydroelectricity 26. Ember's
    # figure for CAF is 0 too.
    assert find_zone("CAF").intensity_g_per_kwh == 26.0


@pytest.mark.parametrize(("zone", "ratio"), [("TKM", 2.7), ("UZB", 2.5), ("BHR", 1.8), ("BRN", 1.6)])
def test_implausible_upstream_values_are_flagged(zone, ratio):
    # OWID 2022 (codecarbon): TKM 1306.0 on 23.06 TWh gas + 0.01 hydro: the mix implies
    # (23.06×490 + 0.01×24) / 23.07 = 489.8, a ratio of 2.7. The data audit found these four.
    row = find_zone(zone)
    assert "implausible" in row.quality and f"{ratio}x" in row.quality


@pytest.mark.parametrize("zone", ["MSR", "SHN", "FLK"])
def test_tiny_grids_are_flagged(zone):
    # Montserrat and Saint Helena 0.01 TWh, Falklands 0.02 TWh (global_energy_mix.json, 2022)
    assert "low confidence" in find_zone(zone).quality


def test_france_and_germany_are_not_flagged():
    assert find_zone("FRA").quality == find_zone("DEU").quality == ""


def test_gcp_region_is_on_its_grids_lifecycle_figure_with_googles_beside_it():
    # gcp_region_carbon_2024.csv: europe-west1,Belgium,0.84,103.37; us-east1,...,575.77
    region = find_zone("gcp:europe-west1")
    assert (region.grid_zone, region.kind, region.direct_g_per_kwh) == ("BEL", "cloud", 103.4)
    assert region.intensity_g_per_kwh == find_zone("BEL").intensity_g_per_kwh
    # electricitymaps_yearly_2024_us.csv: US-CAR-SC (Santee Cooper) 647 lifecycle
    east1 = find_zone("gcp:us-east1")
    assert (east1.grid_zone, east1.intensity_g_per_kwh, east1.direct_g_per_kwh) == (
        "US-CAR-SC", 647.0, 575.8)


def test_virginia_cloud_regions_are_on_pjm():
    # electricitymaps_yearly_2024_us.csv: US-MIDA-PJM,PJM Interconnection,2024,403 (lifecycle).
    # Northern Virginia is served by Dominion Energy, part of PJM; the data audit's lifecycle
    # estimate for Virginia's in-state generation is ~306 g/kWh, below PJM as a whole.
    east1 = find_zone("aws:us-east-1")
    assert (east1.grid_zone, east1.intensity_g_per_kwh, east1.year, east1.basis) == (
        "US-MIDA-PJM", 403.0, 2024, "lifecycle")


AWS_GRIDS = {
    "us-east-1": "US-MIDA-PJM", "us-east-2": "US-MIDA-PJM", "us-west-1": "US-CA",
    "us-west-2": "US-OR", "ca-central-1": "CA-QC", "ca-west-1": "CA-AB", "sa-east-1": "BRA",
    "mx-central-1": "MEX", "eu-west-1": "IRL", "eu-west-2": "GBR", "eu-west-3": "FRA",
    "eu-central-1": "DEU", "eu-central-2": "CHE", "eu-north-1": "SE3", "eu-south-1": "ITA",
    "eu-south-2": "ESP", "af-south-1": "ZAF", "me-south-1": "BHR", "me-central-1": "ARE",
    "il-central-1": "ISR", "ap-east-1": "HKG", "ap-south-1": "IND", "ap-south-2": "IND",
    "ap-northeast-1": "JPN", "ap-northeast-2": "KOR", "ap-northeast-3": "JPN",
    "ap-southeast-1": "SGP", "ap-southeast-2": "AUS", "ap-southeast-3": "IDN",
    "ap-southeast-4": "AUS", "ap-southeast-5": "MYS", "ap-southeast-7": "THA",
    "cn-north-1": "CN-BJ", "cn-northwest-1": "CN-NX",
}
AZURE_GRIDS = {
    "eastus": "US-MIDA-PJM", "eastus2": "US-MIDA-PJM", "centralus": "US-MIDW-MISO",
    "northcentralus": "US-MIDA-PJM", "southcentralus": "US-TEX-ERCO", "westus": "US-CA",
    "westus2": "US-WA", "westus3": "US-AZ", "westcentralus": "US-WY", "canadacentral": "CA-ON",
    "canadaeast": "CA-QC", "brazilsouth": "BRA", "brazilsoutheast": "BRA", "northeurope": "IRL",
    "westeurope": "NLD", "uksouth": "GBR", "ukwest": "GBR", "francecentral": "FRA",
    "francesouth": "FRA", "germanywestcentral": "DEU", "germanynorth": "DEU",
    "switzerlandnorth": "CHE", "switzerlandwest": "CHE", "norwayeast": "NO1", "norwaywest": "NO2",
    "swedencentral": "SWE", "polandcentral": "POL", "italynorth": "ITA", "spaincentral": "ESP",
    "austriaeast": "AUT", "belgiumcentral": "BEL", "eastasia": "HKG", "southeastasia": "SGP",
    "japaneast": "JPN", "japanwest": "JPN", "koreacentral": "KOR", "koreasouth": "KOR",
    "australiaeast": "AUS", "australiasoutheast": "AUS", "australiacentral": "AUS",
    "australiacentral2": "AUS", "centralindia": "IND", "southindia": "IND", "westindia": "IND",
    "jioindiawest": "IND", "jioindiacentral": "IND", "southafricanorth": "ZAF",
    "southafricawest": "ZAF", "uaenorth": "ARE", "uaecentral": "ARE", "qatarcentral": "QAT",
    "israelcentral": "ISR", "mexicocentral": "MEX", "newzealandnorth": "NZL",
    "chilecentral": "CHL", "indonesiacentral": "IDN", "malaysiawest": "MYS",
}


def test_each_aws_and_azure_region_sits_on_its_documented_grid():
    # Locations: AWS "Supported AWS Regions" and the az-CLI physicalLocation metadata (checked
    # in the December 2026 data audit); US regions in Virginia, Ohio, Iowa, Illinois and Texas
    # on their balancing area (PJM, MISO, ERCOT), the others on their country or state.
    aws = {z.zone.removeprefix("aws:"): z.grid_zone for z in grid_table() if z.zone.startswith("aws:")}
    azure = {z.zone.removeprefix("azure:"): z.grid_zone for z in grid_table()
             if z.zone.startswith("azure:")}
    assert aws == AWS_GRIDS
    assert azure == AZURE_GRIDS


# --- lookups -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "zone"),
    [
        ("FR", "FRA"), ("FRA", "FRA"), ("France", "FRA"), ("france", "FRA"),
        ("US-CA", "US-CA"), ("us ca", "US-CA"), ("US California", "US-CA"), ("California", "US-CA"),
        ("Georgia", "GEO"), ("GE", "GEO"), ("US Georgia", "US-GA"),
        ("CA", "CAN"), ("CA-ON", "CA-ON"), ("Ontario", "CA-ON"),
        ("FI", "FIN"), ("Finland", "FIN"), ("SE3", "SE3"), ("SE-SE3", "SE3"),
        ("aws:us-east-1", "aws:us-east-1"), ("gcp:europe-west1", "gcp:europe-west1"),
        ("MIDA-PJM", "US-MIDA-PJM"), ("us-mida-pjm", "US-MIDA-PJM"),
        ("azure:eastus", "azure:eastus"), ("world", "world"), ("South Korea", "KOR"),
    ],
)
def test_codes_names_and_aliases_resolve(name, zone):
    assert find_zone(name).zone == zone


def test_every_code_alias_and_name_resolves_to_its_own_row():
    for zone in grid_table():
        for key in (zone.zone, zone.name, *zone.aliases):
            assert find_zone(key) == zone, key


def test_an_unknown_region_suggests_the_nearest():
    with pytest.raises(UnknownRegionError) as caught:
        find_zone("Frnace")
    assert "France" in caught.value.suggestions
    assert "France" in str(caught.value)


# --- a malformed table -------------------------------------------------------------------------

HEADER = ",".join(COLUMNS)
GOOD = "FRA,FR,France,country,,56.0,lifecycle,CO2e,2023,33.5,test method,,test source"


@pytest.mark.parametrize(
    "row",
    [
        GOOD.replace("56.0", "lots"),  # intensity not a number
        GOOD.replace("test source", ""),  # no source
        GOOD.replace("56.0", "-1"),  # negative intensity
        GOOD.replace("2023", "recent"),  # year not a number
        GOOD.replace("33.5", "lots"),  # direct value not a number
    ],
)
def test_a_malformed_row_raises_data_table_error_naming_file_and_line(data_dir, row):
    (data_dir / "grid_intensity.csv").write_text(f"{HEADER}\n{GOOD}\n{row}\n", encoding="utf-8")
    with pytest.raises(DataTableError, match="grid_intensity.csv, line 3"):
        grid_table()


@pytest.mark.parametrize(
    "text",
    [
        "zone,name,kind,year,source\nFRA,France,country,2023,test source\n",  # no intensity column
        f"{HEADER}\n",  # no rows
    ],
)
def test_a_malformed_table_raises_data_table_error(data_dir, text):
    (data_dir / "grid_intensity.csv").write_text(text, encoding="utf-8")
    with pytest.raises(DataTableError):
        grid_table()


@pytest.mark.parametrize("basis", ["", "marginal", "Lifecycle"])
def test_an_unknown_or_missing_basis_names_the_file_and_row(data_dir, basis):
    row = GOOD.replace("lifecycle", basis)
    (data_dir / "grid_intensity.csv").write_text(f"{HEADER}\n{GOOD}\n{row}\n", encoding="utf-8")
    with pytest.raises(DataTableError, match=r"grid_intensity.csv, line 3: zone FRA has basis"):
        grid_table()


def test_a_table_without_a_basis_column_names_the_file(data_dir):
    header = HEADER.replace(",basis", "")
    (data_dir / "grid_intensity.csv").write_text(
        f"{header}\n{GOOD.replace(',lifecycle', '')}\n", encoding="utf-8")
    with pytest.raises(DataTableError, match="grid_intensity.csv lacks column.s. basis"):
        grid_table()


def test_a_well_formed_override_is_read(data_dir):
    (data_dir / "grid_intensity.csv").write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")
    assert find_zone("FR").source == "test source"


def test_a_missing_table_raises_data_table_error(data_dir):
    with pytest.raises(DataTableError):
        find_zone("FR")


# --- the build script --------------------------------------------------------------------------


def test_the_committed_table_is_what_the_script_builds(tmp_path, capsys, monkeypatch):
    script = _build_script(monkeypatch)
    output = tmp_path / "grid_intensity.csv"
    assert script.main(["--output", str(output)]) == 0
    committed = REPO_ROOT / "data" / "grid_intensity.csv"
    assert output.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")
    printed = capsys.readouterr().out
    assert all(kind in printed for kind in KIND_ORDER)


def _build_script(monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "build_grid_intensity", REPO_ROOT / "scripts" / "build_grid_intensity.py"
    )
    script = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, script)  # dataclasses look their module up
    spec.loader.exec_module(script)
    return script


@pytest.mark.parametrize(("edit", "message"), [
    # Virginia's nuclear 29663 GWh lost in transcription: its sources then miss the all-fuels
    # total 91059 by far more than pumped storage (-1456)
    (lambda line: line.replace(",29663,", ",0,") if line.startswith("VA,") else line,
     "VA's sources sum to"),
    (lambda line: line.replace("coal_gwh,", "") if line.startswith("state,") else line,
     "lacks column.s. coal_gwh"),
    (lambda line: line.replace(",1415,", ",n/a,") if line.startswith("VA,") else line,
     "VA has a value that is not a number"),
])
def test_a_damaged_state_mix_stops_the_build(tmp_path, monkeypatch, capsys, edit, message):
    script = _build_script(monkeypatch)
    inputs = tmp_path / "grid_inputs"
    inputs.mkdir()
    for path in INPUTS.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        if path.name == "eia_state_generation_2023.csv":
            text = "".join(edit(line) for line in text.splitlines(keepends=True))
        (inputs / path.name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(script, "INPUTS", inputs)
    output = tmp_path / "grid_intensity.csv"
    with pytest.raises(SystemExit) as stop:
        script.main(["--output", str(output)])
    assert stop.value.code == 1 and not output.exists()
    assert re.search(message, capsys.readouterr().err)


def test_the_vendored_inputs_say_where_they_came_from():
    readme = (INPUTS / "README.md").read_text(encoding="utf-8")
    for path in sorted(INPUTS.glob("*.csv")):
        assert path.name in readme


def test_find_zone_validates_the_row_it_returns(data_dir):
    # find_zone builds only the row asked for (start-up, issue 9): a bad row is still refused,
    # naming its line, when it is the one asked for; grid_table() refuses the whole table.
    bad = GOOD.replace("FRA,FR", "DEU,DE").replace("France", "Germany").replace(",lifecycle,", ",marginal,")
    (data_dir / "grid_intensity.csv").write_text(f"{HEADER}\n{GOOD}\n{bad}\n", encoding="utf-8")
    assert find_zone("FR").zone == "FRA"
    with pytest.raises(DataTableError, match=r"grid_intensity.csv, line 3: zone DEU has basis 'marginal'"):
        find_zone("Germany")
    with pytest.raises(DataTableError, match="line 3"):
        grid_table()


@pytest.mark.parametrize("row", [GOOD + ",extra", GOOD.rsplit(",", 1)[0]])
def test_a_row_with_more_or_fewer_fields_than_the_header_names_its_line(data_dir, row):
    # an unquoted comma in a source shifts every column after it: refused, not read shifted
    (data_dir / "grid_intensity.csv").write_text(f"{HEADER}\n{GOOD}\n{row}\n", encoding="utf-8")
    with pytest.raises(DataTableError, match=r"grid_intensity.csv, line 3: 1[24] fields where the header has 13"):
        find_zone("FR")
