"""A Hugging Face ``transformers.Trainer`` callback that measures the training run with carbonllm.

::

    from carbonllm.integrations.huggingface import CarbonLLMCallback

    trainer = Trainer(..., callbacks=[CarbonLLMCallback(region="FR")])
    trainer.train()
    print(trainer.state.log_history[-1]["carbonllm_co2e_kg"])

* It measures on the main process of each node only (``state.is_local_process_zero``): one
  :func:`carbonllm.tracker.track` per node reads all of that node's GPUs, CPUs and RAM.
* Progress (``state.global_step``, and tokens from ``state.num_input_tokens_seen`` when the
  Trainer counts them, or ``tokens_per_step`` × steps) feeds the tracker's projection to
  ``state.max_steps``.
* Each time the Trainer logs, ``carbonllm_energy_kwh`` (facility energy so far) and
  ``carbonllm_co2e_kg`` are added to that log entry (in ``state.log_history``, and in the ``logs``
  passed on to callbacks after this one); the final totals are appended at the end of training.
* The run summary is written when training ends, to ``output_dir`` (default
  ``<TrainingArguments.output_dir>/carbonllm/<run id or UTC time>``); read it with
  ``carbonllm report DIR``.

Policy: a measurement failure never stops training. A :class:`~carbonllm.errors.CarbonLLMError`
raised while starting, reading or stopping the tracker is logged (logger ``carbonllm``) and kept
in :attr:`CarbonLLMCallback.errors`; ``strict=True`` raises it instead. Bad options (an unknown
region) raise at construction, before training starts.

Needs the ``hf`` extra: ``pip install 'carbonllm[hf]'``.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from carbonllm.config import TrackConfig
from carbonllm.errors import CarbonLLMError
from carbonllm.runs import RunSummary
from carbonllm.tracker import Tracker, track

logger = logging.getLogger("carbonllm")

ENERGY_KEY = "carbonllm_energy_kwh"  # facility energy (IT energy × PUE) so far
CO2E_KEY = "carbonllm_co2e_kg"


def run_subdirectory(config: TrackConfig) -> str:
    """A run's directory name: the job's run id (shared by every node) or the UTC start time."""
    return config.run_id or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


class CarbonLLMCallback(TrainerCallback):  # type: ignore[misc]
    """Measure energy and CO2e of ``Trainer.train()``; see the module docstring.

    Keyword arguments are those of :func:`carbonllm.tracker.track` (``region``, ``intensity``,
    ``pue``, ``interval_s``, ``output_dir``, ``gpu_ids``, ``total_tokens``, ``params``, ``gpu``,
    ``dtype``), plus ``tokens_per_step`` (tokens per optimizer step over all processes, for the
    projection when the Trainer does not count input tokens) and ``strict``.
    """

    def __init__(self, *, tokens_per_step: float | None = None, strict: bool = False, **track_options: Any) -> None:
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

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_local_process_zero or self.tracker is not None:
            return
        update: dict[str, Any] = {"local_rank": 0}  # the Trainer says this process is its node's main one
        if self.config.total_tokens is None and self.config.total_steps is None and state.max_steps > 0:
            update["total_steps"] = float(state.max_steps)
        if self.config.output_dir is None:
            update["output_dir"] = Path(args.output_dir) / "carbonllm" / run_subdirectory(self.config)
        try:
            self.tracker = track(config=self.config.model_copy(update=update)).start()
        except CarbonLLMError as e:
            self.tracker = None
            self._failed("starting the tracker", e)

    def _progress(self, state: Any) -> None:
        if self.tracker is None:
            return
        tokens = None
        if getattr(state, "num_input_tokens_seen", 0):
            tokens = float(state.num_input_tokens_seen)
        elif self.tokens_per_step is not None:
            tokens = self.tokens_per_step * state.global_step
        self.tracker.set_progress(tokens=tokens, steps=float(state.global_step))

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._progress(state)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
        if self.tracker is None or self.result is not None:
            return
        try:
            summary = self.tracker.summary()
        except CarbonLLMError as e:
            self._failed("reading the tracker", e)
            return
        values = {ENERGY_KEY: summary.facility_energy_kwh, CO2E_KEY: summary.co2e_kg}
        if logs is not None:
            logs.update(values)
        if state.log_history and state.log_history[-1].get("step") == state.global_step:
            state.log_history[-1].update(values)  # the entry the Trainer just appended for these logs

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.tracker is None or self.result is not None:
            return
        self._progress(state)
        try:
            self.result = self.tracker.stop(exit_status=0)
        except CarbonLLMError as e:
            self._failed("stopping the tracker", e)
            return
        state.log_history.append({ENERGY_KEY: self.result.facility_energy_kwh, CO2E_KEY: self.result.co2e_kg,
                                  "carbonllm_run_dir": str(self.output_dir), "step": state.global_step,
                                  "time_unix": time.time()})
        logger.info("carbonllm: %.3g kWh, %.3g kgCO2e; run summary in %s", self.result.facility_energy_kwh,
                    self.result.co2e_kg, self.output_dir)


__all__ = ["CO2E_KEY", "ENERGY_KEY", "CarbonLLMCallback"]
