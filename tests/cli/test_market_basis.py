"""Market-based CO2e beside location-based, ``--basis``, and the grid notes (issue 10)."""

from __future__ import annotations

import json

import pytest

from carbonllm.errors import InputError
from carbonllm.estimator.resolve import estimate

LLAMA_7B = ["estimate", "--params", "7b", "--tokens", "2T", "--gpu", "H100"]


def test_market_intensity_zero_carries_both_figures(run_cli):
    result = run_cli(*LLAMA_7B, "--region", "aws:us-east-1", "--market-intensity", "0",
                     "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    # location-based: energy × PJM's 403 g/kWh (Electricity Maps 2024), the headline
    assert data["intensity_g_per_kwh"] == 403.0
    assert data["co2e_kg"] == pytest.approx(data["energy_kwh"] * 403 / 1000)
    # market-based: 100% matched renewables, 0 g/kWh (the Llama 3.1 card's "0 tons" case)
    assert (data["market_intensity_g_per_kwh"], data["market_co2e_kg"]) == (0.0, 0.0)
    assert data["assumptions"]["intensity_basis"] == "lifecycle"
    assert "market-based" in data["assumptions"]["market_source"]


def test_renewable_share_counts_the_unmatched_rest_at_the_grid_average():
    located = estimate(params="7b", tokens="2T", gpu="H100", region="FR")
    half = estimate(params="7b", tokens="2T", gpu="H100", region="FR", renewable_share=0.25)
    # 75% unmatched at France's 44.2 g/kWh: market = 0.75 × location
    assert half.co2e_kg == located.co2e_kg
    assert half.market_intensity_g_per_kwh == pytest.approx(0.75 * 44.2)
    assert half.market_co2e_kg == pytest.approx(0.75 * located.co2e_kg)
    assert half.market_co2e_kg_high == pytest.approx(0.75 * located.co2e_kg_high)


def test_without_market_input_there_is_no_market_figure():
    result = estimate(params="7b", tokens="2T", gpu="H100", region="FR")
    assert result.market_co2e_kg is None and result.assumptions.market_source is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--market-intensity", "-1"], "--market-intensity must be"),
        (["--market-intensity", "nan"], "--market-intensity"),
        (["--renewable-share", "1.5"], "--renewable-share must be a fraction in [0, 1]"),
        (["--renewable-share", "-0.1"], "--renewable-share must be a fraction in [0, 1]"),
        (["--market-intensity", "0", "--renewable-share", "0.5"], "not both"),
        (["--basis", "marginal"], "--basis"),
        (["--region", "SE3", "--basis", "direct"], "has no direct-combustion figure"),
        (["--region", "Atlantis"], "unknown region"),
    ],
)
def test_bad_market_and_basis_input_exits_2_with_one_line(run_cli, args, message):
    result = run_cli(*LLAMA_7B, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_api_raises_input_error_for_the_same_cases():
    for kwargs in ({"market_intensity": -1}, {"renewable_share": 2},
                   {"market_intensity": 0, "renewable_share": 0.5}, {"basis": "marginal"},
                   {"market_intensity": float("inf")}):
        with pytest.raises(InputError):
            estimate(params="7b", tokens="2T", region="FR", **kwargs)


def test_direct_basis_uses_the_direct_column():
    # FRA direct 33.5 g/kWh (OWID 2023 mix × IPCC AR5 direct factors; see tests/tables/test_grid.py)
    result = estimate(params="7b", tokens="2T", gpu="H100", region="FR", basis="direct")
    assert (result.intensity_g_per_kwh, result.assumptions.intensity_basis) == (
        33.5, "direct_combustion")


def test_a_zone_on_another_basis_says_so(run_cli):
    result = run_cli(*LLAMA_7B, "--region", "CN-GD", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["assumptions"]["intensity_basis"] == "co2_direct"
    assert "has no lifecycle figure" in data["assumptions"]["intensity_note"]
    assert "note: CN-GD has no lifecycle figure" in result.stderr
    state = json.loads(run_cli(*LLAMA_7B, "--region", "US-CA", "--format", "json").stdout)
    assert state["assumptions"]["intensity_basis"] == "lifecycle"  # EIA mix × AR5 (issue 10)
    assert state["assumptions"]["intensity_note"] is None


def test_a_flagged_zone_prints_its_note(run_cli):
    result = run_cli(*LLAMA_7B, "--region", "TKM")
    assert result.exit_code == 0
    assert "implausible upstream series" in result.stderr


def test_a_user_given_intensity_is_its_own_basis():
    result = estimate(params="7b", tokens="2T", intensity=300)
    assert result.assumptions.intensity_basis == "user_given"
    assert "own basis" in (result.assumptions.intensity_note or "")


def test_regions_shows_basis_and_quality(run_cli, monkeypatch):
    result = run_cli("regions", "TKM", "--format", "json")
    row = json.loads(result.stdout)[0]
    assert row["basis"] == "lifecycle" and "implausible" in row["quality"]
    monkeypatch.setenv("COLUMNS", "300")  # a wide terminal: one line per row
    table = run_cli("regions", "CN-GD", "--basis")
    assert table.exit_code == 0
    assert "co2_direct" in table.stdout and "MEE provincial CO2 factor" in table.stdout
    state = run_cli("regions", "US-VA", "--basis")
    assert state.exit_code == 0
    assert "lifecycle" in state.stdout and "eGRID combustion-only" in state.stdout


def test_an_estimate_on_a_flagged_state_carries_its_note(run_cli):
    # Wyoming's lifecycle figure (620.5) is below its plants' measured combustion rate (831.6)
    result = run_cli("estimate", "--params", "7b", "--tokens", "2T", "--region", "US-WY",
                     "--format", "json")
    assert result.exit_code == 0, result.stderr
    note = json.loads(result.stdout)["assumptions"]["intensity_note"]
    assert note.startswith("US-WY: likely understates:") and "831.6" in note
    assert "likely understates" in result.stderr  # the note line, off the JSON stream


def test_basis_notes_follow_the_basis_asked_for():
    from carbonllm.tables.loader import find_zone

    guangdong = find_zone("CN-GD")
    assert "has no lifecycle figure" in (guangdong.basis_note("lifecycle") or "")
    assert guangdong.basis_note("direct") is None  # direct asked, direct given: nothing to say
    california = find_zone("US-CA")
    assert california.basis_note("lifecycle") is None  # lifecycle since issue 10
    assert california.basis_note("direct") is None
    assert california.intensity_for("direct") == (179.1, "direct_combustion")  # eGRID2023
    google = find_zone("gcp:us-east1").basis_note("direct")
    assert google is not None and "Google's hourly operational figure" in google
    assert find_zone("FRA").basis_note("lifecycle") is None
    assert find_zone("CN-SC").intensity_for("direct") == (156.4, "co2_direct")


def test_a_direct_basis_is_named_in_the_estimate_table(run_cli):
    # Poland's direct (combustion-only) figure differs from its lifecycle one: the table must say
    # which one the CO2e rests on, not only a --sources footnote
    direct = run_cli("estimate", "--params", "7b", "--tokens", "2T", "--gpu", "H100", "--region", "PL",
                     "--basis", "direct")
    assert direct.exit_code == 0
    assert any("intensity basis" in line and "direct combustion" in line for line in direct.stdout.splitlines())
    lifecycle = run_cli("estimate", "--params", "7b", "--tokens", "2T", "--gpu", "H100", "--region", "PL")
    assert "intensity basis" not in lifecycle.stdout
