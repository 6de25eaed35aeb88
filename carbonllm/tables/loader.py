"""Loading of the shipped data tables (``data/*.csv``, installed as ``carbonllm.data``).

All file access for tables lives here: read once with the standard ``csv`` module (no pandas on
the estimate path), validated row by row into frozen models, cached with ``functools.cache``.
A missing file or a malformed row raises ``DataTableError`` naming the file, row and column.
"""

from __future__ import annotations

import csv
import functools
import io
import os
from collections.abc import Callable, Iterator

from carbonllm.errors import DataTableError, InputError, UnknownHardwareError, UnknownRegionError
from carbonllm.files import read_text
from carbonllm.names import common_country_code, nearest, normalize, normalize_many
from carbonllm.tables.grid import BASES, GridZone
from carbonllm.tables.hardware import DTYPES, Accelerator

TYPE_CHECKING = False  # typing is for type checkers only (start-up; docs/benchmarks.md)
if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")

#: Environment variable naming a directory whose CSVs replace the shipped ones (for testing a
#: regenerated table before committing it).
DATA_DIR_ENV = "CARBONLLM_DATA_DIR"


#: The tables beside the package in a source checkout (``data/`` at the repository's top level),
#: used when ``carbonllm`` is imported from the checkout itself rather than from an install.
_SOURCE_DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__)))), "data")
#: The tables of an installed package (``carbonllm/data``). Paths are os.path strings, not pathlib
#: (whose import is a tenth of an estimate's start-up).
_INSTALLED_DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "data")


#: A table larger than this is refused (the largest, grid_intensity.csv, is about 0.5 MiB).
MAX_TABLE_BYTES = 16 * 1024 * 1024


def _read_file(path: str) -> str:
    """A table read as every file carbonllm reads (:func:`carbonllm.files.read_text`): a bounded,
    regular UTF-8 file, so a FIFO, a device or a binary file under ``CARBONLLM_DATA_DIR`` is one
    ``DataTableError``, not a hang or a traceback."""
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    try:
        return read_text(path, "data table", MAX_TABLE_BYTES)
    except InputError as e:
        raise DataTableError(f"{e}; reinstall carbonllm or fix {DATA_DIR_ENV}") from None


def _read_text(filename: str) -> str:
    override = os.environ.get(DATA_DIR_ENV)
    try:
        if override:
            return _read_file(os.path.join(override, filename))
        for directory in (_INSTALLED_DATA_DIR, _SOURCE_DATA_DIR):  # plain files: no importlib.resources
            if os.path.isfile(os.path.join(directory, filename)):  # import (8 ms of the estimate's start-up)
                return _read_file(os.path.join(directory, filename))
        from importlib import resources  # a zipped install

        try:
            return resources.files("carbonllm.data").joinpath(filename).read_text(encoding="utf-8")
        except ModuleNotFoundError:  # a source checkout: carbonllm/data exists only once installed
            return _read_file(os.path.join(_SOURCE_DATA_DIR, filename))
    except (FileNotFoundError, ModuleNotFoundError, OSError) as e:
        where = override or "the installed package (carbonllm/data)"
        raise DataTableError(
            f"data table {filename} is missing from {where}; reinstall carbonllm "
            f"or fix {DATA_DIR_ENV}"
        ) from e


