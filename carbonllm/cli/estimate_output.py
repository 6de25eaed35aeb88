"""What ``carbonllm estimate`` does once its options are parsed, and how it prints the result.

Kept apart from the click command (:mod:`carbonllm.cli.estimate_cmd`) and free of click, so that a
plain estimate command line runs without importing click (:func:`carbonllm.cli.main`).
"""

from __future__ import annotations

import re

from carbonllm.cli.output import (
    echo_csv,
    echo_json,
    environment_settings,
    grouped,
    note,
    table_console,
    take_deprecated_gpus,
)
from carbonllm.estimator.resolve import estimate as run_estimate
from carbonllm.units import KG_PER_TONNE

TYPE_CHECKING = False  # typing is for type checkers only (start-up; docs/benchmarks.md)
if TYPE_CHECKING:
    from carbonllm.estimator.results import Estimate


def run(options: dict[str, object]) -> None:
    """Estimate from the parsed options (the ``estimate`` command's parameters) and print it."""
    fmt, sources = str(options.pop("fmt")), bool(options.pop("sources"))
    take_deprecated_gpus(options)
    with environment_settings(options):
        result = run_estimate(**options)  # type: ignore[arg-type]
    emit(result, fmt, sources)


def _range(low: float, central: float, high: float, decimals: int = 1) -> str:
    if low == high:
        return grouped(central, decimals)
    return f"{grouped(central, decimals)}  ({grouped(low, decimals)} – {grouped(high, decimals)})"


#: How to set each assumption that can be a default, for the "default" note.
_SET_WITH = {"gpu": "--gpu", "mfu": "--mfu", "power_w": "--power-w", "pue": "--pue", "region": "--region"}


