"""ReportData from a run summary tracked with ``--embodied``: the embodied figure is read once,
and ``with_embodied`` (``report --embodied``) never charges it twice."""

from __future__ import annotations

import pytest
from helpers import run_summary

from carbonllm.errors import InputError
from carbonllm.report.data import from_run_summary, with_embodied

#: helpers.run_summary: 2 GPUs for 1 h = 2 GPU-hours. Luccioni et al. 2022 §4.3: 462.5 kg per GPU over
#: 6 × 8,760 h × 0.85 = 44,676 h → 2 × 462.5 / 44,676 = 0.0207047 kg.
TRACKED_KG = 0.0207047
SOURCE = "Luccioni et al. 2022 (BLOOM) §4.3: 150 kgCO2e per GPU + 2,500 kgCO2e per 8-GPU server"


def test_a_run_tracked_with_embodied_reports_it_and_its_source() -> None:
    data = from_run_summary(run_summary(embodied_co2e_kg=TRACKED_KG, embodied_source=SOURCE))
    assert data.embodied_co2e_kg == pytest.approx(TRACKED_KG)
    assert data.assumption_sources == (f"embodied: {SOURCE}",)
    assert data.co2e_kg == pytest.approx(0.12)  # operational, as helpers.run_summary computes it


def test_report_embodied_on_a_tracked_run_does_not_charge_twice() -> None:
    data = from_run_summary(run_summary(embodied_co2e_kg=TRACKED_KG, embodied_source=SOURCE))
    again = with_embodied(data)
    assert again.embodied_co2e_kg == pytest.approx(TRACKED_KG)  # not 2 × TRACKED_KG
    assert again.assumption_sources == data.assumption_sources  # the source once


def test_report_embodied_charges_a_run_tracked_without_it_the_same_share() -> None:
    plain = from_run_summary(run_summary())
    assert plain.embodied_co2e_kg is None and plain.assumption_sources == ()
    assert with_embodied(plain).embodied_co2e_kg == pytest.approx(TRACKED_KG, rel=1e-5)


def test_a_bad_embodied_figure_is_named() -> None:
    with pytest.raises(InputError, match="embodied_co2e_kg"):
        from_run_summary(run_summary(embodied_co2e_kg="lots"))
