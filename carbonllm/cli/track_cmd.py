"""``carbonllm track``: measure a command (or a running process) while it runs.

``carbonllm track [options] -- COMMAND ...`` runs COMMAND as a child (an argv list, never a
shell string), forwards SIGINT and SIGTERM to it, exits with its exit status (128 + N when a
signal N killed it, as shells do; 127/126 when it cannot be found/executed), and always writes
the summary, also when the child fails or is killed. ``--pid PID`` measures until that process
exits; ``--merge DIR`` prints the merged summary of a run directory.

Display: a live panel on stderr when stderr is a terminal, else a log line on stderr every
minute. The summary is printed on stderr as a table (so the child's stdout stays clean), or on
stdout as JSON with ``--format json``; it is always in ``<output>/<host>-node<R>.summary.json``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from carbonllm.cli.output import QUANTITY, echo_json, run_directory, si, table_console
from carbonllm.errors import InputError
from carbonllm.units import J_PER_KWH, co2e_kg_from

if TYPE_CHECKING:  # imported when used: the signal handlers go in before these heavier modules load
    from carbonllm.measure.records import RunSummary
    from carbonllm.measure.sampler import Snapshot
    from carbonllm.measure.track_config import TrackConfig
    from carbonllm.measure.tracker import Tracker

LOG_EVERY_S = 60.0
FORWARDED = (signal.SIGINT, signal.SIGTERM)


def resolve_executable(command: list[str]) -> tuple[int, str] | None:
    """(exit status, message) when ``command[0]`` cannot be run, as a shell would answer; else None."""
    program = command[0]
    if os.sep in program:
        if not os.path.exists(program):
            return 127, f"{program}: no such file"
        if os.path.isdir(program) or not os.access(program, os.X_OK):
            return 126, f"{program}: permission denied (not an executable file)"
        return None
    if shutil.which(program) is None:
        return 127, f"{program}: command not found"
    return None


def exit_status_of(returncode: int) -> int:
    """A child's exit status as a shell reports it: 128 + N when signal N killed it."""
    return 128 - returncode if returncode < 0 else returncode


# --- display ---------------------------------------------------------------------------------


def _line(config: TrackConfig, snapshot: Snapshot) -> str:
    energy_kwh = snapshot.energy_j / J_PER_KWH
    co2e = co2e_kg_from(energy_kwh * config.pue, config.intensity_g_per_kwh)
    return (f"elapsed {snapshot.elapsed_s:,.0f} s  power {snapshot.power_w:,.0f} W  "
            f"energy {energy_kwh:.4g} kWh (IT)  CO2e {si(co2e * 1000, 'g')}")


class Display:
    """Live panel on a terminal, periodic log lines otherwise; all on stderr."""

    def __init__(self, config: TrackConfig, live: bool) -> None:
        self.config = config
        self._live: Any = None
        self._last_log = time.monotonic()
        if live:
            from rich.console import Console
            from rich.live import Live
            from rich.text import Text

            self._text = Text
            self._live = Live(Text("carbonllm: starting…"), console=Console(stderr=True),
                              refresh_per_second=2, transient=True)
            self._live.start()

    @property
    def live(self) -> bool:
        return self._live is not None

    def update(self, tracker: Tracker, snapshot: Snapshot) -> None:
        if self._live is not None:
            self._live.update(self._text("carbonllm  " + _line(self.config, snapshot)))
        elif time.monotonic() - self._last_log >= LOG_EVERY_S:
            self._last_log = time.monotonic()
            click.echo("carbonllm: " + _line(self.config, snapshot), err=True)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()


