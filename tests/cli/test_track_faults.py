"""``carbonllm track`` under faults, with real processes: a full disk, signals, a child that ignores
SIGTERM, a killed tracker, two trackers on one directory, planted symlinks, a hostile host name.

RAPL is faked by a temporary tree (``CARBONLLM_RAPL_ROOT``), as in test_track.py. The "full disk"
is a real one for the tracker process: ``RLIMIT_FSIZE`` caps the size of every file it writes
(with SIGXFSZ ignored, a write past the cap fails with EFBIG, as a write to a full disk fails with
ENOSPC: the same ``OSError`` path).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes import tracker_env

from carbonllm.measure.runfiles import load_run, read_summary, safe_name

CARBONLLM = shutil.which("carbonllm") or str(Path(sys.executable).parent / "carbonllm")
PY = sys.executable
HOST = safe_name(socket.gethostname().split(".")[0] or "localhost")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return tracker_env(tmp_path)


def track(args: list[str], env: dict[str, str], cwd: Path, preexec: Callable[[], None] | None = None,
          timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CARBONLLM, "track", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=preexec)  # noqa: PLW1509


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not reaped by its new parent, does not)."""
    try:
        os.kill(pid, 0)
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (ProcessLookupError, FileNotFoundError):
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def wait_for(predicate: Callable[[], bool], timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


# --- a full disk ------------------------------------------------------------------------------


def file_size_cap(size_bytes: int) -> Callable[[], None]:
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # inherited across exec: writes fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (size_bytes, size_bytes))

    return preexec


@pytest.mark.parametrize("cap_bytes", [0, 700], ids=["full-at-start", "full-mid-run"])
def test_a_full_disk_keeps_the_exit_status_and_prints_the_summary(tmp_path: Path, env: dict[str, str],
                                                                  cap_bytes: int) -> None:
    """No file may grow past ``cap_bytes``: a summary (~2 kB) never fits; with 700 bytes the first
    samples fit and the later ones do not. The child's status comes back, the summary is printed
    on stderr as JSON with the reason, no temp file is left behind, and no traceback."""
    out = tmp_path / "out"
    r = track(["--intensity", "100", "--interval", "0.05", "--output", str(out), "--", PY, "-c",
               "import time, sys; time.sleep(0.4); sys.exit(5)"], env, tmp_path, file_size_cap(cap_bytes))
    assert r.returncode == 5, r.stderr
    assert "Traceback" not in r.stderr
    assert "the summary follows on stderr as JSON" in r.stderr
    printed = json.loads(r.stderr[r.stderr.index("\n{") + 1: r.stderr.index("\n}\n") + 2])
    assert printed["complete"] and printed["exit_status"] == 5
    assert printed["duration_s"] >= 0.4
    assert any("writing samples failed" in n for n in printed["notes"])
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == []
    samples = list(out.glob("*.samples.jsonl"))
    assert len(samples) == 1 and samples[0].stat().st_size <= cap_bytes


def test_samples_unwritten_while_the_disk_is_full_are_written_when_it_has_room(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The sink's retry, with ``os.write`` failing (ENOSPC) at the thinnest boundary: the lines
    come out whole and in order once writes succeed again; nothing is lost or doubled."""
    import errno

    from carbonllm.measure import sampler

    sink = sampler.JsonlSink(tmp_path / "s.samples.jsonl")
    real_write = os.write
    failing = {"on": True}

    def write(fd: int, data: bytes | memoryview) -> int:
        if failing["on"]:
            if len(data) > 10:  # a partial write, then the disk is full
                return real_write(fd, bytes(data[:10]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(sampler.os, "write", write)
    for i in range(3):
        with pytest.raises(OSError):
            sink.write([{"device": "gpu:0", "energy_j": float(i)}])
    assert sink.pending_bytes > 0
    failing["on"] = False
    sink.write([{"device": "gpu:0", "energy_j": 3.0}])
    sink.close()
    lines = (tmp_path / "s.samples.jsonl").read_text().splitlines()
    assert [json.loads(line)["energy_j"] for line in lines] == [0.0, 1.0, 2.0, 3.0]


# --- signals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1], ids=["SIGHUP", "SIGQUIT", "SIGUSR1"])
def test_sighup_sigquit_and_sigusr1_reach_the_child_and_the_summary_completes(tmp_path: Path, env: dict[str, str],
                                                                              sig: int) -> None:
    ready, got = tmp_path / "ready", tmp_path / "got"
    child = (f"import pathlib, signal, sys, time\n"
             f"def bye(signum, frame):\n    pathlib.Path({str(got)!r}).write_text(str(signum)); sys.exit(9)\n"
             f"signal.signal({int(sig)}, bye)\npathlib.Path({str(ready)!r}).write_text('')\ntime.sleep(30)\n")
    out = tmp_path / "out"
    proc = subprocess.Popen([CARBONLLM, "track", "--intensity", "1", "--interval", "0.1", "--output", str(out),
                             "--", PY, "-c", child], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert wait_for(ready.exists)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=30)
    assert got.read_text() == str(int(sig))  # the child got the very signal
    assert proc.returncode == 9, stderr
    summary = load_run(out)
    assert summary.complete and summary.exit_status == 9
    assert "Traceback" not in stderr


def test_sighup_stops_a_child_that_keeps_the_default_action(tmp_path: Path, env: dict[str, str]) -> None:
    sleep = shutil.which("sleep")
    assert sleep is not None
    out = tmp_path / "out"
    proc = subprocess.Popen([CARBONLLM, "track", "--intensity", "1", "--interval", "0.1", "--output", str(out),
                             "--", sleep, "30"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert wait_for(lambda: any(out.glob("*.samples.jsonl")))
    time.sleep(0.3)
    proc.send_signal(signal.SIGHUP)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGHUP, stderr
    summary = load_run(out)
    assert summary.complete and summary.exit_status == 129


def test_a_child_that_ignores_sigterm_gets_sigkill_after_the_grace_period(tmp_path: Path,
                                                                         env: dict[str, str]) -> None:
    ready = tmp_path / "ready"
    child = (f"import pathlib, signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
             f"pathlib.Path({str(ready)!r}).write_text('')\ntime.sleep(60)\n")
    out = tmp_path / "out"
    proc = subprocess.Popen([CARBONLLM, "track", "--intensity", "1", "--interval", "0.1", "--kill-after", "0.5",
                             "--output", str(out), "--", PY, "-c", child], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert wait_for(ready.exists)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    waited = time.monotonic() - sent
    assert proc.returncode == 128 + signal.SIGKILL, stderr
    assert 0.5 <= waited < 20
    summary = load_run(out)
    assert summary.complete and summary.exit_status == 137
    assert any("0.5 s after SIGTERM; sent SIGKILL" in n for n in summary.notes)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_the_child_dies_with_a_killed_tracker(tmp_path: Path, env: dict[str, str]) -> None:
    pid_file = tmp_path / "pid"
    child = f"import os, pathlib, time\npathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))\ntime.sleep(60)\n"
    proc = subprocess.Popen([CARBONLLM, "track", "--intensity", "1", "--interval", "0.1", "--output",
                             str(tmp_path / "out"), "--", PY, "-c", child], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_for(lambda: pid_file.exists() and pid_file.read_text() != "")
    child_pid = int(pid_file.read_text())
    assert alive(child_pid)
    proc.kill()
    proc.wait(timeout=10)
    try:
        assert wait_for(lambda: not alive(child_pid), 10)
    finally:
        if alive(child_pid):
            os.kill(child_pid, signal.SIGKILL)


# --- runs sharing a directory -----------------------------------------------------------------


def test_two_concurrent_trackers_on_one_output_are_both_reported(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "shared"
    procs = [subprocess.Popen([CARBONLLM, "track", "--intensity", "100", "--interval", "0.05", "--output", str(out),
                               "--", PY, "-c", f"import time, sys; time.sleep(0.5); sys.exit({code})"],
                              env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for code in (0, 3)]
    for p in procs:
        p.communicate(timeout=60)
    assert sorted(p.returncode for p in procs) == [0, 3]
    summaries = sorted(out.glob("*.summary.json"))
    assert len(summaries) == 2 and len(list(out.glob("*.samples.jsonl"))) == 2
    runs = [read_summary(p) for p in summaries]
    assert len({s.run_id for s in runs}) == 2
    r = subprocess.run([CARBONLLM, "track", "--merge", str(out), "--format", "json"], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    merged = json.loads(r.stdout)
    assert isinstance(merged, list) and len(merged) == 2
    assert sorted(m["exit_status"] for m in merged) == [0, 3]
    assert all(m["node_count"] == 1 for m in merged)  # never summed into one run
    assert "holds 2 runs" in r.stderr
    one = subprocess.run([CARBONLLM, "track", "--merge", str(out), "--run-id", runs[0].run_id, "--format", "json"],
                         env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert json.loads(one.stdout)["run_id"] == runs[0].run_id
    refused = subprocess.run([CARBONLLM, "report", str(out)], env=env, cwd=tmp_path, capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "holds 2 runs" in refused.stderr


def test_reusing_a_directory_and_a_run_id_adds_a_run(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "out"
    for code in (1, 2):
        r = track(["--intensity", "1", "--interval", "0.05", "--output", str(out), "--", PY, "-c",
                   f"import sys; sys.exit({code})"], {**env, "CARBONLLM_RUN_ID": "job-1"}, tmp_path)
        assert r.returncode == code, r.stderr
    runs = sorted((read_summary(p) for p in out.glob("*.summary.json")), key=lambda s: s.started_at)
    assert [s.exit_status for s in runs] == [1, 2]
    assert runs[0].run_id == "job-1" and runs[1].run_id.startswith("job-1-")
    assert any("'job-1' was already used" in n for n in runs[1].notes)


# --- hostile paths ----------------------------------------------------------------------------


def test_planted_symlinks_are_never_followed(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victims = {}
    stem = f"job-2.{HOST}-node0"
    for name in (f"{stem}.samples.jsonl", f"{stem}.summary.json", f"{stem}.summary.json.tmp",
                 f"{HOST}-node0.samples.jsonl", f"{HOST}-node0.summary.json.tmp"):
        victim = tmp_path / f"victim-{name}"
        victim.write_text("precious\n")
        (out / name).symlink_to(victim)
        victims[victim] = "precious\n"
    r = track(["--intensity", "1", "--interval", "0.05", "--output", str(out), "--", PY, "-c", "pass"],
              {**env, "CARBONLLM_RUN_ID": "job-2"}, tmp_path)
    assert r.returncode == 0, r.stderr
    assert {v: v.read_text() for v in victims} == victims  # untouched
    assert all((out / n).is_symlink() for n in (f"{stem}.samples.jsonl", f"{stem}.summary.json"))
    written = [p for p in out.glob("*.summary.json") if not p.is_symlink()]
    assert len(written) == 1
    summary = read_summary(written[0])
    assert summary.run_id.startswith("job-2-") and summary.complete


def test_run_files_are_private(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "out"
    r = track(["--intensity", "1", "--interval", "0.05", "--output", str(out), "--", PY, "-c", "pass"], env, tmp_path)
    assert r.returncode == 0, r.stderr
    files = list(out.iterdir())
    assert len(files) == 2
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {"0o600"}


def test_a_host_name_with_a_slash_stays_inside_the_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The host name comes from ``socket.gethostname`` (faked here, the only boundary): whatever
    it holds, the files land directly in the output directory."""
    from carbonllm.measure.sensors import FakeSensor
    from carbonllm.measure.tracker import track as start_tracking

    monkeypatch.setattr(socket, "gethostname", lambda: "evil/../../escape")
    monkeypatch.setenv("CARBONLLM_RUN_ID", "../../run")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "a" / "out"
    with start_tracking(intensity=1, interval_s=0.05, output_dir=out, sensors=[FakeSensor(energies_j=[0.0, 5.0])]):
        pass
    everything = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    files = [p for p in everything if (tmp_path / p).is_file()]
    assert len(files) == 2 and all(p.parent == Path("a/out") for p in files), everything
    assert all(".." not in p.name.split(".")[0:1] and "/" not in p.name for p in files)


# --- streams and options ----------------------------------------------------------------------


def test_json_on_stdout_is_valid_when_the_child_prints(tmp_path: Path, env: dict[str, str]) -> None:
    r = track(["--intensity", "1", "--interval", "0.05", "--output", str(tmp_path / "o"), "--format", "json", "--",
               PY, "-c", "print('hello from the child')"], env, tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["complete"]
    assert "hello from the child" in r.stderr


def test_json_to_a_file_leaves_the_child_stdout_alone(tmp_path: Path, env: dict[str, str]) -> None:
    r = track(["--intensity", "1", "--interval", "0.05", "--output", str(tmp_path / "o"), "--json",
               str(tmp_path / "s.json"), "--", PY, "-c", "print('hello')"], env, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello\n"
    assert json.loads((tmp_path / "s.json").read_text())["complete"]


def test_a_mistyped_option_is_a_usage_error_not_the_command(tmp_path: Path, env: dict[str, str]) -> None:
    r = track(["--regoin", "FR", "--", PY, "-c", "pass"], env, tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "--regoin" in lines[0] and "--region" in lines[0], r.stderr


def test_options_after_the_command_belong_to_the_command(tmp_path: Path, env: dict[str, str]) -> None:
    r = track(["--intensity", "1", "--interval", "0.05", "--output", str(tmp_path / "o"), PY, "-c",
               "import sys; sys.exit(len(sys.argv))", "--region", "x"], env, tmp_path)
    assert r.returncode == 3, r.stderr  # argv: -c, --region, x


def test_a_real_host_name_with_a_slash_stays_inside_the_output(tmp_path: Path, env: dict[str, str]) -> None:
    """The same with a real process whose host name holds ``/`` (a UTS namespace of its own;
    skipped where ``unshare`` is not permitted, as in unprivileged CI containers)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare(1)")
    out = tmp_path / "a" / "out"
    rename = ("import ctypes, os, sys\n"
              "name = b'up/../../escape'\n"
              "if ctypes.CDLL(None, use_errno=True).sethostname(name, len(name)) != 0: sys.exit(99)\n"
              "os.execv(sys.argv[1], sys.argv[1:])\n")
    r = subprocess.run([unshare, "--uts", PY, "-c", rename, CARBONLLM, "track", "--intensity", "1", "--interval",
                        "0.05", "--output", str(out), "--", PY, "-c", "import socket; print(socket.gethostname())"],
                       env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    if r.returncode != 0 and ("Operation not permitted" in r.stderr or r.returncode == 99):
        pytest.skip(f"no UTS namespace here: {r.stderr.strip()[:100]}")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "up/../../escape"  # the child saw the hostile name
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file() and "rapl" not in p.parts)
    assert len(files) == 2 and all(p.parent == out for p in files), files
    summary = read_summary(next(out.glob("*.summary.json")))
    assert summary.host == "up/"  # recorded as it is (the part before the first dot); only the path is sanitised
    assert all(p.name.split(".", 2)[1].startswith("up_-node0") for p in files)


def test_a_long_reused_run_id_still_finds_a_free_name(tmp_path: Path) -> None:
    from carbonllm.measure.sensors import FakeSensor
    from carbonllm.measure.tracker import track as start_tracking

    run_id = "r" * 100  # longer than a name keeps: the suffix of a reused id must stay visible
    with pytest.MonkeyPatch.context() as m:
        m.setenv("CARBONLLM_RUN_ID", run_id)
        for _ in range(3):
            with start_tracking(intensity=1, interval_s=60, output_dir=tmp_path / "o",
                                sensors=[FakeSensor(energies_j=[0.0, 1.0])]):
                pass
    summaries = [read_summary(p) for p in (tmp_path / "o").glob("*.summary.json")]
    assert len(summaries) == 3 and len({s.run_id for s in summaries}) == 3
