"""Tracked runs on disk: the ``carbonllm.run/1`` format, ``load_run`` and ``merge_runs``.

A run directory holds, per node of each run (one tracker per node), two files named by run id,
host and node rank::

    <run id>.<host>-node<R>.samples.jsonl   one JSON object per device per sample, appended as measured
    <run id>.<host>-node<R>.summary.json    a RunSummary; provisional (complete=false) until the run ends

(Files of carbonllm before 0.2 have no ``<run id>.`` prefix; they are read the same way.) Run id
and host are sanitised (:func:`safe_name`) before they go into a path, so no name can point
outside the directory. Several runs may share a directory: each tracker claims its file names
with ``O_EXCL`` and never replaces another's; readers group node files by the ``run_id`` inside
them. Files are created ``0600`` (they hold the command line) with ``O_NOFOLLOW``, and a summary
is replaced atomically through a randomly named temporary file, so a planted symlink is never
followed.

The fields are documented in ``docs/tracking.md``; fields may be added, never renamed. The
public API, which ``carbonllm report`` builds on:

* :func:`load_run` (a summary file, or a run directory merged) → :class:`RunSummary`
* :func:`merge_runs` (a directory of node files of one run) → one :class:`RunSummary`
* :func:`load_runs` (a directory, maybe of several runs) → one :class:`RunSummary` per run
* :func:`load_samples` → the sample records, skipping (and counting) truncated lines

Totals of a merge: energies, CO2e, GPU-hours and embodied CO2e add up over nodes; the duration
runs from the earliest start to the latest end; the run is complete only if every node is.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from carbonllm.errors import CarbonLLMError, DataTableError, InputError
from carbonllm.estimator.calculator import default_embodied_co2e_kg
from carbonllm.files import MIB, open_regular, read_text
from carbonllm.measure.merge import combine
from carbonllm.measure.projection import Projection
from carbonllm.measure.records import (
    COMPONENTS,
    FORMAT,
    DeviceSummary,
    Measurement,
    RunSummary,
    gpu_summary,
    iso_utc,
    parse_iso,
    summary_problem,
)
from carbonllm.measure.track_config import DEFAULT_RUNS_DIR
from carbonllm.names import require_path
from carbonllm.units import SECONDS_PER_HOUR, co2e_kg_from

SUMMARY_SUFFIX = ".summary.json"
SAMPLES_SUFFIX = ".samples.jsonl"
#: Mode of every file the tracker creates: they hold the command line, so only the owner reads them.
FILE_MODE = 0o600
#: A summary larger than this is refused by the readers (a real one is a few kB, more with many windows).
MAX_SUMMARY_BYTES = 64 * MIB
#: A samples line longer than this is skipped unread (a real one is ~200 bytes).
MAX_SAMPLE_LINE_BYTES = MIB
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
#: The note of a ``--embodied`` run without a measured GPU: the per-GPU figures have nothing to charge.
EMBODIED_NOT_CHARGED = ("embodied emissions not charged: no GPU was measured on this node "
                        "(the A100-server figures of Luccioni et al. 2022 are per GPU)")


def safe_name(text: str, max_length: int = 64) -> str:
    """``text`` made safe as part of a file name: only ``A-Z a-z 0-9 _ . -`` (others become ``_``),
    no leading dot or dash, at most ``max_length`` characters, never empty."""
    cleaned = _UNSAFE.sub("_", text)[:max_length].lstrip(".-")
    return cleaned or "_"


def node_stem(host: str, node_rank: int, run_id: str | None = None) -> str:
    """The file-name stem of a node's files: ``<run id>.<host>-node<R>`` (sanitised)."""
    stem = f"{safe_name(host)}-node{int(node_rank)}"
    return f"{safe_name(run_id)}.{stem}" if run_id else stem


def create_exclusive(path: Path) -> int:
    """Create ``path`` for writing, ``0600``; never follows a symlink and never opens an existing
    file (``O_CREAT|O_EXCL|O_NOFOLLOW``): ``FileExistsError`` if anything is there."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    return os.open(path, flags, FILE_MODE)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def default_output_dir(now_unix: float | None = None) -> Path:
    """``./carbonllm-runs/<UTC timestamp>-<short id>``."""
    stamp = datetime.fromtimestamp(now_unix or time.time(), tz=timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return DEFAULT_RUNS_DIR / f"{stamp}-{secrets.token_hex(3)}"


def prepare_output_dir(directory: Path) -> Path:
    """Create ``directory`` (and parents); ``InputError`` if it cannot be created or written."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not directory.is_dir():
            raise InputError(f"output directory {directory} is not a directory")
        probe = directory / f".carbonllm-write-test-{secrets.token_hex(4)}"
        os.close(create_exclusive(probe))  # O_EXCL|O_NOFOLLOW: never touches an existing file
        probe.unlink()
    except OSError as e:
        raise InputError(f"cannot write to output directory {directory}: {e.strerror or e}") from e
    return directory


