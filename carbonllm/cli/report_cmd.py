"""``carbonllm report``: model card, paper statement, JSON, CSV or codecarbon CSV for an estimate,
a tracked run or a codecarbon emissions.csv."""

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
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=False))
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="markdown", show_default=True,
              help="model-card: Hugging Face co2_eq_emissions YAML (grams); markdown/latex: a statement for a "
                   "paper or README; json/csv: for pipelines; codecarbon-csv: codecarbon's emissions.csv layout.")
@click.option("--training-type", type=click.Choice(TRAINING_TYPES), default="pre-training", show_default=True,
              help="For --format model-card.")
@click.option("--embodied", is_flag=True, help="Add the devices' embodied (manufacturing) emissions for the "
              "device-hours, as 'carbonllm estimate --embodied' does.")
@click.option("--plot", type=click.Path(dir_okay=False),
              help="Also draw the power timeline of a tracked run per device to this PNG (needs the plot extra).")
def report(input_path: str, fmt: str, training_type: str, embodied: bool, plot: str | None) -> None:
    """Write a report for INPUT: an estimate (JSON from 'carbonllm estimate --format json'), a tracked
    run (its directory or a *.summary.json), or a codecarbon emissions.csv.

    \b
    carbonllm report est.json --format model-card --training-type fine-tuning
    carbonllm report carbonllm-runs/RUN_ID --format latex
    carbonllm report emissions.csv --format json

    A directory that holds one run one level down (a Trainer's output/carbonllm) is taken as that
    run, and said so; one holding several lists them. What could not be read (a truncated node
    file, a corrupt line) is skipped and named on stderr.
    """
    from carbonllm.report.inputs import load_report

    if plot:  # a file name matplotlib cannot write is said before any work
        from carbonllm.report.plots import check_plot_path

        check_plot_path(plot)
    loaded = load_report(run_directory(input_path))
    for warning in loaded.warnings:
        click.echo(f"carbonllm: warning: {warning}", err=True)
    if plot:
        _plot(loaded.samples_paths, plot)
    data = loaded.data
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
