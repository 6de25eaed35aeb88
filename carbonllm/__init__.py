"""carbonllm: estimate and measure the energy and CO2e of large-model training runs, offline.

    >>> import carbonllm
    >>> result = carbonllm.estimate(params="7B", tokens="2T", gpu="A100", region="FR")
    >>> round(result.energy_kwh)  # doctest: +SKIP

The public names below are imported on first use, so ``import carbonllm`` (and the CLI's start)
stays fast and never pulls in pandas, codecarbon or pynvml.

Layout (docs/architecture.md); each part imports only the ones listed before it:

- ``errors``, ``units``, ``quantities``, ``names``, ``settings``, ``files``, ``frozen``,
  ``_version``: foundations (reading only the config file and, bounded, regular files).
- ``tables/``: the shipped data tables (hardware, grid intensity, MFU defaults) and their loader.
- ``flops/``: the FLOP model: architectures, per-layer counts, presets, Hugging Face config.json.
- ``estimator/``: the pure calculator, defaults, ``estimate()``, ``compare()``, ``plan_budget()``,
  market-based CO2e.
- ``measure/``: sensors (NVML, AMD, RAPL, modelled CPU/RAM), sampler, ``track()``, run files,
  Prometheus metrics.
- ``report/``: ReportData and its renderings (model card, Markdown, LaTeX), inputs, codecarbon CSV,
  plots, jobs read from DCGM via Prometheus and from SLURM.
- ``integrations/``: Hugging Face Trainer and Lightning callbacks.
- ``cli/``: one module per command.
"""

from __future__ import annotations

import importlib

from carbonllm._version import __version__

TYPE_CHECKING = False  # typing is for type checkers only: importing it costs an estimate's start-up
if TYPE_CHECKING:
    from typing import Any

#: public name → module that defines it
_EXPORTS: dict[str, str] = {
    # estimator
    "estimate": "carbonllm.estimator.resolve",
    "Estimate": "carbonllm.estimator.results",
    "Assumptions": "carbonllm.estimator.results",
    "training_flops_6nd": "carbonllm.estimator.calculator",
    "Span": "carbonllm.estimator.defaults",
    # data tables
    "Accelerator": "carbonllm.tables.hardware",
    "GridZone": "carbonllm.tables.grid",
    "find_accelerator": "carbonllm.tables.loader",
    "find_zone": "carbonllm.tables.loader",
    "hardware_table": "carbonllm.tables.loader",
    "grid_table": "carbonllm.tables.loader",
    # FLOP model and planner
    "Architecture": "carbonllm.flops.architecture",
    "FlopCount": "carbonllm.flops.count",
    "count_flops": "carbonllm.flops.count",
    "find_architecture": "carbonllm.flops.presets",
    "find_preset": "carbonllm.flops.presets",
    "load_config": "carbonllm.flops.hf_config",
    "Plan": "carbonllm.estimator.planner",
    "plan_budget": "carbonllm.estimator.planner",
    # live measurement
    "track": "carbonllm.measure.tracker",
    "Tracker": "carbonllm.measure.tracker",
    "TrackConfig": "carbonllm.measure.track_config",
    "Measurement": "carbonllm.measure.records",
    "RunSummary": "carbonllm.measure.records",
    "load_run": "carbonllm.measure.runfiles",
    "merge_runs": "carbonllm.measure.runfiles",
    # reports, comparisons, interop
    "compare": "carbonllm.estimator.comparison",
    "Comparison": "carbonllm.estimator.comparison",
    "ComparisonRow": "carbonllm.estimator.comparison",
    "ReportData": "carbonllm.report.data",
    "load_report": "carbonllm.report.inputs",
    "samples_to_pandas": "carbonllm.report.inputs",
    "read_emissions_csv": "carbonllm.report.codecarbon_csv",
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
    from carbonllm.estimator.calculator import training_flops_6nd
    from carbonllm.estimator.comparison import Comparison, ComparisonRow, compare
    from carbonllm.estimator.defaults import Span
    from carbonllm.estimator.planner import Plan, plan_budget
    from carbonllm.estimator.resolve import estimate
    from carbonllm.estimator.results import Assumptions, Estimate
    from carbonllm.flops.architecture import Architecture
    from carbonllm.flops.count import FlopCount, count_flops
    from carbonllm.flops.hf_config import load_config
    from carbonllm.flops.presets import find_architecture, find_preset
    from carbonllm.measure.records import Measurement, RunSummary
    from carbonllm.measure.runfiles import load_run, merge_runs
    from carbonllm.measure.track_config import TrackConfig
    from carbonllm.measure.tracker import Tracker, track
    from carbonllm.report.codecarbon_csv import read_emissions_csv
    from carbonllm.report.data import ReportData
    from carbonllm.report.inputs import load_report, samples_to_pandas
    from carbonllm.tables.grid import GridZone
    from carbonllm.tables.hardware import Accelerator
    from carbonllm.tables.loader import find_accelerator, find_zone, grid_table, hardware_table
