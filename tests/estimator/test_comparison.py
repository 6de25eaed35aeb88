"""``carbonllm.compare`` and ``carbonllm compare``: sorting, skipped pairs, hand figures, plots."""

from __future__ import annotations

import builtins
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import png_size

from carbonllm.errors import InputError, UnknownHardwareError, UnknownRegionError
from carbonllm.estimator.comparison import compare
from carbonllm.tables.loader import find_zone


def test_rows_are_every_pair_sorted_by_co2e():
    result = compare(gpus="A100,H100", regions=["FR", "US", "aws:us-east-1"], params="7B", tokens="2T")
    assert len(result.rows) == 6 and not result.skipped
    co2e = [r.co2e_kg for r in result.rows]
    assert co2e == sorted(co2e)
    assert {(r.gpu, r.region) for r in result.rows} == {
        (g, z) for g in ("A100 SXM4 80GB", "H100 SXM5 80GB") for z in ("FRA", "USA", "aws:us-east-1")}


def test_a_pair_matches_the_hand_computation():
    # 6·7e9·2e12 = 8.4e22 FLOPs / (312e12 FLOP/s × 0.5) / 3600 = 149,572.6 A100-hours;
    # × 0.4 kW × PUE 1.0 = 59,829 kWh; × France's grid intensity from the table.
    result = compare(gpus="A100", regions="FR", params=7e9, tokens=2e12, mfu=0.5, power_w=400, pue=1.0, devices=64)
    (row,) = result.rows
    hours = 6 * 7e9 * 2e12 / (312e12 * 0.5) / 3600
    assert row.device_hours == pytest.approx(hours)
    assert row.wall_clock_hours == pytest.approx(hours / 64)
    assert row.energy_kwh == pytest.approx(hours * 0.4)
    assert row.co2e_kg == pytest.approx(hours * 0.4 * find_zone("FR").intensity_g_per_kwh / 1000)
    # everything but the grid intensity was given: the only spread is the table intensity's
    # accounting basis, x370/490 to x490/370 (IPCC AR5 gas direct vs lifecycle), rounded to 0.76-1.32
    assert row.co2e_kg_low == pytest.approx(row.co2e_kg * 0.76)
    assert row.co2e_kg_high == pytest.approx(row.co2e_kg * 1.32)


def test_a_tpu_without_published_power_is_skipped_with_its_reason():
    result = compare(gpus="A100,TPUv5p", regions="FR,US", params="7B", tokens="2T")
    assert [r.gpu for r in result.rows] == ["A100 SXM4 80GB"] * 2
    assert {(s.gpu, s.region) for s in result.skipped} == {("TPU v5p", "FRA"), ("TPU v5p", "USA")}
    assert all("--power-w" in s.reason for s in result.skipped)
    with_power = compare(gpus="A100,TPUv5p", regions="FR", params="7B", tokens="2T", power_w=300)
    assert len(with_power.rows) == 2 and not with_power.skipped


def test_unknown_names_fail_the_whole_comparison():
    with pytest.raises(UnknownHardwareError, match="A1000"):
        compare(gpus="A100,A1000", regions="FR", params="7B", tokens="2T")
    with pytest.raises(UnknownRegionError, match="Atlantis"):
        compare(gpus="A100", regions="FR,Atlantis", params="7B", tokens="2T")


def test_when_every_pair_is_skipped_it_is_an_input_error():
    with pytest.raises(InputError, match="no pair could be estimated: TPU v5p has no published power"):
        compare(gpus="TPUv5p", regions="FR", params="7B", tokens="2T")
    with pytest.raises(InputError, match="--tokens"):
        compare(gpus="A100", regions="FR", params="7B")


def test_a_preset_model_is_passed_through_to_the_estimate():
    result = compare(gpus="A100", regions="FR", model="llama-2-7b", tokens="2T")
    assert result.rows[0].co2e_kg > 0 and "llama-2-7b" in result.workload


def test_to_pandas_has_one_row_per_pair_and_imports_pandas_only_when_called():
    frame = compare(gpus="A100,H100", regions="FR", params="7B", tokens="2T").to_pandas()
    assert list(frame["gpu"]) == ["H100 SXM5 80GB", "A100 SXM4 80GB"]
    assert frame["co2e_kg"].is_monotonic_increasing
    code = "import sys, carbonllm.estimator.comparison; print('pandas' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


