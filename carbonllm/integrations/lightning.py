"""A PyTorch Lightning callback that measures the training run with carbonllm.

::

    from carbonllm.integrations.lightning import CarbonLLMCallback

    trainer = lightning.pytorch.Trainer(..., callbacks=[CarbonLLMCallback(region="FR")])
    trainer.fit(model, data)
    print(trainer.callback_metrics["carbonllm_co2e_kg"])

``CarbonLLMCallback`` subclasses ``lightning.pytorch.Callback`` (or ``pytorch_lightning.Callback``
where only the older package is installed). Each package's Trainer takes only its own callbacks:
with both installed, use ``PLCarbonLLMCallback`` for a ``pytorch_lightning.Trainer``.

* It measures on the main process of each node only (``trainer.local_rank == 0``): one
  :func:`carbonllm.measure.tracker.track` per node reads all of that node's GPUs, CPUs and RAM.
* Progress (``trainer.global_step``, and ``tokens_per_step`` × steps when given) feeds the
  tracker's projection to ``trainer.max_steps`` (or the estimated stepping batches).
* Every ``trainer.log_every_n_steps`` steps it logs ``carbonllm_energy_kwh`` (facility energy so
  far) and ``carbonllm_co2e_kg`` with ``LightningModule.log`` (to the loggers, and to
  ``trainer.callback_metrics``); at the end of training the final totals go to every logger and
  to ``callback_metrics``.
* The run summary is written when training ends (or fails), to ``output_dir`` (default
  ``<trainer.default_root_dir>/carbonllm/<run id or UTC time>``); read it with
  ``carbonllm report DIR``.

Policy: a measurement failure never stops training; a :class:`~carbonllm.errors.CarbonLLMError`
from the tracker is logged (logger ``carbonllm``) and kept in :attr:`CarbonLLMCallback.errors`,
or raised with ``strict=True``. Bad options raise at construction.

Needs the ``lightning`` extra: ``pip install 'carbonllm[lightning]'``.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from carbonllm.integrations._common import CO2E_KEY, ENERGY_KEY, TrackedTraining


class CarbonLLMHooks(TrackedTraining):
    """The hooks of the callback, without a base class: see :class:`CarbonLLMCallback`.

    Measures energy and CO2e of ``Trainer.fit()``; see the module docstring.

    Keyword arguments are those of :func:`carbonllm.measure.tracker.track` (``region``, ``intensity``,
    ``pue``, ``interval_s``, ``output_dir``, ``gpu_ids``, ``total_tokens``, ``params``, ``gpu``,
    ``dtype``, ``embodied``), plus ``tokens_per_step`` (tokens per optimizer step over all processes, for the
    projection) and ``strict``.
    """

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        if trainer.local_rank != 0 or self.tracker is not None:
            return
        total = trainer.max_steps if trainer.max_steps and trainer.max_steps > 0 else None
        if total is None:
            estimated = trainer.estimated_stepping_batches
            total = estimated if estimated and estimated != float("inf") else None
        self._start(total_steps=total, default_root=trainer.default_root_dir)

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        if self.tracker is None:
            return
        self._set_progress(steps=float(trainer.global_step))
        every = max(1, int(getattr(trainer, "log_every_n_steps", 50) or 1))
        if trainer.global_step % every:
            return
        values = self._totals_so_far()
        for key, value in (values or {}).items():
            pl_module.log(key, value, on_step=True, on_epoch=False, batch_size=1, rank_zero_only=True)

    def _finish(self, trainer: Any, exit_status: int) -> None:
        if self.tracker is None or self.result is not None:
            return
        self._set_progress(steps=float(trainer.global_step))
        values = self._stop(exit_status=exit_status)
        if values is None:
            return
        import torch

        trainer.callback_metrics.update({k: torch.tensor(v) for k, v in values.items()})
        for each in trainer.loggers:
            each.log_metrics(values, step=trainer.global_step)

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._finish(trainer, exit_status=0)

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._finish(trainer, exit_status=1)  # the summary records the failed run; Lightning re-raises


def _callback_class(package: str) -> type:
    """``CarbonLLMHooks`` on the ``Callback`` base class of ``package`` (``lightning.pytorch`` or
    ``pytorch_lightning``: their Trainers accept only their own Callback subclasses)."""
    base = importlib.import_module(package).Callback
    return type("CarbonLLMCallback", (CarbonLLMHooks, base),
                {"__module__": __name__, "__doc__": f"carbonllm's callback for {package}.Trainer."})


try:
    #: The callback for ``lightning.pytorch.Trainer`` (or, without the ``lightning`` package,
    #: for ``pytorch_lightning.Trainer``).
    CarbonLLMCallback: type = _callback_class("lightning.pytorch")
except ImportError:  # only the older package name is installed
    try:
        CarbonLLMCallback = _callback_class("pytorch_lightning")
    except ImportError as e:  # neither: say how to get it, from an index or from a checkout
        raise ImportError("carbonllm.integrations.lightning needs lightning: pip install 'carbonllm[lightning]' "
                          "(from a checkout: pip install '.[lightning]')") from e


@functools.cache
def _pytorch_lightning_callback() -> type:
    return _callback_class("pytorch_lightning")


def __getattr__(name: str) -> Any:
    # ``PLCarbonLLMCallback``: the callback for ``pytorch_lightning.Trainer`` where both packages are
    # installed; built on first use, since importing pytorch_lightning takes seconds.
    if name == "PLCarbonLLMCallback":
        return _pytorch_lightning_callback()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CO2E_KEY", "ENERGY_KEY", "CarbonLLMCallback", "CarbonLLMHooks"]  # and PLCarbonLLMCallback, lazily