def render_table(summary: RunSummary, where: str | None = None) -> None:
    """The summary as rich tables on stderr."""
    from rich.table import Table

    console = table_console(stderr=True)
    head = Table(title="carbonllm track", show_header=True, header_style="bold")
    head.add_column("quantity")
    head.add_column("value", justify="right")
    head.add_column("how", overflow="fold")
    status = "" if summary.exit_status is None else f", exit status {summary.exit_status}"
    head.add_row("duration", f"{summary.duration_s:,.1f} s", ("complete" if summary.complete else "INCOMPLETE")
                 + status)
    for component in ("gpu", "cpu", "ram"):
        methods = sorted({d.method for d in summary.devices if d.component == component})
        if methods:
            head.add_row(f"{component} energy", f"{summary.energy_kwh_by_component[component]:.4g} kWh",
                         ", ".join(methods))
    head.add_row("IT energy", f"{summary.energy_kwh:.4g} kWh", "measured (sum of devices)")
    # "given (flag)", or for a merge of nodes with different PUEs, how they were combined
    pue_how = "default (give --pue)" if summary.pue_is_default else summary.pue_source or "given"
    head.add_row("PUE", f"{summary.pue:g}", pue_how)
    head.add_row("facility energy", f"{summary.facility_energy_kwh:.4g} kWh", "IT energy × PUE")
    year = f", {summary.intensity_year}" if summary.intensity_year else ""
    region = f"{summary.region} ({summary.region_name}{year})"
    head.add_row("region", region, "DEFAULT: give --region or --intensity" if summary.region_is_default
                 else summary.intensity_source)
    head.add_row("grid intensity", f"{summary.intensity_g_per_kwh:,.1f} gCO2e/kWh",
                 "location-based" if summary.region != "custom" else "given")
    head.add_row("CO2e", si(summary.co2e_kg * 1000, "g"), "facility energy × intensity")
    if summary.gpu_count:
        head.add_row("GPU-hours", f"{summary.gpu_hours:.4g}", f"{summary.gpu_count} × {summary.gpu_name}")
    console.print(head)

    devices = Table(title="devices", show_header=True, header_style="bold")
    for column in ("device", "name", "energy (kWh)", "mean power (W)", "method", "samples", "errors"):
        devices.add_column(column, overflow="fold")
    for d in summary.devices:
        device = d.device if summary.node_rank is not None else f"{d.host}/{d.device}"
        devices.add_row(device, d.name, f"{d.energy_kwh:.4g}",
                        "-" if d.mean_power_w is None else f"{d.mean_power_w:,.1f}", d.method,
                        str(d.samples), "; ".join(d.errors))
    console.print(devices)

    p = summary.projection
    if p is not None:
        proj = Table(title=f"projection to the full run ({p.unit})", show_header=True, header_style="bold")
        proj.add_column("quantity")
        proj.add_column("value", justify="right")
        proj.add_row("progress", f"{p.done:,.0f} / {p.total:,.0f} ({p.fraction_done:.1%})")
        if p.projected_energy_kwh is not None:
            proj.add_row("projected IT energy", f"{p.projected_energy_kwh:.4g} kWh")
            proj.add_row("projected CO2e", si((p.projected_co2e_kg or 0) * 1000, "g"))
            proj.add_row("projected duration", f"{(p.projected_duration_s or 0) / 3600:,.2f} h")
        if p.estimate is not None:
            proj.add_row("FLOP-model estimate", f"{p.estimate.energy_kwh:.4g} kWh (facility), "
                         f"MFU {p.estimate.mfu:g}, {p.estimate.gpu}")
        if p.ratio_to_estimate is not None:
            proj.add_row("projected / estimate", f"{p.ratio_to_estimate:.2f}×")
        if p.implied_mfu is not None:
            proj.add_row("implied MFU", f"{p.implied_mfu:.1%}")
        console.print(proj)
    for note in summary.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
    if where:
        console.print(f"summary: {where}", highlight=False, soft_wrap=True)


def emit(summary: RunSummary, fmt: str, where: str | None = None) -> None:
    if fmt == "json":
        echo_json(summary.to_dict())
    else:
        render_table(summary, where)


# --- running -----------------------------------------------------------------------------------


def _terminal_sent_it() -> bool:
    """Whether a terminal SIGINT also reached the child: we share a foreground process group."""
    try:
        return os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        return False


