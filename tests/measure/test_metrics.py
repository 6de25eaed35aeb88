"""Prometheus metrics of a tracked run: ``track --metrics-port`` scraped by a real Prometheus,
``--pushgateway`` pushing to a real Pushgateway, and the failures that must not stop a run.

The CPU is a fake RAPL tree (``CARBONLLM_RAPL_ROOT``) whose counter the child command itself
advances by 5 J every 0.1 s (50 W), so the run has real, known energy.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fakes import tracker_env
from servers import Prometheus, Pushgateway, free_port, http_get, wait_until

import carbonllm
from carbonllm.measure.sensors import FakeSensor

CARBONLLM = shutil.which("carbonllm") or str(Path(sys.executable).parent / "carbonllm")
POWER_W = 50.0
CHILD = """
import os, sys, time
path, seconds = sys.argv[1], float(sys.argv[2])
energy_uj = 1_000_000
end = time.monotonic() + seconds
while time.monotonic() < end:
    energy_uj += 5_000_000  # 5 J per 0.1 s = 50 W
    with open(path + ".tmp", "w") as f:
        f.write(f"{energy_uj}\\n")
    os.replace(path + ".tmp", path)
    time.sleep(0.1)
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return tracker_env(tmp_path, dram_energy_uj=5)


def child(tmp_path: Path, seconds: float) -> list[str]:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    return [sys.executable, str(script), str(tmp_path / "rapl" / "intel-rapl:0" / "energy_uj"), str(seconds)]


def track(args: list[str], env: dict[str, str], cwd: Path, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CARBONLLM, "track", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=90, **kw)


def summary_of(out: Path) -> dict[str, Any]:
    (path,) = out.glob("*.summary.json")
    return dict(json.loads(path.read_text()))


def cpu_joules(summary: dict[str, Any]) -> float:
    (cpu,) = [d for d in summary["devices"] if d["device"] == "cpu:0"]
    return float(cpu["energy_kwh"]) * 3.6e6


def test_scraped_joules_equal_the_summary_within_one_interval(tmp_path: Path, env: dict[str, str]) -> None:
    port = free_port()
    prom = Prometheus(tmp_path, [f"127.0.0.1:{port}"], scrape_interval="500ms")
    try:
        out = tmp_path / "out"
        proc = subprocess.Popen([CARBONLLM, "track", "--intensity", "100", "--interval", "0.5", "--output", str(out),
                                 "--metrics-port", str(port), "--", *child(tmp_path, 10.0)],
                                env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _, stderr = proc.communicate(timeout=90)
        assert proc.returncode == 0, stderr
        assert "warning" not in stderr, stderr
        summary = summary_of(out)
        result = prom.query('carbonllm_energy_joules_total{device="cpu:0"}[5m]')
        assert len(result) == 1, result
        labels = result[0]["metric"]
        assert labels["kind"] == "cpu" and labels["method"] == "rapl" and labels["run_id"] == summary["run_id"]
        assert labels["node"] == f"{summary['host']}-node0"
        values = [float(v) for _, v in result[0]["values"]]
        assert len(values) >= 5 and values == sorted(values)  # a counter: it never goes down
        # the last scrape shows the last sample before it, at most one --interval (0.5 s) older; the
        # child draws at most 50 W, so the summary exceeds it by at most 50 W × (time to the end + 0.5 s)
        from carbonllm.measure.records import parse_iso

        to_end_s = parse_iso(summary["ended_at"]) - float(result[0]["values"][-1][0])
        assert to_end_s < 2.0  # scraped until the end of the run
        assert 0 <= cpu_joules(summary) - values[-1] <= POWER_W * (max(0.0, to_end_s) + 0.5) + 1e-6
        assert cpu_joules(summary) > 200  # ~10 s × 50 W
        co2e = prom.query('carbonllm_co2e_grams_total{device="cpu:0"}[5m]')[0]["values"]
        # g = J / 3.6e6 × PUE 1.2 (default) × 100 g/kWh
        assert float(co2e[-1][1]) == pytest.approx(values[-1] / 3.6e6 * 1.2 * 100)
        info = prom.query("carbonllm_run_info[5m]")[0]["metric"]
        assert info["pue"] == "1.2" and info["pue_is_default"] == "true" and info["intensity_g_per_kwh"] == "100"
    finally:
        prom.stop()


def test_pushgateway_holds_the_final_figures(tmp_path: Path, env: dict[str, str]) -> None:
    gateway = Pushgateway(tmp_path)
    try:
        out = tmp_path / "out"
        result = track(["--intensity", "100", "--interval", "0.5", "--output", str(out), "--pushgateway",
                        gateway.url, "--", *child(tmp_path, 3.0)], env, tmp_path)
        assert result.returncode == 0, result.stderr
        assert "warning" not in result.stderr, result.stderr
        summary = summary_of(out)
        text = http_get(f"{gateway.url}/metrics").decode()
        line = next(line for line in text.splitlines()
                    if line.startswith("carbonllm_energy_joules_total{") and 'device="cpu:0"' in line)
        assert f'run_id="{summary["run_id"]}"' in line and 'job="carbonllm"' in line
        # the final push is the final sample, the one the summary is made of
        assert float(line.rsplit(" ", 1)[1]) == pytest.approx(cpu_joules(summary), rel=1e-6)
        # the deletion docs/tracking.md gives removes the run's group
        import urllib.request

        node = f"{summary['host']}-node0"
        request = urllib.request.Request(f"{gateway.url}/metrics/job/carbonllm/node/{node}/run_id/{summary['run_id']}",
                                         method="DELETE")
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=5).close()
        assert summary["run_id"] not in http_get(f"{gateway.url}/metrics").decode()
    finally:
        gateway.stop()


