"""AMD GPUs (Instinct MI250X/MI300X, Radeon) through AMD SMI's Python package ``amdsmi``, imported lazily.

Not yet run on AMD hardware: the calls and their units are taken from ROCm/amdsmi's Python
interface (``py-interface/amdsmi_interface.py``) and checked against fakes of those calls only.

Two methods, chosen per GPU when it is opened, as for NVML:

* ``amdsmi-counter``: ``amdsmi_get_energy_count(handle)`` returns an accumulator of ticks
  (key ``energy_accumulator``; ``power`` in releases before ROCm 6.4, the same value) and
  ``counter_resolution``, the µJ per tick; energy in J = ticks × resolution / 1e6. A 64-bit
  accumulator: it does not wrap in practice.
* ``amdsmi-power-integration``: where the counter is not supported, ``amdsmi_get_power_info``
  (W: ``socket_power`` from ROCm 7, else ``current_socket_power`` (MI300), else
  ``average_socket_power``; an unsupported field reads ``"N/A"``) is sampled and integrated by
  the sampler.

Which GPUs: ``gpu_ids`` (indices in ``amdsmi_get_processor_handles()``'s order) when given,
else all. Every ``amdsmi.AmdSmiException`` is translated here, once, into
:class:`~carbonllm.errors.MeasurementError` (:class:`DeviceUnavailableError` when the library or
driver is absent).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from carbonllm.errors import DeviceUnavailableError, MeasurementError
from carbonllm.units import UJ_PER_J

POWER_KEYS = ("socket_power", "current_socket_power", "average_socket_power")


def import_amdsmi() -> ModuleType:
    """The ``amdsmi`` module; ``DeviceUnavailableError`` if it is not installed."""
    try:
        import amdsmi
    except ImportError as e:
        raise DeviceUnavailableError("amdsmi (AMD SMI's Python package, from ROCm) is not installed") from e
    except OSError as e:  # amdsmi loads libamd_smi.so when imported
        raise DeviceUnavailableError(f"amdsmi could not load its library: {e}") from e
    return amdsmi


def _error(e: Exception, doing: str) -> MeasurementError:
    return MeasurementError(f"amdsmi {doing}: {e}")


def _number(value: Any) -> float | None:
    """A finite number from an amdsmi field, or None ("N/A", missing, NaN)."""
    if isinstance(value, dict):  # some releases wrap values as {"value": …, "unit": …}
        value = value.get("value")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


class AmdGpuSensor:
    """One AMD GPU. Uses the energy accumulator where the GPU has one, else power samples."""

    component = "gpu"
    energy_range_j = None

    def __init__(self, amdsmi: ModuleType, handle: Any, index: int) -> None:
        self._amd = amdsmi
        self._handle = handle
        self.index = index
        self.device = f"gpu:{index}"
        try:
            self.name = str(amdsmi.amdsmi_get_gpu_asic_info(handle).get("market_name") or "AMD GPU")
        except amdsmi.AmdSmiException as e:
            raise _error(e, f"opening GPU {index}") from e
        try:
            self.uuid: str | None = str(amdsmi.amdsmi_get_gpu_device_uuid(handle))
        except amdsmi.AmdSmiException:
            self.uuid = None
        self.has_counter = self._read_counter_j() is not None
        self.method = "amdsmi-counter" if self.has_counter else "amdsmi-power-integration"

    def _read_counter_j(self) -> float | None:
        amd = self._amd
        try:
            info = amd.amdsmi_get_energy_count(self._handle)
        except amd.AmdSmiException:
            return None
        ticks = _number(info.get("energy_accumulator", info.get("power")))
        resolution_uj = _number(info.get("counter_resolution"))
        if ticks is None or resolution_uj is None or resolution_uj <= 0:
            return None
        return ticks * resolution_uj / UJ_PER_J  # ticks × µJ/tick → J

    def read_energy_j(self) -> float | None:
        if not self.has_counter:
            return None
        amd = self._amd
        try:
            info = amd.amdsmi_get_energy_count(self._handle)
        except amd.AmdSmiException as e:
            raise _error(e, f"reading the energy counter of GPU {self.index}") from e
        ticks = _number(info.get("energy_accumulator", info.get("power")))
        resolution_uj = _number(info.get("counter_resolution"))
        if ticks is None or resolution_uj is None or resolution_uj <= 0:
            raise MeasurementError(f"amdsmi gave GPU {self.index} an unreadable energy count: {info!r}")
        return ticks * resolution_uj / UJ_PER_J

    def read_power_w(self) -> float | None:
        amd = self._amd
        try:
            info = amd.amdsmi_get_power_info(self._handle)
        except amd.AmdSmiException as e:
            if self.has_counter:
                return None  # the counter is what matters; power is only for display
            raise _error(e, f"reading the power of GPU {self.index}") from e
        for key in POWER_KEYS:
            watts = _number(info.get(key))
            if watts is not None and watts >= 0:
                return watts
        if self.has_counter:
            return None
        raise MeasurementError(f"amdsmi reports no power for GPU {self.index} ({', '.join(POWER_KEYS)} are N/A)")

    def close(self) -> None:
        """Nothing per GPU; amdsmi itself is shut down by :meth:`AmdGpus.close`."""


@dataclass
class AmdGpus:
    """The GPU sensors opened in one amdsmi session."""

    amdsmi: ModuleType
    sensors: list[AmdGpuSensor] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def close(self) -> None:
        try:
            self.amdsmi.amdsmi_shut_down()
        except self.amdsmi.AmdSmiException as e:
            raise _error(e, "shutting down") from e


def open_gpus(gpu_ids: Sequence[str] | None) -> AmdGpus:
    """Init amdsmi and open a sensor per selected GPU; ``DeviceUnavailableError`` when there is none."""
    amd = import_amdsmi()
    try:
        amd.amdsmi_init()
    except amd.AmdSmiException as e:
        raise DeviceUnavailableError(f"amdsmi init: {e}") from e
    gpus = AmdGpus(amd)
    try:
        try:
            handles = list(amd.amdsmi_get_processor_handles())
        except amd.AmdSmiException as e:
            raise DeviceUnavailableError(f"amdsmi listing GPUs: {e}") from e
        if not handles:
            raise DeviceUnavailableError("amdsmi sees no AMD GPU")
        indices = list(range(len(handles)))
        if gpu_ids:
            indices = []
            for gpu_id in gpu_ids:
                if not gpu_id.isdigit() or int(gpu_id) >= len(handles):
                    raise DeviceUnavailableError(f"--gpu-ids names GPU {gpu_id}, but amdsmi sees {len(handles)} "
                                                 f"AMD GPU(s) (0..{len(handles) - 1})")
                indices.append(int(gpu_id))
        for index in dict.fromkeys(indices):
            gpus.sensors.append(AmdGpuSensor(amd, handles[index], index))
    except MeasurementError:
        gpus.close()
        raise
    for sensor in gpus.sensors:
        if not sensor.has_counter:
            gpus.notes.append(f"{sensor.device}: no amdsmi energy counter; integrating power samples instead")
    gpus.notes.append("gpu: AMD GPUs read through amdsmi (not yet verified on AMD hardware)")
    return gpus


__all__ = ["AmdGpuSensor", "AmdGpus", "import_amdsmi", "open_gpus"]
