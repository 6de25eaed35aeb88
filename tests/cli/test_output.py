"""Output that never loses data (issue 9): piped tables at full width, an 80-column first estimate
that fits one screen and says which assumptions are defaults, sources as footnotes."""

from __future__ import annotations

import pytest

from carbonllm.tables.loader import grid_table


@pytest.fixture
def piped(monkeypatch):
    """stdout is captured (not a terminal) and no COLUMNS is set: what `| cat` sees."""
    monkeypatch.delenv("COLUMNS", raising=False)


@pytest.fixture
def terminal_80(monkeypatch):
    """An 80-column terminal, as rich sees it through COLUMNS."""
    monkeypatch.setenv("COLUMNS", "80")


def test_first_estimate_fits_one_80_column_screen_and_names_its_defaults(run_cli, terminal_80):
    out = run_cli("estimate", "--params", "7B", "--tokens", "2T")
    assert out.exit_code == 0
    lines = out.stdout.splitlines()
    assert len(lines) <= 25, out.stdout
    assert max(len(line) for line in lines) <= 80
    assert "…" not in out.stdout
    for flag in ("--mfu", "--pue", "--region", "--power-w", "--gpu"):
        assert f"default; set {flag}" in out.stdout, flag
    assert "world average" in out.stdout and "--sources" in out.stdout


def test_given_values_are_not_called_defaults(run_cli, terminal_80):
    out = run_cli("estimate", "--params", "7B", "--tokens", "2T", "--gpu", "H100", "--mfu", "0.4",
                  "--power-w", "600", "--pue", "1.1", "--region", "FR")
    assert out.exit_code == 0 and "default;" not in out.stdout and "world average" not in out.stdout


def test_sources_print_in_full_as_numbered_footnotes(run_cli, terminal_80):
    out = run_cli("estimate", "--params", "7B", "--tokens", "2T", "--region", "FR", "--sources")
    text = " ".join(out.stdout.split())  # footnotes wrap at word boundaries at 80 columns
    assert "[2] MFU: Whole-run 6·N·D MFUs on A100" in text
    assert "[4] PUE: 1.2 as for BLOOM on Jean Zay" in text
    assert "IPCC AR5 WG3 Annex III" in text
    assert max(len(line) for line in out.stdout.splitlines()) <= 80


@pytest.mark.parametrize(
    "argv",
    [
        ["estimate", "--model", "llama2-7b", "--tokens", "2T", "--region", "aws:us-east-1", "--sources"],
        ["compare", "--params", "7b", "--tokens", "2T", "--gpu", "A100,H100,TPUv5p",
         "--region", "FR,aws:us-east-1,azure:westeurope,gcp:europe-west1", "--power-w", "TPUv5p=300"],
        ["regions", "--kind", "cloud"],
        ["hardware"],
        ["plan", "--gpu-hours", "1e6", "--gpu", "H100"],
        ["flops", "--model", "deepseek-v3"],
    ],
)
def test_piped_tables_cut_nothing(run_cli, piped, argv):
    out = run_cli(*argv)
    assert out.exit_code == 0, out.stderr
    assert "…" not in out.stdout


def test_piped_regions_print_every_zone_id_whole_on_one_line(run_cli, piped):
    out = run_cli("regions", "--kind", "cloud")
    lines = out.stdout.splitlines()
    for zone in (z for z in grid_table() if z.kind == "cloud"):
        assert any(f" {zone.zone} " in line for line in lines), zone.zone


@pytest.mark.parametrize(
    "argv",
    [
        ["compare", "--params", "7b", "--tokens", "2T", "--gpu", "A100,H100,TPUv5p", "--region",
         "FR,aws:us-east-1,azure:westeurope", "--power-w", "TPUv5p=300", "--devices", "64"],
        ["plan", "--gpu-hours", "1e6"],
        ["regions", "--kind", "cloud"],
    ],
)
def test_a_table_too_wide_for_80_columns_prints_whole_rather_than_cut(run_cli, terminal_80, argv):
    out = run_cli(*argv)
    assert out.exit_code == 0, out.stderr
    assert "…" not in out.stdout
    if argv[0] == "compare":
        assert sum(" azure:westeurope " in line for line in out.stdout.splitlines()) == 3


def test_track_summary_piped_cuts_no_method_name(tmp_path):
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    rapl = tmp_path / "rapl" / "intel-rapl:0"  # RAPL faked at its sysfs files, as in tests/cli/test_track.py
    rapl.mkdir(parents=True)
    (rapl / "name").write_text("package-0\n")
    (rapl / "energy_uj").write_text("1000000\n")
    (rapl / "max_energy_range_uj").write_text("262143328850\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARBONLLM_", "LOCAL_RANK", "SLURM_", "COLUMNS"))}
    env.update(CARBONLLM_RAPL_ROOT=str(tmp_path / "rapl"), HOME=str(tmp_path / "home"))
    exe = shutil.which("carbonllm") or str(Path(sys.executable).parent / "carbonllm")
    done = subprocess.run([exe, "track", "--intensity", "300", "--interval", "0.05", "--output", str(tmp_path / "o"),
                           "--", sys.executable, "-c", "import time; time.sleep(0.3)"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stderr
    lines = done.stderr.splitlines()
    # each device row holds its name and method whole, on one line (they were split at 80 columns)
    assert any(line.startswith("│ ram ") and "RAM " in line and " GB " in line and "ram-model" in line
               for line in lines), done.stderr


@pytest.mark.parametrize("zone", ["aws:us-west-2", "US-VA", "gcp:us-east4", "FRA"])
def test_a_table_that_nearly_fits_80_columns_keeps_every_value(run_cli, terminal_80, zone):
    # aws:us-west-2's row (no note) measures 79 columns at its narrowest: rich squeezed it into
    # 80 by cropping "cloud" to "clou" and folding g/kWh and year to nothing, with no "…"
    out = run_cli("regions", zone)
    assert out.exit_code == 0, out.stderr
    row = next(z for z in grid_table() if z.zone == zone or zone in z.aliases)
    for value in (row.zone, row.kind, row.basis, str(row.year), f"{row.intensity_g_per_kwh:g}"):
        assert value in out.stdout, (value, out.stdout)
