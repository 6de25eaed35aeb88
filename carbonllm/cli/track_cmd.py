"""``carbonllm track``: measure a command (or a running process) while it runs.

``carbonllm track [options] -- COMMAND ...`` runs COMMAND as a child (an argv list, never a
shell string), forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to it, exits with
its exit status (128 + N when a signal N killed it, as shells do; 127/126 when it cannot be
found/executed), and always writes the summary, also when the child fails or is killed. A child
still running ``--kill-after`` seconds (default 30) after a stopping signal gets SIGKILL; on
Linux the child gets SIGKILL if the tracker itself dies (``PR_SET_PDEATHSIG``). ``--pid PID``
measures until that process exits; ``--merge DIR`` prints the merged summary of each run in a
run directory. An unknown option before ``--`` is a usage error (exit 2), never the command.

Display: a live line on the bottom row of the terminal when stderr is one (kept apart from the
command's output by a scroll region), else a log line on stderr every minute. The summary is
printed on stderr as a table (so the child's stdout stays clean), or on stdout as JSON with
``--format json`` (the child's stdout then goes to stderr, so stdout holds only the JSON;
``--json PATH`` writes the JSON to a file instead and leaves the child's stdout alone). It is
always in ``<output>/<run id>.<host>-node<R>.summary.json``; when that cannot be written (a full
disk) it is printed on stderr as JSON with the reason, and the exit status is still the command's.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from carbonllm.cli.options import QUANTITY
from carbonllm.cli.output import echo_json, run_directory, si, table_console
from carbonllm.cli.track_child import (
    DEFAULT_KILL_AFTER_S,
    MAX_KILL_AFTER_S,
    MIN_KILL_AFTER_S,
    Signals,
    exit_status_of,
    process_exists,
    run_child,
    watch_pid,
)
from carbonllm.errors import InputError
from carbonllm.units import J_PER_KWH, co2e_kg_from

if TYPE_CHECKING:  # imported when used: the signal handlers go in before these heavier modules load
    from carbonllm.measure.records import RunSummary
    from carbonllm.measure.sampler import Snapshot
    from carbonllm.measure.track_config import TrackConfig
    from carbonllm.measure.tracker import Tracker

LOG_EVERY_S = 60.0


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


# --- display ---------------------------------------------------------------------------------


def _line(config: TrackConfig, snapshot: Snapshot) -> str:
    energy_kwh = snapshot.energy_j / J_PER_KWH
    co2e = co2e_kg_from(energy_kwh * config.pue, config.intensity_g_per_kwh)
    return (f"elapsed {snapshot.elapsed_s:,.0f} s  power {snapshot.power_w:,.0f} W  "
            f"energy {energy_kwh:.4g} kWh (IT)  CO2e {si(co2e * 1000, 'g')}")


class StatusLine:
    """The live line on a terminal: its bottom row, kept out of the command's way.

    A scroll region (DECSTBM, ``ESC [ 1 ; rows-1 r``, as apt's progress bar does) leaves the
    bottom row to carbonllm: the command's output scrolls in the rows above and is never drawn
    over or interleaved with the line, which is redrawn in place (save cursor, go to the bottom
    row, clear it, write, restore) in one ``write`` per sample. ``close()`` clears the row and
    gives the whole screen back. A terminal resized meanwhile keeps the old region until then.
    """

    def __init__(self, fd: int, rows: int, columns: int) -> None:
        self.fd = fd
        self.rows = rows
        self.columns = columns
        # one new line, so a cursor on the bottom row moves up with the text; then the region
        self._write(f"\n\x1b[1A\x1b7\x1b[1;{rows - 1}r\x1b8")
        self.show("carbonllm: starting…")

    @classmethod
    def open(cls, fd: int = 2) -> StatusLine | None:
        """A status line on ``fd`` if it is a terminal of at least 3 rows, else None."""
        try:
            if not os.isatty(fd):
                return None
            size = os.get_terminal_size(fd)
        except OSError:
            return None
        return cls(fd, size.lines, size.columns) if size.lines >= 3 and size.columns >= 20 else None

    def _write(self, text: str) -> None:
        try:
            os.write(self.fd, text.encode("utf-8", errors="replace"))
        except OSError:  # the terminal went away (SIGHUP): the measurement goes on without a display
            return

    def show(self, text: str) -> None:
        line = text if len(text) < self.columns else text[: self.columns - 2] + "…"
        self._write(f"\x1b7\x1b[{self.rows};1H\x1b[2K{line}\x1b8")

    def close(self) -> None:
        self._write(f"\x1b7\x1b[{self.rows};1H\x1b[2K\x1b[r\x1b8")


class Display:
    """The live line on a terminal (:class:`StatusLine`), periodic log lines otherwise; all on stderr."""

    def __init__(self, config: TrackConfig, live: bool) -> None:
        self.config = config
        self._line = StatusLine.open(sys.stderr.fileno()) if live else None
        self._last_log = time.monotonic()

    @property
    def live(self) -> bool:
        return self._line is not None

    def update(self, tracker: Tracker, snapshot: Snapshot) -> None:
        if self._line is not None:
            self._line.show("carbonllm  " + _line(self.config, snapshot))
        elif time.monotonic() - self._last_log >= LOG_EVERY_S:
            self._last_log = time.monotonic()
            click.echo("carbonllm: " + _line(self.config, snapshot), err=True)

    def close(self) -> None:
        if self._line is not None:
            self._line.close()
            self._line = None


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
    from carbonllm.report.statement import short_source  # the whole source is in the summary file

    head.add_row("region", region, "DEFAULT: give --region or --intensity" if summary.region_is_default
                 else short_source(summary.intensity_source))
    head.add_row("grid intensity", f"{summary.intensity_g_per_kwh:,.1f} gCO2e/kWh",
                 "location-based" if summary.region != "custom" else "given")
    head.add_row("CO2e", si(summary.co2e_kg * 1000, "g"), "facility energy × intensity")
    if summary.market_co2e_kg is not None:
        head.add_row("market-based CO2e", si(summary.market_co2e_kg * 1000, "g"),
                     short_source(summary.market_source or ""))
    if summary.gpu_count:
        head.add_row("GPU-hours", f"{summary.gpu_hours:.4g}", f"{summary.gpu_count} × {summary.gpu_name}")
    if summary.embodied_co2e_kg is not None:  # a line of its own: never added into the CO2e above
        source = summary.embodied_source or ""  # the whole of it is in the summary file
        cite = short_source(source.split(":")[0]) + (", A100-server figures" if "applied to" in source else "")
        head.add_row("embodied CO2e", si(summary.embodied_co2e_kg * 1000, "g"),
                     f"GPU-hours' share of manufacturing, not in CO2e ({cite})")
    console.print(head)

    devices = Table(title="devices", show_header=True, header_style="bold")
    for column in ("device", "name", "energy (kWh)", "mean power (W)", "method", "samples", "errors"):
        devices.add_column(column, overflow="fold", no_wrap=column in ("device", "method"))
    for d in summary.devices:
        device = d.device if summary.node_rank is not None else f"{d.host}/{d.device}"
        # the device's name without how it was modelled (that is in the notes and the summary file)
        devices.add_row(device, d.name.split(" (")[0], f"{d.energy_kwh:.4g}",
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


@click.command("track", context_settings={"allow_interspersed_args": False})
@click.option("--region", help="Grid zone: country code or name, US-CA, aws:us-east-1 … (default world).")
@click.option("--intensity", "intensity_g_per_kwh", type=QUANTITY,
              help="Grid carbon intensity in gCO2e/kWh (instead of --region).")
@click.option("--basis", type=click.Choice(["lifecycle", "direct"]), default=None,
              help="Grid figure: lifecycle gCO2e/kWh (default), or direct (combustion-only) emissions.")
@click.option("--market-intensity", type=QUANTITY,
              help="Contractual gCO2e/kWh for market-based CO2e (0 = 100% matched renewables).")
@click.option("--renewable-share", type=QUANTITY,
              help="Fraction in [0, 1] matched by renewables, for market-based CO2e.")
@click.option("--pue", type=QUANTITY, help="Power usage effectiveness >= 1; facility = measured IT energy × PUE "
              "(default 1.2, as the estimator).")
@click.option("--interval", "interval_s", type=QUANTITY,
              help="Seconds between samples, 0.05 to 3600 (default 2).")
@click.option("--output", "output_dir", type=click.Path(path_type=Path),
              help="Run directory (default ./carbonllm-runs/<UTC time>-<id>); shared by all nodes and runs.")
@click.option("--gpu-ids", help="GPUs to measure: NVML indices or UUIDs, comma-separated "
              "(default CUDA_VISIBLE_DEVICES, else all).")
@click.option("--cpu-power-w", type=QUANTITY,
              help="The machine's CPU power at full load in W, instead of codecarbon's table (no RAPL only).")
@click.option("--ram-power-w", type=QUANTITY,
              help="The machine's RAM power in W, instead of codecarbon's model (no RAPL only).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: the summary on stdout, the command's stdout then going to stderr (or see --json).")
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the summary as JSON to this file (the command's stdout stays as it is).")
@click.option("--embodied", is_flag=True, default=None, help="Also charge the GPUs' embodied (manufacturing) "
              "emissions for the measured GPU-hours, as 'estimate --embodied' (a separate figure).")
@click.option("--kill-after", "kill_after_s", type=QUANTITY,
              help="Seconds the command has to exit after SIGTERM/SIGINT/SIGHUP/SIGQUIT before it gets "
              "SIGKILL (0.1 to 3600, default 30).")
@click.option("--total-tokens", type=QUANTITY, help="Planned tokens of the whole run: projects it.")
@click.option("--total-steps", type=QUANTITY, help="Planned steps of the whole run: projects it.")
@click.option("--progress-file", type=click.Path(path_type=Path),
              help="File whose last line is the tokens (or steps) done so far; read every interval.")
@click.option("--params", type=QUANTITY, help="Model parameters N: FLOP-model estimate and implied MFU.")
@click.option("--gpu", help="Accelerator name for the estimate and MFU (default: the measured GPU).")
@click.option("--dtype", type=click.Choice(["fp32", "tf32", "bf16", "fp16", "fp8"], case_sensitive=False),
              help="Precision of the peak rate for MFU (default bf16, fp16 where the chip has no bf16).")
@click.option("--metrics-port", help="Serve Prometheus metrics on this port at /metrics while the run lasts.")
@click.option("--metrics-host", help="Address the metrics endpoint binds to (default 127.0.0.1; 0.0.0.0 for all).")
@click.option("--pushgateway", "pushgateway_url", help="Prometheus Pushgateway URL: push the metrics every "
              "interval and at the end.")
@click.option("--pid", type=click.IntRange(1, 2**31 - 1),
              help="Measure until this running process exits (instead of a command).")
@click.option("--merge", "merge_dir", type=click.Path(path_type=Path),
              help="Print the merged summary of each run in a run directory (every node's files) and exit.")
@click.option("--run-id", "merge_run_id", help="With --merge: only this run of the directory.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def track(fmt: str, pid: int | None, merge_dir: Path | None, merge_run_id: str | None,
          json_path: Path | None, kill_after_s: float | None, command: tuple[str, ...], **options: Any) -> int:
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
    if merge_run_id is not None and merge_dir is None:
        raise InputError("--run-id goes with --merge DIR")
    if merge_dir is not None and options.get("embodied"):
        raise InputError("--embodied goes with a command or --pid; for a finished run use "
                         "'carbonllm report DIR --embodied'")
    grace = DEFAULT_KILL_AFTER_S
    if kill_after_s is not None:
        if not MIN_KILL_AFTER_S <= kill_after_s <= MAX_KILL_AFTER_S:
            raise InputError(f"--kill-after must be between {MIN_KILL_AFTER_S:g} and {MAX_KILL_AFTER_S:g} seconds, "
                             f"got {kill_after_s:g}")
        grace = kill_after_s
    if json_path is not None and not json_path.absolute().parent.is_dir():
        # said before the command runs, as an unwritable --output is: the summary would have nowhere to go
        raise InputError(f"--json {json_path}: its directory {json_path.absolute().parent} does not exist; "
                         "create it or give another path")
    if merge_dir is not None:
        return _merge(run_directory(merge_dir, "--merge DIR"), merge_run_id, fmt, json_path)

    with Signals() as signals:  # first: a signal during start-up must not skip the summary
        return _track(config_flags=options, argv=list(command), pid=pid, fmt=fmt, signals=signals,
                      json_path=json_path, kill_after_s=grace)


def _merge(directory: Path, run_id: str | None, fmt: str, json_path: Path | None) -> int:
    from carbonllm.measure.runfiles import RunDirectory

    runs = RunDirectory(directory)
    ids = [runs.pick(run_id)] if run_id is not None else list(runs.runs)
    merged = [runs.merged(rid) for rid in ids]
    if len(merged) > 1:
        click.echo(f"carbonllm: {directory} holds {len(merged)} runs ({', '.join(ids)}); each is shown "
                   "(--run-id ID picks one)", err=True)
    if json_path is not None:
        payload: Any = merged[0].to_dict() if len(merged) == 1 else [m.to_dict() for m in merged]
        write_json_file(payload, json_path)
    for summary in merged:
        if fmt == "json" and len(merged) > 1:
            continue
        emit(summary, fmt)
    if fmt == "json" and len(merged) > 1:
        echo_json([m.to_dict() for m in merged])  # several runs: a JSON array, one object per run
    return 0


def write_json_file(data: Any, path: Path) -> None:
    """Write ``data`` as JSON to ``path`` through a new temp file and an atomic rename (a symlink
    at ``path`` is replaced, never followed); ``InputError`` if it cannot be written."""
    import json
    import secrets

    from carbonllm.measure.runfiles import create_exclusive, write_all

    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = create_exclusive(tmp)
        try:
            write_all(fd, (json.dumps(data, indent=2, allow_nan=False) + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as e:
        try:
            tmp.unlink()
        except OSError:
            pass  # never created, or the directory is gone
        raise InputError(f"cannot write --json {path}: {e.strerror or e}") from e


def _print_unwritten(tracker: Tracker) -> None:
    """When the final summary could not be written (a full disk): say why and print it on stderr."""
    import json

    summary = tracker.summary()
    click.echo(f"carbonllm: warning: {tracker.summary_error}; the summary follows on stderr as JSON", err=True)
    click.echo(json.dumps(summary.to_dict(), indent=2), err=True)


def _track(config_flags: dict[str, Any], argv: list[str], pid: int | None, fmt: str, signals: Signals,
           json_path: Path | None = None, kill_after_s: float = DEFAULT_KILL_AFTER_S) -> int:
    from carbonllm.measure.track_config import resolve_config
    from carbonllm.measure.tracker import Tracker

    config = resolve_config(config_flags)
    if argv:
        problem = resolve_executable(argv)
        if problem is not None:
            status, message = problem
            click.echo(f"carbonllm: error: {message}", err=True)
            return status
    if pid is not None and not process_exists(pid):
        raise InputError(f"--pid {pid}: no such process")
    for notice in config.notices:
        click.echo(f"carbonllm: note: {notice}", err=True)
    warning = config.projection_warning
    if warning is not None:
        click.echo(f"carbonllm: warning: {warning}", err=True)
    # --format json on stdout: the command's stdout goes to stderr, so stdout holds only the JSON
    child_stdout = sys.stderr.fileno() if fmt == "json" and json_path is None else None

    tracker = Tracker(config, command=argv or None, pid=pid)
    if not tracker.measuring:
        click.echo(f"carbonllm: local rank {config.local_rank}: not measuring (local rank 0 measures this node)",
                   err=True)
        return run_child(None, argv, signals, kill_after_s, child_stdout) if argv else 0

    tracker.prepare()  # an unwritable --output fails here, before anything runs
    display = Display(config, live=sys.stderr.isatty())
    tracker.on_sample = display.update
    try:
        tracker.start()
        if not display.live:
            what = " ".join(argv) if argv else f"process {pid}"
            click.echo(f"carbonllm: measuring {what}; samples every {config.interval_s:g} s in "
                       f"{tracker.output_dir}", err=True)
        status = (run_child(tracker, argv, signals, kill_after_s, child_stdout) if argv
                  else watch_pid(tracker, pid, signals))  # type: ignore[arg-type]
    finally:
        display.close()
        if tracker.started and tracker.result is None:
            tracker.stop()
    if tracker.summary_error is not None:  # the disk is full: the summary goes to stderr instead
        _print_unwritten(tracker)
    if json_path is not None:
        try:
            write_json_file(tracker.summary().to_dict(), json_path)
        except InputError as e:  # never changes the command's exit status
            click.echo(f"carbonllm: warning: {e}", err=True)
    where = str(tracker.summary_path) if tracker.summary_error is None else "not written (see above)"
    emit(tracker.summary(), fmt, where)
    return status


__all__ = ["Signals", "exit_status_of", "process_exists", "resolve_executable", "run_child", "track", "watch_pid"]