def render_table(result: Estimate, sources: bool = False) -> None:
    """The results, then every assumption with its value, whether it is a default and the flag
    that sets it, then its source as a numbered footnote (the full citations with ``--sources``).

    Fits one 80-column screen (at most 25 lines) without ``--sources``: values, names and zone
    ids are never cut; citations, which are long, are in the footnotes and in ``--format json``.
    """
    from rich.markup import escape
    from rich.table import Table

    a = result.assumptions
    console = table_console()
    table = Table(title="carbonllm estimate", show_header=True, header_style="bold")
    table.add_column("quantity", no_wrap=True)
    table.add_column("value  (low – high)", justify="right", no_wrap=True)
    if result.flops is not None:
        method = a.flop_method or ""
        table.add_row("training FLOPs", f"{result.flops:.3e}  " + escape(f"[{method.split(' (')[0]}]"))
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
    if result.market_co2e_kg is not None:
        table.add_row("market-based intensity (gCO2e/kWh)", grouped(result.market_intensity_g_per_kwh, 1))
        table.add_row("market-based CO2e (kg)", _range(result.market_co2e_kg_low or 0.0, result.market_co2e_kg,
                                                       result.market_co2e_kg_high or 0.0, 0))
    if result.embodied_co2e_kg is not None:
        table.add_row("embodied CO2e (kg)", grouped(result.embodied_co2e_kg, 0))
    console.print(table)

    notes: list[str] = []

    def cite(text: str) -> str:
        notes.append(text)
        return f"[{len(notes)}]"

    def given(key: str) -> str:
        return f"default; set {_SET_WITH[key]}" if key in a.defaults else "given"

    assumed = Table(title="assumptions", show_header=True, header_style="bold")
    assumed.add_column("assumption", no_wrap=True)
    assumed.add_column("value", no_wrap=True)
    assumed.add_column("", no_wrap=True)
    assumed.add_column("source", no_wrap=True)
    assumed.add_row("accelerator", a.gpu, given("gpu"), cite(f"{a.gpu}: data/hardware.csv"))
    if a.dtype is not None:
        assumed.add_row("dtype / peak", f"{a.dtype} / {a.peak_tflops:g} TFLOP/s", "", "[1]")
        mfu_text = f"{a.mfu:g}" if a.mfu_low == a.mfu_high else f"{a.mfu:g} ({a.mfu_low:g}–{a.mfu_high:g})"
        assumed.add_row("MFU", mfu_text, given("mfu"), cite(f"MFU: {a.mfu_source or ''}"))
    power_text = f"{a.power_w:g} W" if a.power_w_low == a.power_w_high else (
        f"{a.power_w:g} W ({a.power_w_low:g}–{a.power_w_high:g})")
    assumed.add_row("power per device", power_text, given("power_w"), cite(f"power: {a.power_source}"))
    pue_text = f"{a.pue:g}" if a.pue_low == a.pue_high else f"{a.pue:g} ({a.pue_low:g}–{a.pue_high:g})"
    assumed.add_row("PUE", pue_text, given("pue"), cite(f"PUE: {a.pue_source}"))
    year = f", {a.intensity_year}" if a.intensity_year else ""
    spread = f"; range {a.intensity_spread_source}" if a.intensity_spread_source else ""
    basis = f" ({a.intensity_basis} basis)" if a.intensity_basis else ""
    assumed.add_row("region", f"{a.region} ({a.region_name}{year})", given("region"),
                    cite(f"grid intensity{basis}: {a.intensity_source}{spread}"))
    if a.intensity_note or (a.intensity_basis and a.intensity_basis != "lifecycle"):
        shown = {"user_given": "your own (--intensity)"}.get(a.intensity_basis or "",
                                                              (a.intensity_basis or "").replace("_", " "))
        how = "note" if a.intensity_note else "given"
        assumed.add_row("intensity basis", shown, how,
                        cite(f"basis: {a.intensity_note or 'chosen with --basis; docs/grid-intensity.md'}"))
    if a.market_source is not None:
        assumed.add_row("market-based", f"{result.market_intensity_g_per_kwh:g} gCO2e/kWh", "given",
                        cite(f"market-based: {a.market_source}"))
    if result.flops is not None and a.flop_method and a.flop_method.startswith("detailed"):
        seq = re.search(r"seq (\d+)", a.flop_method)
        how = "default; set --seq-len" if "--config default" in a.flop_method else ""
        assumed.add_row("FLOP count", f"detailed, seq {seq.group(1) if seq else '?'}", how,
                        cite(f"FLOP count: {a.flop_method}"))
    if a.embodied_source:
        assumed.add_row("embodied", "per device-hour", "", cite(f"embodied: {a.embodied_source}"))
    console.print(assumed)
    if a.region in ("world",) and "region" in a.defaults:
        console.print("The region is the world average: give --region, e.g. FR or aws:us-east-1.",
                      markup=False)
    if sources:
        for number, text in enumerate(notes, start=1):
            console.print(f"[{number}] {text}", markup=False)
    else:
        console.print(f"Sources [1]-[{len(notes)}]: add --sources (or --format json).", markup=False)
    tonnes = result.co2e_kg / KG_PER_TONNE
    console.print(f"operational CO2e ≈ {tonnes:,.3g} t ({grouped(result.co2e_kg)} kg); "
                  "location-based, estimated (not measured)", markup=False)
    if result.market_co2e_kg is not None:
        console.print(f"market-based CO2e ≈ {result.market_co2e_kg / KG_PER_TONNE:,.3g} t "
                      f"({grouped(result.market_co2e_kg)} kg), reported beside the location-based figure",
                      markup=False)
    if a.intensity_note:
        note(a.intensity_note)


def emit(result: Estimate, fmt: str, sources: bool = False) -> None:
    """Print ``result`` in ``fmt`` (table, json or csv)."""
    if fmt != "table" and result.assumptions.intensity_note:
        note(result.assumptions.intensity_note)
    if fmt == "json":
        echo_json(result.to_dict())
    elif fmt == "csv":
        echo_csv([result.to_flat_dict()])
    else:
        render_table(result, sources)
