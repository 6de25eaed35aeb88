"""``carbonllm hardware`` and ``carbonllm regions``: list and filter the data tables."""

from __future__ import annotations

import click

from carbonllm.cli.output import FORMATS, echo_csv, echo_json
from carbonllm.hardware import DTYPES
from carbonllm.names import normalize


def _matches(needle: str | None, *haystack: str) -> bool:
    if not needle:
        return True
    key = normalize(needle)
    return any(key in normalize(h) for h in haystack)


def _print_table(title: str, columns: list[str], rows: list[dict[str, object]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in columns))
    Console().print(table)


@click.command("hardware")
@click.argument("filter", required=False)
@click.option("--vendor", help="Only this vendor (NVIDIA, AMD, Google, Intel).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def hardware(filter: str | None, vendor: str | None, fmt: str) -> None:
    """List accelerators (optionally those whose name contains FILTER)."""
    from carbonllm.tables import hardware_table

    rows: list[dict[str, object]] = []
    for acc in hardware_table():
        if not _matches(filter, acc.name, acc.full_name, *acc.aliases):
            continue
        if vendor and normalize(vendor) != normalize(acc.vendor):
            continue
        row: dict[str, object] = {"name": acc.name, "aliases": ";".join(acc.aliases),
                                  "vendor": acc.vendor, "generation": acc.generation,
                                  "tdp_w": acc.tdp_w}
        row.update({f"{d}_tflops": acc.peak_tflops.get(d) for d in DTYPES})
        row.update({"memory_gb": acc.memory_gb, "year": acc.year,
                    "verification": acc.verification, "source": acc.source})
        rows.append(row)
    if fmt == "json":
        echo_json(rows)
    elif fmt == "csv":
        echo_csv(rows)
    else:
        columns = ["name", "aliases", "tdp_w", *[f"{d}_tflops" for d in DTYPES], "memory_gb", "year"]
        _print_table(f"accelerators ({len(rows)})", columns, rows)


@click.command("regions")
@click.argument("filter", required=False)
@click.option("--kind", type=click.Choice(["world", "country", "subregion", "cloud"]),
              help="Only zones of this kind.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def regions(filter: str | None, kind: str | None, fmt: str) -> None:
    """List grid zones and their carbon intensity (optionally those matching FILTER)."""
    from carbonllm.tables import grid_table

    rows: list[dict[str, object]] = []
    for zone in grid_table():
        if kind and zone.kind != kind:
            continue
        if not _matches(filter, zone.zone, zone.name, *zone.aliases):
            continue
        rows.append({"zone": zone.zone, "aliases": ";".join(zone.aliases), "name": zone.name,
                     "kind": zone.kind, "grid_zone": zone.grid_zone,
                     "intensity_g_per_kwh": zone.intensity_g_per_kwh, "year": zone.year,
                     "source": zone.source})
    if fmt == "json":
        echo_json(rows)
    elif fmt == "csv":
        echo_csv(rows)
    else:
        columns = ["zone", "aliases", "name", "kind", "grid_zone", "intensity_g_per_kwh", "year"]
        _print_table(f"grid zones ({len(rows)})", columns, rows)
