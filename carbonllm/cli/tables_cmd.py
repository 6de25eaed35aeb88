"""``carbonllm hardware`` and ``carbonllm regions``: list and filter the data tables."""

from __future__ import annotations

import click

from carbonllm.cli.output import FORMATS, echo_csv, echo_json, table_console
from carbonllm.errors import InputError
from carbonllm.names import normalize
from carbonllm.tables.hardware import DTYPES


def _matches(needle: str | None, *haystack: str) -> bool:
    if not needle:
        return True
    key = normalize(needle)
    return any(key in normalize(h) for h in haystack)


def _print_table(title: str, columns: list[tuple[str, str]], rows: list[dict[str, object]]) -> None:
    """A rich table of ``rows``; ``columns`` are (key, header) pairs."""
    from rich.table import Table

    table = Table(title=title, header_style="bold")
    for key, header in columns:
        numeric = any(isinstance(row[key], (int, float)) for row in rows)
        # names and zone ids never wrap (other columns give way first, or the table is as wide as it needs)
        whole = key in ("name", "zone", "aliases", "grid_zone", "kind", "basis")
        table.add_column(header, overflow="fold", justify="right" if numeric else "left", no_wrap=whole)
    for row in rows:
        table.add_row(*("" if row[key] is None else f"{row[key]:g}" if isinstance(row[key], float) else str(row[key])
                        for key, _ in columns))
    table_console().print(table)


@click.command("hardware")
@click.argument("filter", required=False)
@click.option("--vendor", help="Only this vendor (NVIDIA, AMD, Google, Intel).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def hardware(filter: str | None, vendor: str | None, fmt: str) -> None:
    """List accelerators (optionally those whose name contains FILTER)."""
    from carbonllm.tables.loader import hardware_table

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
    if not rows:
        raise InputError(f"no accelerator matches {filter or vendor!r}; run 'carbonllm hardware' to list them")
    if fmt == "json":
        echo_json(rows)
    elif fmt == "csv":
        echo_csv(rows)
    else:
        columns = [("name", "name"), ("tdp_w", "TDP W"), ("bf16_tflops", "bf16"), ("fp16_tflops", "fp16"),
                   ("fp8_tflops", "fp8"), ("memory_gb", "GB"), ("year", "year")]
        _print_table(f"accelerators ({len(rows)}; dense TFLOP/s; all columns and sources: --format csv)",
                     columns, rows)


@click.command("regions")
@click.argument("filter", required=False)
@click.option("--kind", type=click.Choice(["world", "country", "subregion", "cloud"]),
              help="Only zones of this kind.")
@click.option("--basis", "show_basis", is_flag=True,
              help="Also show each row's gases, direct (combustion) value and how it was made.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def regions(filter: str | None, kind: str | None, show_basis: bool, fmt: str) -> None:
    """List grid zones and their carbon intensity (optionally those matching FILTER).

    Every figure says its basis (lifecycle unless the row's method says why not) and any
    quality note on it; see docs/grid-intensity.md.
    """
    from carbonllm.tables.loader import grid_table

    rows: list[dict[str, object]] = []
    for zone in grid_table():
        if kind and zone.kind != kind:
            continue
        if not _matches(filter, zone.zone, zone.name, *zone.aliases):
            continue
        rows.append({"zone": zone.zone, "aliases": ";".join(zone.aliases), "name": zone.name,
                     "kind": zone.kind, "grid_zone": zone.grid_zone,
                     "intensity_g_per_kwh": zone.intensity_g_per_kwh, "year": zone.year,
                     "source": zone.source, "basis": zone.basis, "gases": zone.gases,
                     "direct_g_per_kwh": zone.direct_g_per_kwh, "method": zone.method,
                     "quality": zone.quality})
    if filter:  # exact code or name matches first (FR → France before Central African Republic)
        key = normalize(filter)
        rows.sort(key=lambda r: key not in {normalize(str(r["zone"])), normalize(str(r["name"])),
                                            *(normalize(a) for a in str(r["aliases"]).split(";"))})
    if not rows:
        raise InputError(f"no grid zone matches {filter or kind!r}; run 'carbonllm regions' to list them")
    if fmt == "json":
        echo_json(rows)
    elif fmt == "csv":
        echo_csv(rows)
    else:
        columns = [("zone", "zone"), ("name", "name"), ("kind", "kind"), ("grid_zone", "grid"),
                   ("intensity_g_per_kwh", "g/kWh"), ("basis", "basis"), ("year", "year")]
        if show_basis:
            columns += [("gases", "gases"), ("direct_g_per_kwh", "direct g/kWh"), ("method", "method")]
        columns.append(("flag", "note"))
        for row in rows:  # the table names the flag; the whole note is in --format csv/json
            row["flag"] = str(row["quality"] or "").split(":")[0]
        _print_table(f"grid zones ({len(rows)}; aliases, sources and whole notes: --format csv)", columns, rows)
