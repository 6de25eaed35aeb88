"""GPU energy of a past or running job from NVIDIA's DCGM exporter, read through Prometheus.

``carbonllm report --prometheus URL --start T --end T [--match '{Hostname=~"node[0-9]+"}'] [--job NAME]``.
Two metrics of dcgm-exporter (``etc/default-counters.csv`` of github.com/NVIDIA/dcgm-exporter):

* ``DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION``: counter, "Total energy consumption since boot (in
  mJ)" (NVML's ``nvmlDeviceGetTotalEnergyConsumption``, Volta and later). Method
  ``dcgm-counter``: the sum of the counter's increases between consecutive samples; a decrease is
  a reset (reboot, driver reload) and, as Prometheus' ``increase()`` does, the value after it
  counts from zero.
* ``DCGM_FI_DEV_POWER_USAGE``: gauge, "Power draw (in W)". Method ``dcgm-power-integration``,
  for a GPU that has no counter series: the trapezoid rule over the samples.

Each series is one GPU: dcgm-exporter labels it ``gpu`` (index), ``UUID``, ``modelName``,
``Hostname`` and ``device`` (plus ``pod``/``namespace``/``container`` on Kubernetes, and
Prometheus' own ``instance``/``job``). GPUs are keyed by ``Hostname`` (else ``instance``) and
``UUID`` (else ``gpu``); the series of one GPU under several label sets (on Kubernetes, each pod
that held it) are joined in time order.

The raw samples are read with instant queries of range vectors (``METRIC{…}[3600000ms]`` at the
end of each hour of the window, so a month on 1,000 GPUs stays within Prometheus'
``--query.max-samples``) and the arithmetic is done here, where every step can be said:

* edges: as Prometheus' ``increase()``, a series whose first (last) sample lies within 1.1 mean
  scrape intervals of the window's start (end) is extended to it at the series' mean power;
  otherwise by half an interval (it started or stopped inside the window);
* resets: the part of the interval before the reset that the counter no longer holds is filled
  at the series' mean power (``max(0, P̄·Δt − value after the reset)``);
* gaps: an interval longer than 1.5 scrape intervals is a gap (missed scrapes). A counter still
  counts through a gap, but a reset inside one would hide up to the gap × the highest power seen;
  power integration draws a straight line across it. Both are reported;
* NaN, infinite and negative samples are skipped and counted.

Everything filled or at risk is in the summary's notes, with the queries.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from carbonllm.errors import InputError
from carbonllm.units import J_PER_KWH, MJ_PER_J

COUNTER_METRIC = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"  # mJ since boot, counter
POWER_METRIC = "DCGM_FI_DEV_POWER_USAGE"  # W, gauge
CHUNK_S = 3600.0
HTTP_TIMEOUT_S = 60.0
EDGE_FACTOR = 1.1  # Prometheus' extrapolation threshold (promql/functions.go, extrapolatedRate)
GAP_FACTOR = 1.5


def parse_time(text: str, flag: str, now_unix: float | None = None) -> float:
    """Unix seconds from ``now``, a Unix time (``1733500000``) or ISO 8601 with a zone (``…Z``)."""
    value = text.strip()
    if value == "now":
        return time.time() if now_unix is None else now_unix
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as e:
        raise InputError(f"{flag} {text!r} is not a time: give ISO 8601 with a zone (2026-12-01T00:00:00Z), "
                         "Unix seconds, or now") from e
    if parsed.tzinfo is None:
        raise InputError(f"{flag} {text!r} has no time zone: add Z for UTC or an offset (+01:00)")
    return parsed.astimezone(timezone.utc).timestamp()


def selector(match: str | None, job: str | None) -> str:
    """The label matchers inside ``{}``: ``--match``'s, and ``job="NAME"`` for ``--job``."""
    parts = []
    if match:
        text = match.strip()
        if not (text.startswith("{") and text.endswith("}")):
            raise InputError(f"--match {match!r} must be label matchers in braces, e.g. "
                             "'{Hostname=~\"node[0-9]+\"}'")
        inner = text[1:-1].strip().rstrip(",")
        if inner:
            parts.append(inner)
    if job:
        parts.append(f'job="{_escape(job)}"')
    return ", ".join(parts)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def host_matcher(hosts: Iterable[str]) -> str:
    """``Hostname=~"a|b"`` for exactly these hosts (regex metacharacters escaped)."""
    import re

    return 'Hostname=~"' + _escape("|".join(re.escape(h) for h in hosts)) + '"'


