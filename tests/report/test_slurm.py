"""``report --slurm-job`` against a fake ``sacct`` on PATH.

No SLURM runs here: ``sacct`` needs slurmdbd with a MariaDB/MySQL database and munge beside
slurmctld and slurmd, which was not set up on the test machines, so a small script stands in for
``sacct``: it prints what sacct(1) documents for
``--parsable2`` — the field names of ``--format`` on the first line, then one line per job and
step, fields separated by ``|`` with no trailing one, ``ConsumedEnergyRaw`` in joules and empty
where no ``acct_gather_energy`` plugin records it, times in local time (``SLURM_TIME_FORMAT=standard``).
"""

from __future__ import annotations

import json
import math
import os
import stat
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from carbonllm.errors import InputError
from carbonllm.report.slurm import expand_hostlist, parse_sacct, parse_tres

FAKE_SACCT = '''#!{python}
import json, os, sys
args = sys.argv[1:]
assert "--parsable2" in args, args
fields = next(a for a in args if a.startswith("--format=")).split("=", 1)[1].split(",")
job = args[args.index("-j") + 1]
assert os.environ.get("SLURM_TIME_FORMAT") == "standard"
jobs = json.load(open(os.environ["FAKE_SACCT_JOBS"]))
print("|".join(fields))
for row in jobs.get(job, []):
    print("|".join(row.get(f, "") for f in fields))
'''


def local(t: float) -> str:
    return datetime.fromtimestamp(t).strftime("%Y-%m-%dT%H:%M:%S")  # sacct's standard format, local time


def job_rows(job_id: str, start: float, end: float | None, nodes: str, tres: str, energy_j: str) -> list[dict]:
    elapsed = str(int((end or start) - start))
    base = {"JobName": "train", "Start": local(start), "End": local(end) if end else "Unknown",
            "ElapsedRaw": elapsed, "NodeList": nodes, "State": "COMPLETED" if end else "RUNNING"}
    return [{**base, "JobID": job_id, "AllocTRES": tres, "ConsumedEnergyRaw": energy_j},
            {**base, "JobID": f"{job_id}.batch", "AllocTRES": "cpu=64,mem=500G,node=1", "ConsumedEnergyRaw": ""},
            {**base, "JobID": f"{job_id}.extern", "AllocTRES": tres, "ConsumedEnergyRaw": ""}]


