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
    # live measurement
    "track": "carbonllm.tracker",
    "Tracker": "carbonllm.tracker",
    "TrackConfig": "carbonllm.config",
    "Measurement": "carbonllm.runs",
    "RunSummary": "carbonllm.runs",
    "load_run": "carbonllm.runs",
    "merge_runs": "carbonllm.runs",
    # reports, comparisons, interop
    "compare": "carbonllm.comparison",
    "Comparison": "carbonllm.comparison",
    "ComparisonRow": "carbonllm.comparison",
    "ReportData": "carbonllm.report",
    "load_report": "carbonllm.report_io",
    "samples_to_pandas": "carbonllm.report_io",
    "read_emissions_csv": "carbonllm.codecarbon_io",
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
    "Comparison",
    "ComparisonRow",
    "ConfigError",
    "DataTableError",
    "DevicePermissionError",
    "DeviceUnavailableError",
    "Estimate",
    "FlopCount",
    "GridZone",
    "InputError",
    "Measurement",
    "MeasurementError",
    "Plan",
    "ReportData",
    "RunSummary",
    "Span",
    "TrackConfig",
    "Tracker",
    "UnknownHardwareError",
    "UnknownModelError",
    "UnknownRegionError",
    "compare",
    "count_flops",
    "estimate",
    "find_accelerator",
    "find_architecture",
    "find_preset",
    "find_zone",
    "grid_table",
    "hardware_table",
    "load_config",
    "load_report",
    "load_run",
    "merge_runs",
    "plan_budget",
    "read_emissions_csv",
    "samples_to_pandas",
    "track",
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
    from carbonllm.codecarbon_io import read_emissions_csv
    from carbonllm.comparison import Comparison, ComparisonRow, compare
    from carbonllm.config import TrackConfig
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
    from carbonllm.report import ReportData
    from carbonllm.report_io import load_report, samples_to_pandas
    from carbonllm.runs import Measurement, RunSummary, load_run, merge_runs
    from carbonllm.tables import find_accelerator, find_zone, grid_table, hardware_table
    from carbonllm.tracker import Tracker, track
