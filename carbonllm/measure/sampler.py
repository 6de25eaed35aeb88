"""The sampler: reads every sensor each interval, in a background thread, and integrates energy.

Per device, at each sample:

* a counter (``read_energy_j()`` is a number): energy += counter − previous counter. When the
  counter is lower than before it has wrapped: add the sensor's ``energy_range_j`` (RAPL's
  ``max_energy_range_uj``); a sensor without a range records the jump as an error and restarts
  from the new value. Counters make the interval irrelevant to accuracy.
* power only (``read_energy_j()`` is ``None``): trapezoid rule, energy += (P_prev + P_now)/2 × Δt.

A read that raises :class:`~carbonllm.errors.MeasurementError` is recorded on that device (its
sample line carries ``error``) and the other devices go on; the next good read picks up from
the last good one (exact for counters, a straight line across the gap for power).

Every sample is handed to a :class:`SampleSink` as it is taken; :class:`JsonlSink` appends one
JSON line per device and flushes + fsyncs once per interval, so a crash or ``kill -9`` loses at
most one interval. Time comes from injectable clocks so tests can drive :meth:`Sampler.sample_now`
by hand.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from carbonllm.errors import InputError, MeasurementError
from carbonllm.measure.sensors import Sensor, SettlingSensor
from carbonllm.units import j_to_kwh

#: Seconds between the baseline sample and the second one (then every ``interval_s``).
FIRST_INTERVAL_S = 0.1


class DeviceReading(BaseModel):
    """One device's running totals after a sample."""

    model_config = ConfigDict(frozen=True)

    device: str
    component: str
    name: str
    method: str
    energy_j: float  # cumulative since the sampler started
    power_w: float | None  # latest power, read or derived from the last counter delta
    samples: int  # good reads
    errors: tuple[str, ...]  # distinct errors, in order of first appearance

    @property
    def energy_kwh(self) -> float:
        return j_to_kwh(self.energy_j)


class Snapshot(BaseModel):
    """Every device's totals at one moment."""

    model_config = ConfigDict(frozen=True)

    time_unix: float
    elapsed_s: float
    devices: tuple[DeviceReading, ...]

    @property
    def energy_j(self) -> float:
        return sum(d.energy_j for d in self.devices)

    @property
    def power_w(self) -> float:
        return sum(d.power_w or 0.0 for d in self.devices)

    def energy_j_by_component(self) -> dict[str, float]:
        totals = {"gpu": 0.0, "cpu": 0.0, "ram": 0.0}
        for d in self.devices:
            totals[d.component] = totals.get(d.component, 0.0) + d.energy_j
        return totals


class SampleSink(Protocol):
    def write(self, records: Sequence[dict[str, Any]]) -> None: ...
    def close(self) -> None: ...


class JsonlSink:
    """Appends sample records as JSON lines to a file it creates (``0600``, ``O_EXCL|O_NOFOLLOW``:
    never an existing file or a symlink's target); fsync after each batch (one interval).

    A failing write (a full disk) raises ``OSError`` but loses nothing: what was not written stays
    in memory, in order, and is written first at the next batch (so the file fills in as soon as
    there is room again). Past :data:`MAX_PENDING_BYTES` the oldest unwritten lines are dropped
    and counted in :attr:`dropped_lines`; the run's totals never depend on the file.
    """

    #: Unwritten sample lines kept in memory while the disk is full (~300 k samples).
    MAX_PENDING_BYTES = 64 * 1024 * 1024

    def __init__(self, path: Path) -> None:
        from carbonllm.measure.runfiles import create_exclusive

        self.path = path
        self._pending = bytearray()
        self.dropped_lines = 0
        try:
            self._fd: int | None = create_exclusive(path)
        except FileExistsError as e:
            raise InputError(f"cannot write samples to {path}: it exists already (another run's?)") from e
        except OSError as e:
            raise InputError(f"cannot write samples to {path}: {e.strerror or e}") from e

    def write(self, records: Sequence[dict[str, Any]]) -> None:
        if self._fd is None:
            return
        self._pending += "".join(json.dumps(r, separators=(",", ":"), allow_nan=False) + "\n"
                                 for r in records).encode("utf-8")
        if len(self._pending) > self.MAX_PENDING_BYTES:  # drop the oldest whole lines
            cut = self._pending.find(b"\n", len(self._pending) - self.MAX_PENDING_BYTES)
            self.dropped_lines += self._pending.count(b"\n", 0, cut + 1)
            del self._pending[: cut + 1]
        self._flush()

    def _flush(self) -> None:
        if self._fd is None:
            return
        while self._pending:
            written = os.write(self._fd, self._pending)  # may write part, then raise on the rest
            del self._pending[:written]
        os.fsync(self._fd)

    @property
    def pending_bytes(self) -> int:
        """Bytes measured but not yet on disk."""
        return len(self._pending)

    def close(self) -> None:
        """Write what is still pending (raises ``OSError`` if it cannot), then close the file."""
        if self._fd is None:
            return
        try:
            self._flush()
        finally:
            os.close(self._fd)
            self._fd = None


