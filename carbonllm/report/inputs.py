"""Finding and reading the inputs of ``carbonllm report``: estimates, tracked runs, codecarbon files.

The file access of reports lives here; :mod:`carbonllm.report.statement` stays pure. What kind of input a
path holds is decided from its content, not its name:

* a JSON object with ``"method": "estimated"`` and ``"assumptions"``: an estimate
  (``carbonllm estimate --format json > est.json``);
* a JSON object with ``"format": "carbonllm.run/1"``: one node's run summary;
* a directory: a tracked run, its ``*.summary.json`` merged by :func:`carbonllm.measure.runfiles.merge_runs`;
* a CSV whose header has codecarbon's ``emissions``, ``energy_consumed`` and ``duration``.

What cannot be read is skipped where the rest still makes a report, and said so in
:attr:`LoadedReport.warnings` (the CLI prints them on stderr).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carbonllm.errors import CarbonLLMError, InputError
from carbonllm.files import MIB, open_regular, parse_json
from carbonllm.names import require_path
from carbonllm.report.data import RUN_FORMAT, ReportData, from_estimate, from_run_summary

if TYPE_CHECKING:  # pragma: no cover
    import pandas

SUMMARY_SUFFIX = ".summary.json"
SAMPLES_SUFFIX = ".samples.jsonl"
#: An estimate or summary JSON larger than this is refused (real ones are a few kB).
MAX_JSON_BYTES = 64 * MIB

NOT_AN_INPUT = ("is not a carbonllm estimate (JSON from 'carbonllm estimate --format json'), a run summary "
                "(*.summary.json) or run directory from 'carbonllm track', or a codecarbon emissions.csv")


@dataclass(frozen=True)
class LoadedReport:
    """A report's data, the samples files of a tracked run, and what was skipped on the way."""

    data: ReportData
    samples_paths: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = field(default=())


def _read_json(path: Path) -> Any:
    from carbonllm.files import read_bytes

    text = read_bytes(path, "input", MAX_JSON_BYTES)
    try:
        decoded = text.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{path} {NOT_AN_INPUT}") from e
    return parse_json(decoded, str(path))


def _summary_dict(summary: Any) -> dict[str, Any]:
    """A :class:`~carbonllm.measure.records.RunSummary` as the dict ``from_run_summary`` reads."""
    return dict(summary.model_dump(mode="json"))


def _samples_for(summary_path: Path) -> Path:
    return summary_path.with_name(summary_path.name[: -len(SUMMARY_SUFFIX)] + SAMPLES_SUFFIX)


def _load_summary(path: Path) -> LoadedReport:
    from carbonllm.measure import runfiles

    samples = _samples_for(path)
    return LoadedReport(from_run_summary(_summary_dict(runfiles.load_run(path))),
                        samples_paths=(samples,) if samples.exists() else ())


def _load_directory(directory: Path, run_id: str | None = None) -> LoadedReport:
    """The run in a run directory (``run_id``, or the only one), its readable node summaries merged
    by :func:`carbonllm.measure.merge.combine`; the unreadable ones are skipped and named in the
    warnings. A directory of several runs without ``run_id`` is refused with their ids (no report
    mixes runs)."""
    from carbonllm.measure import runfiles

    if not any(directory.glob(f"*{SUMMARY_SUFFIX}")):
        what = "is empty" if not any(directory.iterdir()) else "holds no *.summary.json"
        raise InputError(f"{directory} {what}: not a run directory from 'carbonllm track'")
    runs = runfiles.RunDirectory(directory)
    if run_id is None and len(runs.runs) > 1:
        raise InputError(f"{directory} holds {len(runs.runs)} runs ({', '.join(runs.runs)}); report one at a "
                         "time: add --run-id ID (or give one run's summary file)")
    run_id = runs.pick(run_id)
    warnings = list(runs.skipped)
    merged = runs.merged(run_id, with_skipped=False)  # the skipped files go in as the report's warnings
    stems = [name[: -len(SUMMARY_SUFFIX)] for name, _ in runs.runs[run_id]]
    samples = tuple(p for p in (directory / (stem + SAMPLES_SUFFIX) for stem in stems) if p.exists())
    data = from_run_summary(_summary_dict(merged), notes=tuple(warnings))
    return LoadedReport(data, samples_paths=samples, warnings=tuple(warnings))


#: ReportData fields that are >= 0 when present (PUE is >= 1).
NON_NEGATIVE_FIELDS = ("duration_s", "gpu_count", "device_hours", "it_energy_kwh", "energy_kwh", "energy_kwh_low",
                       "energy_kwh_high", "intensity_g_per_kwh", "co2e_kg", "co2e_kg_low", "co2e_kg_high",
                       "embodied_co2e_kg")


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def checked(data: ReportData, path: Path) -> ReportData:
    """``data`` if its figures are possible (no negative energy, CO2e, duration or count; PUE >= 1);
    else ``InputError`` naming the file and the field."""
    for name in NON_NEGATIVE_FIELDS:
        value = getattr(data, name, None)
        if value is not None and value < 0:
            raise InputError(f"{path}: {name} is negative ({value:g}); not a carbonllm output, or corrupt")
    for name, value in data.energy_kwh_by_component.items():
        if value < 0:
            raise InputError(f"{path}: energy_kwh_by_component.{name} is negative ({value:g})")
    if data.pue is not None and data.pue < 1:
        raise InputError(f"{path}: pue is {data.pue:g}, less than 1; not a carbonllm output, or corrupt")
    return data