# --- the command ------------------------------------------------------------------------------

ARGS = ("compare", "--params", "7b", "--tokens", "2T", "--gpu", "A100,H100,TPUv5p", "--region", "FR,US")


def test_cli_table_lists_the_pairs_and_the_skipped_ones(run_cli, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps cells at the terminal's width
    result = run_cli(*ARGS, "--gpus", "64")
    assert result.exit_code == 0, result.stderr
    assert "A100 SXM4 80GB" in result.stdout and "days on 64" in result.stdout and "kgCO2e" in result.stdout
    assert "skipped TPU v5p (FRA, USA)" in " ".join(result.stdout.split())


def test_cli_json_and_csv(run_cli):
    result = run_cli(*ARGS, "--format", "json")
    data = json.loads(result.stdout)
    assert len(data["rows"]) == 4 and len(data["skipped"]) == 2
    result = run_cli(*ARGS, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 4 and float(rows[0]["co2e_kg"]) <= float(rows[-1]["co2e_kg"])
    assert "skipped TPU v5p" in result.stderr


def test_cli_plot_writes_a_png_of_the_expected_size(run_cli, tmp_path: Path):
    out = tmp_path / "compare.png"
    result = run_cli(*ARGS, "--plot", str(out), "--format", "json")
    assert result.exit_code == 0, result.stderr
    # figure 9 in wide and max(2.5, 0.45 × 4 rows + 1.5) = 3.3 in high, at 100 dpi
    assert png_size(out) == (900, 330)
    import matplotlib.image

    assert matplotlib.image.imread(out).shape[:2] == (330, 900)


def test_cli_plot_without_matplotlib_is_one_line(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    result = run_cli(*ARGS, "--plot", str(tmp_path / "x.png"))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "install the plot extra: pip install 'carbonllm[plot]'" in result.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("argv, message", [
    (("compare", "--params", "7b", "--tokens", "2T", "--gpu", "A1000", "--region", "FR"), "unknown accelerator"),
    (("compare", "--params", "7b", "--tokens", "2T", "--gpu", "A100", "--region", "Atlantis"), "unknown region"),
    (("compare", "--params", "7b", "--gpu", "A100", "--region", "FR"), "--tokens"),
    (("compare", "--params", "7b", "--tokens", "2T", "--region", "FR"), "--gpu"),
    (("compare", "--params", "7b", "--tokens", "2T", "--gpu", "TPUv5p", "--region", "FR"), "no pair"),
])
def test_cli_bad_input_is_one_line_and_exit_2(run_cli, argv: tuple[str, ...], message: str):
    result = run_cli(*argv)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr and "Traceback" not in result.stderr


def test_cli_plot_with_an_unknown_image_format_is_one_line(run_cli, tmp_path: Path):
    result = run_cli(*ARGS, "--plot", str(tmp_path / "out.xyz"))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "unknown image format '.xyz'" in result.stderr
    assert not (tmp_path / "out.xyz").exists()


def test_aliases_of_one_chip_or_zone_count_once():
    result = compare(params=7e9, tokens=1e12, gpus="A100,A100 SXM4 80GB", regions="FR,FRA,France")
    assert len(result.rows) == 1


def test_a_missing_workload_names_what_compare_takes(run_cli):
    result = run_cli("compare", "--params", "7b", "--gpu", "A100", "--region", "FR")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "--gpu-hours" not in result.stderr  # compare takes no time mode
    result = run_cli("compare", "--gpu", "A100", "--region", "FR")
    assert result.exit_code == 2 and "give the workload" in result.stderr


# --- grid basis and market-based figures (issue 10) -----------------------------------------------


def test_mixed_bases_are_warned_about():
    # CN-GD is China MEE's CO2-only combustion factor; France and PJM (aws:us-east-1) are lifecycle
    result = compare(gpus="H100", regions="FR,CN-GD,aws:us-east-1", params="7B", tokens="2T")
    assert {r.region: r.intensity_basis for r in result.rows} == {
        "FRA": "lifecycle", "CN-GD": "co2_direct", "aws:us-east-1": "lifecycle"}
    assert "different bases" in result.warnings[0] and "co2_direct: CN-GD" in result.warnings[0]


def test_us_states_and_countries_share_one_basis():
    # US states are lifecycle since issue 10 (EIA 2023 mix × AR5): no basis warning beside France
    result = compare(gpus="H100", regions="FR,US-VA,aws:us-west-2", params="7B", tokens="2T")
    assert {r.intensity_basis for r in result.rows} == {"lifecycle"}
    assert not any("different bases" in w for w in result.warnings)


def test_one_basis_gives_no_basis_warning():
    result = compare(gpus="H100", regions="FR,DE", params="7B", tokens="2T")
    assert result.warnings == ()


def test_flagged_zone_notes_are_carried():
    result = compare(gpus="H100", regions="FR,TKM", params="7B", tokens="2T")
    assert any(w.startswith("TKM: implausible") for w in result.warnings)


def test_market_based_figures_sit_beside_each_row():
    result = compare(gpus="H100", regions="FR,DE", params="7B", tokens="2T", renewable_share=1)
    assert all(r.market_co2e_kg == 0 and r.co2e_kg > 0 for r in result.rows)


@pytest.mark.parametrize("kwargs", [{"market_intensity": -5}, {"renewable_share": 1.01},
                                    {"market_intensity": 0, "renewable_share": 0}, {"basis": "hourly"}])
def test_bad_market_or_basis_input_fails_the_whole_comparison(kwargs):
    with pytest.raises(InputError):
        compare(gpus="H100", regions="FR", params="7B", tokens="2T", **kwargs)


def test_cli_compare_prints_the_warning_and_market_column(run_cli):
    result = run_cli("compare", "--params", "7b", "--tokens", "2T", "--gpu", "H100", "--region", "FR,CN-GD",
                     "--market-intensity", "0", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert "different bases" in data["warnings"][0]
    assert "warning: the regions' grid figures are on different bases" in result.stderr
    assert all(row["market_co2e_kg"] == 0 for row in data["rows"])
    bad = run_cli("compare", "--params", "7b", "--tokens", "2T", "--gpu", "H100", "--region", "FR",
                  "--renewable-share", "2")
    assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1


# --- per-accelerator --mfu / --power-w (issue 9) ------------------------------------------------


def test_power_per_chip_sets_only_the_chips_it_names():
    result = compare(gpus="A100,H100,TPUv5p", regions="FR", params="7B", tokens="2T", power_w="TPUv5p=300")
    rows = {r.gpu: r for r in result.rows}
    assert rows["TPU v5p"].power_w == 300 and rows["TPU v5p"].power_given
    # the others keep their table TDP (data/hardware.csv: H100 SXM 700 W, A100 SXM 400 W)
    assert rows["H100 SXM5 80GB"].power_w == 700 and not rows["H100 SXM5 80GB"].power_given
    assert rows["A100 SXM4 80GB"].power_w == 400 and not rows["A100 SXM4 80GB"].power_given


def test_a_bare_power_fills_only_the_chips_without_a_table_figure():
    result = compare(gpus="A100,H100,TPUv5p", regions="FR", params="7B", tokens="2T", power_w=400)
    rows = {r.gpu: r for r in result.rows}
    assert rows["TPU v5p"].power_w == 400 and rows["TPU v5p"].power_given
    assert rows["H100 SXM5 80GB"].power_w == 700 and not rows["H100 SXM5 80GB"].power_given
    # a mapping and a bare fallback among pairs work the same way
    mixed = compare(gpus="A100,H100,TPUv5p", regions="FR", params="7B", tokens="2T", power_w="350,H100=650")
    mixed_rows = {r.gpu: r.power_w for r in mixed.rows}
    assert mixed_rows == {"TPU v5p": 350, "H100 SXM5 80GB": 650, "A100 SXM4 80GB": 400}
    mapped = compare(gpus=["A100", "H100"], regions="FR", params="7B", tokens="2T", mfu={"H100": 0.45})
    mfus = {r.gpu: (r.mfu, r.mfu_given) for r in mapped.rows}
    assert mfus == {"H100 SXM5 80GB": (0.45, True), "A100 SXM4 80GB": (0.38, False)}


@pytest.mark.parametrize(
    ("power_w", "message"),
    [
        ("B200=300", "--power-w names B200"),
        ("TPUv5p=", "must be a number"),
        ("=300", "write NAME=VALUE pairs"),
        ("TPUv5p=-3", "must be greater than 0"),
        ("Nope=3", "Unknown"),
        ("TPUv5p=0.3", "below the plausible limit of 1 W"),  # kW typed for W
    ],
)
def test_bad_per_chip_values_are_input_errors(power_w, message):
    with pytest.raises(InputError) as info:
        compare(gpus="A100,TPUv5p", regions="FR", params="7B", tokens="2T", power_w=power_w)
    assert message.lower() in str(info.value).lower()


def test_compare_piped_shows_every_id_whole_and_marks_given_figures(run_cli):
    out = run_cli("compare", "--params", "7b", "--tokens", "2T", "--gpu", "A100,H100,TPUv5p",
                  "--region", "FR,aws:us-east-1,azure:westeurope", "--power-w", "TPUv5p=300")
    assert out.exit_code == 0, out.stderr
    assert "…" not in out.stdout
    lines = out.stdout.splitlines()
    for zone in ("FRA", "aws:us-east-1", "azure:westeurope"):
        assert sum(f" {zone} " in line for line in lines) == 3, zone
    h100 = [line for line in lines if "H100 SXM5 80GB" in line]
    assert len(h100) == 3 and all(" 700 " in line for line in h100)
    assert all(" 300* " in line for line in lines if "TPU v5p" in line)
    assert "* given by you" in out.stdout


def test_compare_cli_bad_per_chip_value_is_one_line(run_cli):
    out = run_cli("compare", "--params", "7b", "--tokens", "2T", "--gpu", "A100", "--region", "FR",
                  "--power-w", "H100=300")
    assert out.exit_code == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "--power-w names H100" in out.stderr


# --- one vocabulary: gpu/gpus name chips, region/regions name zones, devices counts (issue 9) ----


def test_estimate_compare_and_plan_share_one_vocabulary():
    import carbonllm

    est = carbonllm.estimate(params="7B", tokens="2T", gpu="A100", region="FR", devices=64)
    row = {r.gpu: r for r in compare(gpu="A100", region="FR", params="7B", tokens="2T", devices=64).rows}
    same = row["A100 SXM4 80GB"]
    assert same.co2e_kg == pytest.approx(est.co2e_kg) and same.devices == est.devices == 64
    assert compare(gpus=["A100"], regions=["FR"], params="7B", tokens="2T").rows[0].region == "FRA"
    plan = carbonllm.plan_budget(flops=1e23, gpu="A100", region="FR")
    assert plan.rates.gpu == "A100 SXM4 80GB"


def test_old_spellings_of_the_device_count_warn_and_still_work():
    import carbonllm

    with pytest.warns(DeprecationWarning, match="use devices=N"):
        old = carbonllm.estimate(params="7B", tokens="2T", gpu="A100", region="FR", gpus=64)
    assert old.devices == 64 and old.wall_clock_hours == pytest.approx(old.device_hours / 64)
    # compare(gpu="A100", gpus=256) used to raise TypeError
    with pytest.warns(DeprecationWarning, match="use devices=N"):
        rows = compare(gpu="A100", gpus=256, region="FR", params="7B", tokens="2T").rows
    assert rows[0].devices == 256
    with pytest.warns(DeprecationWarning), pytest.raises(InputError, match="give the number of devices once"):
        carbonllm.estimate(params="7B", tokens="2T", gpus=8, devices=8)
    with pytest.raises(InputError, match="not both"):
        compare(gpu="A100", gpus="H100", region="FR", params="7B", tokens="2T")


def test_cli_gpus_count_is_a_deprecated_spelling_of_devices(run_cli):
    new = run_cli("estimate", "--params", "7B", "--tokens", "2T", "--devices", "64", "--format", "json")
    old = run_cli("estimate", "--params", "7B", "--tokens", "2T", "--gpus", "64", "--format", "json")
    assert new.exit_code == old.exit_code == 0
    assert json.loads(new.stdout) == json.loads(old.stdout)
    assert "--gpus N is deprecated" in old.stderr and "--devices" in old.stderr
    assert "deprecated" not in new.stderr
    both = run_cli("estimate", "--params", "7B", "--tokens", "2T", "--devices", "64", "--gpus", "64")
    assert both.exit_code == 2 and "give --devices N once" in both.stderr


def test_a_per_chip_mfu_below_the_floor_is_an_input_error():
    with pytest.raises(InputError, match="--mfu 0.004 is below the plausible limit of 0.01"):
        compare(gpus="A100,H100", regions="FR", params="7B", tokens="2T", mfu="H100=0.004")
