"""A Hugging Face ``transformers.Trainer`` callback that measures the training run with carbonllm.

::

    from carbonllm.integrations.huggingface import CarbonLLMCallback

    trainer = Trainer(..., callbacks=[CarbonLLMCallback(region="FR")])
    trainer.train()
    print(trainer.state.log_history[-1]["carbonllm_co2e_kg"])

* It measures on the main process of each node only (``state.is_local_process_zero``): one
  :func:`carbonllm.measure.tracker.track` per node reads all of that node's GPUs, CPUs and RAM.
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

import time
from typing import Any

from carbonllm.integrations._common import CO2E_KEY, ENERGY_KEY, TrackedTraining

try:
    from transformers import TrainerCallback
except ImportError as e:  # say how to get it, from an index or from a checkout
    raise ImportError("carbonllm.integrations.huggingface needs transformers: pip install 'carbonllm[hf]' "
                      "(from a checkout: pip install '.[hf]')") from e


class CarbonLLMCallback(TrackedTraining, TrainerCallback):  # type: ignore[misc]
    """Measure energy and CO2e of ``Trainer.train()``; see the module docstring.

    Keyword arguments are those of :func:`carbonllm.measure.tracker.track` (``region``, ``intensity``,
    ``pue``, ``interval_s``, ``output_dir``, ``gpu_ids``, ``total_tokens``, ``params``, ``gpu``,
    ``dtype``, ``embodied``), plus ``tokens_per_step`` (tokens per optimizer step over all processes, for the
    projection when the Trainer does not count input tokens) and ``strict``.
    """

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.is_local_process_zero and self.tracker is None:
            self._start(total_steps=state.max_steps if state.max_steps > 0 else None, default_root=args.output_dir)

    def _progress(self, state: Any) -> None:
        tokens = float(state.num_input_tokens_seen) if getattr(state, "num_input_tokens_seen", 0) else None
        self._set_progress(steps=float(state.global_step), tokens=tokens)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._progress(state)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
        values = self._totals_so_far()
        if values is None:
            return
        if logs is not None:
            logs.update(values)
        if state.log_history and state.log_history[-1].get("step") == state.global_step:
            state.log_history[-1].update(values)  # the entry the Trainer just appended for these logs

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.tracker is None or self.result is not None:
            return
        self._progress(state)
        values = self._stop(exit_status=0)
        if values is not None:
            state.log_history.append({**values, "carbonllm_run_dir": str(self.output_dir),
                                      "step": state.global_step, "time_unix": time.time()})


__all__ = ["CO2E_KEY", "ENERGY_KEY", "CarbonLLMCallback"]
