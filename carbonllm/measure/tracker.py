"""The Python tracker: ``carbonllm.track(...)`` as a context manager, a decorator, or start/stop.

::

    with carbonllm.track(region="FR", total_tokens=2e9, params=1.3e9, gpu="A100") as t:
        for step in range(steps):
            with t.window("epoch-3") as w:      # a named window; w.result after the block
                ...
            t.step(tokens=batch_tokens)          # progress, for the projection to the full run
    print(t.result.co2e_kg)

One tracker per node measures all of that node's GPUs, its CPUs and RAM. In a distributed job
(``torchrun``, ``srun``) every process may call ``track``: the process whose local rank
(``LOCAL_RANK``, else ``SLURM_LOCALID``) is 0 measures; the others get a tracker that measures
nothing, still accepts ``step()`` and windows, and returns results with
``method="not-measured"``. Each measuring node writes ``<run id>.<host>-node<R>`` files into the output
directory (see :mod:`carbonllm.measure.runfiles`); :func:`carbonllm.measure.runfiles.merge_runs` adds them up.

Configuration is resolved once (:func:`carbonllm.measure.track_config.resolve_config`): keywords > environment
> config file > defaults.
"""

from __future__ import annotations

import functools
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from carbonllm.errors import CarbonLLMError, InputError
from carbonllm.measure.progress import check_progress, read_progress_file
from carbonllm.measure.projection import EstimateComparison, Projection, build_projection
from carbonllm.measure.records import Measurement, RunSummary
from carbonllm.measure.runfiles import (
    SAMPLES_SUFFIX,
    SUMMARY_SUFFIX,
    default_output_dir,
    node_stem,
    prepare_output_dir,
    summarize,
    write_summary,
)
from carbonllm.measure.sampler import JsonlSink, Sampler, Snapshot
from carbonllm.measure.sensors import Sensor, SensorSet, discover_sensors
from carbonllm.measure.track_config import TrackConfig, check_track_arguments, resolve_config
from carbonllm.units import J_PER_KWH, co2e_kg_from

F = TypeVar("F", bound=Callable[..., Any])
SensorSource = Sequence[Sensor] | Callable[[TrackConfig], SensorSet]