class Signals:
    """SIGINT and SIGTERM for the whole of ``track``: from before the tracker starts until the
    summary has been written and printed, so no signal can cut the finalisation short.

    A signal is recorded; once the child exists it is forwarded to it (a terminal's Ctrl-C has
    reached it already). One that arrives before the child is started stops ``track`` from
    starting it; one that arrives while it is being started is forwarded as soon as it exists.
    Python's own handlers (``KeyboardInterrupt``, death by SIGTERM) are restored on exit.
    """

    def __init__(self) -> None:
        self.received: list[int] = []
        self._unforwarded: list[int] = []  # indices into received, taken before the child existed
        self._child: subprocess.Popen[bytes] | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Signals:
        self._previous = {sig: signal.signal(sig, self._handle) for sig in FORWARDED}
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._previous.items():
            signal.signal(sig, old)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # Runs in the main thread between two bytecodes: it cannot interleave with attach()
        # inside one statement, only between statements.
        self.received.append(signum)
        if self._child is None:
            self._unforwarded.append(len(self.received) - 1)
        else:
            self._forward(self._child, signum)

    @staticmethod
    def _forward(child: subprocess.Popen[bytes], signum: int) -> None:
        if signum == signal.SIGINT and _terminal_sent_it():
            return  # Ctrl-C went to the whole foreground group, the child included
        if child.returncode is None:
            try:
                child.send_signal(signum)
            except ProcessLookupError:  # it has just exited
                return

    def attach(self, child: subprocess.Popen[bytes]) -> None:
        """Forward signals to ``child`` from now on, and those that came while it was started."""
        self._child = child
        while self._unforwarded:  # the handler adds no more now that the child is set
            self._forward(child, self.received[self._unforwarded.pop(0)])


def _stopped_before_start(tracker: Tracker | None, signals: Signals) -> int:
    """The exit status when a signal came before the command was started (it is not started)."""
    signum = signals.received[0]
    status = 128 + signum
    if tracker is not None:
        tracker.note(f"stopped by {signal.Signals(signum).name} before the command started; it was not run")
        tracker.stop(exit_status=status)
    click.echo(f"carbonllm: {signal.Signals(signum).name} before the command started; not running it", err=True)
    return status


def run_child(tracker: Tracker | None, command: list[str], signals: Signals) -> int:
    """Start ``command`` (unless a signal came first), forward signals, wait for it, then stop
    the tracker at its exit, with its status. Returns the exit status."""
    if signals.received:
        return _stopped_before_start(tracker, signals)
    child = subprocess.Popen(command)
    if tracker is not None:
        tracker.pid = child.pid
    signals.attach(child)
    status = exit_status_of(child.wait())  # signals are forwarded meanwhile; none raises here
    if tracker is not None:
        tracker.stop(exit_status=status)  # the final sample is taken now, at the child's exit
    return status


