"""``carbonllm report``: model card, paper statement, JSON, CSV or codecarbon CSV for an estimate,
a tracked run, a codecarbon emissions.csv, or a job measured by the cluster's telemetry (DCGM via
Prometheus: :mod:`carbonllm.report.prometheus`; SLURM: :mod:`carbonllm.report.slurm`)."""

from __future__ import annotations

from pathlib import Path

import click

from carbonllm.cli.output import echo_csv, echo_json, run_directory
from carbonllm.report.data import TRAINING_TYPES, ReportData
from carbonllm.report.statement import render_latex, render_markdown, render_model_card

REPORT_FORMATS = ("model-card", "markdown", "latex", "json", "csv", "codecarbon-csv")


def _codecarbon_csv(data: ReportData) -> str:
    from datetime import datetime, timezone

    from carbonllm.report.codecarbon_csv import codecarbon_row, location_columns, render_codecarbon_csv

    # codecarbon writes "%Y-%m-%dT%H:%M:%S" without a zone; ours is the run's end in UTC
    ended = data.ended_at
    try:
        end = datetime.fromisoformat(ended.replace("Z", "+00:00")) if ended else datetime.now(timezone.utc)
    except ValueError:  # a codecarbon file's own timestamp, kept as it was written
        timestamp = str(data.ended_at)
    else:
        timestamp = (end.astimezone(timezone.utc) if end.tzinfo else end).strftime("%Y-%m-%dT%H:%M:%S")
    return render_codecarbon_csv([codecarbon_row(data, timestamp=timestamp, **location_columns(data))])


@click.command("report")
@click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path(exists=False))
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="markdown", show_default=True,
              help="model-card: Hugging Face co2_eq_emissions YAML (grams); markdown/latex: a statement for a "
                   "paper or README; json/csv: for pipelines; codecarbon-csv: codecarbon's emissions.csv layout.")
@click.option("--training-type", type=click.Choice(TRAINING_TYPES), default="pre-training", show_default=True,
              help="For --format model-card.")
@click.option("--embodied", is_flag=True, help="Add the devices' embodied (manufacturing) emissions for the "
              "device-hours, as 'carbonllm estimate --embodied' does (a run tracked with --embodied has them).")
@click.option("--run-id", "run_id", help="For a run directory that holds several runs: the run to report.")
@click.option("--plot", type=click.Path(dir_okay=False),
              help="Also draw the power timeline of a tracked run per device to this PNG (needs the plot extra).")
@click.option("--prometheus", metavar="URL", help="Read the GPU energy of a job from DCGM exporter metrics in this "
              "Prometheus (instead of INPUT); needs --start, or --slurm-job.")
@click.option("--start", help="With --prometheus: start of the window (ISO 8601 with a zone, Unix seconds).")
@click.option("--end", help="With --prometheus: end of the window (default now).")
@click.option("--match", help="With --prometheus: label matchers for the DCGM series, "
              "e.g. '{Hostname=~\"node[0-9]+\"}'.")
@click.option("--job", "prom_job", metavar="NAME", help="With --prometheus: only series of this Prometheus scrape job.")
@click.option("--slurm-job", metavar="ID", help="A SLURM job (asks sacct): its recorded energy, or with --prometheus "
              "DCGM's GPU energy for exactly its nodes and time window.")
@click.option("--region", help="For --prometheus/--slurm-job: grid zone (default world).")
@click.option("--intensity", help="For --prometheus/--slurm-job: grid carbon intensity in gCO2e/kWh.")
@click.option("--pue", help="For --prometheus/--slurm-job: PUE >= 1 (default 1.2).")
@click.option("--save", "save_path", type=click.Path(path_type=Path),
              help="For --prometheus/--slurm-job: also write the run summary (a directory, or *.summary.json); "
                   "'report DIR' and 'track --merge DIR' read it.")
def report(input_path: str | None, fmt: str, training_type: str, embodied: bool, run_id: str | None,
           plot: str | None, save_path: Path | None, **cluster: str | None) -> None:
    """Write a report for INPUT: an estimate (JSON from 'carbonllm estimate --format json'), a tracked
    run (its directory or a *.summary.json), or a codecarbon emissions.csv; or, without INPUT, for a
    job measured by the cluster: NVIDIA DCGM through Prometheus (--prometheus), SLURM (--slurm-job).

    \b
    carbonllm report est.json --format model-card --training-type fine-tuning
    carbonllm report carbonllm-runs/RUN_ID --format latex
    carbonllm report emissions.csv --format json
    carbonllm report --prometheus http://prom:9090 --start 2026-12-01T00:00:00Z --end 2026-12-02T00:00:00Z
    carbonllm report --slurm-job 123456 --prometheus http://prom:9090 --format model-card

    A directory that holds one run one level down (a Trainer's output/carbonllm) is taken as that
    run, and said so; one holding several lists them. What could not be read (a truncated node
    file, a corrupt line) is skipped and named on stderr.
    """
    from carbonllm.errors import InputError
    from carbonllm.report.inputs import load_report

    from_cluster = cluster["prometheus"] is not None or cluster["slurm_job"] is not None
    if from_cluster:
        if input_path is not None or plot or run_id is not None:
            raise InputError("--prometheus/--slurm-job read the cluster's telemetry: give no INPUT, --plot or --run-id")
        _render(_cluster_data(save_path, **cluster), fmt, training_type, embodied)
        return
    flags = {"prom_job": "--job"}
    given = [flags.get(k, f"--{k.replace('_', '-')}") for k, v in cluster.items() if v is not None]
    given += ["--save"] if save_path else []
    if given:
        raise InputError(f"{', '.join(given)} go with --prometheus or --slurm-job")
    if input_path is None:
        raise InputError("give INPUT (an estimate, a run, a codecarbon CSV), or --prometheus/--slurm-job")
    if plot:  # a file name matplotlib cannot write is said before any work
        from carbonllm.report.plots import check_plot_path

        check_plot_path(plot)
    loaded = load_report(run_directory(input_path), run_id)
    for warning in loaded.warnings:
        click.echo(f"carbonllm: warning: {warning}", err=True)
    if plot:
        _plot(loaded.samples_paths, plot)
    _render(loaded.data, fmt, training_type, embodied)


