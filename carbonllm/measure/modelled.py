"""Modelled CPU and RAM power, from codecarbon's models, for machines without RAPL.

Nothing here is measured; every reading says so in its ``method``:

* ``codecarbon-cpu-model``: codecarbon 3.x's fall-back when RAPL cannot be read
  (``codecarbon/core/resource_tracker.py``, ``set_CPU_tracking``): the CPU's TDP from its table
  ``codecarbon/data/hardware/cpu_power.csv`` (``codecarbon.core.cpu.TDP``, a fuzzy match on the
  ``cpuinfo`` brand string; an unknown CPU gets 4 W per thread), times the number of sockets
  (``count_physical_cpus``), with its ``cpu_load`` power model (``codecarbon.external.hardware.CPU.
  _get_power_from_cpu_load``, machine mode): power = TDP × (0.1 + 0.9 × load³), load being the
  machine-wide CPU busy fraction. carbonllm keeps no CPU table of its own. The load is read with
  psutil from the very first sample, so the time codecarbon takes to load is covered: the model
  is linear in the TDP, so carbonllm accumulates ∫(0.1 + 0.9·load³)·dt and multiplies by the TDP
  once codecarbon has found it.
* ``ram-model``: codecarbon 3.x's RAM model (``codecarbon.external.ram.RAM``, machine mode; see
  docs.codecarbon.io "Methodology › RAM"): the DIMM count is guessed from the installed memory
  (e.g. ≤ 16 GB → 2, ≤ 64 GB → 4, ≤ 128 GB → 8, larger → size / 8 rounded to a common DIMM size,
  at most 32), at 5 W per x86 DIMM (1.5 W on ARM) with 0.9×, 0.8× and 0.7× marginal power past 4,
  8 and 16 DIMMs, at least 10 W (x86). Older codecarbon (< 3) used 3 W per 8 GB (0.375 W/GB).

Sensor discovery gives these sensors their power at once, from
:mod:`carbonllm.measure.power_models` (codecarbon's CPU table read as a data file, its RAM model
recomputed, or ``--cpu-power-w``/``--ram-power-w``): nothing waits and codecarbon is not imported.
The path below, codecarbon's own classes in :class:`CodecarbonModels`, remains for callers that
pass them (and ``carbonllm doctor``'s comparison): codecarbon is then imported lazily, in a
background thread started when the sensor is made, because importing it takes about 1.5 s: the
first (baseline) sample never waits for it. Until it has
loaded, a read returns the last known counter and marks it ``pending``; the sampler settles a
pending read (waits, then takes the counter as of that read) where a sample must be exact: a
window's boundaries and the final sample. Only those model
pieces are used; no ``EmissionsTracker`` is started, so codecarbon makes no network call
(its API, IP geolocation and telemetry live in the tracker and output classes, not in these).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from carbonllm.errors import DeviceUnavailableError, MeasurementError

if TYPE_CHECKING:
    from carbonllm.measure.power_models import CpuPower


class _CaptureLogs(logging.Filter):
    """Keeps codecarbon's log records as notes instead of letting its handlers print them."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.INFO:
            self.messages.append(record.getMessage())
        return False  # suppressed: codecarbon installs its own stderr handler at import


def _with_captured_logs(fn: Callable[[], Any]) -> tuple[Any, list[str]]:
    logger = logging.getLogger("codecarbon")
    capture = _CaptureLogs()
    logger.addFilter(capture)
    try:
        return fn(), capture.messages
    finally:
        logger.removeFilter(capture)


def codecarbon_version() -> str | None:
    """The installed codecarbon version, without importing it; None if it is not installed."""
    from importlib import metadata

    try:
        return metadata.version("codecarbon")
    except metadata.PackageNotFoundError:
        return None


@dataclass(frozen=True)
class CpuModelInfo:
    """What codecarbon's CPU model knows about this machine."""

    model: str
    tdp_w: float  # per socket, from codecarbon's table or its 4 W-per-thread default
    sockets: int
    max_power_w: float  # tdp_w × sockets: the TDP fed to the load model
    matched: bool  # False when codecarbon did not find the CPU in its table
    messages: tuple[str, ...] = ()


