"""``carbonllm estimate``, ``hardware`` and ``regions`` through the command line."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

GPT3 = ["estimate", "--params", "175e9", "--tokens", "300e9", "--gpu", "V100", "--mfu", "0.1968",
        "--power-w", "330", "--pue", "1.1", "--intensity", "429"]
BLOOM = ["estimate", "--gpu-hours", "1082990", "--gpu", "A100", "--power-w", "400", "--pue", "1",
         "--intensity", "57"]


def test_gpt3_json_reproduces_patterson(run_cli):
    # Patterson et al. 2021 Table 4: 1,287 MWh and 552 tCO2e.
    result = run_cli(*GPT3, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["energy_kwh"] / 1000 == pytest.approx(1287, rel=0.03)
    assert data["co2e_kg"] / 1000 == pytest.approx(552, rel=0.03)
    for key in ("flops", "device_hours", "wall_clock_hours", "energy_kwh", "intensity_g_per_kwh", "co2e_kg",
                "co2e_kg_low", "co2e_kg_high", "embodied_co2e_kg", "assumptions"):
        assert key in data
    assert data["wall_clock_hours"] is None and data["embodied_co2e_kg"] is None
    for key in ("gpu", "dtype", "peak_tflops", "mfu", "power_w", "pue", "region"):
        assert key in data["assumptions"]
    assert data["flops"] == pytest.approx(3.15e23)


def test_bloom_json_reproduces_luccioni(run_cli):
    # Luccioni et al. 2022: 433 MWh and 24.7 tCO2e.
    data = json.loads(run_cli(*BLOOM, "--format", "json").stdout)
    assert data["energy_kwh"] / 1000 == pytest.approx(433, rel=0.01)
    assert data["co2e_kg"] / 1000 == pytest.approx(24.7, rel=0.01)


def test_number_spellings_agree(run_cli):
    a = json.loads(run_cli("estimate", "--params", "7b", "--tokens", "1.5T", "--format", "json").stdout)
    b = json.loads(run_cli("estimate", "--params", "7_000_000_000", "--tokens", "1500e9", "--format", "json").stdout)
    assert a["flops"] == b["flops"] == pytest.approx(6 * 7e9 * 1.5e12)


def test_table_prints_results_and_assumptions(run_cli):
    result = run_cli("estimate", "--params", "175e9", "--tokens", "300e9", "--gpu", "A100", "--gpus", "1024")
    assert result.exit_code == 0, result.stderr
    for needle in ("device-hours", "energy (kWh)", "CO2e", "MFU", "PUE", "power per device", "region",
                   "A100 SXM4 80GB", "bf16", "0.38", "1.2", "world", "wall-clock on 1024 devices"):
        assert needle in result.stdout, needle


def test_csv_has_one_row_with_flat_assumptions(run_cli):
    result = run_cli(*BLOOM, "--format", "csv", "--embodied")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1
    assert float(rows[0]["energy_kwh"]) == pytest.approx(433_196)
    assert rows[0]["assumptions_gpu"] == "A100 SXM4 80GB"
    assert float(rows[0]["embodied_co2e_kg"]) == pytest.approx(11_200, rel=0.01)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--params", "0", "--tokens", "1e9"], "--params must be greater than 0"),
        (["--params", "-5", "--tokens", "1e9"], "--params must be greater than 0"),
        (["--params", "nan", "--tokens", "1e9"], "--params"),
        (["--params", "abc", "--tokens", "1e9"], "'--params': 'abc' is not a number"),
        (["--params", "7e9", "--tokens", "0"], "--tokens must be greater than 0"),
        (["--gpu-hours", "-1"], "--gpu-hours must be greater than 0"),
        (["--hours", "0", "--devices", "8"], "--hours must be greater than 0"),
        (["--params", "7e9", "--tokens", "1e9", "--mfu", "1.2"], "--mfu must be in (0, 1]"),
        (["--params", "7e9", "--tokens", "1e9", "--mfu", "0"], "--mfu must be in (0, 1]"),
        (["--params", "7e9", "--tokens", "1e9", "--pue", "0.8"], "--pue must be >= 1"),
        (["--params", "7e9", "--tokens", "1e9", "--gpu", "H10"], "did you mean 'H100'"),
        (["--params", "7e9", "--tokens", "1e9", "--gpu", "T4", "--dtype", "bf16"], "choose --dtype from"),
        (["--params", "7e9", "--tokens", "1e9", "--region", "Atlantis"], "unknown region 'Atlantis'"),
        (["--gpu-hours", "100", "--tokens", "1e9"], "--gpu-hours and --tokens cannot be used together"),
        (["--params", "7e9", "--tokens", "1e9", "--region", "FR", "--intensity", "50"],
         "--region and --intensity cannot be used together"),
        (["--params", "7e9"], "give --params and --tokens"),
        (["--params", "7e9", "--tokens", "1e9", "--format", "xml"], "'xml' is not one of"),
        (["--bogus"], "No such option"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run_cli, args: list[str], needle: str):
    result = run_cli("estimate", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("carbonllm: error:")
    assert needle in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_data_table_is_one_line(run_cli, tmp_path, fresh_tables):
    fresh_tables.setenv("CARBONLLM_DATA_DIR", str(tmp_path))
    result = run_cli("estimate", "--params", "7e9", "--tokens", "1e9")
    assert result.exit_code == 2
    assert "hardware.csv is missing" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_malformed_data_table_is_one_line(run_cli, tmp_path, fresh_tables):
    (tmp_path / "hardware.csv").write_text("name,vendor,kind,generation,year,source,bf16_tflops\n"
                                           "A100,NVIDIA,gpu,ampere,twenty,datasheet,312\n")
    fresh_tables.setenv("CARBONLLM_DATA_DIR", str(tmp_path))
    result = run_cli("estimate", "--params", "7e9", "--tokens", "1e9")
    assert result.exit_code == 2
    assert "hardware.csv, line 2" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_hardware_and_regions_listings(run_cli):
    hw = json.loads(run_cli("hardware", "--format", "json").stdout)
    assert len(hw) >= 27 and all(row["source"] for row in hw)
    tpus = json.loads(run_cli("hardware", "tpu", "--format", "json").stdout)
    assert {row["name"] for row in tpus} >= {"TPU v3", "TPU v4", "TPU v5p"}
    assert "A100" in run_cli("hardware", "a100").stdout
    clouds = json.loads(run_cli("regions", "--kind", "cloud", "--format", "json").stdout)
    assert clouds and all(row["grid_zone"] for row in clouds)
    france = json.loads(run_cli("regions", "france", "--format", "json").stdout)
    assert any(row["zone"] == "FRA" for row in france)


def test_version_and_help(run_cli):
    from carbonllm import __version__

    assert __version__ in run_cli("--version").stdout
    assert "estimate" in run_cli("--help").stdout


def test_console_script_end_to_end():
    exe = shutil.which("carbonllm", path=str(Path(sys.executable).parent)) or shutil.which("carbonllm")
    assert exe, "the carbonllm console script is not installed"
    ok = subprocess.run([exe, *GPT3, "--format", "json"], capture_output=True, text=True)
    assert ok.returncode == 0 and json.loads(ok.stdout)["co2e_kg"] > 0
    bad = subprocess.run([exe, "estimate", "--params", "7e9", "--tokens", "1e9", "--gpu", "A1OO"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_a_small_run_does_not_print_as_zero(run_cli):
    # 3 T4-hours at 70 W, PUE 1.2: 3 × 0.070 × 1.2 = 0.252 kWh
    result = run_cli("estimate", "--gpu-hours", "3", "--gpu", "T4", "--intensity", "56", "--pue", "1.2")
    assert result.exit_code == 0, result.stderr
    assert "0.252" in result.stdout
    # 0.252 kWh × 56 g/kWh = 14.1 g = 0.0141 kg
    assert "0.0141" in result.stdout


def test_region_and_pue_from_the_environment_like_track(run_cli, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no ./carbonllm.toml
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CARBONLLM_REGION", "FR")
    monkeypatch.setenv("CARBONLLM_PUE", "1.1")
    result = run_cli(*BLOOM[:5], "--format", "json")  # --gpu-hours 1082990 --gpu A100, nothing else
    data = json.loads(result.stdout)
    assert data["assumptions"]["region"] == "FRA" and data["assumptions"]["pue"] == 1.1
    assert "region FR from CARBONLLM_REGION" in result.stderr and "PUE 1.1 from CARBONLLM_PUE" in result.stderr
    # a flag still wins, and --intensity on the command line overrides the region from the environment
    flagged = json.loads(run_cli(*BLOOM[:5], "--intensity", "57", "--format", "json").stdout)
    assert flagged["assumptions"]["region"] == "custom" and flagged["intensity_g_per_kwh"] == 57


def test_region_from_a_config_file(run_cli, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("CARBONLLM_REGION", "CARBONLLM_INTENSITY", "CARBONLLM_PUE", "CARBONLLM_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "carbonllm.toml").write_text('region = "SE"\n')
    data = json.loads(run_cli(*BLOOM[:5], "--format", "json").stdout)
    assert data["assumptions"]["region"] == "SWE"


def test_listing_filters_that_match_nothing_say_so(run_cli):
    for argv in (["hardware", "zzz"], ["hardware", "--vendor", "Acme"], ["regions", "Atlantis"]):
        result = run_cli(*argv)
        assert result.exit_code == 2 and "matches" in result.stderr and result.stderr.count("\n") == 1


def test_a_bad_value_from_the_environment_is_one_line_naming_where_it_came_from(run_cli, monkeypatch):
    monkeypatch.setenv("CARBONLLM_PUE", "5")
    result = run_cli("estimate", "--params", "7b", "--tokens", "2T")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "carbonllm: error: --pue 5 is above the plausible limit of 3; give facility energy / IT energy, "
        "typically 1.1-1.6 (PUE 5 from CARBONLLM_PUE)"]
    monkeypatch.setenv("CARBONLLM_PUE", "1.3")
    good = run_cli("estimate", "--params", "7b", "--tokens", "2T", "--format", "json")
    assert good.exit_code == 0 and "note: PUE 1.3 from CARBONLLM_PUE" in good.stderr


def test_csv_lists_the_defaults_as_names_not_a_python_tuple(run_cli):
    result = run_cli("estimate", "--params", "7b", "--tokens", "2T", "--region", "FR", "--format", "csv")
    row = next(csv.DictReader(io.StringIO(result.stdout)))
    assert row["assumptions_defaults"] == "gpu;mfu;power_w;pue"
