"""Reports carry market-based CO2e beside the location-based headline (issue 10)."""

from __future__ import annotations

import json

import pytest
import yaml
from helpers import run_summary

from carbonllm.errors import InputError
from carbonllm.estimator.resolve import estimate
from carbonllm.report.data import from_estimate, from_run_summary
from carbonllm.report.statement import render_latex, render_markdown, render_model_card


def _dual():
    return estimate(params="7b", tokens="2T", gpu="H100", region="aws:us-east-1", market_intensity=0)


def test_model_card_keeps_location_based_in_emissions_and_names_market_beside_it():
    result = _dual()
    card = render_model_card(from_estimate(result.to_dict()))
    meta = yaml.safe_load(card)["co2_eq_emissions"]
    assert meta["emissions"] == pytest.approx(result.co2e_kg * 1000, rel=1e-5)  # grams
    assert meta["market_based_emissions"] == 0
    # and huggingface_hub reads the block as model-card metadata
    from huggingface_hub import ModelCard

    parsed = ModelCard(f"---\n{card}---\n# model\n").data.to_dict()["co2_eq_emissions"]
    assert parsed["market_based_emissions"] == 0 and parsed["emissions"] == meta["emissions"]


def test_a_card_without_market_input_has_no_market_key():
    card = render_model_card(from_estimate(estimate(params="7b", tokens="2T", region="FR").to_dict()))
    assert "market" not in card


def test_statements_name_both_figures():
    data = from_estimate(_dual().to_dict())
    markdown = render_markdown(data)
    assert "location-based" in markdown and "**Market-based emissions:** 0 kgCO2e" in markdown
    assert "lifecycle basis" in markdown
    assert "market-based" in render_latex(data)


def test_json_and_csv_reports_carry_both(run_cli, tmp_path):
    path = tmp_path / "est.json"
    path.write_text(json.dumps(_dual().to_dict()), encoding="utf-8")
    out = json.loads(run_cli("report", str(path), "--format", "json").stdout)
    assert out["market_co2e_kg"] == 0 and out["co2e_kg"] > 0
    assert out["intensity_basis"] == "lifecycle"
    assert "market_co2e_kg" in run_cli("report", str(path), "--format", "csv").stdout


def test_a_negative_market_figure_in_the_input_is_refused():
    data = _dual().to_dict()
    data["market_co2e_kg"] = -1
    with pytest.raises(InputError, match="market_co2e_kg"):
        from_estimate(data)


def test_a_run_summary_with_market_fields_reports_both():
    summary = run_summary()
    summary.update(market_co2e_kg=0.0, market_intensity_g_per_kwh=0.0,
                   market_source="given", intensity_basis="lifecycle")
    data = from_run_summary(summary)
    assert (data.market_co2e_kg, data.intensity_basis) == (0.0, "lifecycle")
    assert "Market-based emissions" in render_markdown(data)
