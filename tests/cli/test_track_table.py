"""The summary table ``carbonllm track`` prints on stderr: whole values, and the grid figure's
source as a short citation (the whole citation is in the run summary file)."""

from __future__ import annotations

import pytest
from helpers import run_summary

from carbonllm.cli.track_cmd import render_table
from carbonllm.measure.records import RunSummary
from carbonllm.tables.loader import find_zone


@pytest.mark.parametrize(("region", "cited"), [
    ("US-VA", "EIA Electric Power Annual 2023 / Electricity Data Browser"),
    ("US-WY", "EIA Electric Power Annual 2023 / Electricity Data Browser"),
    ("aws:us-east-1", "Electricity Maps yearly average carbon intensity 2024"),
    ("FR", "Ember, Yearly Electricity Data"),
])
def test_the_region_row_cites_the_grid_source_briefly(capsys, region, cited):
    # a US state's source is ~650 characters (EIA mix as rendered in a notebook, × the AR5
    # factors, eGRID beside it): printed whole, it made the table ~800 columns wide
    zone = find_zone(region)
    summary = RunSummary.model_validate(run_summary(
        region=zone.zone, region_name=zone.name, intensity_year=zone.year,
        intensity_g_per_kwh=zone.intensity_g_per_kwh, intensity_source=zone.source))
    render_table(summary)
    lines = capsys.readouterr().err.splitlines()
    row = next(line for line in lines if line.startswith("│ region"))
    assert row.rstrip(" │").endswith(cited)
    assert "VineMapper" not in row and "via " not in row
    assert max(len(line) for line in lines if "│" in line) <= 150
