"""``carbonllm report`` through the CLI: every input kind, every format, and bad input as one line."""

from __future__ import annotations

import builtins
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import png_size, run_summary

from carbonllm.report.codecarbon_csv import CODECARBON_COLUMNS
from carbonllm.report.inputs import load_report, samples_to_pandas


def write_node(directory: Path, host: str = "gpu-node-1", rank: int = 0, **overrides: Any) -> Path:
    """One node's files as ``carbonllm track`` writes them: a summary and 4 samples of 2 GPUs, a CPU and RAM."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"{host}-node{rank}"
    summary = run_summary(host=host, node_rank=rank, **overrides)
    Path(f"{stem}.summary.json").write_text(json.dumps(summary, indent=2))
    lines = []
    for i in range(4):
        for device, component, power_w in (("gpu:0", "gpu", 300.0), ("gpu:1", "gpu", 310.0),
                                           ("cpu:0", "cpu", 80.0), ("ram", "ram", None)):
            lines.append(json.dumps({"time_unix": 1.7e9 + i, "elapsed_s": float(i), "device": device,
                                     "component": component, "energy_j": (power_w or 20.0) * i, "power_w": power_w,
                                     "method": "fake", "error": None}))
    Path(f"{stem}.samples.jsonl").write_text("\n".join(lines) + "\n")
    return Path(f"{stem}.summary.json")


def one_line_error(result: Any, *fragments: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("carbonllm: error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


@pytest.fixture
def estimate_json(run_cli, tmp_path: Path) -> Path:
    # 1,000 A100-hours × 0.4 kW × PUE 1.1 = 440 kWh; × 100 gCO2e/kWh = 44 kg = 44,000 g
    result = run_cli("estimate", "--gpu-hours", "1000", "--gpu", "A100", "--power-w", "400", "--pue", "1.1",
                     "--intensity", "100", "--format", "json")
    path = tmp_path / "est.json"
    path.write_text(result.stdout)
    return path


def test_model_card_of_an_estimate_file(run_cli, estimate_json: Path):
    result = run_cli("report", str(estimate_json), "--format", "model-card", "--training-type", "fine-tuning")
    assert result.exit_code == 0, result.stderr
    meta = yaml.safe_load(result.stdout)["co2_eq_emissions"]
    assert meta["emissions"] == pytest.approx(44_000) and meta["training_type"] == "fine-tuning"


def test_model_card_of_a_run_directory(run_cli, tmp_path: Path):
    write_node(tmp_path / "run")
    result = run_cli("report", str(tmp_path / "run"), "--format", "model-card")
    meta = yaml.safe_load(result.stdout)["co2_eq_emissions"]
    assert meta["emissions"] == pytest.approx(120)  # 2.0 kWh × 1.2 × 50 g/kWh
    assert meta["hardware_used"] == "2 x NVIDIA A100-SXM4-80GB"


def test_two_nodes_are_merged(run_cli, tmp_path: Path):
    write_node(tmp_path / "run", host="a", rank=0)
    write_node(tmp_path / "run", host="b", rank=1)
    result = run_cli("report", str(tmp_path / "run"), "--format", "json")
    data = json.loads(result.stdout)
    assert data["co2e_kg"] == pytest.approx(0.24) and data["energy_kwh"] == pytest.approx(4.8)
    assert data["gpu_count"] == 4 and data["hosts"] == ["a", "b"] and data["records"] == 2


def test_a_summary_file_and_every_format(run_cli, tmp_path: Path):
    summary = write_node(tmp_path / "run")
    outputs = {}
    for fmt in ("markdown", "latex", "json", "csv", "codecarbon-csv"):
        result = run_cli("report", str(summary), "--format", fmt)
        assert result.exit_code == 0 and result.stderr == "", (fmt, result.stderr)
        outputs[fmt] = result.stdout
    assert "**Carbon footprint (measured).**" in outputs["markdown"] and "120 gCO2e" in outputs["markdown"]
    assert outputs["latex"].startswith(r"\paragraph{Carbon footprint (measured).}")
    assert json.loads(outputs["json"])["co2e_kg"] == pytest.approx(0.12)
    (flat,) = csv.DictReader(io.StringIO(outputs["csv"]))
    assert float(flat["energy_kwh"]) == pytest.approx(2.4)
    (cc,) = csv.DictReader(io.StringIO(outputs["codecarbon-csv"]))
    assert list(cc) == list(CODECARBON_COLUMNS)
    assert float(cc["emissions"]) == pytest.approx(0.12) and float(cc["energy_consumed"]) == pytest.approx(2.4)
    assert cc["country_iso_code"] == "FRA" and cc["timestamp"] == "2026-01-01T13:00:00"  # codecarbon's format, in UTC


def test_codecarbon_csv_output_reads_back_through_report(run_cli, tmp_path: Path, estimate_json: Path):
    out = tmp_path / "emissions.csv"
    out.write_text(run_cli("report", str(estimate_json), "--format", "codecarbon-csv").stdout)
    data = json.loads(run_cli("report", str(out), "--format", "json").stdout)
    assert data["kind"] == "codecarbon" and data["method"] == "estimated"
    assert data["energy_kwh"] == pytest.approx(440) and data["co2e_kg"] == pytest.approx(44)


def test_a_corrupt_node_is_skipped_and_named_on_stderr(run_cli, tmp_path: Path):
    write_node(tmp_path / "run", host="a")
    broken = write_node(tmp_path / "run", host="b", rank=1)
    broken.write_text(broken.read_text()[:200])  # truncated mid-write
    result = run_cli("report", str(tmp_path / "run"), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["co2e_kg"] == pytest.approx(0.12)  # node a only
    assert "warning: skipped b-node1.summary.json" in result.stderr
    assert "skipped b-node1.summary.json" in json.loads(result.stdout)["notes"][0]


def test_an_incomplete_run_says_so(run_cli, tmp_path: Path):
    summary = write_node(tmp_path / "run", complete=False)
    text = run_cli("report", str(summary)).stdout
    assert "incomplete" in text


def test_plot_of_a_run_draws_its_power_timeline(run_cli, tmp_path: Path):
    summary = write_node(tmp_path / "run")
    samples = summary.with_name("gpu-node-1-node0.samples.jsonl")
    samples.write_text(samples.read_text() + '{"time_unix": 1.7e9, "elapsed_s": 4.0, "dev')  # cut short
    out = tmp_path / "power.png"
    result = run_cli("report", str(tmp_path / "run"), "--format", "json", "--plot", str(out))
    assert result.exit_code == 0, result.stderr
    assert png_size(out) == (900, 450)  # 9 × 4.5 in at 100 dpi
    assert "skipped 1 truncated or malformed line(s) of gpu-node-1-node0.samples.jsonl" in result.stderr


def test_samples_as_a_dataframe(tmp_path: Path):
    write_node(tmp_path / "run")
    frame = samples_to_pandas(tmp_path / "run")
    assert len(frame) == 16 and set(frame["device"]) == {"gpu:0", "gpu:1", "cpu:0", "ram"}
    assert frame.groupby("device")["energy_j"].max()["gpu:0"] == pytest.approx(900.0)
    assert frame["node"].unique().tolist() == ["gpu-node-1-node0"]


def test_load_report_is_usable_from_python(tmp_path: Path):
    loaded = load_report(write_node(tmp_path / "run"))
    assert loaded.data.kind == "run" and loaded.samples_paths and not loaded.warnings


# --- bad input --------------------------------------------------------------------------------


def test_a_json_file_that_is_no_carbonllm_output(run_cli, tmp_path: Path):
    path = tmp_path / "other.json"
    path.write_text('{"hello": "world"}')
    one_line_error(run_cli("report", str(path)), "is not a carbonllm estimate")


def test_a_text_file_that_is_no_input(run_cli, tmp_path: Path):
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\n")
    one_line_error(run_cli("report", str(path)), "codecarbon emissions.csv")
    path = tmp_path / "table.csv"
    path.write_text("a,b\n1,2\n")
    one_line_error(run_cli("report", str(path)), "is not a carbonllm estimate")
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)))
    one_line_error(run_cli("report", str(path)))


def test_a_truncated_estimate_or_summary(run_cli, tmp_path: Path, estimate_json: Path):
    estimate_json.write_text(estimate_json.read_text()[:100])
    one_line_error(run_cli("report", str(estimate_json)), "not valid JSON", "truncated or corrupt")
    summary = write_node(tmp_path / "run")
    summary.write_text(summary.read_text()[:300])
    one_line_error(run_cli("report", str(summary)), "not valid JSON")
    one_line_error(run_cli("report", str(tmp_path / "run")), "no readable run summary")


def test_a_summary_missing_fields(run_cli, tmp_path: Path):
    path = tmp_path / "x.summary.json"
    path.write_text(json.dumps({"format": "carbonllm.run/1", "run_id": "r"}))
    one_line_error(run_cli("report", str(path)), "x.summary.json")


def test_an_empty_directory_and_a_missing_path(run_cli, tmp_path: Path):
    (tmp_path / "empty").mkdir()
    one_line_error(run_cli("report", str(tmp_path / "empty")), "is empty")
    one_line_error(run_cli("report", str(tmp_path / "nowhere")), "does not exist")


def test_an_unknown_format_or_training_type(run_cli, tmp_path: Path):
    summary = write_node(tmp_path / "run")
    one_line_error(run_cli("report", str(summary), "--format", "docx"), "docx")
    one_line_error(run_cli("report", str(summary), "--format", "model-card", "--training-type", "rl"), "rl")


def test_plot_without_matplotlib_is_one_line(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    summary = write_node(tmp_path / "run")
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    one_line_error(run_cli("report", str(summary), "--plot", str(tmp_path / "p.png")),
                   "install the plot extra: pip install 'carbonllm[plot]'")


def test_plot_of_an_estimate_is_refused(run_cli, tmp_path: Path, estimate_json: Path):
    one_line_error(run_cli("report", str(estimate_json), "--plot", str(tmp_path / "p.png")), "samples")


def test_plot_with_an_unknown_image_format_is_one_line(run_cli, tmp_path: Path):
    summary = write_node(tmp_path / "run")
    one_line_error(run_cli("report", str(summary), "--plot", str(tmp_path / "p.xyz")), "unknown image format")


def test_a_directory_shared_by_two_runs_is_reported_one_run_at_a_time(run_cli, tmp_path: Path):
    # two runs in one --output (track names files <run id>.<host>-node<R>): without --run-id the
    # report refuses to mix them and says how to pick; with it, that run's figures alone
    shared = tmp_path / "exp1"
    write_node(shared, host="run-a.gpu-node-1", run_id="run-a", co2e_kg=0.12)
    write_node(shared, host="run-b.gpu-node-1", run_id="run-b", co2e_kg=0.5, energy_kwh=2.0)
    mixed = run_cli("report", str(shared), "--format", "json")
    one_line_error(mixed, "holds 2 runs", "--run-id")
    picked = run_cli("report", str(shared), "--run-id", "run-a", "--format", "json")
    assert picked.exit_code == 0, picked.stderr
    assert json.loads(picked.stdout)["co2e_kg"] == pytest.approx(0.12)
    one_line_error(run_cli("report", str(shared), "--run-id", "run-c"), "holds no run 'run-c'")


def test_a_run_tracked_with_embodied_shows_it_without_the_flag_and_once_with_it(run_cli, tmp_path: Path):
    # helpers.run_summary: 2 GPU-hours; Luccioni et al. 2022 §4.3: 2 × 462.5 kg / 44,676 h = 0.0207047 kg
    write_node(tmp_path / "run", embodied_co2e_kg=0.0207047, embodied_source="Luccioni et al. 2022 (BLOOM) §4.3")
    plain = json.loads(run_cli("report", str(tmp_path / "run"), "--format", "json").stdout)
    assert plain["embodied_co2e_kg"] == pytest.approx(0.0207047)
    flagged = json.loads(run_cli("report", str(tmp_path / "run"), "--format", "json", "--embodied").stdout)
    assert flagged["embodied_co2e_kg"] == pytest.approx(0.0207047)  # not charged a second time
    assert flagged["assumption_sources"] == ["embodied: Luccioni et al. 2022 (BLOOM) §4.3"]
    assert flagged["co2e_kg"] == pytest.approx(plain["co2e_kg"]) == pytest.approx(0.12)  # never added in
    markdown = run_cli("report", str(tmp_path / "run"), "--format", "markdown").stdout
    assert "120 gCO2e operational, location-based; plus 20.7 gCO2e embodied" in markdown
    assert "embodied" not in markdown.split("Excluded:")[1]
