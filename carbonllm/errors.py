"""The exceptions carbonllm raises on purpose.

Every error a user can cause, or a sensor can report, is a ``CarbonLLMError``. The CLI turns any
of them into one line on stderr and exit status 2; anything else is a bug and keeps its
traceback. The tree::

    CarbonLLMError
    ├── InputError                  a value the user gave is wrong (zero tokens, MFU 1.5, flags that clash)
    │   ├── UnknownHardwareError    no accelerator of that name; ``suggestions`` holds the nearest names
    │   ├── UnknownRegionError      no grid zone of that name; ``suggestions`` holds the nearest names
    │   ├── UnknownModelError       no architecture preset of that name; ``suggestions`` likewise
    │   └── ConfigError             an architecture or config.json that cannot be used
    ├── DataTableError              a shipped or given data table is missing or malformed
    └── MeasurementError            a sensor could not be read
        ├── DeviceUnavailableError  the device or its library is absent (no NVML, no GPU of that id)
        └── DevicePermissionError   the device exists but may not be read (RAPL files root-only)

Vendor errors (``pynvml.NVMLError``, ``PermissionError`` on RAPL files) are translated once, in
the sensor adapter that meets them, with ``raise ... from e``.
"""

from __future__ import annotations

from collections.abc import Sequence


class CarbonLLMError(Exception):
    """Base of every error carbonllm raises on purpose. Its message is one line for the user."""


class InputError(CarbonLLMError, ValueError):
    """A value given by the user is out of range, malformed, or clashes with another."""


class _NameLookupError(InputError, LookupError):
    kind = "name"
    hint = ""

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        message = f"unknown {self.kind} {name!r}"
        if self.suggestions:
            message += "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        else:
            message += "."
        if self.hint:
            message += f" {self.hint}"
        super().__init__(message)


class UnknownHardwareError(_NameLookupError):
    """No accelerator in the hardware table matches the name."""

    kind = "accelerator"
    hint = "Run 'carbonllm hardware' to list them."


class UnknownRegionError(_NameLookupError):
    """No grid zone in the intensity table matches the name."""

    kind = "region"
    hint = "Run 'carbonllm regions' to list them, or give --intensity G_PER_KWH."


class UnknownModelError(_NameLookupError):
    """No architecture preset matches the name."""

    kind = "model preset"
    hint = "Run 'carbonllm flops --list' to list them, or give --config PATH."


class ConfigError(InputError):
    """An architecture (or a Hugging Face config.json) that carbonllm cannot count."""


class DataTableError(CarbonLLMError):
    """A data table is missing, unreadable, or has a malformed row."""


class MeasurementError(CarbonLLMError):
    """A sensor could not be read."""


class DeviceUnavailableError(MeasurementError):
    """The device, or the library that reads it, is not there."""


class DevicePermissionError(MeasurementError):
    """The device is there but this process may not read it."""


__all__ = [
    "CarbonLLMError",
    "ConfigError",
    "DataTableError",
    "DevicePermissionError",
    "DeviceUnavailableError",
    "InputError",
    "MeasurementError",
    "UnknownHardwareError",
    "UnknownModelError",
    "UnknownRegionError",
]
