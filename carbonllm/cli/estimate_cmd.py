"""``carbonllm estimate``: the estimator on the command line."""

from __future__ import annotations

import click

from carbonllm.cli.options import (
    devices_options,
    efficiency_options,
    grid_options,
    take_deprecated_gpus,
    workload_options,
)
from carbonllm.cli.output import FORMATS, QUANTITY, echo_csv, echo_json, grouped, settings_from_environment
from carbonllm.estimator.resolve import estimate as run_estimate
from carbonllm.estimator.results import Estimate
from carbonllm.units import KG_PER_TONNE


def _range(low: float, central: float, high: float, decimals: int = 1) -> str:
    if low == high:
        return grouped(central, decimals)
    return f"{grouped(central, decimals)}  ({grouped(low, decimals)} – {grouped(high, decimals)})"


def render_table(result: Estimate) -> None:
    """The rich table of results and, below it, every assumption with its source."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    a = result.assumptions
    console = Console()
    table = Table(title="carbonllm estimate", show_header=True, header_style="bold")
    table.add_column("quantity")
    table.add_column("value  (low – high)", justify="right")
    if result.flops is not None:
        table.add_row("training FLOPs", f"{result.flops:.3e}  " + escape(f"[{a.flop_method}]"))
    table.add_row("device-hours", _range(result.device_hours_low, result.device_hours,
                                         result.device_hours_high, 0))
    if result.wall_clock_hours is not None:
        days = result.wall_clock_hours / 24
        table.add_row(f"wall-clock on {result.devices} devices",
                      f"{grouped(result.wall_clock_hours, 1)} h ({days:,.1f} days)")
    table.add_row("energy (kWh)", _range(result.energy_kwh_low, result.energy_kwh,
                                         result.energy_kwh_high, 0))
    i_low, i_high = result.intensity_g_per_kwh_low, result.intensity_g_per_kwh_high
    intensity = result.intensity_g_per_kwh
    table.add_row("grid intensity (gCO2e/kWh)", grouped(intensity, 1) if i_low is None or i_high is None
                  else _range(i_low, intensity, i_high, 1))
    table.add_row("operational CO2e (kg)", _range(result.co2e_kg_low, result.co2e_kg,
                                                  result.co2e_kg_high, 0))
    if result.embodied_co2e_kg is not None:
        table.add_row("embodied CO2e (kg)", grouped(result.embodied_co2e_kg, 0))
    console.print(table)

    assumed = Table(title="assumptions", show_header=True, header_style="bold")
    assumed.add_column("assumption")
    assumed.add_column("value")
    assumed.add_column("source", overflow="fold")
    assumed.add_row("accelerator", a.gpu, "data/hardware.csv")
    if a.dtype is not None:
        assumed.add_row("dtype / peak", f"{a.dtype} / {a.peak_tflops:g} TFLOP/s dense",
                        "data/hardware.csv")
        mfu_text = f"{a.mfu:g}" if a.mfu_low == a.mfu_high else (
            f"{a.mfu:g} ({a.mfu_low:g}–{a.mfu_high:g})")
        assumed.add_row("MFU", mfu_text, a.mfu_source or "")
    power_text = f"{a.power_w:g} W" if a.power_w_low == a.power_w_high else (
        f"{a.power_w:g} W ({a.power_w_low:g}–{a.power_w_high:g})")
    assumed.add_row("power per device", power_text, a.power_source)
    pue_text = f"{a.pue:g}" if a.pue_low == a.pue_high else f"{a.pue:g} ({a.pue_low:g}–{a.pue_high:g})"
    assumed.add_row("PUE", pue_text, a.pue_source)
    year = f", {a.intensity_year}" if a.intensity_year else ""
    spread = f"; range {a.intensity_spread_source}" if a.intensity_spread_source else ""
    assumed.add_row("region", f"{a.region} ({a.region_name}{year})", a.intensity_source + spread)
    if a.embodied_source:
        assumed.add_row("embodied", "amortised per device-hour", a.embodied_source)
    console.print(assumed)
    tonnes = result.co2e_kg / KG_PER_TONNE
    console.print(f"operational CO2e ≈ {tonnes:,.3g} t ({grouped(result.co2e_kg)} kg); "
                  "location-based, estimated (not measured)")


@click.command("estimate")
@workload_options
@click.option("--gpu", default=None, help="Accelerator name (default A100); see 'carbonllm hardware'.")
@devices_options
@efficiency_options
@grid_options
@click.option("--gpu-hours", type=QUANTITY, help="Device-hours of the run (time mode, skips the FLOP model).")
@click.option("--hours", type=QUANTITY, help="Wall-clock hours; needs --devices (time mode).")
@click.option("--embodied", is_flag=True, help="Add manufacturing emissions amortised over device life.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def estimate(fmt: str, **options: object) -> None:
    """Estimate FLOPs, device-hours, kWh and CO2e of a training run.

    \b
    Compute mode:  carbonllm estimate --params 175e9 --tokens 300e9 --gpu A100
    Time mode:     carbonllm estimate --gpu-hours 1082990 --gpu A100 --region FR
    Architecture:  carbonllm estimate --model llama-2-7b --tokens 2T --gpu A100

    Region, intensity and PUE not given here come from CARBONLLM_REGION, CARBONLLM_INTENSITY,
    CARBONLLM_PUE or the config file, as for 'carbonllm track'.
    """
    take_deprecated_gpus(options)
    options["region"], options["intensity"], options["pue"] = settings_from_environment(
        options["region"], options["intensity"], options["pue"])  # type: ignore[arg-type]
    result = run_estimate(**options)  # type: ignore[arg-type]
    emit(result, fmt)


def emit(result: Estimate, fmt: str) -> None:
    """Print ``result`` in ``fmt`` (table, json or csv)."""
    if fmt == "json":
        echo_json(result.to_dict())
    elif fmt == "csv":
        echo_csv([result.to_flat_dict()])
    else:
        render_table(result)