def read_rows(filename: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of a shipped CSV as dicts; ``DataTableError`` if a required column is absent."""
    reader = csv.reader(io.StringIO(_read_text(filename)))
    header = next(reader, None) or []
    missing = [c for c in required if c not in header]
    if missing:
        raise DataTableError(f"data table {filename} lacks column(s) {', '.join(missing)}")
    rows = []
    for row in reader:  # csv.reader, not DictReader: a third of the time
        if not row:
            continue
        if len(row) != len(header):
            raise DataTableError(f"data table {filename}, line {reader.line_num}: {len(row)} fields "
                                 f"where the header has {len(header)} (an unquoted comma?)")
        rows.append(dict(zip(header, row, strict=True)))
    if not rows:
        raise DataTableError(f"data table {filename} has no rows")
    return rows


def _build(filename: str, rows: list[dict[str, str]], make: Callable[[dict[str, str]], T],
           first_line: int = 2) -> Iterator[T]:
    for line, row in enumerate(rows, start=first_line):
        try:
            yield make(row)
        except (ValueError, TypeError, KeyError) as e:
            detail = str(e).splitlines()[0]
            raise DataTableError(f"data table {filename}, line {line}: {detail}") from e


def _number(row: dict[str, str], column: str) -> float | None:
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"column {column} is not a number: {text!r}") from None


def _aliases(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip())


def _require_source(row: dict[str, str]) -> str:
    source = (row.get("source") or "").strip()
    if not source:
        raise ValueError("the source column is empty; every figure needs a source")
    return source


# --- hardware ------------------------------------------------------------------------------

HARDWARE_CSV = "hardware.csv"


def _accelerator(row: dict[str, str]) -> Accelerator:
    peaks = {d: v for d in DTYPES if (v := _number(row, f"{d}_tflops")) is not None}
    if not peaks:
        raise ValueError(f"{row['name']} has no peak TFLOP/s for any dtype")
    return Accelerator(
        name=row["name"],
        full_name=row.get("full_name") or row["name"],
        aliases=_aliases(row),
        vendor=row["vendor"],
        kind=row["kind"],
        generation=row["generation"],
        form_factor=row.get("form_factor", ""),
        tdp_w=_number(row, "tdp_w"),
        peak_tflops=peaks,
        memory_gb=_number(row, "memory_gb"),
        year=int(row["year"]),
        verification=row.get("verification", ""),
        source=_require_source(row),
    )


@functools.cache
def hardware_table() -> tuple[Accelerator, ...]:
    """Every accelerator in ``data/hardware.csv``, in file order."""
    rows = read_rows(HARDWARE_CSV, ("name", "vendor", "kind", "generation", "year", "source"))
    return tuple(_build(HARDWARE_CSV, rows, _accelerator))


@functools.cache
def _hardware_index() -> dict[str, Accelerator]:
    index: dict[str, Accelerator] = {}
    for acc in hardware_table():
        for key in (acc.name, acc.full_name, *acc.aliases):
            index.setdefault(normalize(key), acc)
    return index


#: Vendor and brand words that lead the names nvidia-smi, NVML and rocm-smi print
#: (``NVIDIA H100 80GB HBM3``, ``Tesla V100-SXM2-32GB``, ``AMD Instinct MI300X``); dropped from the
#: front of a name that does not match as given.
_VENDOR_PREFIXES = ("nvidia", "tesla", "geforce", "amd", "instinct", "google", "cloud", "intel", "habana")


def _without_vendor(key: str) -> str:
    stripped = True
    while stripped:
        stripped = False
        for prefix in _VENDOR_PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix):
                key, stripped = key[len(prefix):], True
    return key


def find_accelerator(name: str) -> Accelerator:
    """The accelerator called ``name`` (forgiving match, aliases such as ``A100``, and the names
    nvidia-smi prints such as ``NVIDIA H100 80GB HBM3``).

    Raises ``UnknownHardwareError`` with the nearest names when there is none.
    """
    index = _hardware_index()
    found = index.get(normalize(name)) or index.get(_without_vendor(normalize(name)))
    if found is None:
        names = [a.name for a in hardware_table()] + [x for a in hardware_table() for x in a.aliases]
        raise UnknownHardwareError(name, nearest(name, names))
    return found


# --- MFU defaults --------------------------------------------------------------------------

MFU_CSV = "mfu_defaults.csv"


def mfu_defaults() -> dict[str, tuple[float, float, float, str]]:
    """Generation → (mfu, mfu_low, mfu_high, source) on the 6·N·D basis, from
    ``data/mfu_defaults.csv`` (read by :func:`carbonllm.tables.mfu.mfu_table`, which also holds the
    detailed-count basis)."""
    from carbonllm.tables.mfu import mfu_table  # it reads through this module

    return {g: (d.mfu, d.mfu_low, d.mfu_high, d.source) for g, d in mfu_table().items()}


# --- grid intensity ------------------------------------------------------------------------

GRID_CSV = "grid_intensity.csv"


def _zone(row: dict[str, str]) -> GridZone:
    intensity = _number(row, "intensity_g_per_kwh")
    if intensity is None or intensity < 0:
        raise ValueError(f"zone {row['zone']} has no valid intensity_g_per_kwh")
    return GridZone(
        zone=row["zone"],
        aliases=_aliases(row),
        name=row.get("name") or row["zone"],
        kind=row["kind"],
        grid_zone=(row.get("grid_zone") or "").strip() or None,
        intensity_g_per_kwh=intensity,
        year=int(row["year"]),
        source=_require_source(row),
        basis=_basis(row),
        gases=(row.get("gases") or "CO2e").strip(),
        direct_g_per_kwh=_number(row, "direct_g_per_kwh"),
        method=(row.get("method") or "").strip(),
        quality=(row.get("quality") or "").strip(),
    )


def _basis(row: dict[str, str]) -> str:
    basis = (row.get("basis") or "").strip()
    if basis not in BASES:
        raise ValueError(f"zone {row['zone']} has basis {basis!r}; expected one of {', '.join(BASES)}")
    return basis


_GRID_REQUIRED = ("zone", "name", "kind", "intensity_g_per_kwh", "basis", "year", "source")


@functools.cache
def _grid_rows() -> tuple[dict[str, str], ...]:
    return tuple(read_rows(GRID_CSV, _GRID_REQUIRED))


@functools.cache
def grid_table() -> tuple[GridZone, ...]:
    """Every zone in ``data/grid_intensity.csv``, in file order, each row validated."""
    return tuple(_build(GRID_CSV, list(_grid_rows()), _zone))


@functools.cache
def _zone_at(line: int) -> GridZone:
    """The zone of the table's row at file line ``line`` (2 = the first row), validated."""
    return next(_build(GRID_CSV, [_grid_rows()[line - 2]], _zone, first_line=line))


@functools.cache
def _grid_index() -> dict[str, int]:
    """Normalised zone code, alias and name → file line of its row. Only the row asked for is
    validated into a ``GridZone``: building all ~460 of them was a third of an estimate's run time
    (``carbonllm regions`` and :func:`grid_table` still validate every row)."""
    lines: list[int] = []
    keys: list[str] = []
    for line, row in enumerate(_grid_rows(), start=2):
        names = (row["zone"], *_aliases(row), row.get("name") or row["zone"])
        lines.extend([line] * len(names))
        keys.extend(names)
    index: dict[str, int] = {}
    for line, key in zip(lines, normalize_many(keys), strict=True):  # earlier rows win a clash: countries first
        index.setdefault(key, line)
    return index


def find_zone(name: str) -> GridZone:
    """The grid zone called ``name``: ISO alpha-2/alpha-3 code or name of a country, a subregion
    code (``US-CA``), or a cloud region (``aws:us-east-1``, ``gcp:europe-west1``).

    Raises ``UnknownRegionError`` with the nearest names when there is none.
    """
    line = _grid_index().get(normalize(name))
    if line is None and (common := common_country_code(name)) is not None:  # UK -> GBR, Holland -> NLD
        line = _grid_index().get(normalize(common))
    if line is None:
        rows = _grid_rows()
        names = [r["zone"] for r in rows] + [r.get("name") or r["zone"] for r in rows]
        raise UnknownRegionError(name, nearest(name, names))
    return _zone_at(line)


def clear_caches() -> None:
    """Forget every cached table (after changing ``CARBONLLM_DATA_DIR``)."""
    for fn in (hardware_table, _hardware_index, _grid_rows, grid_table, _zone_at, _grid_index):
        fn.cache_clear()
    from carbonllm.tables import mfu  # a module of this package that reads through this one

    mfu.clear_caches()


