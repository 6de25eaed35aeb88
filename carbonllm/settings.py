"""User settings that live outside the command line: environment variables and the config file.

One place for the layers that ``carbonllm track`` and ``carbonllm estimate``/``compare``/``plan``
share, so an estimate and a measurement on the same machine use the same region, intensity and PUE.

- Environment: ``CARBONLLM_REGION``, ``CARBONLLM_INTENSITY``, ``CARBONLLM_PUE``,
  ``CARBONLLM_INTERVAL``, ``CARBONLLM_GPU_IDS``, ``CARBONLLM_OUTPUT``, ``CARBONLLM_RAPL_ROOT``,
  ``CARBONLLM_METRICS_PORT``, ``CARBONLLM_METRICS_HOST``, ``CARBONLLM_PUSHGATEWAY``.
- Config file: ``$CARBONLLM_CONFIG``, else ``./carbonllm.toml``, else
  ``~/.config/carbonllm/config.toml``; keys at the top level or under ``[track]``.

Reading them is I/O at the edge; what the values mean is resolved by
:mod:`carbonllm.measure.track_config` (the tracker) and :mod:`carbonllm.cli.output` (estimates).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from carbonllm.errors import ConfigError, InputError
from carbonllm.files import read_text

TYPE_CHECKING = False  # typing is for type checkers only (start-up; docs/benchmarks.md)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

#: environment variable → config field
ENVIRONMENT = {
    "CARBONLLM_REGION": "region",
    "CARBONLLM_INTENSITY": "intensity_g_per_kwh",
    "CARBONLLM_PUE": "pue",
    "CARBONLLM_INTERVAL": "interval_s",
    "CARBONLLM_GPU_IDS": "gpu_ids",
    "CARBONLLM_OUTPUT": "output_dir",
    "CARBONLLM_RAPL_ROOT": "rapl_root",
    "CARBONLLM_CPU_POWER_W": "cpu_power_w",
    "CARBONLLM_RAM_POWER_W": "ram_power_w",
    "CARBONLLM_METRICS_PORT": "metrics_port",
    "CARBONLLM_METRICS_HOST": "metrics_host",
    "CARBONLLM_PUSHGATEWAY": "pushgateway_url",
}
#: config-file key → the TOML types it may have (a number may also be written as a string: "7B")
FILE_KEYS: dict[str, tuple[type, ...]] = {
    "region": (str,),
    "intensity_g_per_kwh": (int, float, str),
    "intensity": (int, float, str),
    "pue": (int, float, str),
    "interval_s": (int, float, str),
    "interval": (int, float, str),
    "gpu_ids": (str, int, list),
    "output_dir": (str,),
    "rapl_root": (str,),
    "cpu_power_w": (int, float, str),
    "ram_power_w": (int, float, str),
    "metrics_port": (int, str),
    "metrics_host": (str,),
    "pushgateway_url": (str,),
}
#: A config file larger than this is refused (a real one is a few lines).
MAX_CONFIG_BYTES = 1024 * 1024


def find_config_file(environ: Mapping[str, str], cwd: Path | None = None) -> Path | None:
    """The config file to read, if any (see the module docstring for the search order)."""
    explicit = environ.get("CARBONLLM_CONFIG")
    home = os.path.expanduser(environ.get("HOME", "~"))
    candidates = (os.path.expanduser(explicit),) if explicit else (
        os.path.join(cwd or os.getcwd(), "carbonllm.toml"), os.path.join(home, ".config", "carbonllm", "config.toml"))
    found = next((c for c in candidates if os.path.isfile(c)), None)  # os.path: every estimate looks, and
    if found is None:                                                  # pathlib's import costs its start-up
        if explicit:
            raise InputError(f"CARBONLLM_CONFIG names {os.path.normpath(candidates[0])}, which is not a file")
        return None
    from pathlib import Path

    return Path(found)


def read_config_file(path: Path) -> dict[str, Any]:
    """The tracker keys of a TOML config file (top level, overridden by ``[track]``)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError as e:
            raise ConfigError(f"reading {path} needs Python 3.11+ or the tomli package") from e
    text = read_text(path, "config file", MAX_CONFIG_BYTES)  # a regular file: never /dev/zero or a FIFO
    try:
        data = tomllib.loads(text)
    except (ValueError, RecursionError) as e:
        raise ConfigError(f"cannot read config file {path}: {' '.join(str(e).split())}") from e
    track = data.get("track", {})
    if not isinstance(track, dict):
        raise ConfigError(f"config file {path}: track must be a [track] table, not {type(track).__name__} "
                          f"{track!r}")
    values = {k: v for k, v in data.items() if k != "track"}
    values.update(track)
    unknown = sorted(set(values) - set(FILE_KEYS))
    if unknown:
        raise ConfigError(f"config file {path}: unknown key(s) {', '.join(unknown)}; "
                          f"known: {', '.join(sorted(FILE_KEYS))}")
    for key, value in values.items():
        allowed = FILE_KEYS[key]
        if isinstance(value, bool) or not isinstance(value, allowed) or (
                isinstance(value, list) and not all(isinstance(v, (str, int)) and not isinstance(v, bool)
                                                    for v in value)):
            kinds = " or ".join({"str": "a string", "int": "a number", "float": "a number",
                                 "list": "a list of ids"}[t.__name__] for t in allowed)
            kinds = " or ".join(dict.fromkeys(kinds.split(" or ")))
            raise ConfigError(f"config file {path}: {key} must be {kinds}, not {type(value).__name__} {value!r}")
        if isinstance(value, str) and not value.strip():
            raise ConfigError(f"config file {path}: {key} is empty; remove it or give a value")
    if "intensity" in values:
        values["intensity_g_per_kwh"] = values.pop("intensity")
    if "interval" in values:
        values["interval_s"] = values.pop("interval")
    return values
