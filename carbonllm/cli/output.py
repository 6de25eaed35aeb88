"""Shared rendering helpers for the CLI: JSON, CSV, number formatting, a quantity option type."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator, Mapping

from carbonllm.cli.option_specs import FORMATS
from carbonllm.errors import InputError
from carbonllm.quantities import count_text

TYPE_CHECKING = False  # neither typing nor click at run time: see carbonllm.cli.option_specs
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

__all__ = ["FORMATS", "count_text"]  # re-exported: the formats and the formatter live elsewhere


#: Width given to rich when stdout is not a terminal: wide enough that no table is ever cut or
#: wrapped for a pipe or a file (rich otherwise assumes 80 columns and truncates cells with "…").
PIPE_WIDTH = 10_000


def table_console(stderr: bool = False) -> Any:
    """A rich Console for tables: the terminal's width on a terminal (or ``COLUMNS`` when set);
    piped or redirected, a width no table reaches, so every value, zone id and name prints whole
    on one line instead of being cut with "…" or wrapped mid-word. On a terminal too narrow for
    a table, that table prints at the width it needs (the terminal wraps the lines) rather than
    with cut cells."""
    import os

    from rich.console import Console

    class WholeTableConsole(Console):
        def print(self, *objects: Any, **kwargs: Any) -> None:
            from rich.measure import Measurement
            from rich.table import Table

            for item in objects:
                if isinstance(item, Table) and _cuts(self, item):
                    need = Measurement.get(self, self.options.update_width(PIPE_WIDTH), item).maximum
                    wide = Console(file=self.file, width=need,
                                   force_terminal=self.is_terminal, no_color=self.no_color)
                    wide.print(item, **kwargs)
                else:
                    super().print(item, **kwargs)

    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty() or os.environ.get("COLUMNS"):
        return WholeTableConsole(stderr=stderr)
    return WholeTableConsole(stderr=stderr, width=PIPE_WIDTH, soft_wrap=True)


def _cuts(console: Any, table: Any) -> bool:
    """Whether rich would cut a cell of ``table`` ("…", or a ``no_wrap`` column cropped) at
    ``console``'s width: the table's minimum width (every ``no_wrap`` cell whole) does not fit, the
    rendering shows an ellipsis no cell holds, or a word of a header or cell is missing from it.
    The last catches rich squeezing a table whose measured minimum just fits: it then crops
    ``no_wrap`` cells without an ellipsis ("cloud" → "clou") and folds short columns to nothing
    (a 202.8 g/kWh cell printed as empty)."""
    from rich.console import Console
    from rich.measure import Measurement

    if Measurement.get(console, console.options.update_width(PIPE_WIDTH), table).minimum > console.width:
        return True
    probe = Console(width=console.width, file=io.StringIO(), color_system=None)
    probe.print(table)
    rendered = probe.file.getvalue()  # type: ignore[attr-defined]
    cells = [str(cell) for column in table.columns for cell in (column.header, *column.cells)]
    if "…" in rendered and not any("…" in cell for cell in cells):
        return True
    return any(word not in rendered for cell in cells for word in cell.split())


def note(text: str) -> None:
    """Say ``carbonllm: note: text`` on stderr (after a result, or beside it)."""
    print(f"carbonllm: note: {text}", file=sys.stderr, flush=True)


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON."""
    print(json.dumps(data, indent=2, default=str), flush=True)


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


def settings_from_environment(region: str | None, intensity: Any, pue: Any,
                              notes: list[str] | None = None) -> tuple[str | None, Any, Any]:
    """Fill the region, intensity and PUE that no flag gave from ``CARBONLLM_REGION`` /
    ``CARBONLLM_INTENSITY`` / ``CARBONLLM_PUE`` or the config file, exactly as ``carbonllm track``
    resolves them (see :mod:`carbonllm.measure.track_config`), so estimates and measurements
    agree. Where each value came from is appended to ``notes`` (see :func:`environment_settings`), or
    said on stderr at once without it."""
    import os

    from carbonllm.settings import ENVIRONMENT, find_config_file, read_config_file

    names = {field: name for name, field in ENVIRONMENT.items()}
    layers: list[tuple[str, dict[str, Any]]] = [
        ("environment", {field: os.environ[name] for name, field in ENVIRONMENT.items() if os.environ.get(name)})]
    path = find_config_file(os.environ)
    if path is not None:
        layers.append((f"config file {path}", read_config_file(path)))
    for label, values in layers:
        if region is None and intensity is None and ("region" in values or "intensity_g_per_kwh" in values):
            region, intensity = values.get("region"), values.get("intensity_g_per_kwh")
            key = "region" if region is not None else "intensity_g_per_kwh"
            where = names[key] if label == "environment" else label
            _note(notes, f"{key.split('_')[0]} {region or intensity} from {where}")
        if pue is None and "pue" in values:
            pue = values["pue"]
            where = names["pue"] if label == "environment" else label
            _note(notes, f"PUE {pue} from {where}")
    return region, intensity, pue


def _note(notes: list[str] | None, text: str) -> None:
    if notes is None:
        note(text)
    else:
        notes.append(text)


@contextlib.contextmanager
def environment_settings(options: dict[str, Any]) -> Iterator[None]:
    """Fill ``options``' ``region``/``intensity``/``pue`` that no flag gave from the environment or
    config file (:func:`settings_from_environment`), then run the body: a bad value from there fails
    in one line that names where it came from; on success, where each came from is said on stderr."""
    from carbonllm.errors import CarbonLLMError

    notes: list[str] = []
    options["region"], options["intensity"], options["pue"] = settings_from_environment(
        options["region"], options["intensity"], options["pue"], notes)
    try:
        yield
    except CarbonLLMError as e:
        if notes:
            raise InputError(f"{e} ({'; '.join(notes)})") from e
        raise
    for text in notes:
        note(text)


def run_directory(path: str | Path, flag: str = "INPUT") -> Path:
    """``path``, or the one run directory one level below it.

    A tracked run sits in a timestamped folder under the directory users remember
    (``<hf-output>/carbonllm/<timestamp>-<id>``). When ``path`` is a directory holding no
    ``*.summary.json`` but exactly one sub-directory that does, that one is used and named on
    stderr; several are listed (newest first) so the user can pick. Anything else is returned
    unchanged for the reader to judge.
    """
    from pathlib import Path

    base = Path(path)
    if not base.is_dir() or any(base.glob("*.summary.json")):
        return base
    runs = sorted((d for d in base.iterdir() if d.is_dir() and any(d.glob("*.summary.json"))),
                  key=lambda d: d.name, reverse=True)
    if len(runs) == 1:
        note(f"{base} holds no run itself; using the run one level down, {runs[0]}")
        return runs[0]
    if runs:
        shown = ", ".join(str(r) for r in runs[:5]) + (f" and {len(runs) - 5} more" if len(runs) > 5 else "")
        raise InputError(f"{base} holds {len(runs)} runs one level down; give one of them as {flag}: {shown}")
    return base


def take_deprecated_gpus(options: dict[str, Any]) -> None:
    """Move a deprecated ``--gpus N`` into ``options["devices"]``, saying so on stderr."""
    old = options.pop("gpus_deprecated", None)
    if old is None:
        return
    if options.get("devices") is not None:
        raise InputError("give --devices N once (--gpus N is its deprecated spelling)")
    note("--gpus N is deprecated (it will be removed in 0.3); use --devices N (--gpu names the chips)")
    options["devices"] = old
