"""codecarbon interop: its emissions.csv read into a report, and codecarbon-layout rows written.

The layout is checked against codecarbon 3.3.2's own ``EmissionsData`` (read from its source,
not imported), and files written by codecarbon's own ``FileOutput`` are read back.
"""

from __future__ import annotations

import ast
import csv
import importlib.util
import io
from pathlib import Path

import pytest
from helpers import run_summary

import carbonllm
from carbonllm.errors import InputError
from carbonllm.report.codecarbon_csv import (
    CODECARBON_COLUMNS,
    codecarbon_row,
    location_columns,
    read_emissions_csv,
    render_codecarbon_csv,
)
from carbonllm.report.data import ReportData, from_estimate, from_run_summary


def codecarbon_fields() -> list[str]:
    """The fields of codecarbon's EmissionsData, in order, parsed from its installed source."""
    spec = importlib.util.find_spec("codecarbon")
    assert spec is not None and spec.submodule_search_locations
    source = Path(spec.submodule_search_locations[0], "output_methods", "emissions_data.py").read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name == "EmissionsData":
            return [s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
    raise AssertionError("EmissionsData not found in codecarbon")


def write_rows(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text(render_codecarbon_csv(rows))
    return path


def row(**values: object) -> dict[str, object]:
    base: dict[str, object] = {c: "" for c in CODECARBON_COLUMNS}
    base.update(timestamp="2026-01-01T12:00:00", project_name="p", experiment_id="e", codecarbon_version="3.3.2",
                country_name="France", country_iso_code="FRA", region="ile-de-france", gpu_count=1,
                gpu_model="1 x NVIDIA A100-SXM4-80GB", tracking_mode="machine", pue=1.0, cpu_energy=0.0,
                gpu_energy=0.0, ram_energy=0.0)
    base.update(values)
    return base


def test_columns_are_codecarbon_3_emissions_data_fields_in_order():
    assert list(CODECARBON_COLUMNS) == codecarbon_fields()


def test_round_trip_of_a_tracked_run_preserves_energy_and_emissions(tmp_path: Path):
    data = from_run_summary(run_summary())
    text = render_codecarbon_csv([codecarbon_row(data, timestamp="2026-01-01T13:00:00", **location_columns(data))])
    back = read_emissions_csv(write_rows_text(tmp_path / "emissions.csv", text))
    assert back.energy_kwh == pytest.approx(data.energy_kwh) == pytest.approx(2.4)
    assert back.co2e_kg == pytest.approx(data.co2e_kg) == pytest.approx(0.12)
    assert back.it_energy_kwh == pytest.approx(2.0) and back.pue == pytest.approx(1.2)
    assert back.energy_kwh_by_component == pytest.approx({"gpu": 1.5, "cpu": 0.4, "ram": 0.1})
    assert back.duration_s == pytest.approx(3600) and back.device_hours == pytest.approx(2.0)
    assert back.intensity_g_per_kwh == pytest.approx(50)
    assert back.produced_by == f"carbonllm {carbonllm.__version__}"


def write_rows_text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_round_trip_of_an_estimate_stays_estimated(tmp_path: Path):
    est = carbonllm.estimate(gpu_hours=1000, gpu="A100", power_w=400, pue=1.1, intensity=100)
    data = from_estimate(est.to_dict())
    path = write_rows(tmp_path / "e.csv", [codecarbon_row(data, timestamp="t")])
    back = read_emissions_csv(path)
    assert back.energy_kwh == pytest.approx(440) and back.co2e_kg == pytest.approx(44)
    assert back.method == "estimated"
    assert back.duration_s == pytest.approx(1000 * 3600)  # one device when the count is unknown


def test_codecarbon_writes_power_and_energy_times_pue(tmp_path: Path):
    data = from_run_summary(run_summary())
    written = codecarbon_row(data, timestamp="t")
    assert written["gpu_energy"] == pytest.approx(1.5 * 1.2)  # codecarbon multiplies by PUE
    assert written["energy_consumed"] == pytest.approx(2.4)
    assert written["gpu_power"] == pytest.approx(1.5 * 1.2 * 3.6e6 / 3600)  # W, averaged over the run
    assert written["emissions_rate"] == pytest.approx(0.12 / 3600)  # kg/s


def test_location_columns_follow_codecarbon_for_countries_and_cloud_regions():
    assert location_columns(from_run_summary(run_summary(region="FR")))["country_iso_code"] == "FRA"
    cloud = location_columns(from_run_summary(run_summary(region="aws:us-east-1")))
    assert cloud["cloud_provider"] == "aws" and cloud["cloud_region"] == "us-east-1"
    # aws:us-east-1 sits on PJM's balancing area (issue 10), filed under the United States
    assert cloud["country_iso_code"] == "USA" and cloud["region"] == "US-MIDA-PJM"


def test_file_written_by_codecarbon_itself_is_read(tmp_path: Path):
    from codecarbon.output_methods.emissions_data import EmissionsData
    from codecarbon.output_methods.file import FileOutput

    values = {name: "" for name in codecarbon_fields()}
    values.update(timestamp="2026-01-01T12:00:00", project_name="p", run_id="r1", experiment_id="e",
                  duration=7200.0, emissions=0.33, emissions_rate=0.33 / 7200, cpu_power=50.0, gpu_power=300.0,
                  ram_power=10.0, cpu_energy=0.15, gpu_energy=0.9, ram_energy=0.03, energy_consumed=1.08,
                  water_consumed=0.0, country_name="Germany", country_iso_code="DEU", region="berlin",
                  cloud_provider="", cloud_region="", os="Linux", python_version="3.12", codecarbon_version="3.3.2",
                  cpu_count=8, cpu_model="x", gpu_count=1, gpu_model="1 x NVIDIA L4", longitude=0.0, latitude=0.0,
                  ram_total_size=32.0, tracking_mode="machine", pue=1.2)
    FileOutput("emissions.csv", str(tmp_path)).out(EmissionsData(**values), None)
    data = read_emissions_csv(tmp_path / "emissions.csv")
    assert data.kind == "codecarbon" and data.method == "measured"
    assert data.energy_kwh == pytest.approx(1.08) and data.co2e_kg == pytest.approx(0.33)
    assert data.it_energy_kwh == pytest.approx(1.08 / 1.2) and data.pue == pytest.approx(1.2)
    assert data.gpu_name == "1 x NVIDIA L4" and data.device_hours == pytest.approx(2.0)
    assert data.produced_by == "codecarbon 3.3.2" and data.region == "DEU"


def test_rows_of_one_run_are_running_totals_and_runs_are_summed(tmp_path: Path):
    # run a flushed twice (cumulative 1 kWh, then 3 kWh) and run b once (2 kWh): 3 + 2 = 5 kWh
    path = write_rows(tmp_path / "emissions.csv", [
        row(run_id="a", duration=100, energy_consumed=1.0, emissions=0.1),
        row(run_id="a", duration=300, energy_consumed=3.0, emissions=0.3),
        row(run_id="b", duration=200, energy_consumed=2.0, emissions=0.2),
    ])
    data = read_emissions_csv(path)
    assert data.energy_kwh == pytest.approx(5.0) and data.co2e_kg == pytest.approx(0.5)
    assert data.duration_s == pytest.approx(500) and data.records == 2
    assert any("aggregated 2 codecarbon run(s) from 3 row(s)" in n for n in data.notes)


def test_task_rows_are_all_summed(tmp_path: Path):
    text = render_codecarbon_csv([row(run_id="a", duration=10, energy_consumed=1.0, emissions=0.1),
                                  row(run_id="a", duration=10, energy_consumed=2.0, emissions=0.2)])
    lines = text.splitlines()
    lines[0] = "task_name," + lines[0]
    lines[1:] = [f"t{i}," + line for i, line in enumerate(lines[1:])]
    data = read_emissions_csv(write_rows_text(tmp_path / "tasks.csv", "\n".join(lines) + "\n"))
    assert data.energy_kwh == pytest.approx(3.0) and data.records == 2


def test_a_truncated_last_row_is_skipped_and_said(tmp_path: Path):
    text = render_codecarbon_csv([row(run_id="a", duration=10, energy_consumed=1.0, emissions=0.1),
                                  row(run_id="b", duration=10, energy_consumed=2.0, emissions=0.2)])
    data = read_emissions_csv(write_rows_text(tmp_path / "emissions.csv", text[: len(text) - 60]))
    assert data.energy_kwh == pytest.approx(1.0)
    assert any("skipped malformed line(s) 3" in n for n in data.notes)


def test_mixed_pues_are_said_and_it_energy_divides_each_row(tmp_path: Path):
    path = write_rows(tmp_path / "e.csv", [row(run_id="a", duration=1, energy_consumed=1.2, emissions=0.1, pue=1.2),
                                           row(run_id="b", duration=1, energy_consumed=1.5, emissions=0.1, pue=1.5)])
    data = read_emissions_csv(path)
    assert data.pue is None and data.it_energy_kwh == pytest.approx(2.0)
    assert any("different PUEs" in n for n in data.notes)


@pytest.mark.parametrize("text, message", [
    ("a,b,c\n1,2,3\n", "not a codecarbon emissions file"),
    (",".join(CODECARBON_COLUMNS) + "\n", "no data rows"),
])
def test_files_that_are_not_codecarbon_output_are_input_errors(tmp_path: Path, text: str, message: str):
    with pytest.raises(InputError, match=message):
        read_emissions_csv(write_rows_text(tmp_path / "x.csv", text))


def test_a_non_number_names_its_line_and_column(tmp_path: Path):
    path = write_rows(tmp_path / "e.csv", [row(run_id="a", duration=1, energy_consumed="lots", emissions=0.1)])
    with pytest.raises(InputError, match="line 2: column energy_consumed is not a number"):
        read_emissions_csv(path)


def test_written_csv_reads_with_the_csv_module_as_codecarbon_dashboards_do():
    data = ReportData(kind="run", method="measured", produced_by="carbonllm", energy_kwh=1.0, co2e_kg=0.5)
    rows = list(csv.DictReader(io.StringIO(render_codecarbon_csv([codecarbon_row(data, timestamp="t")]))))
    assert len(rows) == 1 and list(rows[0]) == list(CODECARBON_COLUMNS)
    assert float(rows[0]["emissions"]) == 0.5 and float(rows[0]["energy_consumed"]) == 1.0
