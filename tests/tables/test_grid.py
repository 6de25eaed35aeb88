"""The grid carbon-intensity table (data/grid_intensity.csv) and its loader.

Spot values are read by hand from codecarbon 3.3.2's data files (quoted in the comments), and the
counts and the Canadian conversion are checked against codecarbon's own files and code, not
against the build script. Nothing here uses the network.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import sys
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

import pytest

from carbonllm.errors import DataTableError, UnknownRegionError
from carbonllm.tables import loader
from carbonllm.tables.loader import find_zone, grid_table

REPO_ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["zone", "aliases", "name", "kind", "grid_zone", "intensity_g_per_kwh", "year", "source"]
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
        assert "via codecarbon" in zone.source, zone.zone
        assert 0 < zone.intensity_g_per_kwh < 1500, zone.zone
        assert 2000 <= zone.year <= 2030, zone.zone


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


def test_aws_and_azure_rows_carry_their_grid_zones_figure():
    by_code = {z.zone: z for z in grid_table()}
    for zone in grid_table():
        if zone.zone.startswith(("aws:", "azure:")):
            grid = by_code[zone.grid_zone]
            assert (zone.intensity_g_per_kwh, zone.year) == (grid.intensity_g_per_kwh, grid.year)


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
    assert len(subregions) == len(states) + len(canada) + len(china) + len(nordic)


def test_every_gcp_region_of_impact_csv_is_there():
    locations = find_spec("codecarbon").submodule_search_locations
    impact = Path(next(iter(locations))) / "data" / "cloud" / "impact.csv"
    with impact.open(encoding="utf-8-sig", newline="") as f:
        regions = {r["region"] for r in csv.DictReader(f) if r["provider"] == "gcp"}
    for region in regions:  # includes codecarbon's misspelt "me-cenrtal1", kept as an alias
        assert find_zone(f"gcp:{region}").zone.startswith("gcp:")


# --- spot values, read by hand from codecarbon 3.3.2's files -------------------------------------


def test_france_is_owid_2023_figure():
    # global_energy_mix.json: "FRA": {"carbon_intensity": 56.039, ..., "year": 2023}
    france = find_zone("FRA")
    assert (france.intensity_g_per_kwh, france.year) == (56.0, 2023)


def test_us_states_convert_pounds_per_mwh_to_grams_per_kwh():
    # usa_emissions.json: "california": {"emissions": 394.769}, "west virginia": 1968.869,
    # "_unit": {"emissions": "lbs/MWh"}, "_source": {"year": 2023}.
    # 1 lb = 453.59237 g exactly and 1 MWh = 1000 kWh, so 394.769 lb/MWh = 179.065 g/kWh.
    assert find_zone("US-CA").intensity_g_per_kwh == pytest.approx(394.769 * 0.45359237, abs=0.05)
    assert find_zone("US-CA").intensity_g_per_kwh == 179.1
    assert find_zone("US-WV").intensity_g_per_kwh == pytest.approx(893.1, abs=0.05)
    assert find_zone("US-CA").year == 2023


def test_canadian_province_is_codecarbons_fossil_weighted_mix():
    # canada_energy_mix.json "ontario": naturalGas 8.6, petroleum 0.1, coal 0.0, total 100.1.
    # codecarbon's factors (kg/kWh): natural gas 0.7438415916, petroleum 0.8166885263, others 0:
    # (8.6 × 743.8415916 + 0.1 × 816.6885263) / 100.1 = 64.72 g/kWh.
    expected = (8.6 * 743.8415916 + 0.1 * 816.6885263) / 100.1
    assert find_zone("CA-ON").intensity_g_per_kwh == pytest.approx(expected, abs=0.05)


def test_every_canadian_province_matches_codecarbons_own_conversion():
    from codecarbon.core.emissions import Emissions  # the code the build script reproduces

    canada = _codecarbon_data("private_infra/2023/canada_energy_mix.json")
    for province, mix in canada.items():
        rate = Emissions._region_energy_mix_to_emissions_rate(mix)
        assert find_zone(province).intensity_g_per_kwh == pytest.approx(
            rate.kgs_per_kWh * 1000, abs=0.05
        ), province


def test_chinese_and_nordic_spot_values():
    # china_provincial_emissions.json: "CN-SC": 156.4 gCO2/kWh, 2023.
    # nordic_emissions.json: "SE4": 24.7, "NO4": 51.7 gCO2eq/kWh, 2025; "FI": 72.0.
    assert (find_zone("CN-SC").intensity_g_per_kwh, find_zone("CN-SC").year) == (156.4, 2023)
    assert find_zone("Sichuan").zone == "CN-SC"
    assert (find_zone("SE4").intensity_g_per_kwh, find_zone("SE4").year) == (24.7, 2025)
    assert find_zone("NO4").intensity_g_per_kwh == 51.7
    assert find_zone("NORDIC-FI").intensity_g_per_kwh == 72.0


def test_central_african_republic_zero_is_rebuilt_from_its_mix():
    # global_energy_mix.json: "CAF": carbon_intensity 0.0, hydroelectricity_TWh 0.15 of
    # total_TWh 0.15 (2022); carbon_intensity_per_source.json: hydroelectricity 26.
    assert find_zone("CAF").intensity_g_per_kwh == 26.0


def test_world_is_codecarbons_iea_average():
    # carbon_intensity_per_source.json: "world_average": 475, IEA Global Energy & CO2 Status
    # Report 2019 (which reports 2018).
    world = find_zone("world")
    assert (world.kind, world.intensity_g_per_kwh, world.year) == ("world", 475.0, 2018)
    assert "IEA" in world.source


def test_gcp_region_keeps_googles_figure_and_names_its_grid():
    # impact.csv: gcp,europe-west1,...,Belgium,BEL,,St. Ghislain,122
    region = find_zone("gcp:europe-west1")
    assert (region.intensity_g_per_kwh, region.grid_zone, region.kind) == (122.0, "BEL", "cloud")
    assert find_zone("gcp:us-central1").grid_zone == "US-IA"


def test_aws_us_east_1_is_on_virginias_grid():
    assert find_zone("aws:us-east-1").grid_zone == "US-VA"
    assert find_zone("aws:us-east-1").intensity_g_per_kwh == find_zone("US-VA").intensity_g_per_kwh


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
GOOD = "FRA,FR,France,country,,56.0,2023,test source"


@pytest.mark.parametrize(
    "text",
    [
        f"{HEADER}\nFRA,FR,France,country,,lots,2023,test source\n",  # intensity not a number
        f"{HEADER}\nFRA,FR,France,country,,56.0,2023,\n",  # no source
        f"{HEADER}\nFRA,FR,France,country,,-1,2023,test source\n",  # negative intensity
        f"{HEADER}\nFRA,FR,France,country,,56.0,recent,test source\n",  # year not a number
        "zone,name,kind,year,source\nFRA,France,country,2023,test source\n",  # no intensity column
        f"{HEADER}\n",  # no rows
    ],
)
def test_a_malformed_table_raises_data_table_error(data_dir, text):
    (data_dir / "grid_intensity.csv").write_text(text, encoding="utf-8")
    with pytest.raises(DataTableError):
        grid_table()


def test_a_well_formed_override_is_read(data_dir):
    (data_dir / "grid_intensity.csv").write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")
    assert find_zone("FR").source == "test source"


def test_a_missing_table_raises_data_table_error(data_dir):
    with pytest.raises(DataTableError):
        find_zone("FR")


# --- the build script --------------------------------------------------------------------------


def test_the_committed_table_is_what_the_script_builds(tmp_path, capsys, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "build_grid_intensity", REPO_ROOT / "scripts" / "build_grid_intensity.py"
    )
    script = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, script)  # dataclasses look their module up
    spec.loader.exec_module(script)
    output = tmp_path / "grid_intensity.csv"
    assert script.main(["--output", str(output)]) == 0
    committed = REPO_ROOT / "data" / "grid_intensity.csv"
    assert output.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")
    printed = capsys.readouterr().out
    assert all(kind in printed for kind in KIND_ORDER)
