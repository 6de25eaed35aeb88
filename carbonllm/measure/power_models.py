"""The modelled CPU and RAM power of this machine, known before the first sample.

Reproduces codecarbon 3.x's CPU and RAM models (the numbers, not the code) from what can be read
directly and in milliseconds, without importing codecarbon's tracker or py-cpuinfo (whose import
and CPUID probing took ~1.5 s):

* **CPU model**: the ``model name`` line of ``/proc/cpuinfo`` (the brand string py-cpuinfo
  reports on Linux x86), else ``Model name:`` of ``lscpu`` (ARM); sockets: the distinct
  ``physical id`` lines, else ``Socket(s):`` of ``lscpu``, else 1 (codecarbon's
  ``count_physical_cpus`` reads ``lscpu``).
* **CPU TDP**: looked up in codecarbon's own data file ``codecarbon/data/hardware/cpu_power.csv``
  (``Name,TDP``; found through ``importlib.util.find_spec``, which does not import the package),
  matched as codecarbon 3.3's ``TDP._get_matching_cpu`` does: an exact (case-insensitive) name;
  else the same after dropping ``(R)``, `` CPU @ …`` and `` @ x.yzGHz``; else the one name whose
  word set contains, or is contained in, the brand's (codecarbon's ``token_set_ratio`` = 100,
  non-greedy: two such names match nothing). An unknown CPU gets codecarbon's default of 4 W per
  logical CPU (``DEFAULT_POWER_PER_CORE``), and says so.
* **RAM**: codecarbon 3.x's DIMM model (``codecarbon/external/ram.py``, ``_estimate_dimm_count``
  and ``_calculate_ram_power``) on the machine's memory (``MemTotal`` of ``/proc/meminfo``, in
  GiB as codecarbon divides by 1024³): see :func:`ram_power_w`.

Given values (``--cpu-power-w``, ``--ram-power-w``) replace the TDP × sockets and the RAM model.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import os
import platform
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from carbonllm.files import MIB, read_text

#: codecarbon's default CPU power when its table does not know the CPU (``cpu.py``, 2024-).
DEFAULT_POWER_PER_THREAD_W = 4.0
#: codecarbon 3.x's power of one x86 DIMM (``RAM_SLOT_POWER_X86``) and of one ARM DIMM.
DIMM_POWER_X86_W = 5.0
DIMM_POWER_ARM_W = 1.5
BYTES_PER_GIB = 1024**3


@dataclass(frozen=True)
class CpuPower:
    """The CPU side of the model: the brand string, its TDP per socket, sockets, and where from."""

    model: str
    tdp_w: float  # per socket (or the 4 W-per-thread default for the whole machine)
    sockets: int
    max_power_w: float  # the power at full load fed to the load model: tdp_w × sockets, or given
    source: str  # "codecarbon cpu_power.csv: <matched name>", "default 4 W per thread", "given (flag)"
    matched: bool


@dataclass(frozen=True)
class RamPower:
    memory_gb: float  # GiB, as codecarbon counts them
    power_w: float
    source: str


def _lscpu() -> dict[str, str]:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5, check=False,
                             env={**os.environ, "LC_ALL": "C"}).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    fields = {}
    for line in out.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def cpu_brand_and_sockets(cpuinfo: Path = Path("/proc/cpuinfo")) -> tuple[str | None, int]:
    """The CPU brand string and the socket count (see the module docstring)."""
    brand, sockets = None, 0
    try:
        text = read_text(cpuinfo, "cpuinfo", 16 * MIB)
    except Exception:  # noqa: BLE001 - policy: no procfs (macOS) or unreadable: lscpu, then unknown
        text = ""
    ids = set()
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        key = key.strip()
        if sep and key == "model name" and brand is None and value.strip():
            brand = value.strip()
        elif sep and key == "physical id":
            ids.add(value.strip())
    sockets = len(ids)
    if brand is None or sockets == 0:
        fields = _lscpu()
        brand = brand or fields.get("Model name") or None
        if sockets == 0:
            try:
                sockets = int(fields.get("Socket(s)", "1"))
            except ValueError:
                sockets = 1
    return brand, max(1, sockets)


def codecarbon_cpu_table() -> Path | None:
    """codecarbon's ``cpu_power.csv``, found without importing codecarbon; None if absent."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("codecarbon")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "data" / "hardware" / "cpu_power.csv"
        if path.is_file():
            return path
    return None


@functools.cache
def read_cpu_table(path: Path) -> dict[str, float]:
    """``Name → TDP`` (W) of codecarbon's CPU table, in its order; rows without a number skipped."""
    table: dict[str, float] = {}
    for row in csv.DictReader(io.StringIO(read_text(path, "codecarbon CPU table", 16 * MIB))):
        try:
            table.setdefault(str(row["Name"]), float(row["TDP"]))
        except (KeyError, TypeError, ValueError):
            continue
    return table