@pytest.fixture
def sacct(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "sacct"
    script.write_text(FAKE_SACCT.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    jobs: dict[str, Any] = {}
    data = tmp_path / "jobs.json"
    data.write_text("{}")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SACCT_JOBS", str(data))
    for name in ("CARBONLLM_REGION", "CARBONLLM_INTENSITY", "CARBONLLM_PUE", "CARBONLLM_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)

    def add(job_id: str, rows: list[dict]) -> None:
        jobs[job_id] = rows
        data.write_text(json.dumps(jobs))

    return {"add": add}


def test_hostlists_and_tres() -> None:
    assert expand_hostlist("node[01-03,07],gpu5") == ("node01", "node02", "node03", "node07", "gpu5")
    assert expand_hostlist("rack[1-2]-n[8-9]") == ("rack1-n8", "rack1-n9", "rack2-n8", "rack2-n9")
    assert parse_tres("billing=128,cpu=128,gres/gpu:a100=8,gres/gpu=8,mem=1000G,node=2") == (8, "a100")
    assert parse_tres("cpu=16,gres/gpu:h100=4,mem=64G,node=1") == (4, "h100")
    assert parse_tres("cpu=16,mem=64G,node=1") == (0, None)


def test_unknown_job_and_unstarted_job() -> None:
    header = "JobID|JobName|State|Start|End|ElapsedRaw|NodeList|AllocTRES|ConsumedEnergyRaw"
    with pytest.raises(InputError, match="knows no job 9"):
        parse_sacct(header + "\n", "9")
    with pytest.raises(InputError, match="has not started"):
        parse_sacct(header + "\n9|x|PENDING|Unknown|Unknown|0|None assigned|cpu=1|\n", "9")


def test_measured_energy_of_a_finished_job(sacct: dict[str, Any], run_cli: Any, tmp_path: Path) -> None:
    start = 1_790_000_000.0
    # 2 nodes, 8 A100s, 2 h; the cluster's plugin recorded 36,000,000 J = 10 kWh
    sacct["add"]("4242", job_rows("4242", start, start + 7200, "node[1-2]", "cpu=128,gres/gpu:a100=8,gres/gpu=8,"
                                  "mem=1000G,node=2", "36000000"))
    card = run_cli("report", "--slurm-job", "4242", "--intensity", "100", "--pue", "1", "--format", "model-card",
                   "--save", str(tmp_path / "runs"))
    assert card.exit_code == 0, card.stderr
    # 10 kWh × PUE 1 × 100 g/kWh = 1,000 g
    meta = yaml.safe_load(card.stdout)["co2_eq_emissions"]
    assert meta["emissions"] == pytest.approx(1000.0)
    assert "measured by SLURM's acct_gather_energy via sacct" in meta["source"]
    summary = json.loads((tmp_path / "runs" / "slurm-4242.summary.json").read_text())  # the directory is made
    assert summary["devices"][0]["method"] == "slurm-consumed-energy" and summary["node_count"] == 2
    assert summary["gpu_hours"] == pytest.approx(16.0) and summary["duration_s"] == 7200
    assert any("ConsumedEnergyRaw of the allocation" in n for n in summary["notes"])


def test_energy_from_the_extern_step(sacct: dict[str, Any], run_cli: Any) -> None:
    rows = job_rows("77", 1_790_000_000.0, 1_790_003_600.0, "node1", "gres/gpu=4,node=1", "")
    rows[2]["ConsumedEnergyRaw"] = "7200000"  # 2 kWh on the extern step only
    sacct["add"]("77", rows)
    result = run_cli("report", "--slurm-job", "77", "--intensity", "100", "--pue", "1", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["it_energy_kwh"] == pytest.approx(2.0) and data["co2e_kg"] == pytest.approx(0.2)


def test_no_consumed_energy_offers_the_time_mode_estimate(sacct: dict[str, Any], run_cli: Any) -> None:
    sacct["add"]("4343", job_rows("4343", 1_790_000_000.0, 1_790_007_200.0, "node[1-2]",
                                  "cpu=128,gres/gpu:a100=8,gres/gpu=8,mem=1000G,node=2", ""))
    result = run_cli("report", "--slurm-job", "4343")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "SLURM recorded no ConsumedEnergy" in result.stderr and "16 GPU-hours" in result.stderr
    offered = "carbonllm estimate --gpu-hours 16 --gpu a100"
    assert offered in result.stderr
    estimate = run_cli(*offered.split()[1:], "--format", "json")  # the offered command works
    assert estimate.exit_code == 0, estimate.stderr
    assert json.loads(estimate.stdout)["device_hours"] == pytest.approx(16.0)


@pytest.mark.parametrize(("job", "fragment"), [
    ("999", "sacct knows no job 999"),
    ("12;rm", "is not a SLURM job id"),
])
def test_bad_job_ids_are_one_line(sacct: dict[str, Any], run_cli: Any, job: str, fragment: str) -> None:
    result = run_cli("report", "--slurm-job", job)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and fragment in result.stderr, result.stderr


def test_sacct_not_installed_is_one_line(run_cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no sacct there
    result = run_cli("report", "--slurm-job", "123")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "sacct is not installed" in result.stderr


def test_dcgm_energy_for_exactly_the_job_s_nodes_and_window(dcgm: dict[str, Any], sacct: dict[str, Any],
                                                            run_cli: Any) -> None:
    # the job ran on node1 only, within the dcgm fixture's window, on whole seconds as sacct prints them
    start, end = math.ceil(dcgm["start"]), math.floor(dcgm["end"])
    sacct["add"]("555", job_rows("555", start, end, "node1", "gres/gpu=2,node=1", "99000000"))
    result = run_cli("report", "--slurm-job", "555", "--prometheus", dcgm["url"], "--intensity", "100", "--pue", "1",
                     "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    # node1's GPUs draw 400 + 300 W; node2's are not the job's
    assert data["it_energy_kwh"] == pytest.approx((400 + 300) * (end - start) / 3.6e6, rel=0.01)
    assert data["hosts"] == ["node1"] and data["run_id"] == "slurm-555"
    assert any("SLURM also recorded" in n for n in data["notes"])