def load_report(path: str | Path, run_id: str | None = None) -> LoadedReport:
    """Read ``path`` (an estimate, run summary, run directory or codecarbon CSV) into a report;
    ``run_id`` picks one run of a directory that holds several.

    Raises :class:`~carbonllm.errors.InputError` with a one-line reason when it is none of them.
    """
    path = require_path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    if path.is_dir():
        return _load_directory(path, run_id)
    if run_id is not None:
        raise InputError("--run-id picks a run of a run directory; give the directory, not a file")
    head = _head(path)
    if head.lstrip().startswith(("{", "[")):
        obj = _read_json(path)
        if isinstance(obj, dict) and obj.get("format") == RUN_FORMAT:
            return _load_summary(path)
        if isinstance(obj, dict) and obj.get("method") == "estimated" and "assumptions" in obj:
            version = obj.get("carbonllm_version")
            if version is not None and not isinstance(version, str):
                raise InputError(f"{path}: carbonllm_version is {type(version).__name__} {_short(version)}, not text; "
                                 "not a carbonllm estimate, or corrupt")
            try:
                data = from_estimate(obj)
            except InputError as e:
                raise InputError(f"{path}: {e}") from e
            except (TypeError, ValueError, ArithmeticError) as e:  # a field of the wrong type or size
                raise InputError(f"{path} is a corrupt carbonllm estimate: {' '.join(str(e).split())[:200]}") from e
            return LoadedReport(checked(data, path))
        raise InputError(f"{path} {NOT_AN_INPUT}")
    first_line = head.splitlines()[0] if head else ""
    if "," in first_line:
        from carbonllm.report.codecarbon_csv import looks_like_codecarbon, read_emissions_csv

        if looks_like_codecarbon([c.strip() for c in first_line.lstrip("\ufeff").split(",")]):
            data = read_emissions_csv(path)
            skipped = tuple(n for n in data.notes if n.startswith("skipped"))
            return LoadedReport(data, warnings=skipped)
    raise InputError(f"{path} {NOT_AN_INPUT}")


def _head(path: Path, size: int = 4096) -> str:
    with open_regular(path, "input") as (f, _):
        try:
            return f.read(size).decode("utf-8-sig", errors="replace")
        except OSError as e:
            raise InputError(f"cannot read {path}: {e.strerror or e}") from e


# --- samples ----------------------------------------------------------------------------------

SAMPLE_KEYS = ("time_unix", "elapsed_s", "device", "component", "energy_j", "power_w", "method", "error")


def read_samples(paths: tuple[Path, ...] | list[Path]) -> tuple[list[dict[str, Any]], list[str]]:
    """Every readable sample of ``paths`` (read by :func:`carbonllm.measure.runfiles.load_samples`), each with
    its ``node`` (the file's ``<run id>.<host>-node<R>`` stem), and a line per file saying what was skipped."""
    from carbonllm.measure import runfiles

    samples: list[dict[str, Any]] = []
    skipped: list[str] = []
    for path in paths:
        node = path.name[: -len(SAMPLES_SUFFIX)] if path.name.endswith(SAMPLES_SUFFIX) else path.stem
        try:
            records, bad = runfiles.load_samples(path)
        except CarbonLLMError as e:
            skipped.append(f"skipped {path.name}: {e}")
            continue
        samples.extend({"node": node, **record} for record in records)
        if bad:
            skipped.append(f"skipped {bad} truncated or malformed line(s) of {path.name}")
    return samples, skipped


def _samples_paths(run: str | Path) -> list[Path]:
    run = Path(run)
    if run.is_dir():
        paths = sorted(run.glob(f"*{SAMPLES_SUFFIX}"))
    elif run.name.endswith(SUMMARY_SUFFIX):
        paths = [_samples_for(run)]
    else:
        paths = [run]
    paths = [p for p in paths if p.exists()]
    if not paths:
        raise InputError(f"no *{SAMPLES_SUFFIX} found for {run}")
    return paths


def samples_to_pandas(run: str | Path) -> pandas.DataFrame:
    """The samples of a tracked run (a run directory, a summary or a samples file) as a DataFrame.

    One row per device per sample, with columns ``node``, ``time_unix``, ``elapsed_s``,
    ``device``, ``component``, ``energy_j`` (cumulative), ``power_w``, ``method``, ``error``.
    Unreadable lines are skipped (``df.attrs["skipped"]`` lists them). Imports pandas.
    """
    import pandas as pd

    samples, skipped = read_samples(_samples_paths(require_path(run, "run")))
    frame = pd.DataFrame(samples, columns=["node", *SAMPLE_KEYS])
    frame.attrs["skipped"] = skipped
    return frame


def power_series(samples: list[dict[str, Any]]) -> dict[str, list[tuple[float, float]]]:
    """Per ``node/device``, (elapsed_s, power_w) points, taken from ``power_w`` or, where that is
    null, from the change in cumulative ``energy_j`` over the change in time."""
    series: dict[str, list[tuple[float, float]]] = {}
    previous: dict[str, tuple[float, float]] = {}
    for sample in sorted(samples, key=lambda s: (s.get("node", ""), s.get("device", ""), s.get("elapsed_s") or 0)):
        key = f"{sample['node']}/{sample['device']}" if sample.get("node") else str(sample["device"])
        elapsed, energy_j, power_w = sample.get("elapsed_s"), sample.get("energy_j"), sample.get("power_w")
        if not isinstance(elapsed, (int, float)):
            continue
        if not isinstance(power_w, (int, float)) and isinstance(energy_j, (int, float)) and key in previous:
            t0, e0 = previous[key]
            power_w = (energy_j - e0) / (elapsed - t0) if elapsed > t0 else None
        if isinstance(energy_j, (int, float)):
            previous[key] = (float(elapsed), float(energy_j))
        if isinstance(power_w, (int, float)) and math.isfinite(power_w):
            series.setdefault(key, []).append((float(elapsed), float(power_w)))
    return series
