"""The run format: load_run, merge_runs (hand-computed), corrupt and foreign files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carbonllm.errors import DataTableError, InputError
from carbonllm.measure.records import FORMAT, RunSummary
from carbonllm.measure.runfiles import load_run, load_samples, merge_runs, summarize
from carbonllm.measure.sampler import DeviceReading, Snapshot
from carbonllm.measure.track_config import resolve_config


def node(host: str, rank: int, gpu_kwh: float, cpu_kwh: float, ram_kwh: float, start: str, end: str,
         duration_s: float, pue: float = 1.2, intensity: float = 400.0, complete: bool = True,
         gpus: int = 2, exit_status: int | None = 0) -> dict:
    energy = gpu_kwh + cpu_kwh + ram_kwh
    devices = [{"device": f"gpu:{i}", "component": "gpu", "name": "NVIDIA H100 80GB HBM3",
                "energy_kwh": gpu_kwh / gpus, "method": "nvml-counter", "samples": 10, "errors": []}
               for i in range(gpus)]
    devices += [{"device": "cpu:0", "component": "cpu", "name": "package-0", "energy_kwh": cpu_kwh,
                 "method": "rapl", "samples": 10, "errors": []},
                {"device": "ram", "component": "ram", "name": "RAM", "energy_kwh": ram_kwh,
                 "method": "ram-model", "samples": 10, "errors": []}]
    return {
        "format": FORMAT, "carbonllm_version": "0.1.0", "run_id": "slurm-42", "host": host, "node_rank": rank,
        "command": ["python", "train.py"], "exit_status": exit_status, "started_at": start, "ended_at": end,
        "duration_s": duration_s, "devices": devices,
        "energy_kwh_by_component": {"gpu": gpu_kwh, "cpu": cpu_kwh, "ram": ram_kwh},
        "energy_kwh": energy, "pue": pue, "facility_energy_kwh": energy * pue, "region": "FRA",
        "region_name": "France", "region_is_default": False, "intensity_g_per_kwh": intensity,
        "intensity_year": 2023, "intensity_source": "test", "co2e_kg": energy * pue * intensity / 1000,
        "method": "measured", "gpu_count": gpus, "gpu_name": "NVIDIA H100 80GB HBM3",
        "gpu_hours": duration_s / 3600 * gpus, "projection": None, "complete": complete,
    }


def write(directory: Path, data: dict) -> Path:
    path = directory / f"{data['host']}-node{data['node_rank']}.summary.json"
    path.write_text(json.dumps(data))
    return path


def test_merge_two_nodes_hand_computed(tmp_path: Path) -> None:
    write(tmp_path, node("a", 0, 10.0, 1.0, 0.5, "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z", 3600.0))
    write(tmp_path, node("b", 1, 12.0, 2.0, 0.5, "2025-01-01T00:00:10Z", "2025-01-01T01:00:20Z", 3610.0))
    m = merge_runs(tmp_path)
    assert m.node_count == 2 and m.node_rank is None and m.host == "a,b"
    assert m.energy_kwh_by_component == {"gpu": pytest.approx(22.0), "cpu": pytest.approx(3.0),
                                         "ram": pytest.approx(1.0)}
    assert m.energy_kwh == pytest.approx(26.0)  # 11.5 + 14.5
    assert m.facility_energy_kwh == pytest.approx(31.2)  # 26 × 1.2
    assert m.pue == pytest.approx(1.2)
    assert m.co2e_kg == pytest.approx(12.48)  # 31.2 kWh × 400 g/kWh
    assert m.intensity_g_per_kwh == pytest.approx(400.0)
    assert m.duration_s == pytest.approx(3620.0)  # 00:00:00 → 01:00:20
    assert m.gpu_hours == pytest.approx(2.0 + 3610 / 3600 * 2)  # summed over nodes
    assert m.gpu_count == 4 and m.gpu_name == "NVIDIA H100 80GB HBM3"
    assert {(d.host, d.device) for d in m.devices} >= {("a", "gpu:0"), ("b", "gpu:1")}
    assert m.complete and m.exit_status == 0 and m.run_id == "slurm-42"
    assert load_run(tmp_path) == m  # a directory is merged


def test_merge_is_incomplete_if_any_node_is(tmp_path: Path) -> None:
    write(tmp_path, node("a", 0, 1, 0, 0, "2025-01-01T00:00:00Z", "2025-01-01T00:01:00Z", 60))
    write(tmp_path, node("b", 1, 1, 0, 0, "2025-01-01T00:00:00Z", "2025-01-01T00:01:00Z", 60, complete=False,
                         exit_status=None))
    m = merge_runs(tmp_path)
    assert not m.complete and m.exit_status is None
    assert any("incomplete" in n for n in m.notes)


def test_load_run_rejects_foreign_and_corrupt_files(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"hello": 1}')
    with pytest.raises(InputError, match="not a carbonllm run summary"):
        load_run(tmp_path / "x.json")
    (tmp_path / "y.json").write_text("{not json")
    with pytest.raises(DataTableError, match="not JSON"):
        load_run(tmp_path / "y.json")
    bad = node("a", 0, 1, 0, 0, "2025-01-01T00:00:00Z", "2025-01-01T00:01:00Z", 60)
    bad["energy_kwh"] = "lots"
    (tmp_path / "z.json").write_text(json.dumps(bad))
    with pytest.raises(DataTableError, match="corrupt.*energy_kwh"):
        load_run(tmp_path / "z.json")
    with pytest.raises(InputError, match="does not exist"):
        load_run(tmp_path / "missing.json")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no carbonllm run summary"):
        merge_runs(empty)


def test_truncated_sample_lines_are_skipped_and_reported(tmp_path: Path) -> None:
    data = node("h", 0, 1, 0, 0, "2025-01-01T00:00:00Z", "2025-01-01T00:01:00Z", 60, complete=False)
    path = write(tmp_path, data)
    good = {"time_unix": 1.0, "elapsed_s": 0.0, "device": "gpu:0", "component": "gpu", "energy_j": 0.0,
            "power_w": None, "method": "nvml-counter", "error": None}
    (tmp_path / "h-node0.samples.jsonl").write_text(json.dumps(good) + "\n" + '{"time_unix": 2.0, "elap')
    records, skipped = load_samples(tmp_path / "h-node0.samples.jsonl")
    assert records == [good] and skipped == 1
    summary = load_run(path)
    assert any("skipped 1 truncated" in n for n in summary.notes)


def test_merge_labels_a_mixed_pue_honestly(tmp_path: Path) -> None:
    a = node("a", 0, 10.0, 0, 0, "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z", 3600.0, pue=1.1)
    b = node("b", 1, 10.0, 0, 0, "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z", 3600.0, pue=1.2)
    a.update(pue_is_default=False, pue_source="given (flag)")
    b.update(pue_is_default=True)
    write(tmp_path, a)
    write(tmp_path, b)
    m = merge_runs(tmp_path)
    assert m.pue == pytest.approx((11.0 + 12.0) / 20.0)  # facility / IT energy
    assert not m.pue_is_default
    assert m.pue_source == "energy-weighted mean of the nodes' PUE (1.1 given, 1.2 default)"
    b.update(pue=1.1, pue_is_default=False, pue_source="given (flag)", facility_energy_kwh=11.0)
    write(tmp_path, b)
    assert merge_runs(tmp_path).pue_source == "given (flag)"  # the same on every node


def test_merge_sums_market_based_only_when_every_node_has_it(tmp_path: Path) -> None:
    a = node("a", 0, 10.0, 1.0, 0.5, "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z", 3600.0)
    b = node("b", 1, 12.0, 2.0, 0.5, "2025-01-01T00:00:10Z", "2025-01-01T01:00:20Z", 3610.0)
    for data in (a, b):  # 50 g/kWh contractual factor on each node's facility energy
        data.update(intensity_basis="lifecycle", market_intensity_g_per_kwh=50.0, market_source="given",
                    market_co2e_kg=data["facility_energy_kwh"] * 50 / 1000)
    write(tmp_path, a)
    write(tmp_path, b)
    m = merge_runs(tmp_path)
    assert m.market_co2e_kg == pytest.approx(31.2 * 50 / 1000)  # 31.2 kWh facility × 50 g/kWh
    assert m.market_intensity_g_per_kwh == pytest.approx(50.0)
    assert m.intensity_basis == "lifecycle" and m.co2e_kg == pytest.approx(12.48)
    b.pop("market_co2e_kg")
    write(tmp_path, b)
    assert merge_runs(tmp_path).market_co2e_kg is None  # one node without it: no partial sum


# --- embodied emissions (track --embodied) ------------------------------------------------------

#: Luccioni et al. 2022 §4.3: (150 + 2,500 / 8) = 462.5 kgCO2e per GPU over 6 years × 8,760 h × 0.85 =
#: 44,676 h of use, so one GPU-hour is charged 462.5 / 44,676 = 0.0103523 kg.
EMBODIED_KG_PER_GPU_HOUR = 0.0103523


def _snapshot(gpus: int, cpus: int = 1) -> Snapshot:
    devices = [DeviceReading(device=f"gpu:{i}", component="gpu", name="NVIDIA H100 80GB HBM3", method="fake",
                             energy_j=3.6e6, power_w=None, samples=2, errors=()) for i in range(gpus)]
    devices += [DeviceReading(device=f"cpu:{i}", component="cpu", name="package-0", method="fake",
                              energy_j=3.6e5, power_w=None, samples=2, errors=()) for i in range(cpus)]
    return Snapshot(time_unix=1800.0, elapsed_s=1800.0, devices=tuple(devices))


def _summarize(gpus: int, embodied: bool) -> RunSummary:
    config = resolve_config({"intensity_g_per_kwh": 100, "pue": 1.5, "embodied": embodied or None},
                            environ={}, read_file=False)
    return summarize(config=config, snapshot=_snapshot(gpus), started_unix=0.0, ended_unix=1800.0,
                     complete=True, run_id="r")


def test_summarize_charges_embodied_for_the_measured_gpu_hours_beside_co2e() -> None:
    s = _summarize(gpus=2, embodied=True)
    # 2 GPUs measured for 1,800 s = 0.5 h → 1 GPU-hour → 1 × 0.0103523 kg
    assert s.gpu_hours == pytest.approx(1.0)
    assert s.embodied_co2e_kg == pytest.approx(1.0 * EMBODIED_KG_PER_GPU_HOUR, rel=1e-5)
    assert s.embodied_source is not None and s.embodied_source.startswith("Luccioni et al. 2022")
    assert "applied to NVIDIA H100 80GB HBM3" in s.embodied_source  # the figures are an A100 server's
    # the operational CO2e is not touched: (2 × 1 kWh + 0.1 kWh) × 1.5 × 100 g/kWh = 315 g
    assert s.co2e_kg == pytest.approx(0.315)
    assert s.co2e_kg == _summarize(gpus=2, embodied=False).co2e_kg


def test_summarize_charges_nothing_unasked_or_without_gpus() -> None:
    plain = _summarize(gpus=2, embodied=False)
    assert plain.embodied_co2e_kg is None and plain.embodied_source is None
    assert not any("embodied" in n for n in plain.notes)
    cpu_only = _summarize(gpus=0, embodied=True)
    assert cpu_only.embodied_co2e_kg is None and cpu_only.gpu_hours == 0
    assert any(n.startswith("embodied emissions not charged: no GPU was measured") for n in cpu_only.notes)


def _charged(data: dict) -> dict:
    """``data`` as ``track --embodied`` writes it: its GPU-hours charged."""
    return {**data, "embodied_co2e_kg": data["gpu_hours"] * EMBODIED_KG_PER_GPU_HOUR,
            "embodied_source": "Luccioni et al. 2022 (BLOOM) §4.3"}


def test_merge_adds_up_embodied_of_two_nodes(tmp_path: Path) -> None:
    a = _charged(node("a", 0, 10.0, 1.0, 0.5, "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z", 3600.0))
    b = _charged(node("b", 1, 12.0, 2.0, 0.5, "2025-01-01T00:00:10Z", "2025-01-01T01:00:20Z", 3610.0))
    write(tmp_path, a)
    write(tmp_path, b)
    m = merge_runs(tmp_path)
    # a: 2 GPUs × 1 h = 2 GPU-hours; b: 2 GPUs × 3,610 s = 2.00556 GPU-hours; 4.00556 × 0.0103523 = 0.041467 kg
    assert m.embodied_co2e_kg == pytest.approx(0.041467, rel=1e-4)
    assert m.embodied_source == "Luccioni et al. 2022 (BLOOM) §4.3"
    assert m.co2e_kg == pytest.approx(12.48)  # operational, as without embodied


def test_merge_of_a_node_without_embodied_does_not_add_a_part_and_says_so(tmp_path: Path) -> None:
    write(tmp_path, _charged(node("a", 0, 10.0, 0, 0, "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z", 3600.0)))
    write(tmp_path, node("b", 1, 10.0, 0, 0, "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z", 3600.0))
    m = merge_runs(tmp_path)
    assert m.embodied_co2e_kg is None
    assert any("b-node1 tracked without --embodied" in n for n in m.notes)
    # a CPU-only node has nothing to charge: the GPU node's share is the run's
    write(tmp_path, node("b", 1, 0.0, 1.0, 0, "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z", 3600.0, gpus=0))
    assert merge_runs(tmp_path).embodied_co2e_kg == pytest.approx(2 * EMBODIED_KG_PER_GPU_HOUR, rel=1e-5)


def test_a_summary_without_the_embodied_fields_still_loads(tmp_path: Path) -> None:
    data = node("a", 0, 1.0, 0, 0, "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z", 3600.0)
    assert "embodied_co2e_kg" not in data and "embodied_source" not in data  # as carbonllm 0.1 wrote it
    summary = load_run(write(tmp_path, data))
    assert summary.embodied_co2e_kg is None and summary.embodied_source is None
    merged = merge_runs(tmp_path)
    assert merged.embodied_co2e_kg is None and not any("embodied" in n for n in merged.notes)


def test_a_negative_embodied_figure_is_a_corrupt_file(tmp_path: Path) -> None:
    data = node("a", 0, 1.0, 0, 0, "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z", 3600.0)
    with pytest.raises(DataTableError, match="embodied_co2e_kg: -1 is negative"):
        load_run(write(tmp_path, {**data, "embodied_co2e_kg": -1.0}))