def process_exists(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, exited but not yet reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs (macOS): os.kill said it exists
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def watch_pid(tracker: Tracker, pid: int, signals: Signals) -> int:
    """Measure until process ``pid`` exits (or until SIGINT/SIGTERM). Returns 0, or 128+N."""
    poll_s = min(tracker.config.interval_s, 0.5)
    while process_exists(pid) and not signals.received:
        time.sleep(poll_s)
    tracker.stop()  # the watched process's own exit status is not ours to know
    return 128 + signals.received[0] if signals.received else 0


@click.command("track", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--region", help="Grid zone: country code or name, US-CA, aws:us-east-1 … (default world).")
@click.option("--intensity", "intensity_g_per_kwh", type=QUANTITY,
              help="Grid carbon intensity in gCO2e/kWh (instead of --region).")
@click.option("--pue", type=QUANTITY, help="Power usage effectiveness >= 1; facility = measured IT energy × PUE "
              "(default 1.2, as the estimator).")
@click.option("--interval", "interval_s", type=QUANTITY, help="Seconds between samples (default 2).")
@click.option("--output", "output_dir", type=click.Path(path_type=Path),
              help="Run directory (default ./carbonllm-runs/<UTC time>-<id>); shared by all nodes.")
@click.option("--gpu-ids", help="GPUs to measure: NVML indices or UUIDs, comma-separated "
              "(default CUDA_VISIBLE_DEVICES, else all).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--total-tokens", type=QUANTITY, help="Planned tokens of the whole run: projects it.")
@click.option("--total-steps", type=QUANTITY, help="Planned steps of the whole run: projects it.")
@click.option("--progress-file", type=click.Path(path_type=Path),
              help="File whose last line is the tokens (or steps) done so far; read every interval.")
@click.option("--params", type=QUANTITY, help="Model parameters N: FLOP-model estimate and implied MFU.")
@click.option("--gpu", help="Accelerator name for the estimate and MFU (default: the measured GPU).")
@click.option("--dtype", type=click.Choice(["fp32", "tf32", "bf16", "fp16", "fp8"], case_sensitive=False),
              help="Precision of the peak rate for MFU (default bf16, fp16 where the chip has no bf16).")
@click.option("--pid", type=int, help="Measure until this running process exits (instead of a command).")
@click.option("--merge", "merge_dir", type=click.Path(path_type=Path),
              help="Print the merged summary of a run directory (every node's files) and exit.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def track(fmt: str, pid: int | None, merge_dir: Path | None, command: tuple[str, ...], **options: Any) -> int:
    """Measure the energy and CO2e of COMMAND while it runs.

    \b
    carbonllm track --region FR -- python train.py --epochs 3
    carbonllm track --pid 12345 --region US-CA
    carbonllm track --merge carbonllm-runs/20250101T000000Z-ab12cd
    """
    modes = [name for name, given in (("a command", bool(command)), ("--pid", pid is not None),
                                      ("--merge", merge_dir is not None)) if given]
    if len(modes) != 1:
        raise InputError("give a command after --, or --pid PID, or --merge DIR" if not modes
                         else f"{' and '.join(modes)} cannot be used together; give one of them")
    if merge_dir is not None:
        from carbonllm.measure.runfiles import merge_runs

        emit(merge_runs(run_directory(merge_dir, "--merge DIR")), fmt)
        return 0

    with Signals() as signals:  # first: a signal during start-up must not skip the summary
        return _track(config_flags=options, argv=list(command), pid=pid, fmt=fmt, signals=signals)


def _track(config_flags: dict[str, Any], argv: list[str], pid: int | None, fmt: str, signals: Signals) -> int:
    from carbonllm.measure.track_config import resolve_config
    from carbonllm.measure.tracker import Tracker

    config = resolve_config(config_flags)
    if argv:
        problem = resolve_executable(argv)
        if problem is not None:
            status, message = problem
            click.echo(f"carbonllm: error: {message}", err=True)
            return status
    if pid is not None and (pid <= 0 or not process_exists(pid)):
        raise InputError(f"--pid {pid}: no such process")
    warning = config.projection_warning
    if warning is not None:
        click.echo(f"carbonllm: warning: {warning}", err=True)

    tracker = Tracker(config, command=argv or None, pid=pid)
    if not tracker.measuring:
        click.echo(f"carbonllm: local rank {config.local_rank}: not measuring (local rank 0 measures this node)",
                   err=True)
        return run_child(None, argv, signals) if argv else 0

    tracker.prepare()  # an unwritable --output fails here, before anything runs
    display = Display(config, live=sys.stderr.isatty())
    tracker.on_sample = display.update
    try:
        tracker.start()
        if not display.live:
            what = " ".join(argv) if argv else f"process {pid}"
            click.echo(f"carbonllm: measuring {what}; samples every {config.interval_s:g} s in "
                       f"{tracker.output_dir}", err=True)
        status = run_child(tracker, argv, signals) if argv else watch_pid(tracker, pid, signals)  # type: ignore[arg-type]
    finally:
        display.close()
        if tracker.started and tracker.result is None:
            tracker.stop()
    emit(tracker.summary(), fmt, str(tracker.summary_path))
    return status
