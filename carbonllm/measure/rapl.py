"""CPU package and DRAM energy through Linux powercap RAPL files.

Layout (Linux ``Documentation/power/powercap/powercap.rst``)::

    <root>/intel-rapl:0/name                  "package-0"
    <root>/intel-rapl:0/energy_uj             cumulative µJ, wraps at max_energy_range_uj
    <root>/intel-rapl:0/max_energy_range_uj
    <root>/intel-rapl:0:0/name                "core", "uncore" or "dram" (sub-domains)

Package domains (``package-N``) become ``cpu:N`` sensors and DRAM sub-domains ``ram:N``; core
and uncore are inside the package and ``psys`` (the whole platform) would double count, so they
are skipped. AMD Zen CPUs appear under the same ``intel-rapl`` names (kernel ≥ 5.8). Since
CVE-2020-8694 (2020) ``energy_uj`` is readable by root only on most distributions: a
``PermissionError`` is translated into :class:`DevicePermissionError` and recorded, and
discovery falls back to the CPU model. The root directory is configurable
(``CARBONLLM_RAPL_ROOT``), which is how the tests point it at a temporary tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from carbonllm.errors import DevicePermissionError, DeviceUnavailableError, MeasurementError
from carbonllm.units import UJ_PER_J

DEFAULT_RAPL_ROOT = Path("/sys/class/powercap")
_DOMAIN = re.compile(r"^intel-rapl:(\d+)(?::(\d+))?$")


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text().strip())
    except PermissionError as e:
        raise DevicePermissionError(
            f"{path} is not readable (root-only since CVE-2020-8694); "
            "grant read access with: sudo chmod a+r /sys/class/powercap/intel-rapl:*/energy_uj"
        ) from e
    except FileNotFoundError as e:
        raise DeviceUnavailableError(f"{path} does not exist") from e
    except (OSError, ValueError) as e:
        raise MeasurementError(f"cannot read {path}: {e}") from e


def read_domain_name(directory: Path) -> str:
    """A domain's ``name`` file, or "" when it is missing or cannot be read (a short, bounded read)."""
    try:
        with (directory / "name").open("rb") as f:
            return f.read(256).decode("ascii", errors="replace").strip()
    except OSError:
        return ""


class RaplSensor:
    """One RAPL domain's ``energy_uj`` counter, in joules."""

    method = "rapl"

    def __init__(self, directory: Path, device: str, component: str) -> None:
        self.directory = directory
        self.device = device
        self.component = component
        self.name = read_domain_name(directory) or directory.name
        range_file = directory / "max_energy_range_uj"
        self.energy_range_j: float | None = (
            _read_int(range_file) / UJ_PER_J if range_file.exists() else None
        )
        self._energy_file = directory / "energy_uj"
        self.read_energy_j()  # fail now, at discovery, if it cannot be read

    def read_energy_j(self) -> float | None:
        return _read_int(self._energy_file) / UJ_PER_J

    def read_power_w(self) -> float | None:
        return None  # RAPL gives energy only; the sampler derives power from deltas

    def close(self) -> None:
        """Files are opened per read; nothing to release."""


@dataclass
class RaplDomains:
    """The readable RAPL domains and, if there are none, why (``problem``)."""

    packages: list[RaplSensor] = field(default_factory=list)
    dram: list[RaplSensor] = field(default_factory=list)
    problem: str = ""
    errors: list[str] = field(default_factory=list)


def find_rapl(root: Path | None = None) -> RaplDomains:
    """The package and DRAM domains under ``root`` (default ``/sys/class/powercap``)."""
    root = root or DEFAULT_RAPL_ROOT
    found = RaplDomains()
    if not root.is_dir():
        found.problem = f"not available ({root} does not exist)"
        return found
    domains = sorted(
        (p for p in root.iterdir() if _DOMAIN.match(p.name)),
        key=lambda p: tuple(int(g) for g in _DOMAIN.match(p.name).groups() if g is not None),  # type: ignore[union-attr]
    )
    if not domains:
        found.problem = f"not available (no intel-rapl domains in {root})"
        return found
    for directory in domains:
        name = read_domain_name(directory)
        package, sub = _DOMAIN.match(directory.name).groups()  # type: ignore[union-attr]
        try:
            if sub is None and name.startswith("package"):
                index = name.split("-")[-1] if "-" in name else package
                found.packages.append(RaplSensor(directory, f"cpu:{index}", "cpu"))
            elif sub is not None and name == "dram":
                found.dram.append(RaplSensor(directory, f"ram:{package}", "ram"))
        except MeasurementError as e:
            found.errors.append(str(e))
    if not found.packages:
        found.problem = (
            "present but not readable: " + found.errors[0] if found.errors else f"has no package domain in {root}"
        )
    return found


__all__ = ["DEFAULT_RAPL_ROOT", "RaplDomains", "RaplSensor", "find_rapl", "read_domain_name"]
