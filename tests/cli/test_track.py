"""``carbonllm track`` end to end: the installed console script around real child processes.

RAPL is faked by pointing ``CARBONLLM_RAPL_ROOT`` at a temporary tree (so the runs are fast and
need no codecarbon); a machine with NVIDIA GPUs also measures them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes import tracker_env
from helpers import kill_orphan

from carbonllm.measure.runfiles import load_run

CARBONLLM = shutil.which("carbonllm") or str(Path(sys.executable).parent / "carbonllm")
PY = sys.executable


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return tracker_env(tmp_path)


def carbonllm(args: list[str], env: dict[str, str], cwd: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CARBONLLM, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60,
                          **kw)  # type: ignore[call-overload]


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_exit_status_passes_through_and_summary_is_written(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "out"
    r = carbonllm(["track", "--intensity", "300", "--interval", "0.05", "--output", str(out), "--format", "json",
                   "--", PY, "-c", "import sys, time; time.sleep(0.3); sys.exit(3)"], env, tmp_path)
    assert r.returncode == 3, r.stderr
    printed = json.loads(r.stdout)
    summary = load_run(next(out.glob("*-node0.summary.json")))
    assert summary.complete and summary.exit_status == 3 and summary.command[-1].endswith("sys.exit(3)")
    assert printed["energy_kwh"] == pytest.approx(summary.energy_kwh)
    methods = {d.device: d.method for d in summary.devices}
    assert methods["cpu:0"] == "rapl" and methods["ram:0"] == "rapl"
    lines = (out / summary.samples_file).read_text().splitlines()
    assert len(lines) >= 2 * 3  # baseline, some intervals, final; two devices each
    assert summary.region == "custom" and summary.co2e_kg == pytest.approx(
        summary.energy_kwh * summary.pue * 300 / 1000)


def test_default_region_is_said(tmp_path: Path, env: dict[str, str]) -> None:
    r = carbonllm(["track", "--interval", "0.05", "--output", str(tmp_path / "o"), "--", PY, "-c", "pass"],
                  env, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "DEFAULT" in r.stderr and "world" in r.stderr
    assert load_run(tmp_path / "o").region_is_default


def test_sigterm_is_forwarded_to_the_child(tmp_path: Path, env: dict[str, str]) -> None:
    ready, marker = tmp_path / "ready", tmp_path / "got-sigterm"
    child = (
        "import signal, sys, time, pathlib\n"
        f"def bye(signum, frame):\n    pathlib.Path({str(marker)!r}).write_text(str(signum))\n    sys.exit(7)\n"
        "signal.signal(signal.SIGTERM, bye)\n"
        f"pathlib.Path({str(ready)!r}).write_text('x')\n"
        "time.sleep(30)\n"
    )
    out = tmp_path / "out"
    proc = subprocess.Popen([CARBONLLM, "track", "--intensity", "1", "--interval", "0.05", "--output", str(out),
                             "--", PY, "-c", child], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert marker.read_text() == str(int(signal.SIGTERM))
    assert proc.returncode == 7
    summary = load_run(out)
    assert summary.complete and summary.exit_status == 7


def test_child_killed_by_a_signal_exits_128_plus_n(tmp_path: Path, env: dict[str, str]) -> None:
    r = carbonllm(["track", "--intensity", "1", "--interval", "0.05", "--output", str(tmp_path / "o"), "--", PY,
                   "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"], env, tmp_path)
    assert r.returncode == 128 + 9
    summary = load_run(tmp_path / "o")
    assert summary.complete and summary.exit_status == 137


def test_kill_9_of_the_tracker_leaves_samples_and_a_provisional_summary(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen([CARBONLLM, "track", "--intensity", "1", "--interval", "0.05", "--output", str(out),
                             "--", PY, "-c", "import time; time.sleep(30)"], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    samples: list[str] = []
    while time.monotonic() < deadline:
        files = list(out.glob("*.samples.jsonl"))
        samples = files[0].read_text().splitlines() if files else []
        if len(samples) >= 10:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    summary_file = next(out.glob("*.summary.json"))
    summary = load_run(summary_file)
    try:
        assert not summary.complete and summary.pid is not None
        assert any("incomplete" in n for n in summary.notes)
        assert len(samples) >= 10
        assert all(json.loads(line)["device"] for line in samples[:-1])
    finally:
        kill_orphan(summary.pid)


def test_command_not_found_exits_127_with_one_line(tmp_path: Path, env: dict[str, str]) -> None:
    r = carbonllm(["track", "--intensity", "1", "--output", str(tmp_path / "o"), "--", "no-such-command-xyz"],
                  env, tmp_path)
    assert r.returncode == 127
    assert "no-such-command-xyz: command not found" in one_line_error(r)
    assert not (tmp_path / "o").exists()


def test_unwritable_output_fails_before_the_run(tmp_path: Path, env: dict[str, str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    marker = tmp_path / "ran"
    r = carbonllm(["track", "--intensity", "1", "--output", str(blocker / "sub"), "--", PY, "-c",
                   f"open({str(marker)!r}, 'w')"], env, tmp_path)
    assert r.returncode == 2
    assert "cannot write to output directory" in one_line_error(r)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--region", "Atlantis"], "unknown region 'Atlantis'"),
        (["--interval", "0"], "--interval must be between 0.05 and 3600 seconds"),
        (["--interval", "-1"], "--interval must be between 0.05 and 3600 seconds"),
        (["--pid", "999999999"], "no such process"),
        (["--gpu-ids", "7"], "NVML"),
        (["--pue", "0.5"], "--pue must be >= 1"),
        ([], "give a command after --"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, env: dict[str, str], args: list[str],
                                          expected: str) -> None:
    command = [] if "--pid" in args or not args else ["--", PY, "-c", "pass"]
    r = carbonllm(["track", "--output", str(tmp_path / "o"), *args, *command], env, tmp_path)
    assert r.returncode == 2, r.stderr
    assert expected in one_line_error(r)


def test_attach_to_a_running_pid(tmp_path: Path, env: dict[str, str]) -> None:
    target = subprocess.Popen([PY, "-c", "import time; time.sleep(0.5)"])
    r = carbonllm(["track", "--pid", str(target.pid), "--intensity", "1", "--interval", "0.05", "--output",
                   str(tmp_path / "o")], env, tmp_path)
    target.wait()
    assert r.returncode == 0, r.stderr
    summary = load_run(tmp_path / "o")
    assert summary.pid == target.pid and summary.command is None and summary.complete


def test_other_local_ranks_run_the_command_without_measuring(tmp_path: Path, env: dict[str, str]) -> None:
    r = carbonllm(["track", "--intensity", "1", "--output", str(tmp_path / "o"), "--", PY, "-c",
                   "import sys; sys.exit(4)"], {**env, "LOCAL_RANK": "1"}, tmp_path)
    assert r.returncode == 4
    assert "not measuring" in r.stderr and not (tmp_path / "o").exists()


def test_progress_file_and_projection_on_the_cli(tmp_path: Path, env: dict[str, str]) -> None:
    progress = tmp_path / "progress"
    child = f"import time, pathlib\np = pathlib.Path({str(progress)!r})\nfor i in range(1, 6):\n" \
            "    p.write_text(str(i * 100)); time.sleep(0.05)\n"
    r = carbonllm(["track", "--intensity", "1", "--interval", "0.05", "--output", str(tmp_path / "o"),
                   "--total-tokens", "1000", "--progress-file", str(progress), "--", PY, "-c", child], env, tmp_path)
    assert r.returncode == 0, r.stderr
    p = load_run(tmp_path / "o").projection
    assert p is not None and p.done == 500 and p.fraction_done == 0.5
    assert p.projected_energy_kwh == pytest.approx(2 * p.measured_energy_kwh)


def test_merge_prints_the_merged_run(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "shared"
    for rank in ("0", "1"):
        r = carbonllm(["track", "--intensity", "100", "--interval", "0.05", "--output", str(out), "--", PY, "-c",
                       "pass"], {**env, "NODE_RANK": rank, "CARBONLLM_RUN_ID": "job-7"}, tmp_path)
        assert r.returncode == 0, r.stderr
    assert len(list(out.glob("*.summary.json"))) == 2
    r = carbonllm(["track", "--merge", str(out), "--format", "json"], env, tmp_path)
    assert r.returncode == 0, r.stderr
    merged = json.loads(r.stdout)
    nodes = [load_run(f) for f in sorted(out.glob("*.summary.json"))]
    assert merged["node_count"] == 2
    assert merged["energy_kwh"] == pytest.approx(sum(n.energy_kwh for n in nodes))
    assert merged["co2e_kg"] == pytest.approx(sum(n.co2e_kg for n in nodes))


def no_rapl(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """No RAPL: the CPU and RAM are modelled with codecarbon, which takes ~1.5 s to load."""
    (tmp_path / "no-rapl").mkdir(exist_ok=True)
    return {**env, "CARBONLLM_RAPL_ROOT": str(tmp_path / "no-rapl")}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_at_any_moment_leaves_a_complete_summary(tmp_path: Path, env: dict[str, str], sig: int) -> None:
    """The tracker gets the signal at several moments (during start-up, with codecarbon still
    loading, and later), twice as `timeout` sends it (to the tracker, then to its process group):
    it always forwards it, waits for the child, finalises the summary and exits with the child's
    status (128 + N: `sleep` dies of the signal; a command not started yet is not started)."""
    sleep = shutil.which("sleep")
    assert sleep is not None
    runs = []
    for models in (False, True):
        for delay in (0.3, 1.0, 2.0):
            out = tmp_path / f"{'models' if models else 'rapl'}-{delay}"
            proc = subprocess.Popen([CARBONLLM, "track", "--intensity", "1", "--interval", "0.5", "--output",
                                     str(out), "--", sleep, "20"],
                                    env=no_rapl(env, tmp_path) if models else env, cwd=tmp_path,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, start_new_session=True)
            runs.append((time.monotonic() + delay, proc, out))
    for at, proc, _ in sorted(runs, key=lambda r: r[0]):
        time.sleep(max(0.0, at - time.monotonic()))
        proc.send_signal(sig)
        os.killpg(proc.pid, sig)  # as `timeout` does: the tracker again, and the child
    for _, proc, out in runs:
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 128 + sig, (out.name, stderr)
        summary = load_run(out)
        assert summary.complete and summary.exit_status == 128 + sig, (out.name, stderr)
        assert "carbonllm track" in stderr  # the table was printed
        assert "Traceback" not in stderr


def test_a_signal_before_the_command_starts_stops_it_from_starting(tmp_path: Path) -> None:
    """Deterministically, the moment between start-up and the child: the command is not run."""
    from carbonllm.cli.track_cmd import Signals, run_child
    from carbonllm.measure.sensors import FakeSensor
    from carbonllm.measure.tracker import track

    marker = tmp_path / "ran"
    tracker = track(intensity=1, interval_s=60, output_dir=tmp_path / "o",
                    sensors=[FakeSensor(energies_j=[0.0, 1.0])]).start()
    with Signals() as signals:
        signal.raise_signal(signal.SIGTERM)  # recorded by the handler, not fatal
        status = run_child(tracker, [PY, "-c", f"open({str(marker)!r}, 'w')"], signals)
    assert status == 143 and not marker.exists()
    summary = load_run(tmp_path / "o")
    assert summary.complete and summary.exit_status == 143
    assert any("SIGTERM before the command started" in n for n in summary.notes)


def test_a_command_that_exits_at_once_is_not_charged_codecarbon_s_load_time(tmp_path: Path,
                                                                              env: dict[str, str]) -> None:
    r = carbonllm(["track", "--intensity", "1", "--output", str(tmp_path / "o"), "--format", "json", "--", PY,
                   "-c", "pass"], no_rapl(env, tmp_path), tmp_path)
    assert r.returncode == 0, r.stderr
    summary = load_run(tmp_path / "o")
    assert {d.method for d in summary.devices if d.component != "gpu"} == {"codecarbon-cpu-model", "ram-model"}
    assert summary.duration_s < 0.5  # ends at the child's exit, not when codecarbon has loaded
    ram = next(d for d in summary.devices if d.device == "ram")
    assert ram.mean_power_w is not None
    assert ram.energy_kwh * 3.6e6 == pytest.approx(ram.mean_power_w * summary.duration_s)
    assert ram.mean_power_w >= 10.0  # codecarbon 3.x's RAM model: at least 10 W on x86


@pytest.mark.parametrize("option", [["--progress-file", "p.txt"], ["--params", "1e9"], ["--gpu", "A100"]])
def test_projection_inputs_without_a_total_warn_once(tmp_path: Path, env: dict[str, str], option: list[str]) -> None:
    r = carbonllm(["track", "--intensity", "1", "--interval", "0.05", "--output", str(tmp_path / "o"), *option,
                   "--format", "json", "--", PY, "-c", "pass"], env, tmp_path)
    assert r.returncode == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "--total-tokens or --total-steps" in warnings[0], r.stderr
    assert r.stderr.splitlines()[0] == warnings[0]  # at start, before the run
    assert json.loads(r.stdout)["projection"] is None


def test_merge_of_nodes_with_different_pue_says_so(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "shared"
    for rank, pue in (("0", ["--pue", "1.1"]), ("1", [])):
        r = carbonllm(["track", "--intensity", "100", "--interval", "0.05", "--output", str(out), *pue, "--",
                       PY, "-c", "pass"], {**env, "NODE_RANK": rank, "CARBONLLM_RUN_ID": "job-7"}, tmp_path)
        assert r.returncode == 0, r.stderr
    r = carbonllm(["track", "--merge", str(out)], {**env, "COLUMNS": "200"}, tmp_path)
    assert r.returncode == 0, r.stderr
    pue_row = next(line for line in r.stderr.splitlines() if line.strip("│┃ ").startswith("PUE"))
    assert "energy-weighted mean of the nodes' PUE (1.1 given, 1.2 default)" in pue_row, r.stderr


def test_a_json_path_in_a_missing_directory_is_refused_before_the_command_runs(run_cli, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    result = run_cli("track", "--intensity", "1", "--output", str(tmp_path / "out"), "--json",
                     str(tmp_path / "missing" / "s.json"), "--", "touch", str(marker))
    assert result.exit_code == 2 and not marker.exists()
    assert result.stderr.count("\n") == 1 and "does not exist" in result.stderr