def write_summary(summary: RunSummary, path: Path) -> None:
    """Write atomically: a new, randomly named ``0600`` temp file beside ``path`` (created with
    ``O_EXCL|O_NOFOLLOW``), fsync, rename over ``path``. A reader never sees half a summary; a
    symlink planted at either name is replaced, never followed; on failure (a full disk) the temp
    file is removed and the previous summary stays as it was. Raises ``OSError``."""
    data = (json.dumps(summary.to_dict(), indent=2, allow_nan=False) + "\n").encode("utf-8")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = create_exclusive(tmp)
    try:
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass  # already gone, or the directory is unwritable: nothing more can be done
        raise


# --- reading ----------------------------------------------------------------------------------


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def read_summary(path: Path) -> RunSummary:
    """One node's summary file; ``InputError``/``DataTableError`` with one line if it is not one.

    The file must be a regular file of at most :data:`MAX_SUMMARY_BYTES`; every number in it
    finite and every field in its range (:func:`~carbonllm.measure.records.summary_problem`).
    """
    text = read_text(path, "run summary", MAX_SUMMARY_BYTES)
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (json.JSONDecodeError, ValueError) as e:
        msg, line = (e.msg, e.lineno) if isinstance(e, json.JSONDecodeError) else (str(e), "?")
        raise DataTableError(f"{path} is not a carbonllm run summary (not JSON: {msg} at line {line})") from e
    except RecursionError as e:
        raise DataTableError(f"{path} is not a carbonllm run summary (not JSON: nested too deeply)") from e
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"{path} is not a carbonllm run summary (format {_short(found)}, expected {FORMAT!r})")
    try:
        summary = RunSummary.model_validate(data)
    except (ValidationError, RecursionError) as e:
        if isinstance(e, RecursionError):
            raise DataTableError(f"{path} is a corrupt carbonllm run summary: nested too deeply") from e
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DataTableError(f"{path} is a corrupt carbonllm run summary: {where}: {first['msg']}") from e
    problem = summary_problem(summary)
    if problem is not None:
        raise DataTableError(f"{path} is a corrupt carbonllm run summary: {problem}")
    return summary


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _good_record(record: Any) -> bool:
    """Whether a samples line holds what the readers use: a device name and a finite energy."""
    if not isinstance(record, dict) or not isinstance(record.get("device"), str):
        return False
    energy = record.get("energy_j")
    power = record.get("power_w")
    elapsed = record.get("elapsed_s")
    numbers_ok = all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))
                     for v in (energy, power, elapsed))
    return numbers_ok and isinstance(energy, (int, float)) and not isinstance(energy, bool)


