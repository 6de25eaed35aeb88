"""Real metric servers for tests, all on 127.0.0.1: Prometheus and the Pushgateway (Debian's
``prometheus`` and ``prometheus-pushgateway`` packages; ``.ci/run`` installs them) and a small
fake DCGM exporter.

The fake exporter serves the metric names, types, units and labels of NVIDIA's dcgm-exporter
(``etc/default-counters.csv`` and the README's sample output, github.com/NVIDIA/dcgm-exporter):
``DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION`` (counter, mJ since boot) and
``DCGM_FI_DEV_POWER_USAGE`` (gauge, W), labelled ``gpu``, ``UUID``, ``device``, ``modelName``,
``Hostname``. Each GPU draws a constant power, so its energy over any window is known by hand.
"""

from __future__ import annotations

import json
import math
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

NOT_INSTALLED = ("{0} is not installed and could not be installed here (apt-get install {1}; .ci/run installs it "
                 "on CI)")


def require(program: str, package: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.skip(NOT_INSTALLED.format(program, package))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(url: str, timeout: float = 5.0) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 only, never a proxy
    with opener.open(url, timeout=timeout) as response:
        return bytes(response.read())


def wait_until(check: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class Prometheus:
    """A real Prometheus on 127.0.0.1 with a generated config and a temporary storage dir."""

    def __init__(self, tmp_path: Path, targets: list[str], scrape_interval: str = "1s") -> None:
        binary = require("prometheus", "prometheus")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global:\n"
            f"  scrape_interval: {scrape_interval}\n"
            f"  scrape_timeout: {scrape_interval}\n"
            "scrape_configs:\n"
            "  - job_name: dcgm\n"
            "    static_configs:\n"
            f"      - targets: {json.dumps(targets)}\n")
        self.log = (tmp_path / "prometheus.log").open("w")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=1h"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: http_get(f"{self.url}/-/ready") is not None, 30, "Prometheus to be ready")

    def query(self, promql: str) -> list[dict[str, Any]]:
        data = http_get(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
        return list(json.loads(data)["data"]["result"])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Pushgateway:
    def __init__(self, tmp_path: Path) -> None:
        binary = require("prometheus-pushgateway", "prometheus-pushgateway")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (tmp_path / "pushgateway.log").open("w")
        # Debian's build persists to /var/lib/prometheus by default: keep this one's state in tmp_path
        self.proc = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{self.port}",
                                      f"--persistence.file={tmp_path / 'pushgateway.data'}"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: http_get(f"{self.url}/-/ready") is not None, 30, "the Pushgateway to be ready")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.log.close()


@dataclass
class FakeGpu:
    """A GPU drawing ``power_w`` from ``t0``; its counter (mJ) started at ``boot_mj``; ``reset_at``:
    the time (Unix s) its counter restarts from 0 (a reboot); ``counter=False``: no counter series;
    ``nan_between``: (t0, t1) during which the power gauge reads NaN."""

    gpu: int
    uuid: str
    power_w: float
    counter: bool = True
    boot_mj: float = 1.0e9
    reset_at: float | None = None
    nan_between: tuple[float, float] | None = None
    model: str = "NVIDIA H100 80GB HBM3"

    def energy_mj(self, t: float, t0: float) -> float:
        if self.reset_at is not None and t >= self.reset_at:
            return self.power_w * (t - self.reset_at) * 1000.0
        return self.boot_mj + self.power_w * (t - t0) * 1000.0  # W × s = J; × 1000 = mJ


@dataclass
class FakeDcgmExporter:
    """An HTTP server answering /metrics as one node's dcgm-exporter would."""

    hostname: str
    gpus: list[FakeGpu]
    t0: float = field(default_factory=time.time)

    def render(self) -> str:
        now = time.time()
        lines = ["# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).", "# TYPE DCGM_FI_DEV_POWER_USAGE gauge"]
        for g in self.gpus:
            power = g.power_w
            if g.nan_between is not None and g.nan_between[0] <= now < g.nan_between[1]:
                power = math.nan
            lines.append(f"DCGM_FI_DEV_POWER_USAGE{{{self._labels(g)}}} {power!r}".replace("nan", "NaN"))
        lines += ["# HELP DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION Total energy consumption since boot (in mJ).",
                  "# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter"]
        for g in self.gpus:
            if g.counter:
                lines.append(f"DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{{{self._labels(g)}}} "
                             f"{int(g.energy_mj(now, self.t0))}")
        return "\n".join(lines) + "\n"

    def _labels(self, g: FakeGpu) -> str:
        return (f'gpu="{g.gpu}",UUID="{g.uuid}",device="nvidia{g.gpu}",modelName="{g.model}",'
                f'Hostname="{self.hostname}",DCGM_FI_DRIVER_VERSION="550.54.15"')

    def serve(self) -> tuple[str, ThreadingHTTPServer]:
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                body = exporter.render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"127.0.0.1:{server.server_address[1]}", server