class PrometheusClient:
    """The few calls of the Prometheus HTTP API this module makes (``/api/v1/query``)."""

    def __init__(self, url: str) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(f"--prometheus must be an http:// or https:// URL, e.g. http://127.0.0.1:9090, "
                             f"not {url!r}")
        self.url = url.strip().rstrip("/")

    def query(self, promql: str, at_unix: float) -> list[dict[str, Any]]:
        """The ``result`` of an instant query; ``InputError`` with one line on any failure."""
        from urllib.error import HTTPError, URLError
        from urllib.parse import urlencode
        from urllib.request import Request, urlopen

        body = urlencode({"query": promql, "time": f"{at_unix:.3f}"}).encode()
        request = Request(f"{self.url}/api/v1/query", data=body,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
                payload = response.read()
        except HTTPError as e:
            detail = _error_of(e.read())
            if e.code in (400, 422):  # Prometheus' answers to a bad or failing query
                hint = "check --match and --job"
            elif e.code == 503:
                hint = "Prometheus is overloaded or the query timed out; try again or a shorter window"
            else:
                hint = "is --prometheus the URL of a Prometheus server (http://host:9090)?"
            raise InputError(f"{self.url} answered HTTP {e.code} to {promql!r}"
                             f"{': ' + detail if detail else ''}; {hint}") from e
        except (URLError, OSError) as e:
            reason = getattr(e, "reason", None) or e
            raise InputError(f"cannot reach Prometheus at {self.url} ({reason}); check --prometheus") from e
        try:
            data = json.loads(payload)
        except ValueError as e:
            raise InputError(f"{self.url} did not answer as the Prometheus HTTP API (not JSON); "
                             "check --prometheus") from e
        if not isinstance(data, dict) or data.get("status") != "success":
            reason = data.get("error") if isinstance(data, dict) else None
            raise InputError(f"Prometheus at {self.url} refused {promql!r}: {reason or 'no reason given'}")
        result = data.get("data", {}).get("result")
        if not isinstance(result, list):
            raise InputError(f"{self.url} gave no result list for {promql!r}; is it Prometheus?")
        return result


def _error_of(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    return str(data.get("error", "")) if isinstance(data, dict) else ""


@dataclass
class Series:
    """One GPU's samples of one metric, accumulated in time order (streamed chunk by chunk)."""

    host: str
    gpu: str
    uuid: str
    model: str
    counter: bool
    samples: int = 0
    bad_samples: int = 0
    first_t: float | None = None
    last_t: float | None = None
    last_v: float | None = None
    energy_j: float = 0.0  # counted (counter increases, or trapezoids)
    steady_j: float = 0.0  # over intervals without a reset, for the mean power
    steady_s: float = 0.0
    max_power_w: float = 0.0
    intervals: list[float] = field(default_factory=list)  # every interval (s), for the scrape interval
    resets: list[tuple[float, float]] = field(default_factory=list)  # (interval s, J counted after the reset)

    def add(self, t: float, value: float) -> None:
        if not math.isfinite(value) or value < 0:  # neither energy nor power is negative
            self.bad_samples += 1
            return
        if self.last_t is not None and t <= self.last_t:
            return  # the same sample seen at a chunk boundary
        if self.counter:
            value = value / MJ_PER_J  # mJ → J
        if self.last_t is not None and self.last_v is not None:
            dt = t - self.last_t
            self.intervals.append(dt)
            if self.counter:
                delta = value - self.last_v
                if delta < 0:  # a reset: the counter restarted from 0 inside this interval
                    self.resets.append((dt, value))
                    self.energy_j += value
                else:
                    self.energy_j += delta
                    self.steady_j += delta
                    self.steady_s += dt
                    self.max_power_w = max(self.max_power_w, delta / dt)
            else:
                self.energy_j += (self.last_v + value) / 2.0 * dt  # trapezoid
                self.steady_j += (self.last_v + value) / 2.0 * dt
                self.steady_s += dt
                self.max_power_w = max(self.max_power_w, value, self.last_v)
        elif not self.counter:
            self.max_power_w = max(self.max_power_w, value)
        if self.first_t is None:
            self.first_t = t
        self.last_t, self.last_v = t, value
        self.samples += 1


@dataclass(frozen=True)
class GpuEnergy:
    """One GPU's energy over the window and how it was obtained."""

    host: str
    gpu: str
    uuid: str
    model: str
    method: str  # dcgm-counter / dcgm-power-integration
    energy_j: float  # counted + filled
    filled_j: float  # edges and resets, at the series' mean power
    samples: int
    bad_samples: int
    resets: int
    scrape_interval_s: float | None
    gaps: int
    missed_scrapes: int
    gap_s: float
    at_risk_j: float  # what the gaps could hide (see the module docstring)
    covered_s: float = 0.0  # from the first to the last sample, plus the edges it was extended by


def finish(series: Series, start: float, end: float) -> GpuEnergy:
    """Close a series over the window [start, end]: edges, resets and gaps (module docstring)."""
    interval = statistics.median(series.intervals) if series.intervals else None
    mean_power = series.steady_j / series.steady_s if series.steady_s > 0 else 0.0
    filled = 0.0
    covered = (series.last_t - series.first_t) if series.first_t is not None and series.last_t is not None else 0.0
    for dt, after in series.resets:
        filled += max(0.0, mean_power * dt - after)  # the part before the reset the counter lost
    if interval is not None and series.first_t is not None and series.last_t is not None:
        mean_interval = (series.last_t - series.first_t) / max(1, len(series.intervals))
        for edge in (series.first_t - start, end - series.last_t):
            edge = max(0.0, edge)
            reach = edge if edge <= EDGE_FACTOR * mean_interval else mean_interval / 2.0
            filled += mean_power * reach
            covered += reach
    gaps = [dt for dt in series.intervals if interval is not None and dt > GAP_FACTOR * interval]
    missed = sum(max(1, round(dt / interval) - 1) for dt in gaps) if interval else 0
    gap_s = sum(dt - (interval or 0.0) for dt in gaps)
    # a counter counts through a gap unless it reset inside it; a straight line may miss any peak
    at_risk = gap_s * series.max_power_w if series.counter else gap_s * max(0.0, series.max_power_w - mean_power)
    return GpuEnergy(host=series.host, gpu=series.gpu, uuid=series.uuid, model=series.model,
                     method="dcgm-counter" if series.counter else "dcgm-power-integration",
                     energy_j=series.energy_j + filled, filled_j=filled, samples=series.samples,
                     bad_samples=series.bad_samples, resets=len(series.resets), scrape_interval_s=interval,
                     gaps=len(gaps), missed_scrapes=missed, gap_s=gap_s, at_risk_j=at_risk, covered_s=covered)


def _key(labels: Mapping[str, str]) -> tuple[str, str]:
    host = labels.get("Hostname") or labels.get("instance") or "unknown-host"
    return host, labels.get("UUID") or f"gpu{labels.get('gpu', '?')}"


def read_series(client: PrometheusClient, metric: str, match: str, start: float, end: float,
                counter: bool) -> tuple[dict[tuple[str, str], Series], str]:
    """Every series of ``metric`` over (start, end], read an hour at a time; and the query's form."""
    found: dict[tuple[str, str], Series] = {}
    chunk_start = start
    form = f"{metric}{{{match}}}[<window>]"
    while chunk_start < end:
        chunk_end = min(end, chunk_start + CHUNK_S)
        range_ms = max(1, round((chunk_end - chunk_start) * 1000))
        # the first chunk includes a sample exactly at the start: the range is (at - range, at]
        lookback = range_ms + (1 if chunk_start == start else 0)
        promql = f"{metric}{{{match}}}[{lookback}ms]"
        points: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for item in client.query(promql, chunk_end):
            labels = item.get("metric") or {}
            values = item.get("values")
            if not isinstance(labels, dict) or not isinstance(values, list):
                raise InputError(f"Prometheus answered {promql!r} with something other than a range vector")
            key = _key(labels)
            series = found.get(key)
            if series is None:
                series = found[key] = Series(host=key[0], gpu=str(labels.get("gpu", "?")), uuid=key[1],
                                             model=labels.get("modelName") or "unknown GPU", counter=counter)
            for point in values:
                try:
                    points.setdefault(key, []).append((float(point[0]), float(point[1])))
                except (TypeError, ValueError, IndexError):
                    series.bad_samples += 1
        # one GPU may come as several series (the pod that held it changed): joined in time order
        for key, pairs in points.items():
            for t, v in sorted(pairs, key=lambda p: p[0]):
                found[key].add(t, v)
        chunk_start = chunk_end
    return found, form


@dataclass(frozen=True)
class DcgmReading:
    """Every GPU's energy over the window, and what a reader must know about it."""

    start_unix: float
    end_unix: float
    gpus: tuple[GpuEnergy, ...]
    queries: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def energy_j(self) -> float:
        return sum(g.energy_j for g in self.gpus)


def read_dcgm(url: str, start: float, end: float, match: str | None = None, job: str | None = None,
              hosts: Iterable[str] | None = None) -> DcgmReading:
    """GPU energy per GPU over [start, end] from dcgm-exporter metrics in Prometheus at ``url``.

    ``hosts`` limits the query to these ``Hostname`` values (a SLURM job's nodes). Raises
    :class:`InputError` for a bad window, an unreachable server, an HTTP error, or no data.
    """
    if not (math.isfinite(start) and math.isfinite(end)) or end <= start:
        raise InputError(f"--end must be after --start (got {end - start:g} s); give a window with data")
    if end > time.time() + 60:
        raise InputError("--end is in the future; give now or an earlier time")
    client = PrometheusClient(url)
    matchers = selector(match, job)
    if hosts is not None:
        matchers = ", ".join(p for p in (matchers, host_matcher(hosts)) if p)
    counters, counter_form = read_series(client, COUNTER_METRIC, matchers, start, end, counter=True)
    powers, power_form = read_series(client, POWER_METRIC, matchers, start, end, counter=False)
    chosen = {k: s for k, s in counters.items() if s.samples >= 2}
    notes: list[str] = []
    for key, s in powers.items():
        if key not in chosen and s.samples >= 2:
            chosen[key] = s
    thin = [k for k in {**counters, **powers} if k not in chosen]
    if not chosen:
        where = f" matching {{{matchers}}}" if matchers else ""
        what = "too few samples (fewer than 2 per GPU)" if thin else "no data"
        raise InputError(f"Prometheus at {client.url} has {what} for {COUNTER_METRIC} or {POWER_METRIC}{where} "
                         f"between {_iso(start)} and {_iso(end)}; check the window, --match and --job, and that "
                         "dcgm-exporter is scraped")
    if thin:
        notes.append(f"{len(thin)} GPU series with fewer than 2 samples in the window were left out: "
                     + ", ".join(f"{h}/{u}" for h, u in sorted(thin)[:5]) + (" …" if len(thin) > 5 else ""))
    gpus = tuple(finish(chosen[k], start, end) for k in sorted(chosen))
    notes.extend(_quality_notes(gpus))
    queries = tuple(form for form, used in ((counter_form, counters), (power_form, powers)) if used)
    return DcgmReading(start_unix=start, end_unix=end, gpus=gpus, queries=queries or (counter_form,),
                       notes=tuple(notes))


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def _kwh(j: float) -> str:
    return f"{j / J_PER_KWH:.4g} kWh"


def _quality_notes(gpus: tuple[GpuEnergy, ...]) -> list[str]:
    notes = []
    total = sum(g.energy_j for g in gpus)
    filled = sum(g.filled_j for g in gpus)
    if filled > 0:
        notes.append(f"{_kwh(filled)} of {_kwh(total)} ({filled / total:.2%}) filled at each GPU's mean power: "
                     "window edges before the first and after the last scrape, and counter resets")
    resets = [g for g in gpus if g.resets]
    if resets:
        notes.append(f"counter resets (reboot or driver reload) on {len(resets)} GPU(s): "
                     + ", ".join(f"{g.host}/gpu{g.gpu} ×{g.resets}" for g in resets[:5]))
    gapped = [g for g in gpus if g.gaps]
    if gapped:
        missed = sum(g.missed_scrapes for g in gapped)
        risk = sum(g.at_risk_j for g in gapped)
        notes.append(f"gaps in the data on {len(gapped)} GPU(s): about {missed} missed scrapes, "
                     f"{sum(g.gap_s for g in gapped):,.0f} s; they could hide up to {_kwh(risk)} "
                     "(a counter reset inside a gap, or power peaks between samples)")
    else:
        notes.append("no gaps: every GPU was scraped at its usual interval through the window")
    bad = sum(g.bad_samples for g in gpus)
    if bad:
        notes.append(f"{bad} NaN, infinite, negative or malformed samples skipped")
    integrated = [g for g in gpus if g.method == "dcgm-power-integration"]
    if integrated:
        notes.append(f"{len(integrated)} GPU(s) without {COUNTER_METRIC}: power samples integrated "
                     "(trapezoid rule); the longer the scrape interval, the rougher")
    return notes


__all__ = ["COUNTER_METRIC", "POWER_METRIC", "DcgmReading", "GpuEnergy", "PrometheusClient", "Series",
           "finish", "host_matcher", "parse_time", "read_dcgm", "selector"]