def _words(text: str) -> frozenset[str]:
    """rapidfuzz's ``default_process`` then a split: lower case, non-alphanumerics as spaces."""
    return frozenset(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def match_cpu(brand: str, names: list[str]) -> str | None:
    """The name in codecarbon's table that codecarbon 3.3 would match to ``brand``, or None."""
    lowered = {name.lower(): name for name in reversed(names)}  # the first of equal names wins
    if brand.lower() in lowered:
        return lowered[brand.lower()]
    short = brand.replace("(R)", "")
    at = short.find(" CPU @ ")
    if at > 0:
        short = short[:at]
    short = short.replace(" CPU", "")
    short = re.sub(r" @\s*\d+\.\d+GHz", "", short)
    if short.lower() in lowered:
        return lowered[short.lower()]
    words = _words(short)
    if not words:
        return None
    found = [name for name in names if (w := _words(name)) and (w <= words or words <= w)]
    return found[0] if len(found) == 1 else None


def cpu_power(given_w: float | None = None, table: Path | None = None,
              cpuinfo: Path = Path("/proc/cpuinfo")) -> CpuPower:
    """The machine's CPU power at full load: given, from codecarbon's table, or 4 W per thread."""
    brand, sockets = cpu_brand_and_sockets(cpuinfo)
    model = brand or "unknown CPU"
    if given_w is not None:
        return CpuPower(model=model, tdp_w=given_w, sockets=1, max_power_w=given_w, source="given (--cpu-power-w)",
                        matched=True)
    path = table if table is not None else codecarbon_cpu_table()
    if brand is not None and path is not None:
        tdps = read_cpu_table(path)
        name = match_cpu(brand, list(tdps))
        if name is not None:
            return CpuPower(model=model, tdp_w=tdps[name], sockets=sockets, max_power_w=tdps[name] * sockets,
                            source=f"codecarbon cpu_power.csv: {name}", matched=True)
    threads = os.cpu_count() or 1
    why = "not in codecarbon's CPU table" if path is not None else "codecarbon's CPU table is not installed"
    return CpuPower(model=model, tdp_w=DEFAULT_POWER_PER_THREAD_W * threads, sockets=1,
                    max_power_w=DEFAULT_POWER_PER_THREAD_W * threads,
                    source=f"{why}: codecarbon's default {DEFAULT_POWER_PER_THREAD_W:g} W × {threads} threads; "
                           "give --cpu-power-w", matched=False)


def memory_gib(meminfo: Path = Path("/proc/meminfo")) -> float:
    """The machine's memory in GiB: ``MemTotal`` of ``/proc/meminfo``, else ``sysconf``."""
    try:
        for line in read_text(meminfo, "meminfo", MIB).splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024 / BYTES_PER_GIB  # the value is in kB (KiB)
    except Exception:  # noqa: BLE001 - policy: no procfs (macOS): sysconf below
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / BYTES_PER_GIB
    except (ValueError, OSError, AttributeError):
        return 0.0


def dimm_count(memory_gb: float) -> int:
    """codecarbon 3.x's guess of the DIMM count from the memory size (``_estimate_dimm_count``)."""
    if memory_gb <= 2:
        return 1
    if memory_gb <= 16:
        return 2  # 2 × 4 or 2 × 8 GB
    if memory_gb <= 64:
        return 4  # 4 × 8 or 4 × 16 GB
    if memory_gb <= 128:
        return 8
    for size in (128, 64, 32, 16, 8, 4):  # the largest common DIMM that gives at least 8 DIMMs
        if size <= memory_gb / 8:
            return min(math.ceil(memory_gb / size), 32)  # capped at 32 DIMMs
    return 8


def ram_power_w(memory_gb: float, arm: bool = False) -> float:
    """codecarbon 3.x's RAM power (``_calculate_ram_power``): 5 W per x86 DIMM (1.5 W on ARM),
    0.9× for DIMMs 5-8, 0.8× for 9-16, 0.7× past 16; at least 2 DIMMs' worth on x86 (3 W on ARM)."""
    dimms = dimm_count(memory_gb)
    per = DIMM_POWER_ARM_W if arm else DIMM_POWER_X86_W
    minimum = 3.0 if arm else per * 2
    power = per * min(dimms, 4)
    power += per * 0.9 * max(0, min(dimms, 8) - 4)
    power += per * 0.8 * max(0, min(dimms, 16) - 8)
    power += per * 0.7 * max(0, dimms - 16)
    return max(minimum, power)


def ram_power(given_w: float | None = None, meminfo: Path = Path("/proc/meminfo")) -> RamPower:
    """The machine's RAM power: given, or codecarbon 3.x's model of its memory size."""
    memory = memory_gib(meminfo)
    if given_w is not None:
        return RamPower(memory_gb=memory, power_w=given_w, source="given (--ram-power-w)")
    arm = any(a in platform.machine().lower() for a in ("arm", "aarch"))
    return RamPower(memory_gb=memory, power_w=ram_power_w(memory, arm),
                    source=f"codecarbon 3.x RAM model: {dimm_count(memory)} DIMMs for {memory:.0f} GB"
                           + (" (ARM)" if arm else ""))


__all__ = ["CpuPower", "RamPower", "codecarbon_cpu_table", "cpu_brand_and_sockets", "cpu_power", "dimm_count",
           "match_cpu", "memory_gib", "ram_power", "ram_power_w", "read_cpu_table"]
