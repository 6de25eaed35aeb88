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

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from carbonllm.errors import ConfigError, InputError

#: environment variable → config field
ENVIRONMENT = {
    "CARBONLLM_REGION": "region",
    "CARBONLLM_INTENSITY": "intensity_g_per_kwh",
    "CARBONLLM_PUE": "pue",
    "CARBONLLM_INTERVAL": "interval_s",
    "CARBONLLM_GPU_IDS": "gpu_ids",
    "CARBONLLM_OUTPUT": "output_dir",
    "CARBONLLM_RAPL_ROOT": "rapl_root",
    "CARBONLLM_METRICS_PORT": "metrics_port",
    "CARBONLLM_METRICS_HOST": "metrics_host",
    "CARBONLLM_PUSHGATEWAY": "pushgateway_url",
}
FILE_KEYS = {"region", "intensity_g_per_kwh", "intensity", "pue", "interval_s", "interval", "gpu_ids",
             "output_dir", "rapl_root", "metrics_port", "metrics_host", "pushgateway_url"}


def find_config_file(environ: Mapping[str, str], cwd: Path | None = None) -> Path | None:
    """The config file to read, if any (see the module docstring for the search order)."""
    explicit = environ.get("CARBONLLM_CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise InputError(f"CARBONLLM_CONFIG names {path}, which is not a file")
        return path
    for candidate in ((cwd or Path.cwd()) / "carbonllm.toml",
                      Path(environ.get("HOME", "~")).expanduser() / ".config" / "carbonllm" / "config.toml"):
        if candidate.is_file():
            return candidate
    return None


def read_config_file(path: Path) -> dict[str, Any]:
    """The tracker keys of a TOML config file (top level, overridden by ``[track]``)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError as e:
            raise ConfigError(f"reading {path} needs Python 3.11+ or the tomli package") from e
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read config file {path}: {e}") from e
    values = {k: v for k, v in data.items() if not isinstance(v, dict)}
    values.update(data.get("track", {}))
    unknown = sorted(set(values) - FILE_KEYS)
    if unknown:
        raise ConfigError(f"config file {path}: unknown key(s) {', '.join(unknown)}; "
                          f"known: {', '.join(sorted(FILE_KEYS))}")
    if "intensity" in values:
        values["intensity_g_per_kwh"] = values.pop("intensity")
    if "interval" in values:
        values["interval_s"] = values.pop("interval")
    return values