class Window:
    """A named measurement window; ``result`` holds its :class:`Measurement` once it has ended."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.result: Measurement | None = None


class Tracker:
    """Measures energy while running; see the module docstring. Single use: start once, stop once."""

    def __init__(self, config: TrackConfig, sensors: SensorSource | None = None,
                 command: list[str] | None = None, pid: int | None = None,
                 on_sample: Callable[[Tracker, Snapshot], None] | None = None) -> None:
        self.config = config
        self.command = command
        self.pid = pid
        self.on_sample = on_sample
        self._sensor_source = sensors
        self._sensor_set: SensorSet | None = None
        self._sampler: Sampler | None = None
        self._lock = threading.Lock()
        self._tokens = 0.0
        self._steps = 0.0
        self._windows: list[Measurement] = []
        self._notes: list[str] = [config.intensity_note] if config.intensity_note else []
        self._estimate: EstimateComparison | None = None
        self._estimate_tried = False
        self._started_unix: float | None = None
        self._projection_notes: list[str] = []
        self._starting = False
        self.run_id = config.run_id or f"{int(time.time())}-{secrets.token_hex(3)}"
        self.output_dir: Path | None = None
        self.result: RunSummary | None = None
        self._stem: str | None = None  # the file-name stem this tracker claimed in output_dir
        #: why the last summary write failed (a full disk), or None when the file is up to date
        self.summary_error: str | None = None
        self._metrics: Any = None  # a carbonllm.measure.metrics.MetricsExporter when asked for

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        """Whether ``start()`` succeeded."""
        return self._started_unix is not None

    @property
    def measuring(self) -> bool:
        return self.config.measures

    @property
    def summary_path(self) -> Path | None:
        if self.output_dir is None or self._stem is None:
            return None
        return self.output_dir / (self._stem + SUMMARY_SUFFIX)

    @property
    def samples_path(self) -> Path | None:
        if self.output_dir is None or self._stem is None:
            return None
        return self.output_dir / (self._stem + SAMPLES_SUFFIX)

    def _claim_files(self) -> JsonlSink:
        """Create this node's samples file under a name no other run uses, and return its sink.

        The name is ``<run id>.<host>-node<R>`` (sanitised). If a run with the same id has
        already written this node's files into the directory (a reused ``CARBONLLM_RUN_ID`` or
        job id), this run gets a new id (the old one plus a random suffix) and says so: a run
        never replaces or appends to another's files. ``O_EXCL`` makes the claim atomic between
        trackers started at the same moment.
        """
        directory = self.output_dir
        if directory is None:  # prepare() sets it; a bug otherwise, not a user error
            raise RuntimeError("Tracker.prepare() did not set output_dir")
        first_id = self.run_id
        for _ in range(20):
            stem = node_stem(self.config.host, self.config.node_rank, self.run_id)
            samples, summary = directory / (stem + SAMPLES_SUFFIX), directory / (stem + SUMMARY_SUFFIX)
            if not (os.path.lexists(samples) or os.path.lexists(summary)):
                try:
                    sink = JsonlSink(samples)
                except InputError:
                    if not os.path.lexists(samples):
                        raise
                else:
                    self._stem = stem
                    if self.run_id != first_id:
                        self._notes.append(f"run id {first_id!r} was already used in {directory} by this node; "
                                           f"this run's id is {self.run_id!r}")
                    return sink
            self.run_id = f"{first_id[:48]}-{secrets.token_hex(3)}"  # short enough to stay whole in the name
        raise InputError(f"cannot find a free file name for this run in {directory}")

    def prepare(self) -> None:
        """Create and check the output directory (before anything runs). Idempotent."""
        if not self.measuring or self.output_dir is not None:
            return
        self.output_dir = prepare_output_dir(self.config.output_dir or default_output_dir())

    def start(self) -> Tracker:
        """Open the sensors, take the baseline sample, start sampling, write a provisional summary."""
        if self._started_unix is not None or self._starting:
            raise InputError("this tracker was already started; make a new one with carbonllm.track()")
        self._starting = True
        if not self.measuring:
            self._notes.append(f"local rank {self.config.local_rank}: not measured here "
                               "(local rank 0 measures this node)")
            self._started_unix = time.time()
            return self
        self.prepare()
        source = self._sensor_source
        if source is None:
            self._sensor_set = discover_sensors(self.config)
        elif callable(source):
            self._sensor_set = source(self.config)
        else:
            self._sensor_set = SensorSet(sensors=list(source))
        self._notes.extend(self._sensor_set.notes)
        if self.config.projection_warning is not None:
            self._notes.append(self.config.projection_warning)
        self._notes.extend(n for n in self.config.notices if n not in self._notes)
        sink = self._claim_files()
        self._sampler = Sampler(self._sensor_set.sensors, self.config.interval_s, sink=sink,
                                on_sample=self._sampled)
        self._start_metrics()
        first = self._sampler.start()
        self._started_unix = self._sampler.started_unix or time.time()
        self._write(first, complete=False)
        return self

    def stop(self, exit_status: int | None = None) -> RunSummary:
        """Stop sampling, write the final summary (complete) and return it."""
        if self.result is not None:
            return self.result
        if self._started_unix is None:
            raise InputError("this tracker was never started")
        if self._sampler is None:
            self.result = self._summary(Snapshot(time_unix=time.time(), elapsed_s=0.0, devices=()),
                                        complete=True, exit_status=exit_status, method="not-measured")
            return self.result
        final = self._sampler.stop()  # now: a model still loading is waited for, not charged longer
        self.poll_progress_file()
        try:
            self._close_metrics(final)  # the last push (bounded), so its warning is in the summary
            self.result = self._write(final, complete=True, exit_status=exit_status)
        finally:
            if self._sensor_set is not None:
                self._sensor_set.close()
        return self.result

    def __enter__(self) -> Tracker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __call__(self, func: F) -> F:
        """Use as a decorator: each call of ``func`` is measured by a fresh tracker; the last
        call's summary is in ``func.result`` (the decorated function's attribute, None before the
        first call) and in ``self.result``, also when the call raised."""

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            inner = Tracker(self.config, self._sensor_source, on_sample=self.on_sample)
            try:
                with inner:
                    return func(*args, **kwargs)
            finally:
                self.result = inner.result
                wrapper.result = inner.result  # type: ignore[attr-defined]

        wrapper.result = None  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    def note(self, text: str) -> None:
        """Add a note to the summary (e.g. how the run was stopped)."""
        with self._lock:
            if text not in self._notes:
                self._notes.append(text)

    # -- progress and windows -------------------------------------------------------------

    def step(self, tokens: float | None = None, steps: float = 1) -> None:
        """Record progress: ``steps`` more steps (default 1) and ``tokens`` more tokens.

        ``InputError`` for a value that is not a finite number >= 0."""
        check_progress(tokens, "tokens")
        check_progress(steps, "steps")
        with self._lock:
            self._steps += steps
            if tokens is not None:
                self._tokens += tokens

    def set_progress(self, tokens: float | None = None, steps: float | None = None) -> None:
        """Set the progress so far (absolute values, e.g. read from a progress file)."""
        check_progress(tokens, "tokens")
        check_progress(steps, "steps")
        with self._lock:
            if tokens is not None:
                self._tokens = tokens
            if steps is not None:
                self._steps = steps

    @contextmanager
    def window(self, name: str) -> Iterator[Window]:
        """Measure a named window; its :class:`Measurement` is ``window.result`` after the block.

        Both boundaries are exact samples. (With sensors whose model is still loading, codecarbon's
        own classes passed in by a caller, the window first waits for them, once, so no energy from
        before it is charged to it; the sensors discovery makes never load anything.)
        """
        if not isinstance(name, str):
            raise InputError(f"a window's name must be text, not {type(name).__name__} {name!r}")
        handle = Window(name)
        start = None
        if self._sampler is not None:
            if self._sensor_set is not None:
                self._sensor_set.settle()  # codecarbon still loading: wait (once) before the window
            start = self._sampler.sample_now(settle=True)  # exact: energy up to the window's start
        t0 = time.monotonic()
        try:
            yield handle
        finally:
            end = self._sampler.sample_now(settle=True) if self._sampler is not None else None
            handle.result = self._measure(name, start, end, time.monotonic() - t0)
            with self._lock:
                self._windows.append(handle.result)

    def _measure(self, name: str, start: Snapshot | None, end: Snapshot | None, duration_s: float) -> Measurement:
        cfg = self.config
        by_device: dict[str, float] = {}
        methods: dict[str, str] = {}
        by_component = {"gpu": 0.0, "cpu": 0.0, "ram": 0.0}
        if start is not None and end is not None:
            before = {d.device: d.energy_j for d in start.devices}
            for d in end.devices:
                kwh = (d.energy_j - before.get(d.device, 0.0)) / J_PER_KWH
                by_device[d.device] = kwh
                methods[d.device] = d.method
                by_component[d.component] = by_component.get(d.component, 0.0) + kwh
            duration_s = end.elapsed_s - start.elapsed_s
        energy = sum(by_component.values())
        return Measurement(
            name=name, method="measured" if self._sampler is not None else "not-measured",
            start_elapsed_s=start.elapsed_s if start is not None else 0.0, duration_s=duration_s,
            energy_kwh=energy, energy_kwh_by_component=by_component, energy_kwh_by_device=by_device,
            methods_by_device=methods, pue=cfg.pue, facility_energy_kwh=energy * cfg.pue,
            intensity_g_per_kwh=cfg.intensity_g_per_kwh,
            co2e_kg=co2e_kg_from(energy * cfg.pue, cfg.intensity_g_per_kwh),
        )

    # -- summaries ------------------------------------------------------------------------

    def poll_progress_file(self) -> None:
        """Read ``config.progress_file`` and set the progress from it (a bad line is noted once)."""
        path = self.config.progress_file
        if path is None:
            return
        try:
            values = read_progress_file(path)
        except InputError as e:
            if str(e) not in self._notes:
                self._notes.append(str(e))
            return
        if values is None:
            return
        if any(v < 0 for v in values.values()):
            note = f"progress file {path}: negative progress ignored"
            if note not in self._notes:
                self._notes.append(note)
            return
        if "value" in values:
            unit = "steps" if self.config.total_steps is not None else "tokens"
            values = {unit: values["value"]}
        self.set_progress(tokens=values.get("tokens"), steps=values.get("steps"))

    def _start_metrics(self) -> None:
        """Serve /metrics and/or push to a Pushgateway when the config asks (see measure/metrics.py)."""
        cfg = self.config
        if cfg.metrics_port is None and cfg.pushgateway_url is None:
            return
        from carbonllm.measure.metrics import MetricsExporter

        def warn(message: str) -> None:  # policy: a metrics failure never stops the run; noted and said
            self.note(message)
            import sys

            print(f"carbonllm: warning: {message}", file=sys.stderr, flush=True)

        self._metrics = MetricsExporter(cfg, self.run_id, node_stem(cfg.host, cfg.node_rank), warn)
        self._metrics.start()

    def _close_metrics(self, final: Snapshot) -> None:
        if self._metrics is None:
            return
        try:
            self._metrics.close(final)
        except Exception as e:  # noqa: BLE001 - policy: metrics never cost the run its summary; noted
            self.note(f"metrics: closing failed ({type(e).__name__}: {e})")

    def _sampled(self, snapshot: Snapshot) -> None:
        if self._metrics is not None:
            self._metrics.update(snapshot)
        self.poll_progress_file()
        self._write(snapshot, complete=False)
        if self.on_sample is not None:
            self.on_sample(self, snapshot)

    def _write(self, snapshot: Snapshot, complete: bool, exit_status: int | None = None) -> RunSummary:
        summary = self._summary(snapshot, complete=complete, exit_status=exit_status)
        path = self.summary_path
        if path is not None:
            try:
                write_summary(summary, path)
            except (OSError, ValueError) as e:  # policy: keep measuring; retried at the next sample
                self.summary_error = f"writing {path.name} failed: {getattr(e, 'strerror', None) or e}"
                if not complete:
                    note = self.summary_error + " (retried at each sample)"
                    if note not in self._notes:
                        self._notes.append(note)
            else:
                self.summary_error = None
        return summary

    def snapshot(self) -> Snapshot | None:
        """The latest totals (None when this process does not measure)."""
        return self._sampler.snapshot() if self._sampler is not None else None

    def summary(self) -> RunSummary:
        """A provisional summary now (or the final one after ``stop()``)."""
        if self.result is not None:
            return self.result
        snapshot = self.snapshot() or Snapshot(time_unix=time.time(), elapsed_s=0.0, devices=())
        return self._summary(snapshot, complete=False)

    def _summary(self, snapshot: Snapshot, complete: bool, exit_status: int | None = None,
                 method: str = "measured") -> RunSummary:
        started = self._started_unix or snapshot.time_unix
        ended = started + snapshot.elapsed_s if self._sampler is not None else time.time()
        with self._lock:
            tokens, steps, windows = self._tokens, self._steps, list(self._windows)
        notes = list(self._notes)
        if self._sampler is not None:
            notes.extend(self._sampler.write_errors)
        summary = summarize(
            config=self.config, snapshot=snapshot, started_unix=started, ended_unix=ended, complete=complete,
            run_id=self.run_id, command=self.command, pid=self.pid, exit_status=exit_status,
            tokens_done=tokens or None, steps_done=steps or None, windows=windows, notes=notes,
            samples_file=self.samples_path.name if self.samples_path is not None else None,
        )
        projection = self._projection(summary, tokens, steps)
        return summary.model_copy(update={"projection": projection, "method": method,
                                          "notes": summary.notes + self._projection_notes})

    def _projection(self, summary: RunSummary, tokens: float, steps: float) -> Projection | None:
        cfg = self.config
        if cfg.total_tokens is not None:
            unit, total, done = "tokens", cfg.total_tokens, tokens
        elif cfg.total_steps is not None:
            unit, total, done = "steps", cfg.total_steps, steps
        else:
            return None
        if done <= 0:
            return None
        peak = None
        gpu_name = cfg.gpu or summary.gpu_name
        if unit == "tokens" and cfg.params is not None and gpu_name is not None:
            peak, estimate = self._peak_and_estimate(gpu_name, summary.gpu_count or 1, total)
        else:
            estimate = None
        return build_projection(
            unit=unit, done=done, total=total, duration_s=summary.duration_s, energy_kwh=summary.energy_kwh,  # type: ignore[arg-type]
            gpu_count=summary.gpu_count, pue=cfg.pue, intensity_g_per_kwh=cfg.intensity_g_per_kwh,
            nodes_in_run=cfg.nodes, nodes_measured=1, params=cfg.params, peak_tflops=peak, estimate=estimate,
        )

    def _peak_and_estimate(self, gpu_name: str, gpu_count: int, total_tokens: float
                           ) -> tuple[float | None, EstimateComparison | None]:
        """Peak FLOP/s of the GPU and the FLOP-model estimate for this node's share (computed once)."""
        from carbonllm.estimator.resolve import estimate
        from carbonllm.tables.loader import find_accelerator

        cfg = self.config
        try:
            acc = find_accelerator(gpu_name)
            peak = acc.peak_tflops_for(cfg.dtype or acc.default_dtype())
        except CarbonLLMError as e:
            note = f"projection: no MFU or estimate for GPU {gpu_name!r} ({e}); give --gpu"
            if note not in self._projection_notes:
                self._projection_notes = [*self._projection_notes, note]
            return None, None
        if not self._estimate_tried:
            self._estimate_tried = True
            try:
                est = estimate(params=cfg.params, tokens=total_tokens / cfg.nodes, gpu=acc.name, devices=gpu_count,
                               dtype=cfg.dtype, pue=cfg.pue, intensity=cfg.intensity_g_per_kwh)
            except CarbonLLMError as e:
                self._projection_notes = [*self._projection_notes, f"projection: no FLOP-model estimate ({e})"]
            else:
                a = est.assumptions
                self._estimate = EstimateComparison(energy_kwh=est.energy_kwh, co2e_kg=est.co2e_kg,
                                                    device_hours=est.device_hours, gpu=a.gpu, mfu=a.mfu or 0.0,
                                                    power_w=a.power_w)
        return peak, self._estimate


