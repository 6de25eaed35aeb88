"""What the Hugging Face and Lightning callbacks share: options, the tracker's life cycle, and the
policy that a measurement failure never stops training (see either callback's module docstring)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from carbonllm.errors import CarbonLLMError
from carbonllm.measure.records import RunSummary
from carbonllm.measure.track_config import TrackConfig
from carbonllm.measure.tracker import Tracker, track

logger = logging.getLogger("carbonllm")

ENERGY_KEY = "carbonllm_energy_kwh"  # facility energy (IT energy × PUE) so far
CO2E_KEY = "carbonllm_co2e_kg"


def run_subdirectory(config: TrackConfig) -> str:
    """A run's directory name: the job's run id (shared by every node) or the UTC start time."""
    return config.run_id or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


class TrackedTraining:
    """A tracker started on a node's main process when training starts and stopped when it ends.

    Keyword arguments are those of :func:`carbonllm.measure.tracker.track`, plus ``tokens_per_step``
    (tokens per optimizer step over all processes, for the projection) and ``strict`` (raise a
    measurement failure instead of logging it and training on unmeasured).
    """

    def __init__(self, *, tokens_per_step: float | None = None, strict: bool = False, **track_options: Any) -> None:
        super().__init__()  # the framework's callback base class, next in the subclass's MRO
        self.config: TrackConfig = track(**track_options).config  # bad options fail here, before training
        self.tokens_per_step = tokens_per_step
        self.strict = strict
        self.tracker: Tracker | None = None
        self.result: RunSummary | None = None
        self.errors: list[str] = []

    @property
    def output_dir(self) -> Path | None:
        """Where the run's files are written (None until training starts on a measuring process)."""
        return self.tracker.output_dir if self.tracker is not None else None

    def _failed(self, what: str, error: CarbonLLMError) -> None:
        if self.strict:
            raise error
        message = f"carbonllm: {what} failed, training goes on unmeasured: {error}"
        self.errors.append(message)
        logger.warning(message)

    def _start(self, total_steps: float | None, default_root: str | Path) -> None:
        """Start measuring on this process, which the framework says is its node's main one."""
        update: dict[str, Any] = {"local_rank": 0}
        if self.config.total_tokens is None and self.config.total_steps is None and total_steps:
            update["total_steps"] = float(total_steps)
        if self.config.output_dir is None:
            update["output_dir"] = Path(default_root) / "carbonllm" / run_subdirectory(self.config)
        try:
            self.tracker = track(config=self.config.model_copy(update=update)).start()
        except CarbonLLMError as e:
            self.tracker = None
            self._failed("starting the tracker", e)

    def _set_progress(self, steps: float, tokens: float | None = None) -> None:
        if self.tracker is None:
            return
        if tokens is None and self.tokens_per_step is not None:
            tokens = self.tokens_per_step * steps
        self.tracker.set_progress(tokens=tokens, steps=steps)

    def _totals_so_far(self) -> dict[str, float] | None:
        """``{ENERGY_KEY: kWh, CO2E_KEY: kg}`` measured so far, or None (not measuring, or failed)."""
        if self.tracker is None or self.result is not None:
            return None
        try:
            summary = self.tracker.summary()
        except CarbonLLMError as e:
            self._failed("reading the tracker", e)
            return None
        return {ENERGY_KEY: summary.facility_energy_kwh, CO2E_KEY: summary.co2e_kg}

    def _stop(self, exit_status: int) -> dict[str, float] | None:
        """Stop once and write the run summary; the final totals, or None."""
        if self.tracker is None or self.result is not None:
            return None
        try:
            self.result = self.tracker.stop(exit_status=exit_status)
        except CarbonLLMError as e:
            self._failed("stopping the tracker", e)
            return None
        logger.info("carbonllm: %.3g kWh, %.3g kgCO2e; run summary in %s", self.result.facility_energy_kwh,
                    self.result.co2e_kg, self.output_dir)
        return {ENERGY_KEY: self.result.facility_energy_kwh, CO2E_KEY: self.result.co2e_kg}