@dataclass
class _Device:
    sensor: Sensor
    energy_j: float = 0.0
    last_counter_j: float | None = None
    last_power_w: float | None = None
    last_time: float | None = None
    power_w: float | None = None
    samples: int = 0
    errors: list[str] = field(default_factory=list)

    def reading(self) -> DeviceReading:
        s = self.sensor
        return DeviceReading(device=s.device, component=s.component, name=s.name, method=s.method,
                             energy_j=self.energy_j, power_w=self.power_w, samples=self.samples,
                             errors=tuple(self.errors))



def _record_error(dev: _Device, error: MeasurementError) -> str:
    """Keep each distinct error of a device once; the message, for the sample line."""
    message = str(error)
    if message not in dev.errors:
        dev.errors.append(message)
    return message

class Sampler:
    """Samples ``sensors`` every ``interval_s`` seconds in a daemon thread.

    ``start()`` takes the baseline sample synchronously (so the first sample is on disk when it
    returns) and starts the thread, which takes the second sample :data:`FIRST_INTERVAL_S` later
    (so every power is known by then) and then one every ``interval_s``; ``stop()`` takes a last
    sample, joins, and closes the sink.
    ``on_sample`` is called (in the sampling thread) with each :class:`Snapshot`; the tracker uses
    it to write the provisional summary and the CLI to refresh its display.
    """

    def __init__(
        self,
        sensors: Sequence[Sensor],
        interval_s: float,
        sink: SampleSink | None = None,
        on_sample: Callable[[Snapshot], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if not interval_s > 0:
            raise InputError(f"--interval must be greater than 0, got {interval_s:g}")
        self.interval_s = interval_s
        self._devices = [_Device(s) for s in sensors]
        self._sink = sink
        self._on_sample = on_sample
        self._clock = clock
        self._wall = wall_clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0: float | None = None
        self._last: Snapshot | None = None
        self.write_errors: list[str] = []
        self.started_unix: float | None = None

    # -- sampling -------------------------------------------------------------------------

    def _sample_device(self, dev: _Device, now: float) -> str | None:
        """Read one device and add to its energy. Returns the error text, or None."""
        sensor = dev.sensor
        try:
            counter_j = sensor.read_energy_j()
            power_w = sensor.read_power_w()
        except MeasurementError as e:
            return _record_error(dev, e)
        for value, what in ((counter_j, "energy"), (power_w, "power")):
            if value is not None and (not math.isfinite(value) or (what == "power" and value < 0)):
                return _record_error(dev, MeasurementError(f"{sensor.device}: the sensor read {what} {value!r}; "
                                                           "reading ignored"))
        error = None
        if counter_j is not None:
            if dev.last_counter_j is not None:
                delta_j = counter_j - dev.last_counter_j
                if delta_j < 0:
                    if sensor.energy_range_j:
                        delta_j += sensor.energy_range_j  # the counter wrapped once
                    else:
                        error = f"{sensor.device}: energy counter went backwards; restarted from it"
                        if error not in dev.errors:
                            dev.errors.append(error)
                        delta_j = 0.0
                dev.energy_j += delta_j
                pending = isinstance(sensor, SettlingSensor) and sensor.pending
                if power_w is None and not pending and dev.last_time is not None and now > dev.last_time:
                    power_w = delta_j / (now - dev.last_time)  # mean power over the interval
                # a provisional counter (a model still loading) gives no power: null, never 0 W
            dev.last_counter_j = counter_j
        elif power_w is not None:
            if dev.last_power_w is not None and dev.last_time is not None:
                dev.energy_j += (dev.last_power_w + power_w) / 2.0 * (now - dev.last_time)  # trapezoid
            dev.last_power_w = power_w
        else:
            error = f"{sensor.device}: the sensor gave neither energy nor power"
            if error not in dev.errors:
                dev.errors.append(error)
            return error
        dev.last_time = now
        dev.power_w = power_w
        dev.samples += 1
        return error

    @staticmethod
    def _settle_device(dev: _Device) -> str | None:
        """Replace a provisional counter (a model still loading) by its value as of this sample:
        waits for the model. Returns the error text, or None."""
        sensor = dev.sensor
        if not isinstance(sensor, SettlingSensor) or not sensor.pending or dev.last_counter_j is None:
            return None
        try:
            counter_j = sensor.settle_energy_j()
        except MeasurementError as e:
            return _record_error(dev, e)
        dev.energy_j += counter_j - dev.last_counter_j  # the part the provisional read left out
        dev.last_counter_j = counter_j
        dev.power_w = sensor.read_power_w()
        return None

    def sample_now(self, settle: bool = False) -> Snapshot:
        """Take one sample of every device now, hand it to the sink, return the totals.

        ``settle``: make the sample exact where a sensor's reading is provisional (codecarbon's
        models still loading): wait for them and take their counters as of this sample, whose
        time stays the moment it was taken. Used at window boundaries and for the final sample;
        the periodic samples never wait.
        """
        with self._lock:
            now = self._clock()
            wall = self._wall()
            if self._t0 is None:
                self._t0 = now
                self.started_unix = wall
            elapsed_s = now - self._t0
            errors = [self._sample_device(dev, now) for dev in self._devices]
            if settle:
                errors = [error or self._settle_device(dev) for dev, error in zip(self._devices, errors, strict=True)]
            records = []
            for dev, error in zip(self._devices, errors, strict=True):
                s = dev.sensor
                records.append({"time_unix": wall, "elapsed_s": elapsed_s, "device": s.device,
                                "component": s.component, "energy_j": dev.energy_j, "power_w": dev.power_w,
                                "method": s.method, "error": error})
            if self._sink is not None and records:
                try:
                    self._sink.write(records)
                except OSError as e:  # policy: a full disk must not stop the measurement; recorded
                    self._write_failed(e)
            snapshot = Snapshot(time_unix=wall, elapsed_s=elapsed_s,
                                devices=tuple(d.reading() for d in self._devices))
            self._last = snapshot
        if self._on_sample is not None:
            try:
                self._on_sample(snapshot)
            except Exception as e:  # noqa: BLE001 - policy: a failing callback (the display, the
                # provisional summary) must not end the sampling; it is recorded and sampling goes on
                message = f"after a sample: {type(e).__name__}: {e}"
                if message not in self.write_errors:
                    self.write_errors.append(message)
        return snapshot

    def _write_failed(self, error: OSError) -> None:
        message = (f"writing samples failed: {error.strerror or error}; unwritten samples kept in memory and "
                   "retried at each sample (the totals are unaffected)")
        if message not in self.write_errors:
            self.write_errors.append(message)

    def snapshot(self) -> Snapshot:
        """The totals at the last sample (taking one if none was taken yet)."""
        with self._lock:
            last = self._last
        return last if last is not None else self.sample_now()

    # -- thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        # the second sample comes soon after the baseline, so that every power (a modelled CPU's
        # load, a counter's mean power) is known within FIRST_INTERVAL_S, not one interval later
        next_t = self._clock() + min(self.interval_s, FIRST_INTERVAL_S)
        while not self._stop.wait(max(0.0, next_t - self._clock())):
            self.sample_now()
            next_t += self.interval_s
            if next_t < self._clock():  # fell behind (a slow sensor): skip, do not burst
                next_t = self._clock() + self.interval_s

    def start(self) -> Snapshot:
        """Take the baseline sample and start sampling in the background."""
        if self._thread is not None:
            raise RuntimeError("the sampler is already running")
        first = self.sample_now()
        self._thread = threading.Thread(target=self._run, name="carbonllm-sampler", daemon=True)
        self._thread.start()
        return first

    def stop(self) -> Snapshot:
        """Stop the thread, take a last sample (settled: exact as of now, see
        :meth:`sample_now`), close the sink; return the final totals."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        final = self.sample_now(settle=True)
        if self._sink is not None:
            try:
                self._sink.close()
            except OSError as e:  # the disk is still full: the samples file lacks the tail; noted
                self._write_failed(e)
                pending = getattr(self._sink, "pending_bytes", 0)
                if pending:
                    self.write_errors.append(f"{pending:,} bytes of samples could not be written to the samples "
                                             "file (the summary's totals include them)")
            dropped = getattr(self._sink, "dropped_lines", 0)
            if dropped:
                self.write_errors.append(f"{dropped:,} sample lines were dropped from memory while the disk was "
                                         "full (the summary's totals include them)")
        return final


__all__ = ["DeviceReading", "JsonlSink", "SampleSink", "Sampler", "Snapshot"]