def codecarbon_cpu(make_cpu: bool = True) -> tuple[CpuModelInfo, Any]:
    """codecarbon's TDP lookup for this CPU and, if ``make_cpu``, a started load-model CPU object.

    Raises ``DeviceUnavailableError`` when codecarbon is missing or finds no TDP at all.
    """

    def load() -> tuple[CpuModelInfo, Any]:
        try:
            from codecarbon.core.cpu import TDP
            from codecarbon.core.util import count_physical_cpus
            from codecarbon.external.hardware import CPU, MODE_CPU_LOAD
        except ImportError as e:
            raise DeviceUnavailableError(f"codecarbon is not installed ({e})") from e
        tdp = TDP()
        if tdp.tdp is None:
            raise DeviceUnavailableError(f"codecarbon has no TDP for CPU {tdp.model!r}")
        sockets = int(count_physical_cpus() or 1)
        max_power_w = float(tdp.tdp) * sockets
        cpu = None
        if make_cpu:
            cpu = CPU.from_utils(".", MODE_CPU_LOAD, tdp.model, max_power_w,  # type: ignore[arg-type]
                                 tracking_mode="machine")
            cpu.start()
        info = CpuModelInfo(model=str(tdp.model), tdp_w=float(tdp.tdp), sockets=sockets,
                            max_power_w=max_power_w, matched=True)
        return info, cpu

    (info, cpu), messages = _with_captured_logs(load)
    matched = not any("don't know it" in m or "default power" in m for m in messages)
    info = CpuModelInfo(model=info.model, tdp_w=info.tdp_w, sockets=info.sockets,
                        max_power_w=info.max_power_w, matched=matched, messages=tuple(messages))
    return info, cpu


@dataclass(frozen=True)
class RamModelInfo:
    memory_gb: float
    power_w: float


def codecarbon_ram() -> RamModelInfo:
    """codecarbon 3.x's RAM power for this machine (constant in machine mode)."""

    def load() -> RamModelInfo:
        try:
            from codecarbon.external.ram import RAM
        except ImportError as e:
            raise DeviceUnavailableError(f"codecarbon is not installed ({e})") from e
        ram = RAM(tracking_mode="machine")
        return RamModelInfo(memory_gb=float(ram.machine_memory_GB), power_w=float(ram.total_power().W))

    info, _ = _with_captured_logs(load)
    return info  # type: ignore[no-any-return]


def _lower_this_threads_priority() -> None:
    """Nice the loading thread (Linux: niceness is per thread) so that importing codecarbon,
    about 1.5 s of CPU, never competes with the workload being measured."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except OSError:  # not permitted in some containers: loading at normal priority is fine
            return


class CodecarbonModels:
    """Loads codecarbon's CPU and RAM models once, in one background daemon thread.

    One thread for both: two threads importing codecarbon at once can deadlock on its circular
    imports. ``cpu()`` and ``ram()`` wait for the load and raise what it raised.
    """

    def __init__(self, cpu: bool = True, ram: bool = True) -> None:
        self._want_cpu, self._want_ram = cpu, ram
        self._cpu: tuple[CpuModelInfo, Any] | None = None
        self._ram: RamModelInfo | None = None
        self._cpu_error: MeasurementError | None = None
        self._ram_error: MeasurementError | None = None
        self._thread = threading.Thread(target=self._load, name="carbonllm-codecarbon", daemon=True)
        self._thread.start()

    @staticmethod
    def _guard(fn: Callable[[], Any]) -> tuple[Any, MeasurementError | None]:
        try:
            return fn(), None
        except MeasurementError as e:
            return None, e
        except Exception as e:  # noqa: BLE001 - policy: a third-party model failing must not stop
            # the tracker (or the training it wraps); it is recorded and the device reports it.
            return None, MeasurementError(f"codecarbon model failed: {type(e).__name__}: {e}")

    def _load(self) -> None:
        _lower_this_threads_priority()
        if self._want_cpu:
            self._cpu, self._cpu_error = self._guard(lambda: codecarbon_cpu(make_cpu=False))
        if self._want_ram:
            self._ram, self._ram_error = self._guard(codecarbon_ram)

    @property
    def ready(self) -> bool:
        """Whether loading has finished (successfully or not)."""
        return not self._thread.is_alive()

    def wait(self) -> None:
        """Block until loading has finished."""
        self._thread.join()

    def cpu(self) -> tuple[CpuModelInfo, Any]:
        self._thread.join()
        if self._cpu is None:
            raise self._cpu_error or DeviceUnavailableError("codecarbon CPU model not loaded")
        return self._cpu

    def ram(self) -> RamModelInfo:
        self._thread.join()
        if self._ram is None:
            raise self._ram_error or DeviceUnavailableError("codecarbon RAM model not loaded")
        return self._ram


class _ModelSensor:
    """A modelled device whose power is ``watts × shape``: ``watts`` comes from codecarbon (known
    only once it has loaded), ``shape`` is known at every read (1 for RAM; the load factor for
    the CPU). The model is linear in ``watts``, so ∫shape·dt is accumulated from the first read
    and energy = watts × ∫shape·dt.

    A read while codecarbon is still loading returns the last known counter and sets
    ``pending``; :meth:`settle_energy_j` then waits for codecarbon and gives the counter as of
    that read, so a sample taken at a given moment (a window's end, the command's exit) can be
    made exact without moving it later.
    """

    energy_range_j: float | None = None

    def __init__(self, models: CodecarbonModels | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._models = models
        self._clock = clock
        self._energy_j = 0.0
        self._shape_s = 0.0  # ∫ shape dt since the first read, in seconds
        self._last_shape = 0.0
        self._last_t: float | None = None
        self._power_w: float | None = None
        self.pending = False  # the last read's counter is provisional (codecarbon still loading)

    def _shape(self) -> float:
        """The interval's mean shape factor, read now (called once per read, after the first)."""
        return 1.0

    def _watts(self) -> float:
        """The model's power at shape 1, from codecarbon; waits for it to load."""
        raise NotImplementedError

    def _first_read(self) -> None:
        """The baseline: needs no model, so it never waits for codecarbon."""

    def read_energy_j(self) -> float | None:
        now = self._clock()
        if self._last_t is None:
            self._first_read()
            self._last_t = now
            return 0.0
        shape = self._shape()
        self._shape_s += shape * (now - self._last_t)  # rectangle: the interval's mean shape
        self._last_t, self._last_shape = now, shape
        if self._models is not None and not self._models.ready:  # do not block the sampler
            self.pending = True
            return self._energy_j
        return self.settle_energy_j()

    def settle_energy_j(self) -> float:
        """The counter as of the last read, waiting for codecarbon if it is still loading."""
        watts = self._watts()
        self._energy_j = watts * self._shape_s
        self._power_w = watts * self._last_shape
        self.pending = False
        return self._energy_j

    def read_power_w(self) -> float | None:
        return self._power_w

    def close(self) -> None:
        """Nothing to release."""


