"""Paths and names (issue 9): a run one level down, common country names, mistyped subcommands,
install hints that work from a checkout."""

from __future__ import annotations

import json

import pytest
from helpers import run_summary

import carbonllm
from carbonllm.report.plots import INSTALL_HINT


def _write_run(directory):
    directory.mkdir(parents=True)
    (directory / "gpu-node-1-node0.summary.json").write_text(json.dumps(run_summary()))


def test_report_takes_the_one_run_one_level_down_and_says_so(run_cli, tmp_path):
    # a Trainer's <output>/carbonllm holds the run in a timestamped folder
    _write_run(tmp_path / "carbonllm" / "20260101T120000Z-abcd")
    out = run_cli("report", str(tmp_path / "carbonllm"), "--format", "json")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["co2e_kg"] == pytest.approx(0.12)  # helpers.run_summary's hand figure
    assert "using the run one level down" in out.stderr and "20260101T120000Z-abcd" in out.stderr
    merged = run_cli("track", "--merge", str(tmp_path / "carbonllm"), "--format", "json")
    assert merged.exit_code == 0, merged.stderr


def test_several_runs_one_level_down_are_listed(run_cli, tmp_path):
    for name in ("20260101T120000Z-aaaa", "20260102T120000Z-bbbb"):
        _write_run(tmp_path / "runs" / name)
    out = run_cli("report", str(tmp_path / "runs"))
    assert out.exit_code == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "holds 2 runs one level down" in out.stderr
    assert out.stderr.index("20260102T120000Z-bbbb") < out.stderr.index("20260101T120000Z-aaaa")  # newest first


@pytest.mark.parametrize(("name", "zone"), [("UK", "GBR"), ("uk", "GBR"), ("Great Britain", "GBR"), ("England", "GBR"),
                                            ("USA", "USA"), ("America", "USA"), ("Holland", "NLD"),
                                            ("Korea", "KOR"), ("South Korea", "KOR"), ("Russia", "RUS")])
def test_common_country_names_resolve(name, zone):
    assert carbonllm.find_zone(name).zone == zone


def test_uk_no_longer_suggests_ukraine(run_cli):
    out = run_cli("estimate", "--params", "7B", "--tokens", "2T", "--region", "UK", "--format", "json")
    assert out.exit_code == 0 and json.loads(out.stdout)["assumptions"]["region"] == "GBR"


def test_a_mistyped_subcommand_gets_the_nearest(run_cli):
    out = run_cli("estimat", "--params", "7B")
    assert out.exit_code == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "did you mean 'estimate'" in out.stderr
    unknown = run_cli("zzzz")
    assert unknown.exit_code == 2 and "no such command 'zzzz'" in unknown.stderr
    assert "did you mean" not in unknown.stderr


def test_plot_install_hint_works_from_a_checkout_and_an_install():
    assert "pip install 'carbonllm[plot]'" in INSTALL_HINT and "pip install '.[plot]'" in INSTALL_HINT


def test_report_embodied_charges_the_measured_device_hours(run_cli, tmp_path):
    _write_run(tmp_path / "run")
    plain = json.loads(run_cli("report", str(tmp_path / "run"), "--format", "json").stdout)
    out = run_cli("report", str(tmp_path / "run"), "--format", "json", "--embodied")
    assert out.exit_code == 0, out.stderr
    data = json.loads(out.stdout)
    assert plain["embodied_co2e_kg"] is None
    # helpers.run_summary: 2 GPUs for 1 h = 2 GPU-hours; Luccioni et al. 2022 §4.3: (150 + 2500/8) kg
    # per GPU over 6 years x 8760 h x 0.85 = 44,676 h -> 2 x 462.5 / 44,676 = 0.0207 kg
    assert data["device_hours"] == pytest.approx(2.0)
    assert data["embodied_co2e_kg"] == pytest.approx(2 * 462.5 / (6 * 8760 * 0.85))
    assert data["co2e_kg"] == pytest.approx(plain["co2e_kg"])  # operational unchanged
    text = run_cli("report", str(tmp_path / "run"), "--embodied").stdout
    assert "embodied" in text and "embodied (manufacturing) emissions of the hardware" not in text