def test_a_port_in_use_is_a_warning_and_the_run_goes_on(tmp_path: Path, env: dict[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = tmp_path / "out"
        result = track(["--intensity", "1", "--interval", "0.1", "--output", str(out), "--metrics-port", str(port),
                        "--", sys.executable, "-c", "import sys; sys.exit(3)"], env, tmp_path)
    assert result.returncode == 3  # the child's status, untouched
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and f"cannot serve on 127.0.0.1:{port}" in warnings[0], result.stderr
    assert any("cannot serve" in note for note in summary_of(out)["notes"])


def test_an_unreachable_pushgateway_does_not_hold_the_run(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "out"
    started = time.monotonic()
    result = track(["--intensity", "1", "--interval", "0.1", "--output", str(out), "--pushgateway",
                    f"http://127.0.0.1:{free_port()}", "--", sys.executable, "-c", "import time; time.sleep(0.5)"],
                   env, tmp_path)
    assert result.returncode == 0
    assert time.monotonic() - started < 30
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "push to http://127.0.0.1:" in warnings[0], result.stderr
    assert summary_of(out)["complete"] is True


@pytest.mark.parametrize(("args", "fragment"), [
    (["--metrics-port", "0"], "--metrics-port must be a TCP port"),
    (["--metrics-port", "http"], "--metrics-port must be a TCP port"),
    (["--metrics-port", "70000"], "--metrics-port must be a TCP port"),
    (["--pushgateway", "ftp://gateway"], "--pushgateway must be an http:// or https:// URL"),
])
def test_bad_metrics_options_are_one_line(tmp_path: Path, env: dict[str, str], args: list[str],
                                          fragment: str) -> None:
    result = track([*args, "--", sys.executable, "-c", "pass"], env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr


def test_python_tracker_serves_metrics_while_it_runs(tmp_path: Path) -> None:
    port = free_port()
    # counter: 0, 10, 20, … J; power 5 W
    sensor = FakeSensor("gpu:0", energies_j=[float(10 * i) for i in range(1000)], powers_w=[5.0],
                        name="fake GPU", method="fake")
    with carbonllm.track(intensity=200, pue=1.5, interval_s=0.05, output_dir=tmp_path / "out", metrics_port=port,
                         sensors=[sensor]) as t:
        wait_until(lambda: b"carbonllm_energy_joules_total" in http_get(f"http://127.0.0.1:{port}/metrics"), 10,
                   "the endpoint")
        text = http_get(f"http://127.0.0.1:{port}/metrics").decode()
    match = re.search(r'^carbonllm_energy_joules_total\{device="gpu:0",kind="gpu",method="fake",node="[^"]+",'
                      r'run_id="[^"]+"\} (\S+)$', text, re.M)
    assert match is not None, text
    assert float(match.group(1)) % 10 == 0  # a value the counter took
    assert re.search(r'^carbonllm_power_watts\{device="gpu:0".*\} 5\.0$', text, re.M)
    assert t.result is not None and t.result.energy_kwh > 0
    with pytest.raises(OSError):  # nothing listens after the run
        http_get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_metrics_settings_from_environment_and_config_file(tmp_path: Path) -> None:
    from carbonllm.measure.track_config import resolve_config

    cfg = resolve_config({}, environ={"CARBONLLM_METRICS_PORT": "9464", "CARBONLLM_PUSHGATEWAY": "http://gw:9091/"},
                         read_file=False)
    assert (cfg.metrics_port, cfg.metrics_host, cfg.pushgateway_url) == (9464, "127.0.0.1", "http://gw:9091")
    file = tmp_path / "carbonllm.toml"
    file.write_text('[track]\nmetrics_port = 9500\nmetrics_host = "0.0.0.0"\n')
    cfg = resolve_config({"metrics_port": 9600}, environ={}, config_file=file)
    assert (cfg.metrics_port, cfg.metrics_host) == (9600, "0.0.0.0")  # the flag wins, the file fills the rest
    assert cfg.sources["metrics_port"] == "flag" and cfg.sources["metrics_host"] == f"file {file}"
    assert resolve_config({}, environ={}, read_file=False).metrics_port is None  # nothing listens by default


def test_a_default_run_loads_no_metrics_code(tmp_path: Path) -> None:
    code = ("import sys, carbonllm\n"
            "from carbonllm.measure.sensors import FakeSensor\n"
            f"with carbonllm.track(intensity=1, output_dir={str(tmp_path / 'out')!r}, "
            "sensors=[FakeSensor(energies_j=[0.0, 1.0])]):\n"
            "    pass\n"
            "print('carbonllm.measure.metrics' in sys.modules)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARBONLLM_")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_failing_metrics_exporter_never_costs_the_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from carbonllm.measure import metrics

    def broken(self: Any, final: Any = None) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(metrics.MetricsExporter, "close", broken)
    with carbonllm.track(intensity=1, interval_s=60, output_dir=tmp_path / "out", metrics_port=free_port(),
                         sensors=[FakeSensor(energies_j=[0.0, 5.0])]) as t:
        pass
    assert t.result is not None and t.result.complete
    assert "metrics: closing failed (RuntimeError: boom)" in t.result.notes
    assert json.loads(next((tmp_path / "out").glob("*.summary.json")).read_text())["complete"] is True