def track(
    *,
    region: str | None = None,
    intensity: float | str | None = None,
    pue: float | str | None = None,
    interval_s: float | str | None = None,
    output_dir: str | Path | None = None,
    gpu_ids: Sequence[str | int] | str | None = None,
    total_tokens: float | str | None = None,
    total_steps: float | str | None = None,
    params: float | str | None = None,
    gpu: str | None = None,
    dtype: str | None = None,
    progress_file: str | Path | None = None,
    cpu_power_w: float | str | None = None,
    ram_power_w: float | str | None = None,
    metrics_port: int | str | None = None,
    metrics_host: str | None = None,
    pushgateway: str | None = None,
    config: TrackConfig | None = None,
    sensors: SensorSource | None = None,
    basis: str | None = None,
    market_intensity: float | str | None = None,
    renewable_share: float | str | None = None,
    embodied: bool = False,
) -> Tracker:
    """A :class:`Tracker` configured from these keywords > environment > config file > defaults.

    ``metrics_port`` serves Prometheus metrics on ``metrics_host`` (default 127.0.0.1) while the
    run lasts; ``pushgateway`` (a URL) pushes them each interval and at the end
    (:mod:`carbonllm.measure.metrics`). Use it as ``with carbonllm.track(...) as t:``, as
    ``@carbonllm.track(...)``, or with ``t.start()`` / ``t.stop()``. ``config`` (a resolved
    :class:`TrackConfig`) replaces every other keyword; ``sensors`` (a list, or a function of the
    config returning a :class:`~carbonllm.measure.sensors.SensorSet`) replaces discovery, for tests. ``basis``
    (``"lifecycle"`` or ``"direct"``), ``market_intensity`` and ``renewable_share`` are as for
    :func:`carbonllm.estimate`: the summary then carries market-based CO2e beside the
    location-based figure. ``embodied=True`` charges the GPUs' embodied share for the measured
    GPU-hours (``summary.embodied_co2e_kg``, as ``carbonllm estimate --embodied``). Raises
    :class:`~carbonllm.errors.InputError` on bad values.
    """
    check_track_arguments(region=region, gpu=gpu, dtype=dtype, output_dir=output_dir,
                           progress_file=progress_file, gpu_ids=gpu_ids, basis=basis,
                           metrics_host=metrics_host, pushgateway=pushgateway)
    if config is None:
        ids = [str(i) for i in gpu_ids] if isinstance(gpu_ids, (list, tuple)) else gpu_ids
        config = resolve_config(dict(region=region, intensity_g_per_kwh=intensity, pue=pue, interval_s=interval_s,
                                     output_dir=output_dir, gpu_ids=ids, total_tokens=total_tokens,
                                     total_steps=total_steps, params=params, gpu=gpu, dtype=dtype,
                                     progress_file=progress_file, cpu_power_w=cpu_power_w,
                                     ram_power_w=ram_power_w, basis=basis, embodied=embodied,
                                     market_intensity=market_intensity, renewable_share=renewable_share,
                                     metrics_port=metrics_port, metrics_host=metrics_host,
                                     pushgateway_url=pushgateway))
    return Tracker(config, sensors)


__all__ = ["Tracker", "Window", "track"]
