"""``carbonllm track --embodied``: the GPUs' embodied share for the measured GPU-hours, end to end.

The GPUs are two fake H100s at the pynvml calls (``fakes.two_gpus``), RAPL a fake sysfs tree
(``fakes.tracker_env``): in process through the CLI, and in a real subprocess for the signals
(a small launcher installs the same fake before it calls ``carbonllm.cli.main``).

Luccioni et al. 2022 §4.3: (150 + 2,500 / 8) = 462.5 kgCO2e per GPU, spread over 6 years × 8,760 h
× 0.85 = 44,676 h of use: each GPU-hour is charged 462.5 / 44,676 = 0.0103523 kg.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes import tracker_env, two_gpus
from helpers import kill_orphan

from carbonllm.measure.records import RunSummary
from carbonllm.measure.runfiles import load_run

PY = sys.executable
TESTS = Path(__file__).resolve().parents[1]
KG_PER_GPU_HOUR = 0.0103523
#: ``carbonllm`` with two fake H100s at the pynvml calls, for a real tracker process.
FAKE_GPU_CARBONLLM = (
    "import sys, pytest\n"
    "from fakes import two_gpus\n"
    "two_gpus().install(pytest.MonkeyPatch())\n"
    "from carbonllm.cli import main\n"
    "main(sys.argv[1:])\n"
)


@pytest.fixture
def fake_gpus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """This process as ``tracker_env`` describes it, with two fake H100s; the environment returned."""
    env = tracker_env(tmp_path)
    for name in list(os.environ):
        if name not in env:
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    two_gpus().install(monkeypatch)
    monkeypatch.chdir(tmp_path)
    return env


def assert_charged(summary: RunSummary) -> None:
    assert summary.gpu_count == 2 and summary.gpu_name == "NVIDIA H100 80GB HBM3"
    assert summary.gpu_hours == pytest.approx(summary.duration_s / 3600 * 2)  # wall time × GPUs
    assert summary.gpu_hours > 0
    assert summary.embodied_co2e_kg == pytest.approx(summary.gpu_hours * KG_PER_GPU_HOUR, rel=1e-5)
    assert summary.embodied_source is not None
    assert summary.embodied_source.endswith("A100-server figures applied to NVIDIA H100 80GB HBM3")


def test_track_embodied_records_it_prints_it_apart_and_report_reads_it(run_cli, fake_gpus, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run_cli("track", "--embodied", "--intensity", "100", "--interval", "0.05", "--output", str(out),
                "--", PY, "-c", "import time; time.sleep(0.3)")
    assert r.exit_code == 0, r.stderr
    summary = load_run(out)
    assert summary.complete
    assert_charged(summary)
    assert summary.co2e_kg == pytest.approx(summary.facility_energy_kwh * 100 / 1000)  # operational only
    rows = {line.split("│")[1].strip(): line for line in r.stderr.splitlines() if line.count("│") >= 3}
    assert "embodied CO2e" in rows and "not in CO2e" in rows["embodied CO2e"]
    assert "Luccioni et al. 2022 §4.3, A100-server figures" in rows["embodied CO2e"]
    report = json.loads(run_cli("report", str(out), "--format", "json").stdout)  # no --embodied needed
    assert report["embodied_co2e_kg"] == pytest.approx(summary.embodied_co2e_kg)
    again = json.loads(run_cli("report", str(out), "--format", "json", "--embodied").stdout)
    assert again["embodied_co2e_kg"] == pytest.approx(summary.embodied_co2e_kg)  # charged once


def test_track_without_embodied_charges_nothing(run_cli, fake_gpus, tmp_path: Path) -> None:
    r = run_cli("track", "--intensity", "100", "--interval", "0.05", "--output", str(tmp_path / "o"),
                "--", PY, "-c", "pass")
    assert r.exit_code == 0, r.stderr
    summary = load_run(tmp_path / "o")
    assert summary.gpu_count == 2 and summary.embodied_co2e_kg is None and summary.embodied_source is None
    assert "embodied CO2e" not in r.stderr


def test_embodied_goes_with_a_command_not_with_merge(run_cli, tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    r = run_cli("track", "--merge", str(tmp_path / "runs"), "--embodied")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert "--embodied goes with a command or --pid" in r.stderr and "report DIR --embodied" in r.stderr
    taken = run_cli("track", "--embodied=yes", "--", PY, "-c", "pass")  # a flag takes no value
    assert taken.exit_code == 2 and "does not take a value" in taken.stderr


def fake_gpu_tracker(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([PY, "-c", FAKE_GPU_CARBONLLM, "track", *args], cwd=cwd, text=True,
                            env={**env, "PYTHONPATH": str(TESTS)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_sigterm_to_the_tracker_still_finishes_the_summary_with_embodied(tmp_path: Path) -> None:
    """As test_track.py's test_sigterm_is_forwarded_to_the_child, with GPUs: the child dies of the
    forwarded signal and the complete summary charges the hours measured until then."""
    env, ready, out = tracker_env(tmp_path), tmp_path / "ready", tmp_path / "out"
    child = f"import pathlib, time\npathlib.Path({str(ready)!r}).write_text('x')\ntime.sleep(30)\n"
    proc = fake_gpu_tracker(["--embodied", "--intensity", "1", "--interval", "0.05", "--output", str(out),
                             "--", PY, "-c", child], env, tmp_path)
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    summary = load_run(out)
    assert summary.complete and summary.exit_status == 128 + signal.SIGTERM
    assert_charged(summary)
    assert "embodied CO2e" in stderr


def test_kill_9_of_the_tracker_leaves_a_provisional_summary_with_embodied(tmp_path: Path) -> None:
    """As test_track.py's kill -9 test: the last provisional summary charges the hours measured so far."""
    env, out = tracker_env(tmp_path), tmp_path / "out"
    proc = fake_gpu_tracker(["--embodied", "--intensity", "1", "--interval", "0.05", "--output", str(out),
                             "--", PY, "-c", "import time; time.sleep(30)"], env, tmp_path)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        files = list(out.glob("*.samples.jsonl"))
        if files and len(files[0].read_text().splitlines()) >= 4 * 10:  # 10 samples of 4 devices
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    summary = load_run(next(out.glob("*.summary.json")))
    try:
        assert not summary.complete
        assert_charged(summary)
    finally:
        kill_orphan(summary.pid)