def _render(data: ReportData, fmt: str, training_type: str, embodied: bool = False) -> None:
    if embodied:
        from carbonllm.report.data import with_embodied

        data = with_embodied(data)
    if fmt == "model-card":
        click.echo(render_model_card(data, training_type), nl=False)
    elif fmt == "markdown":
        click.echo(render_markdown(data), nl=False)
    elif fmt == "latex":
        click.echo(render_latex(data), nl=False)
    elif fmt == "json":
        echo_json(data.to_dict())
    elif fmt == "csv":
        echo_csv([data.to_flat_dict()])
    else:
        click.echo(_codecarbon_csv(data), nl=False)


def _plot(samples_paths: tuple[Path, ...], path: str) -> None:
    from carbonllm.errors import InputError
    from carbonllm.report.inputs import power_series, read_samples
    from carbonllm.report.plots import plot_power_timeline, require_matplotlib

    require_matplotlib()  # a missing extra is said first, before the input's own shortcomings
    if not samples_paths:
        raise InputError("--plot draws a tracked run's samples: give a run directory or a *.summary.json "
                         "next to its *.samples.jsonl")
    samples, skipped = read_samples(list(samples_paths))
    for line in skipped:
        click.echo(f"carbonllm: warning: {line}", err=True)
    plot_power_timeline(power_series(samples), path, title="power per device (W)")
    click.echo(f"carbonllm: wrote {path}", err=True)


def _cluster_data(save_path: Path | None, prometheus: str | None, start: str | None, end: str | None,
                  match: str | None, prom_job: str | None, slurm_job: str | None, region: str | None,
                  intensity: str | None, pue: str | None) -> ReportData:
    """The ReportData of a job read from Prometheus (DCGM) and/or SLURM's accounting."""
    import time

    from carbonllm.errors import InputError
    from carbonllm.report import cluster
    from carbonllm.report.data import from_run_summary
    from carbonllm.report.prometheus import parse_time, read_dcgm
    from carbonllm.units import J_PER_KWH

    config = cluster.grid_config(region, intensity, pue)
    if slurm_job is not None:
        from carbonllm.report.slurm import query_sacct, window

        if start is not None or end is not None:
            raise InputError("--slurm-job gives the window itself: leave out --start and --end")
        job = query_sacct(slurm_job)
        t0, t1, complete = window(job)
        if prometheus is not None:
            notes = [job.describe()]
            if job.consumed_energy_j is not None:
                notes.append(f"SLURM also recorded {job.consumed_energy_j / J_PER_KWH:.4g} kWh ConsumedEnergy for the "
                             "job (its plugin's scope); the figures here are DCGM's GPU energy")
            reading = read_dcgm(prometheus, t0, t1, match, prom_job, hosts=job.nodes)
            summary = cluster.summary_from_dcgm(reading, config, f"slurm-{job.job_id}", complete, notes)
        elif job.consumed_energy_j is not None:
            summary = cluster.summary_from_slurm(job, config, t1, complete)
        else:
            gpu = f" --gpu {job.gpu_type}" if job.gpu_type else ""
            raise InputError(f"{job.describe()}; SLURM recorded no ConsumedEnergy (no acct_gather_energy plugin), "
                             f"so nothing was measured: estimate it with 'carbonllm estimate --gpu-hours "
                             f"{job.gpu_hours:.4g}{gpu}', or add --prometheus URL for DCGM's GPU energy")
    else:
        if start is None:
            raise InputError("--prometheus needs --start (and --end, default now): the window to report")
        now = time.time()
        t0, t1 = parse_time(start, "--start", now), parse_time(end or "now", "--end", now)
        reading = read_dcgm(prometheus or "", t0, t1, match, prom_job)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t0))
        summary = cluster.summary_from_dcgm(reading, config, f"dcgm-{prom_job or 'gpus'}-{stamp}",
                                            complete=end is not None and end != "now")
    if save_path is not None:
        written = cluster.save_summary(summary, save_path)
        click.echo(f"carbonllm: wrote {written}", err=True)
    return from_run_summary(summary.to_dict())
