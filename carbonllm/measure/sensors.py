"""The read-only sensor interface, the fake sensor for tests, and sensor discovery.

A sensor reads one device: a GPU, a CPU package, or the machine's RAM. It answers two questions
and nothing else:

* ``read_energy_j()``: a cumulative energy counter in joules from an arbitrary origin, or
  ``None`` when the device has no counter (then the sampler integrates ``read_power_w()``);
* ``read_power_w()``: the current power in watts, or ``None`` when unknown.

Every sensor says which ``method`` produced its numbers (``nvml-counter``,
``nvml-power-integration``, ``rapl``, ``codecarbon-cpu-model``, ``ram-model``, ``fake``); the
sampler copies it onto every sample. Vendor libraries are imported lazily inside the adapters
(:mod:`carbonllm.measure.nvml`, :mod:`carbonllm.measure.rapl`, :mod:`carbonllm.measure.modelled`),
never at ``import carbonllm``. A read that fails raises
:class:`~carbonllm.errors.MeasurementError` (or a subclass); the sampler records it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from carbonllm.errors import MeasurementError

if TYPE_CHECKING:
    from carbonllm.measure.track_config import TrackConfig

Component = Literal["gpu", "cpu", "ram"]

#: Every value a reading's ``method`` may take.
METHODS = (
    "nvml-counter",  # NVML total-energy counter (Volta and later), mJ
    "nvml-power-integration",  # trapezoid over NVML power samples, mW
    "rapl",  # Linux powercap RAPL energy_uj counter (package or DRAM domain)
    "codecarbon-cpu-model",  # codecarbon's CPU TDP table × its load model
    "ram-model",  # codecarbon 3.x's DIMM-count RAM power model
    "amdsmi-counter",  # AMD SMI energy accumulator × counter resolution (µJ)
    "amdsmi-power-integration",  # trapezoid over AMD SMI socket power samples, W
    "fake",  # scripted values, for tests
)
#: Methods of run summaries made from a cluster's telemetry (carbonllm.report.prometheus, .slurm).
CLUSTER_METHODS = (
    "dcgm-counter",  # DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION increases, from Prometheus
    "dcgm-power-integration",  # trapezoid over DCGM_FI_DEV_POWER_USAGE samples, from Prometheus
    "slurm-consumed-energy",  # sacct's ConsumedEnergyRaw (acct_gather_energy)
)


@runtime_checkable
class Sensor(Protocol):
    """One device that can be read. Read-only: nothing here changes the device."""

    device: str  # "gpu:0", "cpu:0", "ram", "ram:0"
    component: str  # "gpu", "cpu" or "ram"
    name: str  # "NVIDIA H100 80GB HBM3", "package-0", ...
    method: str  # one of METHODS
    energy_range_j: float | None  # where the counter wraps back to 0, if it does

    def read_energy_j(self) -> float | None:
        """Cumulative energy in J from an arbitrary origin; None if there is no counter."""
        ...

    def read_power_w(self) -> float | None:
        """Current power in W; None if unknown."""
        ...

    def close(self) -> None:
        """Release what the sensor holds (handles, files)."""
        ...


@runtime_checkable
class SettlingSensor(Protocol):
    """A sensor whose counter may be provisional: a model still loading (codecarbon's).

    While ``pending`` is true the last ``read_energy_j()`` returned the last known counter;
    ``settle_energy_j()`` waits for the model and returns the counter as of that read.
    """

    pending: bool

    def settle_energy_j(self) -> float: ...


ScriptItem = float | None | BaseException


class FakeSensor:
    """A sensor that replays a script, for tests.

    ``energies_j`` is what successive ``read_energy_j()`` calls return (``None`` for a sensor
    without counter) and ``powers_w`` what ``read_power_w()`` calls return; an exception in a
    script is raised at that read. When a script runs out its last value repeats.
    """

    def __init__(
        self,
        device: str = "gpu:0",
        component: Component = "gpu",
        *,
        energies_j: Sequence[ScriptItem] | None = None,
        powers_w: Sequence[ScriptItem] | None = None,
        name: str = "fake device",
        method: str = "fake",
        energy_range_j: float | None = None,
    ) -> None:
        self.device = device
        self.component: Component = component
        self.name = name
        self.method = method
        self.energy_range_j = energy_range_j
        self._energies = list(energies_j) if energies_j is not None else None
        self._powers: list[ScriptItem] = list(powers_w) if powers_w is not None else [None]
        self._energy_reads = 0
        self._power_reads = 0
        self.closed = False

    @staticmethod
    def _next(script: list[ScriptItem], index: int) -> float | None:
        item = script[min(index, len(script) - 1)]
        if isinstance(item, BaseException):
            raise item
        return item

    def read_energy_j(self) -> float | None:
        if self._energies is None:
            return None
        self._energy_reads += 1
        return self._next(self._energies, self._energy_reads - 1)

    def read_power_w(self) -> float | None:
        self._power_reads += 1
        return self._next(self._powers, self._power_reads - 1)

    def close(self) -> None:
        self.closed = True


@dataclass
class SensorSet:
    """The sensors found on this machine, what could not be used (``notes``), and cleanup."""

    sensors: list[Sensor] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)
    waiters: list[Callable[[], None]] = field(default_factory=list)

    def settle(self) -> None:
        """Wait for sensors still loading (codecarbon's models); instant once they have loaded."""
        for wait in self.waiters:
            wait()

    def close(self) -> None:
        """Close every sensor, then the libraries they share (NVML)."""
        for sensor in self.sensors:
            sensor.close()
        for closer in self.closers:
            closer()


def _add_amd_gpus(config: TrackConfig, found: SensorSet) -> bool:
    """Open AMD GPUs through amdsmi into ``found``; False (nothing added) when there are none."""
    from carbonllm.measure import amd

    try:
        gpus = amd.open_gpus(config.gpu_ids)
    except MeasurementError:
        return False
    found.sensors.extend(gpus.sensors)  # type: ignore[arg-type]
    found.closers.append(gpus.close)
    found.notes.extend(gpus.notes)
    return True


def discover_sensors(config: TrackConfig) -> SensorSet:
    """Open every sensor this machine offers, in the order GPU, CPU, RAM.

    * GPUs: NVML, limited to ``config.gpu_ids`` or ``CUDA_VISIBLE_DEVICES``; where NVML has no
      GPU, AMD GPUs through amdsmi (:mod:`carbonllm.measure.amd`) when it reports some. Explicit
      GPU ids that neither can provide raise; otherwise no GPU is a note (no GPU measured).
    * CPU: RAPL package domains when readable; else codecarbon's CPU model, its power known at
      once (:mod:`carbonllm.measure.power_models`: codecarbon's table read directly, or
      ``--cpu-power-w``), noted.
    * RAM: RAPL DRAM domains when readable; else codecarbon 3.x's RAM model (or
      ``--ram-power-w``), noted.
    """
    from carbonllm.measure import modelled, nvml, power_models
    from carbonllm.measure import rapl as rapl_backend

    found = SensorSet()
    if config.measure_gpu:
        try:
            gpus = nvml.open_gpus(config.gpu_ids, config.cuda_visible_devices)
        except MeasurementError as e:
            if not _add_amd_gpus(config, found):  # no NVIDIA GPU: AMD's, when amdsmi reports some
                if config.gpu_ids:
                    raise
                found.notes.append(f"gpu: not measured ({e})")
        else:
            found.sensors.extend(gpus.sensors)  # type: ignore[arg-type]
            found.closers.append(gpus.close)
            found.notes.extend(gpus.notes)

    rapl = rapl_backend.find_rapl(config.rapl_root) if (config.measure_cpu or config.measure_ram) else None
    cpu_from_rapl = rapl is not None and bool(rapl.packages)
    ram_from_rapl = rapl is not None and bool(rapl.dram)
    reason = (rapl.problem if rapl is not None else "not looked for") or "has no package domain"
    if config.measure_cpu:
        if cpu_from_rapl:
            found.sensors.extend(rapl.packages)  # type: ignore[union-attr,arg-type]
            if config.cpu_power_w is not None:
                found.notes.append("cpu: --cpu-power-w not used: RAPL measures the CPU")
        else:
            cpu = power_models.cpu_power(config.cpu_power_w)
            found.sensors.append(modelled.CpuModelSensor(power=cpu))
            found.notes.append(f"cpu: RAPL {reason}; modelled as {cpu.max_power_w:g} W at full load × "
                               f"(0.1 + 0.9 × load³) (codecarbon's load model), {cpu.source} (estimated)")
    if config.measure_ram:
        if ram_from_rapl:
            found.sensors.extend(rapl.dram)  # type: ignore[union-attr,arg-type]
            if config.ram_power_w is not None:
                found.notes.append("ram: --ram-power-w not used: RAPL measures the RAM")
        else:
            ram = power_models.ram_power(config.ram_power_w)
            found.sensors.append(modelled.RamModelSensor(None, power_w=ram.power_w,
                                                         name=f"RAM {ram.memory_gb:.0f} GB ({ram.source})"))
            found.notes.append(f"ram: no readable RAPL DRAM domain; modelled as {ram.power_w:g} W, {ram.source} "
                               "(estimated)")
    return found
