"""Whole-run MFU of published training runs, on both FLOP bases, and the spans derived from them.

A published run gives device-hours H on a chip of peak P for D tokens through a model of N
parameters at sequence length s. Its whole-run MFU on a basis is that basis's FLOPs over what the
chips could have done (MFU as defined in PaLM, Chowdhery et al. 2022 App. B):

* 6·N·D basis:       MFU = 6·N·D / (H × 3600 × P)                         (Kaplan et al. 2020 §2.1)
* detailed basis:    MFU = F(s)·D / (H × 3600 × P), F(s) the model FLOPs per token of
                     :func:`carbonllm.flops.count.count_flops` at the run's own s (no recompute)

The defaults in ``data/mfu_defaults.csv`` follow these rules, which a test re-derives:

* each span covers every run of its generation (so at least 90% of them), rounded outward to
  0.01: ``low = min(sourced low, ⌊min run⌋)``, ``high = max(sourced high, ⌈max run⌉)``;
* the detailed default is the 6·N·D default × the median ratio detailed/6·N·D of the
  generation's runs (of all runs where a generation has none), rounded to 0.001, spans likewise.

Pure except for reading the two tables.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from carbonllm.flops.architecture import Architecture
from carbonllm.flops.count import count_flops
from carbonllm.flops.presets import find_architecture
from carbonllm.tables.mfu import PublishedRun, published_runs
from carbonllm.units import FLOP_PER_TFLOP, SECONDS_PER_HOUR

_SPEC_KEYS = {"layers": "n_layers", "d_model": "d_model", "heads": "n_heads", "d_ff": "d_ff",
              "vocab": "vocab_size", "ffn": "ffn_type"}


@dataclass(frozen=True)
class RunMfu:
    """A published run with its whole-run MFU on both bases."""

    run: PublishedRun
    mfu_6nd: float
    mfu_detailed: float

    @property
    def ratio(self) -> float:
        """Detailed FLOPs over 6·N·D for this run (the basis difference)."""
        return self.mfu_detailed / self.mfu_6nd


def run_architecture(run: PublishedRun) -> Architecture:
    """The architecture of a run: a preset by name, or the dimensions spelled out in the row."""
    if "=" not in run.architecture:
        return find_architecture(run.architecture)
    fields: dict[str, object] = {}
    for item in run.architecture.split():
        key, _, value = item.partition("=")
        fields[_SPEC_KEYS[key]] = value if key == "ffn" else int(value)
    return Architecture(name=run.run, context_length=run.seq_len, **fields)  # type: ignore[arg-type]


def run_mfu(run: PublishedRun) -> RunMfu:
    """Whole-run MFU of ``run`` on the 6·N·D basis and on the detailed basis at its own length."""
    chip_flops = run.device_hours * SECONDS_PER_HOUR * run.peak_tflops * FLOP_PER_TFLOP
    detailed_per_token = count_flops(run_architecture(run), run.seq_len).model_flops_per_token
    return RunMfu(run=run, mfu_6nd=6.0 * run.params * run.tokens / chip_flops,
                  mfu_detailed=detailed_per_token * run.tokens / chip_flops)


def all_run_mfus() -> tuple[RunMfu, ...]:
    """Every run of ``data/mfu_runs.csv`` with its two MFUs."""
    return tuple(run_mfu(r) for r in published_runs())


def coverage(low: float, high: float, values: list[float]) -> float:
    """The share of ``values`` inside [low, high] (1.0 for no values)."""
    if not values:
        return 1.0
    return sum(low <= v <= high for v in values) / len(values)


def median_ratio(runs: tuple[RunMfu, ...], generation: str | None = None) -> float:
    """Median detailed/6·N·D ratio of the runs of ``generation`` (all runs if it has none)."""
    own = [r.ratio for r in runs if r.run.generation == generation]
    return statistics.median(own or [r.ratio for r in runs])


def derived_span(sourced: tuple[float, float, float], values: list[float]) -> tuple[float, float, float]:
    """Widen a sourced (value, low, high) outward to 0.01 so that it covers every one of ``values``."""
    value, low, high = sourced
    if values:
        low = min(low, math.floor(min(values) * 100) / 100)
        high = max(high, math.ceil(max(values) * 100) / 100)
    return value, low, high


def detailed_from_6nd(span: tuple[float, float, float], ratio: float,
                      values: list[float]) -> tuple[float, float, float]:
    """The 6·N·D span moved to the detailed basis by ``ratio`` (3 decimals, outward), then
    widened to cover the detailed MFUs of the generation's runs; capped at 1."""
    value, low, high = span
    moved = (min(1.0, round(value * ratio, 3)), math.floor(low * ratio * 1000) / 1000,
             min(1.0, math.ceil(high * ratio * 1000) / 1000))
    return derived_span(moved, values)
