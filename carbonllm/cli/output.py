"""Shared rendering helpers for the CLI: JSON, CSV, number formatting, a quantity option type."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import click

from carbonllm.errors import InputError
from carbonllm.quantities import parse_quantity

FORMATS = ("table", "json", "csv")


class QuantityType(click.ParamType):
    """A number written as ``175e9``, ``175B``, ``7b``, ``1.5T`` or ``300_000_000``."""

    name = "NUMBER"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        flag = param.opts[0] if param is not None and param.opts else "value"
        try:
            return parse_quantity(value, flag)
        except InputError as e:
            self.fail(str(e), param, ctx)


QUANTITY = QuantityType()


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON."""
    click.echo(json.dumps(data, indent=2, default=str))


def echo_csv(rows: Iterable[Mapping[str, Any]]) -> None:
    """Print rows (dicts with the same keys) as CSV with a header."""
    rows = list(rows)
    if not rows:
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})


def si(value: float | None, unit: str = "", digits: int = 3) -> str:
    """``3.14e23`` → ``3.14e+23``; ``1287000`` → ``1.29 M``; keeps ``digits`` significant digits."""
    if value is None:
        return "-"
    if value == 0:
        return f"0 {unit}".strip()
    magnitude = abs(value)
    if magnitude >= 1e15 or magnitude < 1e-3:
        return f"{value:.{digits}g} {unit}".strip()
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= factor:
            return f"{value / factor:.{digits}g} {prefix}{unit}".strip()
    return f"{value:.{digits}g} {unit}".strip()


def grouped(value: float | None, decimals: int = 0) -> str:
    """``1287000.4`` → ``1,287,000``; values under 100 keep 3 significant digits (``0.0141``), so a
    small run never prints as 0."""
    if value is None:
        return "-"
    if value != 0 and abs(value) < 100:
        return f"{value:.3g}"
    return f"{value:,.{decimals}f}"
