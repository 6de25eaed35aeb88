"""``carbonllm compare``: one workload across accelerators and regions, sorted by CO2e."""

from __future__ import annotations

from typing import Any

import click

from carbonllm.cli.options import (
    basis_market_options,
    devices_options,
    per_chip_efficiency_options,
    workload_options,
)
from carbonllm.cli.output import FORMATS, echo_csv, echo_json, grouped, table_console, take_deprecated_gpus
from carbonllm.estimator.comparison import Comparison
from carbonllm.estimator.comparison import compare as run_compare


def render_table(result: Comparison) -> None:
    """The rich table, lowest CO2e first, then the skipped pairs and what was shared."""
    from rich.table import Table

    console = table_console()
    table = Table(title=result.title, header_style="bold")
    devices = result.rows[0].devices if result.rows else None
    columns = [("#", "right"), ("accelerator", "left"), ("region", "left"), ("gCO2e/kWh", "right"),
               ("MFU", "right"), ("W", "right"), ("device-hours", "right")]
    if devices:
        columns.append((f"days on {devices}", "right"))
    columns += [("kWh", "right"), ("kgCO2e", "right"), ("low – high", "right")]
    market = any(row.market_co2e_kg is not None for row in result.rows)
    if market:
        columns.append(("market kgCO2e", "right"))
    for column, justify in columns:  # names and zone ids never wrap: other columns give way first
        table.add_column(column, justify=justify, no_wrap=column in ("accelerator", "region"))  # type: ignore[arg-type]
    for rank, row in enumerate(result.rows, start=1):
        mfu = "-" if row.mfu is None else f"{row.mfu:.3g}{'*' if row.mfu_given else ''}"
        power = f"{row.power_w:g}{'*' if row.power_given else ''}"
        cells = [str(rank), row.gpu, row.region, grouped(row.intensity_g_per_kwh, 1), mfu, power,
                 grouped(row.device_hours)]
        if devices:
            cells.append(grouped((row.wall_clock_hours or 0) / 24, 1))
        cells += [grouped(row.energy_kwh), grouped(row.co2e_kg),
                  f"{grouped(row.co2e_kg_low)} – {grouped(row.co2e_kg_high)}"]
        if market:
            cells.append(grouped(row.market_co2e_kg))
        table.add_row(*cells)
    console.print(table)
    for line in skipped_lines(result):
        console.print(line, markup=False)
    if not devices:
        console.print("wall-clock: give --devices N", markup=False)
    if any(row.mfu_given or row.power_given for row in result.rows):
        console.print("* given by you (--mfu/--power-w); the other MFU and power figures are the "
                      "per-accelerator defaults.", markup=False)
    if market:
        console.print("market kgCO2e: market-based (GHG Protocol Scope 2), beside the location-based "
                      "kgCO2e, which is the headline", markup=False)
    console.print("Operational CO2e, location-based; estimated, not measured. Per-accelerator MFU and power "
                  "defaults apply unless --mfu/--power-w; 'carbonllm estimate' shows each assumption's source.",
                  markup=False)


def skipped_lines(result: Comparison) -> list[str]:
    """One line per accelerator and reason: ``skipped TPU v5p (FRA, USA): reason``."""
    grouped_regions: dict[tuple[str, str], list[str]] = {}
    for skipped in result.skipped:
        grouped_regions.setdefault((skipped.gpu, skipped.reason), []).append(skipped.region)
    return [f"skipped {gpu} ({', '.join(regions)}): {reason}" for (gpu, reason), regions in grouped_regions.items()]


@click.command("compare")
@workload_options
@click.option("--gpu", "gpus", multiple=True, required=True,
              help="Accelerators, comma-separated or repeated: --gpu A100,H100,TPUv5p.")
@click.option("--region", "regions", multiple=True, required=True,
              help="Grid zones, comma-separated or repeated: --region FR,US,aws:us-east-1.")
@devices_options
@per_chip_efficiency_options
@basis_market_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--plot", type=click.Path(dir_okay=False), help="Also draw a bar chart to this PNG (needs the "
              "plot extra).")
def compare(gpus: tuple[str, ...], regions: tuple[str, ...], fmt: str, plot: str | None, **options: Any) -> None:
    """Compare one workload across accelerators and regions, sorted by CO2e.

    \b
    carbonllm compare --params 7b --tokens 2T --gpu A100,H100 --region FR,US,aws:us-east-1 --devices 64

    Workloads are given in FLOPs (--params/--tokens, --model/--tokens or --flops), not device-hours: hours on one
    accelerator do not carry over to another. A pair that cannot be estimated (a TPU without a
    published power figure, unless --power-w) is skipped with its reason. --power-w and --mfu take
    a value per accelerator (--power-w TPUv5p=300,H100=650); a bare --power-w applies only to the
    accelerators with no power figure in the table, a bare --mfu to every accelerator.
    """
    if plot:  # a file name matplotlib cannot write is said before any work
        from carbonllm.report.plots import check_plot_path

        check_plot_path(plot)
    take_deprecated_gpus(options)
    options = {k: v for k, v in options.items() if v is not None}
    result = run_compare(gpu=gpus, region=regions, **options)
    for warning in result.warnings:
        click.echo(f"carbonllm: warning: {warning}", err=True)
    if plot:  # before printing, so that a missing extra fails with nothing half-written
        from carbonllm.report.plots import plot_comparison

        plot_comparison(result, plot)
    if fmt == "json":
        echo_json({"workload": result.workload, "rows": result.to_dicts(),
                   "skipped": [s.model_dump() for s in result.skipped], "warnings": list(result.warnings)})
    elif fmt == "csv":
        echo_csv(result.to_dicts())
        for line in skipped_lines(result):
            click.echo(line, err=True)
    else:
        render_table(result)
    if plot:
        click.echo(f"wrote {plot}", err=True)
