"""A finished (or running) SLURM job, read from the accounting database with ``sacct``.

``carbonllm report --slurm-job ID`` runs::

    sacct -j ID --parsable2 --format=JobID,JobName,State,Start,End,ElapsedRaw,NodeList,AllocTRES,ConsumedEnergyRaw

(sacct(1): ``--parsable2`` separates fields by ``|`` with no trailing one; the first line names
the fields; ``ConsumedEnergyRaw`` is in joules, filled only where the cluster runs an
``acct_gather_energy`` plugin; ``AllocTRES`` lists the allocated resources, GPUs as
``gres/gpu=N`` and ``gres/gpu:TYPE=N``). Times are the cluster's local time, as sacct prints
them with ``SLURM_TIME_FORMAT=standard`` (set here); they are read in this machine's time zone.

The allocation's line (``JobID`` without a step suffix) gives the nodes, GPUs, elapsed time and
window; its ``ConsumedEnergyRaw`` (else the ``extern`` step's, which spans the allocation) is the
measured energy. What that energy covers depends on the plugin (IPMI: whole nodes; RAPL: CPU
packages and DRAM; GPU: the GPUs); the summary says which it came from only as
``slurm-consumed-energy``.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime

from carbonllm.errors import InputError

FIELDS = ("JobID", "JobName", "State", "Start", "End", "ElapsedRaw", "NodeList", "AllocTRES", "ConsumedEnergyRaw")
SACCT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class SlurmJob:
    """What sacct says about one job allocation."""

    job_id: str
    name: str
    state: str
    start_unix: float
    end_unix: float | None  # None while it runs
    elapsed_s: float
    nodes: tuple[str, ...]
    gpus: int
    gpu_type: str | None
    consumed_energy_j: float | None
    energy_from: str | None  # "allocation" or "extern step"

    @property
    def gpu_hours(self) -> float:
        return self.gpus * self.elapsed_s / 3600.0

    def describe(self) -> str:
        gpus = f"{self.gpus} GPU(s){' ' + self.gpu_type if self.gpu_type else ''}"
        return (f"SLURM job {self.job_id} ({self.state}): {len(self.nodes)} node(s), {gpus}, "
                f"{self.elapsed_s / 3600.0:,.3g} h elapsed = {self.gpu_hours:,.4g} GPU-hours")


def expand_hostlist(text: str) -> tuple[str, ...]:
    """``node[01-03,07],gpu5`` → ``node01 node02 node03 node07 gpu5`` (SLURM's hostlist syntax)."""
    hosts: list[str] = []
    for part in re.findall(r"[^,\[]+(?:\[[^\]]*\][^,\[]*)*", text.strip()):
        match = re.fullmatch(r"([^\[]*)\[([^\]]*)\](.*)", part)
        if match is None:
            hosts.append(part)
            continue
        prefix, ranges, suffix = match.groups()
        for item in ranges.split(","):
            lo, _, hi = item.partition("-")
            if not lo.isdigit() or (hi and not hi.isdigit()):
                raise InputError(f"sacct gave a node list carbonllm cannot read: {text!r}")
            for n in range(int(lo), int(hi or lo) + 1):
                for host in expand_hostlist(f"{prefix}{n:0{len(lo)}d}{suffix}"):
                    hosts.append(host)
    return tuple(hosts)


def parse_tres(text: str) -> tuple[int, str | None]:
    """GPUs in an ``AllocTRES`` value and their type, if one is given: ``gres/gpu:a100=8`` → (8, "a100")."""
    total = None
    typed: dict[str, int] = {}
    for item in text.split(","):
        key, _, value = item.strip().partition("=")
        if not key.startswith("gres/gpu") or not value.isdigit():
            continue
        if key == "gres/gpu":
            total = int(value)
        elif key.startswith("gres/gpu:"):
            typed[key.split(":", 1)[1]] = int(value)
    count = total if total is not None else sum(typed.values())
    return count, (next(iter(typed)) if len(typed) == 1 else None)


def _time(text: str, field: str, job_id: str) -> float | None:
    if text in ("", "Unknown", "None"):
        return None
    try:
        return datetime.fromisoformat(text).timestamp()  # naive: this machine's (the cluster's) local time
    except ValueError as e:
        raise InputError(f"sacct gave job {job_id} a {field} carbonllm cannot read: {text!r}") from e


def parse_sacct(output: str, job_id: str) -> SlurmJob:
    """The job of ``sacct --parsable2`` output (header line first)."""
    lines = [line for line in output.splitlines() if line.strip()]
    if not lines:
        raise InputError(f"sacct knows no job {job_id}; check the id (sacct -j {job_id}) and that accounting is on")
    header = lines[0].split("|")
    missing = [f for f in FIELDS if f not in header]
    if missing:
        raise InputError(f"sacct's output lacks {', '.join(missing)}; is this SLURM's sacct?")
    rows = [dict(zip(header, line.split("|"), strict=False)) for line in lines[1:]]
    base = job_id.split(".")[0]
    job = next((r for r in rows if r["JobID"] == base), None)
    if job is None:
        raise InputError(f"sacct knows no job {job_id}; check the id (sacct -j {job_id}) and that accounting is on")
    energy, source = _energy(job), "allocation"
    if energy is None:
        extern = next((r for r in rows if r["JobID"] == f"{base}.extern"), None)
        energy, source = (_energy(extern), "extern step") if extern is not None else (None, "allocation")
    start = _time(job["Start"], "Start", base)
    if start is None:
        raise InputError(f"SLURM job {base} has not started ({job['State']}); nothing to report yet")
    end = _time(job["End"], "End", base)
    try:
        elapsed = float(job["ElapsedRaw"])
    except ValueError as e:
        raise InputError(f"sacct gave job {base} an ElapsedRaw carbonllm cannot read: {job['ElapsedRaw']!r}") from e
    gpus, gpu_type = parse_tres(job["AllocTRES"])
    return SlurmJob(job_id=base, name=job["JobName"], state=job["State"], start_unix=start, end_unix=end,
                    elapsed_s=elapsed, nodes=expand_hostlist(job["NodeList"]), gpus=gpus, gpu_type=gpu_type,
                    consumed_energy_j=energy, energy_from=source if energy is not None else None)


def _energy(row: dict[str, str]) -> float | None:
    text = row.get("ConsumedEnergyRaw", "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    # an unset counter reads as 0 or as 2^64-2 (NO_VAL64) on some versions: not a measurement
    return value if math.isfinite(value) and 0 < value < 2.0**63 else None


def query_sacct(job_id: str) -> SlurmJob:
    """Ask ``sacct`` about ``job_id``; ``InputError`` (one line) when it cannot answer."""
    if not re.fullmatch(r"[0-9]+(_[0-9]+)?(\.[A-Za-z0-9]+)?", job_id.strip()):
        raise InputError(f"--slurm-job {job_id!r} is not a SLURM job id (e.g. 123456 or 123456_7)")
    program = shutil.which("sacct")
    if program is None:
        raise InputError("sacct is not installed or not on PATH; run on a SLURM login node, or give "
                         "--prometheus with --start/--end instead")
    import os

    env = {**os.environ, "SLURM_TIME_FORMAT": "standard"}
    try:
        done = subprocess.run([program, "-j", job_id.strip(), "--parsable2", f"--format={','.join(FIELDS)}"],
                              capture_output=True, text=True, timeout=SACCT_TIMEOUT_S, env=env, check=False)
    except subprocess.TimeoutExpired as e:
        raise InputError(f"sacct did not answer within {SACCT_TIMEOUT_S:g} s; is slurmdbd up?") from e
    except OSError as e:
        raise InputError(f"cannot run sacct: {e.strerror or e}") from e
    if done.returncode != 0:
        message = " ".join(done.stderr.split()) or f"exit status {done.returncode}"
        raise InputError(f"sacct failed for job {job_id}: {message}")
    return parse_sacct(done.stdout, job_id.strip())


def window(job: SlurmJob, now_unix: float | None = None) -> tuple[float, float, bool]:
    """The job's (start, end, complete): a running job ends now."""
    if job.end_unix is not None:
        return job.start_unix, job.end_unix, True
    return job.start_unix, time.time() if now_unix is None else now_unix, False


__all__ = ["SlurmJob", "expand_hostlist", "parse_sacct", "parse_tres", "query_sacct", "window"]