def machine_cpu_times() -> tuple[float, float]:
    """(busy seconds, total seconds) summed over all CPUs since boot, from psutil."""
    import psutil  # light (no codecarbon); a codecarbon dependency, so always installed with it

    times = psutil.cpu_times()
    idle = times.idle + getattr(times, "iowait", 0.0)
    total = sum(times)
    return total - idle, total


def load_factor(load: float) -> float:
    """codecarbon 3.x's CPU load model, as a fraction of TDP: 0.1 + 0.9 × load³
    (``codecarbon/external/hardware.py``, ``CPU._get_power_from_cpu_load``)."""
    return 0.1 + 0.9 * min(max(load, 0.0), 1.0) ** 3


class CpuModelSensor(_ModelSensor):
    """The whole machine's CPUs, modelled by codecarbon (see the module docstring)."""

    device = "cpu:0"
    component: str = "cpu"
    method = "codecarbon-cpu-model"

    def __init__(self, models: CodecarbonModels | None = None, clock: Callable[[], float] = time.monotonic,
                 cpu_times: Callable[[], tuple[float, float]] = machine_cpu_times,
                 power: CpuPower | None = None) -> None:
        if models is None and power is None:
            raise ValueError("CpuModelSensor needs codecarbon's models or a CpuPower")
        super().__init__(models if power is None else None, clock)
        self._power = power
        if power is not None:  # known now (carbonllm.measure.power_models): no wait, no codecarbon import
            self.name = f"{power.model} ({power.max_power_w:g} W at full load, {power.source})"
        else:
            self.name = "CPU (codecarbon model)"
        self._cpu_models = models
        self._cpu_times = cpu_times
        self._last_times: tuple[float, float] = (0.0, 0.0)

    def _first_read(self) -> None:
        self._last_times = self._cpu_times()

    def _shape(self) -> float:
        times = self._cpu_times()
        busy_s, total_s = times[0] - self._last_times[0], times[1] - self._last_times[1]
        self._last_times = times
        return load_factor(busy_s / total_s if total_s > 0 else 0.0)

    def _watts(self) -> float:
        if self._power is not None:
            return self._power.max_power_w
        if self._cpu_models is None:  # __init__ makes this impossible
            raise DeviceUnavailableError("no CPU power model")
        info, _ = self._cpu_models.cpu()
        self.name = f"{info.model} ({info.max_power_w:g} W TDP, codecarbon model)"
        return info.max_power_w


class RamModelSensor(_ModelSensor):
    """The machine's RAM, modelled by codecarbon 3.x (see the module docstring)."""

    device = "ram"
    component: str = "ram"
    method = "ram-model"

    def __init__(self, models: CodecarbonModels | None, clock: Callable[[], float] = time.monotonic,
                 power_w: float | None = None, name: str | None = None) -> None:
        super().__init__(models if power_w is None else None, clock)
        self.name = name or "RAM (codecarbon 3.x model)"
        self._fixed_power_w = power_w

    def _watts(self) -> float:
        if self._models is None:
            return self._fixed_power_w or 0.0
        info = self._models.ram()
        self.name = f"RAM {info.memory_gb:.0f} GB (codecarbon 3.x model)"
        return info.power_w


__all__ = ["CodecarbonModels", "CpuModelInfo", "CpuModelSensor", "RamModelInfo", "RamModelSensor", "codecarbon_cpu",
           "codecarbon_ram", "codecarbon_version", "load_factor", "machine_cpu_times"]
