"""MFU tables: the per-generation defaults on both FLOP bases, and the published whole runs they
are calibrated on.

``data/mfu_defaults.csv`` holds, per hardware generation, the MFU default and its low–high span
on two bases: ``mfu*`` for FLOPs counted as 6·N·D, and ``mfu_detailed*`` for the detailed
per-layer count (:mod:`carbonllm.flops.count`) at the run's own sequence length. An estimate must
divide its FLOPs by an MFU measured on the same basis, or the basis difference leaks into the
device-hours. ``data/mfu_runs.csv`` holds the published whole runs (device-hours, parameters,
tokens, sequence length), each cited; :mod:`carbonllm.estimator.mfu_calibration` derives both
MFUs of every run and checks that every span covers them. See docs/methodology.md.
"""

from __future__ import annotations

import functools

from carbonllm.frozen import Record, record
from carbonllm.tables.loader import MFU_CSV, _build, _require_source, read_rows

RUNS_CSV = "mfu_runs.csv"


@record
class MfuDefault(Record):
    """The default MFU of one hardware generation on both FLOP bases, with its sources."""

    generation: str
    mfu: float  # 6·N·D basis
    mfu_low: float
    mfu_high: float
    mfu_detailed: float  # detailed-count basis, at the calibration runs' own sequence lengths
    mfu_detailed_low: float
    mfu_detailed_high: float
    runs: int  # how many published whole runs of data/mfu_runs.csv the spans rest on
    source: str
    detailed_source: str

    def span(self, basis: str) -> tuple[float, float, float, str]:
        """(value, low, high, source) on ``basis`` ``"6nd"`` or ``"detailed"``."""
        if basis == "detailed":
            return self.mfu_detailed, self.mfu_detailed_low, self.mfu_detailed_high, self.detailed_source
        return self.mfu, self.mfu_low, self.mfu_high, self.source


@record
class PublishedRun(Record):
    """A published whole training run: what it cost in device-hours for how much work."""

    run: str
    generation: str
    chip: str
    architecture: str  # a preset name, or ``layers=… d_model=… heads=… d_ff=… vocab=… ffn=…``
    params: float
    tokens: float
    seq_len: int
    device_hours: float
    peak_tflops: float
    year: int
    source: str


def _ordered(row: dict[str, str], prefix: str) -> tuple[float, float, float]:
    value, low, high = (float(row[f"{prefix}{c}"]) for c in ("", "_low", "_high"))
    if not 0 < low <= value <= high <= 1:
        raise ValueError(f"need 0 < {prefix}_low <= {prefix} <= {prefix}_high <= 1 for {row['generation']}")
    return value, low, high


def _default(row: dict[str, str]) -> MfuDefault:
    mfu, low, high = _ordered(row, "mfu")
    det, det_low, det_high = _ordered(row, "mfu_detailed")
    detailed_source = (row.get("detailed_source") or "").strip()
    if not detailed_source:
        raise ValueError("the detailed_source column is empty; every figure needs a source")
    return MfuDefault(generation=row["generation"], mfu=mfu, mfu_low=low, mfu_high=high, mfu_detailed=det,
                      mfu_detailed_low=det_low, mfu_detailed_high=det_high, runs=int(row["runs"]),
                      source=_require_source(row), detailed_source=detailed_source)


@functools.cache
def mfu_table() -> dict[str, MfuDefault]:
    """Generation → :class:`MfuDefault`, from ``data/mfu_defaults.csv``."""
    rows = read_rows(MFU_CSV, ("generation", "mfu", "mfu_low", "mfu_high", "mfu_detailed",
                               "mfu_detailed_low", "mfu_detailed_high", "runs", "source",
                               "detailed_source"))
    return {d.generation: d for d in _build(MFU_CSV, rows, _default)}


def _run(row: dict[str, str]) -> PublishedRun:
    numbers = {c: float(row[c]) for c in ("params", "tokens", "device_hours", "peak_tflops")}
    if not all(0 < v < float("inf") for v in numbers.values()):
        raise ValueError(f"{row['run']}: params, tokens, device_hours and peak_tflops must be > 0")
    return PublishedRun(run=row["run"], generation=row["generation"], chip=row["chip"],
                        architecture=row["architecture"], seq_len=int(row["seq_len"]),
                        year=int(row["year"]), source=_require_source(row), **numbers)


@functools.cache
def published_runs() -> tuple[PublishedRun, ...]:
    """Every published whole run in ``data/mfu_runs.csv``, in file order."""
    rows = read_rows(RUNS_CSV, ("run", "generation", "chip", "architecture", "params", "tokens",
                                "seq_len", "device_hours", "peak_tflops", "year", "source"))
    return tuple(_build(RUNS_CSV, rows, _run))


def clear_caches() -> None:
    """Forget the cached MFU tables (after changing ``CARBONLLM_DATA_DIR``)."""
    mfu_table.cache_clear()
    published_runs.cache_clear()
