"""Prometheus metrics of a tracked run: a ``/metrics`` endpoint and pushes to a Pushgateway.

Only when asked (``--metrics-port`` / ``--pushgateway``, or ``metrics_port=`` /
``pushgateway=`` on :func:`carbonllm.track`); nothing listens otherwise. The endpoint binds to
127.0.0.1 unless ``--metrics-host`` names another address. Served with ``prometheus_client``
(the official Python client, imported lazily here) from a private registry, so the process's
own default metrics are not exposed. The names follow Prometheus' conventions (base units,
``_total`` for counters; https://prometheus.io/docs/practices/naming/):

* ``carbonllm_energy_joules_total{device,kind,method,node,run_id}``: counter, IT energy of the
  device since the tracker started (what the summary's ``energy_kwh`` counts, in J);
* ``carbonllm_power_watts{…}``: gauge, the device's latest power;
* ``carbonllm_co2e_grams_total{…}``: counter, energy × PUE × grid intensity, in grams;
* ``carbonllm_run_info{node,run_id,region,intensity_g_per_kwh,pue,…}``: info metric, the
  run's assumptions and whether each is a default.

``kind`` is the component (gpu, cpu, ram) and ``node`` is ``<host>-node<R>`` as in the run
files. Policy: a metrics failure (port in use, not permitted, a Pushgateway that does not
answer) is one warning, recorded in the summary's notes, and never stops or slows the run:
pushes run in their own thread and only the last snapshot is pushed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from carbonllm.units import J_PER_KWH

if TYPE_CHECKING:
    from carbonllm.measure.sampler import Snapshot
    from carbonllm.measure.track_config import TrackConfig

LABELS = ("device", "kind", "method", "node", "run_id")
PUSH_TIMEOUT_S = 5.0  # one push; the final push at the end waits at most this long
PUSH_JOB = "carbonllm"


class RunCollector:
    """A prometheus_client collector that reports the latest :class:`Snapshot` of the sampler."""

    def __init__(self, config: TrackConfig, run_id: str, node: str) -> None:
        self.config = config
        self.run_id = run_id
        self.node = node
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def update(self, snapshot: Snapshot) -> None:
        with self._lock:
            self._snapshot = snapshot

    def info(self) -> dict[str, str]:
        """The run's assumptions, as the info metric's labels."""
        cfg = self.config
        return {"node": self.node, "run_id": self.run_id, "region": cfg.region,
                "region_is_default": str(cfg.region_is_default).lower(),
                "intensity_g_per_kwh": f"{cfg.intensity_g_per_kwh:g}", "intensity_source": cfg.intensity_source,
                "pue": f"{cfg.pue:g}", "pue_is_default": str(cfg.pue_is_default).lower(),
                "interval_s": f"{cfg.interval_s:g}"}

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily

        from carbonllm._version import __version__

        with self._lock:
            snapshot = self._snapshot
        energy = CounterMetricFamily("carbonllm_energy_joules", "IT energy of the device since the tracker started",
                                     labels=LABELS, unit="joules")
        power = GaugeMetricFamily("carbonllm_power_watts", "Latest power of the device", labels=LABELS,
                                  unit="watts")
        co2e = CounterMetricFamily("carbonllm_co2e_grams", "Energy x PUE x grid intensity of the device",
                                   labels=LABELS, unit="grams")
        if snapshot is not None:
            # gCO2e per J of IT energy: PUE × intensity (g/kWh) / J per kWh
            g_per_j = self.config.pue * self.config.intensity_g_per_kwh / J_PER_KWH
            for d in snapshot.devices:
                labels = [d.device, d.component, d.method, self.node, self.run_id]
                energy.add_metric(labels, d.energy_j)
                co2e.add_metric(labels, d.energy_j * g_per_j)
                if d.power_w is not None:
                    power.add_metric(labels, d.power_w)
        yield energy
        yield power
        yield co2e
        yield InfoMetricFamily("carbonllm_run", "The run's assumptions (carbonllm " + __version__ + ")",
                               value=self.info())


class MetricsExporter:
    """Serves and/or pushes a run's metrics. Never raises after construction; failures are warnings.

    ``warn`` receives each failure once (the tracker records it in the summary's notes and the CLI
    prints it on stderr).
    """

    def __init__(self, config: TrackConfig, run_id: str, node: str, warn: Callable[[str], None]) -> None:
        from prometheus_client import CollectorRegistry

        self.config = config
        self.collector = RunCollector(config, run_id, node)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)  # type: ignore[arg-type]
        self._warn = warn
        self._warned: set[str] = set()
        self._server: Any = None
        self._push_wanted = threading.Event()
        self._push_stop = threading.Event()
        self._push_thread: threading.Thread | None = None
        self._grouping = {"run_id": run_id, "node": node}
        self.url: str | None = None

    def warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            self._warn(message)

    def start(self) -> None:
        cfg = self.config
        if cfg.metrics_port is not None:
            from prometheus_client import start_http_server

            try:
                self._server, _ = start_http_server(cfg.metrics_port, addr=cfg.metrics_host, registry=self.registry)
            except OSError as e:  # port in use, not permitted, no such address
                self.warn_once(f"metrics: cannot serve on {cfg.metrics_host}:{cfg.metrics_port} "
                               f"({e.strerror or e}); the run goes on without /metrics (give another --metrics-port)")
            else:
                self.url = f"http://{cfg.metrics_host}:{cfg.metrics_port}/metrics"
        if cfg.pushgateway_url is not None:
            self._push_thread = threading.Thread(target=self._push_loop, name="carbonllm-pushgateway", daemon=True)
            self._push_thread.start()

    def update(self, snapshot: Snapshot) -> None:
        """Called by the sampler's thread after each sample: store it, ask the pusher to push. Cheap."""
        self.collector.update(snapshot)
        if self._push_thread is not None:
            self._push_wanted.set()

    def _push(self) -> bool:
        from prometheus_client import push_to_gateway

        url = self.config.pushgateway_url
        try:
            push_to_gateway(url or "", job=PUSH_JOB, registry=self.registry, grouping_key=self._grouping,
                            timeout=PUSH_TIMEOUT_S)
        except OSError as e:  # URLError, HTTPError, timeouts are all OSErrors
            self.warn_once(f"metrics: push to {url} failed ({getattr(e, 'reason', None) or e}); "
                           "the run goes on, later pushes are tried")
            return False
        return True

    def _push_loop(self) -> None:
        while not self._push_stop.is_set():
            self._push_wanted.wait()
            self._push_wanted.clear()
            if self._push_stop.is_set():
                return
            self._push()

    def close(self, final: Snapshot | None = None) -> None:
        """Push the final snapshot (at most :data:`PUSH_TIMEOUT_S`), stop serving."""
        if final is not None:
            self.collector.update(final)
        if self._push_thread is not None:
            self._push_stop.set()
            self._push_wanted.set()
            self._push_thread.join(timeout=PUSH_TIMEOUT_S)
            self._push()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


__all__ = ["LABELS", "MetricsExporter", "RunCollector"]
