"""carbonllm: estimate and measure the energy and CO2e of large-model training runs, offline.

    >>> import carbonllm
    >>> result = carbonllm.estimate(params="7B", tokens="2T", gpu="A100", region="FR")
    >>> round(result.energy_kwh)  # doctest: +SKIP

The public names below are imported on first use, so ``import carbonllm`` (and the CLI's start)
stays fast and never pulls in pandas, codecarbon or pynvml.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name → module that defines it
_EXPORTS: dict[str, str] = {
    # estimator
    "estimate": "carbonllm.api",
    "Estimate": "carbonllm.api",
    "Assumptions": "carbonllm.api",
    "training_flops_6nd": "carbonllm.estimator",
    "Span": "carbonllm.assumptions",
    # data tables
    "Accelerator": "carbonllm.hardware",
    "GridZone": "carbonllm.grid",
    "find_accelerator": "carbonllm.tables",
    "find_zone": "carbonllm.tables",
    "hardware_table": "carbonllm.tables",
    "grid_table": "carbonllm.tables",
    # FLOP model and planner
    "Architecture": "carbonllm.architecture",
    "FlopCount": "carbonllm.flops",
    "count_flops": "carbonllm.flops",
    "find_architecture": "carbonllm.presets",
    "find_preset": "carbonllm.presets",
    "load_config": "carbonllm.hf_config",
    "Plan": "carbonllm.planner",
    "plan_budget": "carbonllm.planner",
    # errors
    "CarbonLLMError": "carbonllm.errors",
    "InputError": "carbonllm.errors",
    "UnknownHardwareError": "carbonllm.errors",
    "UnknownRegionError": "carbonllm.errors",
    "UnknownModelError": "carbonllm.errors",
    "ConfigError": "carbonllm.errors",
    "DataTableError": "carbonllm.errors",
    "MeasurementError": "carbonllm.errors",
    "DeviceUnavailableError": "carbonllm.errors",
    "DevicePermissionError": "carbonllm.errors",
}

__all__ = [
    "__version__",
    "Accelerator",
    "Architecture",
    "Assumptions",
    "CarbonLLMError",
    "ConfigError",
    "DataTableError",
    "DevicePermissionError",
    "DeviceUnavailableError",
    "Estimate",
    "FlopCount",
    "GridZone",
    "InputError",
    "MeasurementError",
    "Plan",
    "Span",
    "UnknownHardwareError",
    "UnknownModelError",
    "UnknownRegionError",
    "count_flops",
    "estimate",
    "find_accelerator",
    "find_architecture",
    "find_preset",
    "find_zone",
    "grid_table",
    "hardware_table",
    "load_config",
    "plan_budget",
    "training_flops_6nd",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'carbonllm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from carbonllm.api import Assumptions, Estimate, estimate
    from carbonllm.architecture import Architecture
    from carbonllm.assumptions import Span
    from carbonllm.errors import (
        CarbonLLMError,
        ConfigError,
        DataTableError,
        DevicePermissionError,
        DeviceUnavailableError,
        InputError,
        MeasurementError,
        UnknownHardwareError,
        UnknownModelError,
        UnknownRegionError,
    )
    from carbonllm.estimator import training_flops_6nd
    from carbonllm.flops import FlopCount, count_flops
    from carbonllm.grid import GridZone
    from carbonllm.hardware import Accelerator
    from carbonllm.hf_config import load_config
    from carbonllm.planner import Plan, plan_budget
    from carbonllm.presets import find_architecture, find_preset
    from carbonllm.tables import find_accelerator, find_zone, grid_table, hardware_table
