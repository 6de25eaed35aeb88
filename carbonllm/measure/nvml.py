"""NVIDIA GPUs through NVML (``pynvml``, from the nvidia-ml-py package), imported lazily.

Two methods, chosen per GPU when it is opened:

* ``nvml-counter``: ``nvmlDeviceGetTotalEnergyConsumption``, the energy in mJ the board has used
  since the driver was last loaded (Volta and later; NVML API reference, "Device Queries"). Exact
  over any interval, however long.
* ``nvml-power-integration``: where that call answers ``NVML_ERROR_NOT_SUPPORTED`` (pre-Volta
  boards, some vGPU/MIG set-ups), ``nvmlDeviceGetPowerUsage`` (mW) is sampled and the sampler
  integrates it with the trapezoid rule; the shorter the interval, the closer.

Which GPUs: ``gpu_ids`` (NVML indices as ``nvidia-smi`` numbers them, or UUIDs ``GPU-…``) when
given, else ``CUDA_VISIBLE_DEVICES`` (integers or UUIDs/UUID prefixes, as CUDA reads it: up to
the first invalid entry), else all. Every ``pynvml.NVMLError`` is translated here, once:
no permission → :class:`DevicePermissionError`; no library, no driver, no such GPU, GPU lost →
:class:`DeviceUnavailableError`; anything else → :class:`MeasurementError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from carbonllm.errors import DevicePermissionError, DeviceUnavailableError, MeasurementError
from carbonllm.units import MJ_PER_J, MW_PER_W


def import_pynvml() -> ModuleType:
    """The ``pynvml`` module; ``DeviceUnavailableError`` if nvidia-ml-py is not installed."""
    try:
        import pynvml
    except ImportError as e:
        raise DeviceUnavailableError("pynvml (nvidia-ml-py) is not installed") from e
    return pynvml


def translate(pynvml: ModuleType, error: Exception, doing: str) -> MeasurementError:
    """The carbonllm error for an ``NVMLError`` met while ``doing`` something."""
    value = getattr(error, "value", None)
    message = f"NVML {doing}: {error}"
    if value == pynvml.NVML_ERROR_NO_PERMISSION:
        return DevicePermissionError(message)
    unavailable = {
        getattr(pynvml, name, None)
        for name in (
            "NVML_ERROR_LIBRARY_NOT_FOUND",
            "NVML_ERROR_DRIVER_NOT_LOADED",
            "NVML_ERROR_NOT_FOUND",
            "NVML_ERROR_INVALID_ARGUMENT",
            "NVML_ERROR_GPU_IS_LOST",
            "NVML_ERROR_UNINITIALIZED",
            "NVML_ERROR_FUNCTION_NOT_FOUND",
        )
    }
    if value in unavailable:
        return DeviceUnavailableError(message)
    return MeasurementError(message)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class NvmlGpuSensor:
    """One NVIDIA GPU. Uses the energy counter where the GPU has one, else power samples."""

    component = "gpu"
    energy_range_j = None  # a 64-bit mJ counter: it does not wrap in practice

    def __init__(self, pynvml: ModuleType, index: int) -> None:
        self._nvml = pynvml
        self.index = index
        self.device = f"gpu:{index}"
        try:
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            self.name = _text(pynvml.nvmlDeviceGetName(self._handle))
            self.uuid = _text(pynvml.nvmlDeviceGetUUID(self._handle))
        except pynvml.NVMLError as e:
            raise translate(pynvml, e, f"opening GPU {index}") from e
        self.has_counter = self._probe_counter()
        self.method = "nvml-counter" if self.has_counter else "nvml-power-integration"

    def _probe_counter(self) -> bool:
        nvml = self._nvml
        try:
            nvml.nvmlDeviceGetTotalEnergyConsumption(self._handle)
        except nvml.NVMLError as e:
            if getattr(e, "value", None) == nvml.NVML_ERROR_NOT_SUPPORTED:
                return False
            raise translate(nvml, e, f"reading the energy counter of GPU {self.index}") from e
        return True

    def read_energy_j(self) -> float | None:
        if not self.has_counter:
            return None
        nvml = self._nvml
        try:
            energy_mj = nvml.nvmlDeviceGetTotalEnergyConsumption(self._handle)
        except nvml.NVMLError as e:
            raise translate(nvml, e, f"reading the energy counter of GPU {self.index}") from e
        return float(energy_mj) / MJ_PER_J

    def read_power_w(self) -> float | None:
        nvml = self._nvml
        try:
            power_mw = nvml.nvmlDeviceGetPowerUsage(self._handle)
        except nvml.NVMLError as e:
            if getattr(e, "value", None) == nvml.NVML_ERROR_NOT_SUPPORTED and self.has_counter:
                return None  # the counter is what matters; power is only for display
            raise translate(nvml, e, f"reading the power of GPU {self.index}") from e
        return float(power_mw) / MW_PER_W

    def close(self) -> None:
        """Nothing per GPU; NVML itself is shut down by :meth:`NvmlGpus.close`."""


@dataclass
class NvmlGpus:
    """The GPU sensors opened in one NVML session."""

    pynvml: ModuleType
    sensors: list[NvmlGpuSensor] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def close(self) -> None:
        try:
            self.pynvml.nvmlShutdown()
        except self.pynvml.NVMLError as e:
            raise translate(self.pynvml, e, "shutting down") from e


def init_nvml() -> ModuleType:
    """Import pynvml and ``nvmlInit()``; translated errors if either fails."""
    pynvml = import_pynvml()
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as e:
        raise translate(pynvml, e, "init") from e
    return pynvml


def parse_visible_devices(text: str) -> list[str]:
    """The entries of a ``CUDA_VISIBLE_DEVICES`` value, as CUDA reads them.

    Comma-separated integers or UUIDs (``GPU-…``, a unique prefix suffices); CUDA stops at the
    first invalid entry, and a negative integer hides every device from there on.
    """
    entries: list[str] = []
    for raw in text.split(","):
        entry = raw.strip()
        if entry.lstrip("-").isdigit():
            if int(entry) < 0:
                break
            entries.append(str(int(entry)))
        elif entry.startswith(("GPU-", "MIG-")):
            entries.append(entry)
        else:
            break
    return entries


def _index_of(pynvml: ModuleType, entry: str, count: int, uuids: list[str], what: str) -> int:
    if entry.isdigit():
        index = int(entry)
        if index >= count:
            raise DeviceUnavailableError(
                f"{what} names GPU {index}, but NVML sees {count} GPU(s) (0..{count - 1})"
            )
        return index
    matches = [i for i, uuid in enumerate(uuids) if uuid.startswith(entry)]
    if len(matches) != 1:
        found = "no GPU" if not matches else f"{len(matches)} GPUs"
        raise DeviceUnavailableError(f"{what} names {entry!r}, which matches {found} of NVML's {count}")
    return matches[0]


def select_indices(
    pynvml: ModuleType, gpu_ids: Sequence[str] | None, cuda_visible_devices: str | None
) -> tuple[list[int], str]:
    """NVML indices to measure and a phrase saying how they were chosen."""
    try:
        count = int(pynvml.nvmlDeviceGetCount())
        uuids = [_text(pynvml.nvmlDeviceGetUUID(pynvml.nvmlDeviceGetHandleByIndex(i))) for i in range(count)]
    except pynvml.NVMLError as e:
        raise translate(pynvml, e, "listing GPUs") from e
    if gpu_ids:
        return [_index_of(pynvml, e, count, uuids, "--gpu-ids") for e in gpu_ids], "--gpu-ids"
    if cuda_visible_devices is not None:
        entries = parse_visible_devices(cuda_visible_devices)
        indices: list[int] = []
        for entry in entries:
            if entry.startswith("MIG-"):
                raise DeviceUnavailableError(
                    "CUDA_VISIBLE_DEVICES names a MIG instance; NVML has no energy counter per MIG "
                    "instance: give --gpu-ids with the parent GPU"
                )
            indices.append(_index_of(pynvml, entry, count, uuids, "CUDA_VISIBLE_DEVICES"))
        return indices, "CUDA_VISIBLE_DEVICES"
    return list(range(count)), "all GPUs NVML sees"


def open_gpus(gpu_ids: Sequence[str] | None, cuda_visible_devices: str | None) -> NvmlGpus:
    """Init NVML and open a sensor per selected GPU. NVML is shut down again on failure."""
    pynvml = init_nvml()
    gpus = NvmlGpus(pynvml)
    try:
        indices, how = select_indices(pynvml, gpu_ids, cuda_visible_devices)
        for index in dict.fromkeys(indices):
            gpus.sensors.append(NvmlGpuSensor(pynvml, index))
    except MeasurementError:
        gpus.close()
        raise
    if not gpus.sensors:
        gpus.notes.append(f"gpu: none selected ({how})")
    for sensor in gpus.sensors:
        if not sensor.has_counter:
            gpus.notes.append(
                f"{sensor.device}: no NVML energy counter (pre-Volta or unsupported); "
                "integrating power samples instead"
            )
    return gpus


__all__ = ["NvmlGpuSensor", "NvmlGpus", "init_nvml", "open_gpus", "parse_visible_devices", "translate"]