def load_samples(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The sample records of a ``.samples.jsonl`` file and the number of lines skipped.

    A line that is not a JSON object with a ``device`` and a finite ``energy_j`` (typically the
    last one, cut by a crash), or is longer than :data:`MAX_SAMPLE_LINE_BYTES`, is skipped and
    counted, never fatal. The file is streamed, and must be a regular file.
    """
    records: list[dict[str, Any]] = []
    skipped = 0
    with open_regular(path, "samples file") as (f, _):
        try:
            while True:
                raw = f.readline(MAX_SAMPLE_LINE_BYTES + 1)
                if not raw:
                    break
                if len(raw) > MAX_SAMPLE_LINE_BYTES:  # too long: skip to its end, unread
                    skipped += 1
                    while raw and not raw.endswith(b"\n"):
                        raw = f.readline(MAX_SAMPLE_LINE_BYTES + 1)
                    continue
                line = raw.decode("utf-8", errors="replace")
                if not line.strip():
                    continue
                try:
                    record = json.loads(line, parse_constant=_no_constant)
                except (ValueError, RecursionError):
                    skipped += 1
                    continue
                if _good_record(record):
                    records.append(record)
                else:
                    skipped += 1
        except OSError as e:
            raise InputError(f"cannot read samples file {path}: {e.strerror or e}") from e
    return records, skipped


def _samples_of(summary_path: Path) -> Path:
    return summary_path.with_name(summary_path.name[: -len(SUMMARY_SUFFIX)] + SAMPLES_SUFFIX)


def _with_sample_check(summary: RunSummary, path: Path) -> RunSummary:
    """An incomplete summary, with notes on its samples file (truncated lines)."""
    notes = list(summary.notes)
    notes.append(f"{path.name}: incomplete - the tracker did not finish (killed or still running); "
                 "figures are those of the last provisional summary")
    samples = _samples_of(path)
    if samples.exists():
        try:
            _, skipped = load_samples(samples)
        except InputError as e:
            notes.append(f"{samples.name}: not read ({e})")
        else:
            if skipped:
                notes.append(f"{samples.name}: skipped {skipped} truncated or malformed line(s)")
    return summary.model_copy(update={"notes": notes})


def load_run(path: str | Path, run_id: str | None = None) -> RunSummary:
    """A run: a ``.summary.json`` file, or a run directory (its node files merged, see
    :func:`merge_runs`; ``run_id`` picks one run of a directory that holds several).

    Raises :class:`InputError` for a path that is not a carbonllm run and
    :class:`DataTableError` for a corrupt summary, each with a one-line message.
    """
    path = require_path(path)
    if path.is_dir():
        return merge_runs(path, run_id=run_id)
    summary = read_summary(path)
    return summary if summary.complete else _with_sample_check(summary, path)


class RunDirectory:
    """The node summaries of a directory, read and grouped by run id; the unreadable ones named.

    ``runs`` maps each run id to its ``(file name, summary)`` pairs, earliest-started run first;
    ``skipped`` holds one line per file that could not be read.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise InputError(f"{self.directory} is not a directory of carbonllm runs")
        files = sorted(self.directory.glob(f"*{SUMMARY_SUFFIX}"))
        if not files:
            raise InputError(f"{self.directory} holds no carbonllm run summary (*{SUMMARY_SUFFIX})")
        self.skipped: list[str] = []
        found: list[tuple[str, RunSummary]] = []
        for f in files:
            try:
                found.append((f.name, load_run(f)))
            except CarbonLLMError as e:
                self.skipped.append(f"skipped {f.name}: {' '.join(str(e).split())}")
        if not found:
            raise InputError(f"no readable run summary in {self.directory}: {self.skipped[0]}")
        groups: dict[str, list[tuple[str, RunSummary]]] = {}
        for name, summary in found:
            groups.setdefault(summary.run_id, []).append((name, summary))
        order = sorted(groups, key=lambda rid: (min(parse_iso(s.started_at) for _, s in groups[rid]), rid))
        self.runs = {rid: groups[rid] for rid in order}

    def merged(self, run_id: str, with_skipped: bool = True) -> RunSummary:
        """One run's node summaries combined (see :func:`merge_runs`), the skipped files noted
        (unless ``with_skipped`` is false)."""
        pairs = self.runs[run_id]
        names = [name for name, _ in pairs]
        nodes = [summary for _, summary in pairs]
        merged = nodes[0].model_copy(update={"node_files": names}) if len(nodes) == 1 else combine(nodes, names)
        problem = summary_problem(merged)
        if problem is not None:  # finite nodes can still add up to an overflow
            raise InputError(f"the nodes of run {run_id!r} in {self.directory} cannot be merged: {problem}")
        if self.skipped and with_skipped:
            merged = merged.model_copy(update={"notes": [*merged.notes, *self.skipped]})
        return merged

    def pick(self, run_id: str | None) -> str:
        """The run id to use: ``run_id`` if given (it must be there), else the only run."""
        ids = list(self.runs)
        if run_id is not None:
            if run_id not in self.runs:
                raise InputError(f"{self.directory} holds no run {run_id!r}; its runs: {', '.join(ids)}")
            return run_id
        if len(ids) > 1:
            raise InputError(f"{self.directory} holds {len(ids)} runs ({', '.join(ids)}); pick one with "
                             "--run-id ID, or give a directory of one run")
        return ids[0]


def merge_runs(directory: str | Path, run_id: str | None = None) -> RunSummary:
    """Every node summary of one run in ``directory`` (``*.summary.json``) combined into one run.

    Energies, facility energy, CO2e, GPU-hours and embodied CO2e (when every node with GPUs
    carries it) add up; the duration runs from the earliest
    start to the latest end; PUE and intensity of the merge are the effective ratios
    (facility / IT energy, CO2e / facility energy); devices keep their host and node rank. A
    projection is recomputed over all nodes. A node file that cannot be read is skipped and
    named in the notes. Raises :class:`InputError` if there is no readable summary, or if the
    directory holds several runs and ``run_id`` does not pick one (see :func:`load_runs`).
    """
    runs = RunDirectory(require_path(directory, "directory"))
    return runs.merged(runs.pick(run_id))


def load_runs(directory: str | Path) -> list[RunSummary]:
    """Every run in ``directory``, each merged over its nodes (earliest-started first)."""
    runs = RunDirectory(directory)
    return [runs.merged(rid) for rid in runs.runs]


def summarize(
    *,
    config: Any,
    snapshot: Any,
    started_unix: float,
    ended_unix: float,
    complete: bool,
    run_id: str,
    command: list[str] | None = None,
    pid: int | None = None,
    exit_status: int | None = None,
    projection: Projection | None = None,
    tokens_done: float | None = None,
    steps_done: float | None = None,
    windows: Sequence[Measurement] = (),
    notes: Sequence[str] = (),
    samples_file: str | None = None,
) -> RunSummary:
    """A node's :class:`RunSummary` from the sampler's :class:`~carbonllm.measure.sampler.Snapshot` and
    the resolved :class:`~carbonllm.measure.track_config.TrackConfig`. No I/O.

    ``gpu_hours`` = duration × GPUs measured. With ``config.embodied`` the summary charges the GPUs'
    embodied share for them (:func:`~carbonllm.estimator.calculator.default_embodied_co2e_kg`,
    Luccioni et al. 2022 §4.3), in ``embodied_co2e_kg`` beside ``co2e_kg``, never added into it; a
    node without a measured GPU gets a note instead. Every provisional summary carries the share for
    the hours so far, so a run whose tracker is killed keeps it too."""
    from carbonllm._version import __version__

    duration_s = max(0.0, ended_unix - started_unix)
    devices = [
        DeviceSummary(device=d.device, component=d.component, name=d.name, energy_kwh=d.energy_kwh,
                      method=d.method, samples=d.samples, errors=list(d.errors), host=config.host,
                      node_rank=config.node_rank,
                      mean_power_w=d.energy_j / duration_s if duration_s > 0 else None)
        for d in snapshot.devices
    ]
    by_component = {c: sum(d.energy_kwh for d in devices if d.component == c) for c in COMPONENTS}
    energy = sum(by_component.values())
    facility = energy * config.pue  # measured IT energy × PUE
    gpu_count, gpu_name = gpu_summary(devices)
    gpu_hours = duration_s / SECONDS_PER_HOUR * gpu_count  # wall time × GPUs measured on this node
    embodied_kg, embodied_source, notes = None, None, list(notes)
    if config.embodied and gpu_count:  # Luccioni et al. 2022 §4.3, as estimate --embodied
        embodied_kg, embodied_source = default_embodied_co2e_kg(gpu_hours, gpu_name)
    elif config.embodied:
        notes.append(EMBODIED_NOT_CHARGED)
    return RunSummary(
        carbonllm_version=__version__,
        run_id=run_id,
        host=config.host,
        node_rank=config.node_rank,
        command=command,
        pid=pid,
        exit_status=exit_status,
        started_at=iso_utc(started_unix),
        ended_at=iso_utc(ended_unix),
        duration_s=duration_s,
        devices=devices,
        energy_kwh_by_component=by_component,
        energy_kwh=energy,
        pue=config.pue,
        pue_is_default=config.pue_is_default,
        pue_source=config.pue_source,
        facility_energy_kwh=facility,
        region=config.region,
        region_name=config.region_name,
        region_is_default=config.region_is_default,
        intensity_g_per_kwh=config.intensity_g_per_kwh,
        intensity_year=config.intensity_year,
        intensity_source=config.intensity_source,
        co2e_kg=co2e_kg_from(facility, config.intensity_g_per_kwh),
        intensity_basis=config.intensity_basis,
        market_intensity_g_per_kwh=config.market_intensity_g_per_kwh,
        market_co2e_kg=(None if config.market_intensity_g_per_kwh is None
                        else co2e_kg_from(facility, config.market_intensity_g_per_kwh)),
        market_source=config.market_source,
        gpu_count=gpu_count,
        gpu_name=gpu_name,
        gpu_hours=gpu_hours,
        embodied_co2e_kg=embodied_kg,
        embodied_source=embodied_source,
        projection=projection,
        complete=complete,
        interval_s=config.interval_s,
        tokens_done=tokens_done,
        steps_done=steps_done,
        windows=list(windows),
        notes=notes,
        samples_file=samples_file,
    )


__all__ = ["FILE_MODE", "default_output_dir", "prepare_output_dir", "FORMAT", "DeviceSummary", "Measurement",
           "RunDirectory", "RunSummary", "combine", "create_exclusive", "iso_utc", "load_run",
           "load_runs", "load_samples", "merge_runs", "node_stem", "read_summary", "safe_name",
           "summarize", "write_all", "write_summary"]
