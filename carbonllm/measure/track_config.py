"""Tracker configuration, resolved once into one frozen :class:`TrackConfig`.

Precedence, highest first: flags (CLI options or ``carbonllm.track(...)`` keywords) >
environment variables (``CARBONLLM_REGION``, ``CARBONLLM_INTENSITY``, ``CARBONLLM_PUE``,
``CARBONLLM_INTERVAL``, ``CARBONLLM_GPU_IDS``, ``CARBONLLM_OUTPUT``, ``CARBONLLM_RAPL_ROOT``,
``CARBONLLM_METRICS_PORT``, ``CARBONLLM_METRICS_HOST``, ``CARBONLLM_PUSHGATEWAY``) >
a config file (``$CARBONLLM_CONFIG``, else ``./carbonllm.toml``, else
``~/.config/carbonllm/config.toml``; keys at the top level or under ``[track]``, named like the
fields below; both read by :mod:`carbonllm.settings`) > defaults. Region and intensity are
resolved as a pair: the highest layer that sets either wins, so ``--intensity`` on the command
line overrides a region from the file.

Defaults: region ``world`` (and the summary says the default was used), PUE 1.2
(:data:`carbonllm.estimator.defaults.DEFAULT_PUE`, as in the estimator, so that measured and
estimated CO2e compare like with like; give ``--pue 1`` for IT energy only), interval 2 s, no
embodied emissions (``--embodied`` / ``embodied=True`` only: no environment variable or config-file
key sets it). Nothing here looks the region up from the network.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from carbonllm.errors import InputError
from carbonllm.estimator import defaults
from carbonllm.names import require_path, require_text
from carbonllm.quantities import (
    MAX_INTENSITY_G_PER_KWH,
    MAX_PUE,
    check_plausible,
    parse_quantity,
    require_positive,
)
from carbonllm.settings import ENVIRONMENT, find_config_file, read_config_file

DEFAULT_INTERVAL_S = 2.0
#: Bounds of ``--interval``: below 50 ms the sampler would spend a core reading sensors (NVML
#: updates its power reading every ~20-100 ms anyway); above an hour a run is barely sampled.
MIN_INTERVAL_S = 0.05
MAX_INTERVAL_S = 3600.0
#: Bounds of ``--cpu-power-w`` / ``--ram-power-w``: a whole machine's CPUs or RAM, 0 W to 100 kW.
MAX_COMPONENT_POWER_W = 100_000.0
DEFAULT_RUNS_DIR = Path("carbonllm-runs")
#: Fields which, set by a config file in the current directory, are announced on stderr: a file
#: someone left in a shared directory must not silently move the output or change the CO2e.
ANNOUNCED_FILE_FIELDS = ("output_dir", "region", "intensity_g_per_kwh", "pue", "cpu_power_w", "ram_power_w")

class TrackConfig(BaseModel):
    """Everything the tracker needs, already resolved and checked. Passed whole."""

    model_config = ConfigDict(frozen=True)

    # carbon accounting
    region: str
    region_name: str
    region_is_default: bool
    intensity_g_per_kwh: float
    intensity_year: int | None
    intensity_source: str
    intensity_basis: str | None = None  # lifecycle, direct_combustion, co2_direct, user_given
    intensity_note: str | None = None  # a zone on another basis, a flagged figure, a user value
    market_intensity_g_per_kwh: float | None = None  # market-based (GHG Protocol Scope 2), if given
    market_source: str | None = None
    pue: float
    pue_is_default: bool
    pue_source: str
    embodied: bool = False  # charge the GPUs' embodied share for their measured GPU-hours (--embodied)
    # sampling
    interval_s: float = DEFAULT_INTERVAL_S
    output_dir: Path | None = None  # None: ./carbonllm-runs/<UTC timestamp>-<short id>
    gpu_ids: tuple[str, ...] | None = None
    cuda_visible_devices: str | None = None
    rapl_root: Path | None = None
    measure_gpu: bool = True
    measure_cpu: bool = True
    measure_ram: bool = True
    # where this process sits in a distributed job
    host: str
    node_rank: int = 0
    local_rank: int | None = None
    nodes: int = 1
    run_id: str | None = None  # shared by every node of a job (SLURM job, torchrun run id)
    # projection
    total_tokens: float | None = None
    total_steps: float | None = None
    params: float | None = None
    gpu: str | None = None
    dtype: str | None = None
    progress_file: Path | None = None  # its last line: tokens (or steps) done so far
    # overrides of the modelled CPU / RAM power (whole machine, W at full load for the CPU)
    cpu_power_w: float | None = None
    ram_power_w: float | None = None
    notices: tuple[str, ...] = ()  # said on stderr at start (a config file in the current directory)
    # Prometheus (carbonllm.measure.metrics): nothing listens or pushes unless these are given
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    pushgateway_url: str | None = None
    sources: dict[str, str] = {}  # field → "flag" / "env CARBONLLM_PUE" / "file PATH" / "default"

    @property
    def projection_warning(self) -> str | None:
        """What was given for the projection but cannot be used, or None.

        The projection needs a planned total; the FLOP-model estimate and MFU need it in tokens.
        """
        inputs = [flag for flag, value in (("--progress-file", self.progress_file), ("--params", self.params),
                                           ("--gpu", self.gpu), ("--dtype", self.dtype)) if value is not None]
        if inputs and self.total_tokens is None and self.total_steps is None:
            return (f"{', '.join(inputs)} given without --total-tokens or --total-steps: no projection "
                    "(the projection needs one of them)")
        unused = [flag for flag in inputs if flag != "--progress-file"]
        if unused and self.total_tokens is None:
            return (f"{', '.join(unused)} given with --total-steps: no FLOP-model estimate or implied MFU "
                    "(they need --total-tokens)")
        return None

    @property
    def measures(self) -> bool:
        """Whether this process measures: local rank 0 (or no rank) does; the others do not."""
        return self.local_rank in (None, 0)


def _int_env(environ: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            try:
                return int(value)
            except ValueError as e:
                raise InputError(f"environment variable {name} must be an integer, not {value!r}") from e
    return None


def _gpu_ids(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    ids = tuple(str(i).strip() for i in items if str(i).strip())
    for gpu_id in ids:
        if not (gpu_id.isdigit() or gpu_id.startswith("GPU-")):
            raise InputError(f"--gpu-ids takes NVML indices (0,1) or UUIDs (GPU-...), not {gpu_id!r}")
    return ids or None


def resolve_config(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    read_file: bool = True,
) -> TrackConfig:
    """Resolve flags > environment > config file > defaults into a checked :class:`TrackConfig`.

    ``flags`` keys are :class:`TrackConfig` field names (``None`` values count as not given);
    ``environ`` defaults to ``os.environ``. Raises :class:`InputError` on bad values,
    :class:`~carbonllm.errors.UnknownRegionError` on an unknown region.
    """
    from carbonllm.tables.loader import find_zone

    env = os.environ if environ is None else environ
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    layers: list[tuple[str, dict[str, Any]]] = [("flag", given)]
    layers.append(("env", {field: env[name] for name, field in ENVIRONMENT.items() if env.get(name)}))
    path = config_file if config_file is not None else (find_config_file(env) if read_file else None)
    notices: list[str] = []
    if path is not None:
        values = read_config_file(path)
        layers.append((f"file {path}", values))
        announced = [k for k in ANNOUNCED_FILE_FIELDS if k in values]
        if announced and path.resolve().parent == Path.cwd().resolve():
            shown = ", ".join(f"{k} = {values[k]!r}" for k in announced)
            notices.append(f"config file {path.resolve()} in the current directory sets {shown}")

    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for label, values in reversed(layers):  # lowest first, so higher layers overwrite
        if "region" in values or "intensity_g_per_kwh" in values:
            merged.pop("region", None)
            merged.pop("intensity_g_per_kwh", None)
        for key, value in values.items():
            merged[key] = value
            sources[key] = label
    for label, values in layers:  # the same layer may not give both
        if "region" in values and "intensity_g_per_kwh" in values:
            raise InputError(f"--region and --intensity cannot be used together ({label}); give one of them")

    for key, flag in (("gpu", "--gpu"), ("dtype", "--dtype"), ("region", "--region")):
        value = merged.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(f"{flag} must be a string, not {type(value).__name__} {value!r} ({sources[key]})")

    # carbon intensity
    if merged.get("intensity_g_per_kwh") is not None:
        intensity = parse_quantity(merged["intensity_g_per_kwh"], "--intensity")
        if intensity < 0:
            raise InputError(f"--intensity must be >= 0 gCO2e/kWh, got {intensity:g}")
        check_plausible(intensity, MAX_INTENSITY_G_PER_KWH, "--intensity",
                        "give grams of CO2e per kWh (g/kWh), e.g. 56 for France or 400 for PJM")
        grid: dict[str, Any] = dict(region="custom", region_name="given intensity", region_is_default=False,
                                    intensity_g_per_kwh=intensity, intensity_year=None,
                                    intensity_source=f"given ({sources['intensity_g_per_kwh']})")
    else:
        given_region = merged.get("region")
        if given_region is not None and not str(given_region).strip():
            raise InputError(f"--region is empty ({sources['region']}); give a zone such as FR, or leave it out "
                             "for the world average")
        region = str(given_region or defaults.DEFAULT_REGION)
        zone = find_zone(region)
        grid = dict(region=zone.zone, region_name=zone.name, region_is_default="region" not in merged,
                    intensity_g_per_kwh=zone.intensity_g_per_kwh, intensity_year=zone.year,
                    intensity_source=zone.source)
    grid.update(_basis_and_market(merged, find_zone(grid["region"]) if grid["region"] != "custom" else None,
                                  grid["intensity_g_per_kwh"]))

    if merged.get("pue") is not None:
        pue = parse_quantity(merged["pue"], "--pue")
        if pue < 1:
            raise InputError(f"--pue must be >= 1 (facility energy / IT energy), got {pue:g}")
        check_plausible(pue, MAX_PUE, "--pue", "give facility energy / IT energy, typically 1.1-1.6")
        pue_fields: dict[str, Any] = dict(pue=pue, pue_is_default=False, pue_source=f"given ({sources['pue']})")
    else:
        pue_fields = dict(pue=defaults.DEFAULT_PUE.value, pue_is_default=True,
                          pue_source=defaults.DEFAULT_PUE.source)

    embodied = merged.get("embodied", False)  # a flag: no environment variable or config-file key sets it
    if not isinstance(embodied, bool):
        raise InputError(f"embodied must be True or False, not {embodied!r:.40}")

    interval_s = DEFAULT_INTERVAL_S
    if merged.get("interval_s") is not None:
        interval_s = parse_quantity(merged["interval_s"], "--interval")
        if not MIN_INTERVAL_S <= interval_s <= MAX_INTERVAL_S:
            raise InputError(f"--interval must be between {MIN_INTERVAL_S:g} and {MAX_INTERVAL_S:g} seconds, "
                             f"got {interval_s:g} ({sources['interval_s']})")

    powers: dict[str, float] = {}
    for key, flag in (("cpu_power_w", "--cpu-power-w"), ("ram_power_w", "--ram-power-w")):
        if merged.get(key) is not None:
            watts = parse_quantity(merged[key], flag)
            if not 0 <= watts <= MAX_COMPONENT_POWER_W:
                raise InputError(f"{flag} must be between 0 and {MAX_COMPONENT_POWER_W:g} W (the whole machine), "
                                 f"got {watts:g} ({sources[key]})")
            powers[key] = watts

    totals = {}
    for key, flag in (("total_tokens", "--total-tokens"), ("total_steps", "--total-steps"),
                      ("params", "--params")):
        if merged.get(key) is not None:
            totals[key] = require_positive(parse_quantity(merged[key], flag), flag)
    if "total_tokens" in totals and "total_steps" in totals:
        raise InputError("--total-tokens and --total-steps cannot be used together; give one of them")
    if merged.get("gpu") is not None:
        from carbonllm.tables.loader import find_accelerator

        find_accelerator(str(merged["gpu"]))  # an unknown name fails now, not at the end of the run

    local_rank = _int_env(env, "LOCAL_RANK", "SLURM_LOCALID")
    node_rank = _int_env(env, "NODE_RANK", "GROUP_RANK", "SLURM_NODEID") or 0
    nodes = _int_env(env, "CARBONLLM_NODES", "SLURM_NNODES", "SLURM_JOB_NUM_NODES")
    if nodes is None:
        world, local_world = _int_env(env, "WORLD_SIZE"), _int_env(env, "LOCAL_WORLD_SIZE")
        nodes = max(1, world // local_world) if world and local_world else 1
    if nodes < 1:
        raise InputError(f"the number of nodes must be at least 1, got {nodes} (CARBONLLM_NODES / SLURM_NNODES)")
    if node_rank < 0:
        raise InputError(f"the node rank must be >= 0, got {node_rank} (NODE_RANK / GROUP_RANK / SLURM_NODEID)")
    run_id = env.get("CARBONLLM_RUN_ID") or (
        f"slurm-{env['SLURM_JOB_ID']}" + (f".{env['SLURM_STEP_ID']}" if env.get("SLURM_STEP_ID") else "")
        if env.get("SLURM_JOB_ID") else (f"torchrun-{env['TORCHELASTIC_RUN_ID']}"
                                         if env.get("TORCHELASTIC_RUN_ID") else None))

    for key, flag in (("output_dir", "--output"), ("rapl_root", "CARBONLLM_RAPL_ROOT"),
                      ("progress_file", "--progress-file")):
        value = merged.get(key)
        if value is not None and (not isinstance(value, (str, os.PathLike)) or not str(value).strip()):
            raise InputError(f"{flag} must be a path, not {type(value).__name__} {value!r} ({sources[key]})")
    metrics = _metrics_fields(merged)
    output = merged.get("output_dir")
    rapl_root = merged.get("rapl_root")
    return TrackConfig(
        **grid,
        **pue_fields,
        embodied=embodied,
        interval_s=interval_s,
        output_dir=Path(output).expanduser() if output else None,
        gpu_ids=_gpu_ids(merged.get("gpu_ids")),
        cuda_visible_devices=env.get("CUDA_VISIBLE_DEVICES"),
        rapl_root=Path(rapl_root) if rapl_root else None,
        measure_gpu=bool(merged.get("measure_gpu", True)),
        measure_cpu=bool(merged.get("measure_cpu", True)),
        measure_ram=bool(merged.get("measure_ram", True)),
        host=socket.gethostname().split(".")[0] or "localhost",  # sanitised where it goes into a path
        node_rank=node_rank,
        local_rank=local_rank,
        nodes=nodes,
        run_id=run_id,
        total_tokens=totals.get("total_tokens"),
        total_steps=totals.get("total_steps"),
        params=totals.get("params"),
        gpu=merged.get("gpu"),
        dtype=(str(merged["dtype"]).lower() if merged.get("dtype") else None),
        progress_file=Path(merged["progress_file"]).expanduser() if merged.get("progress_file") else None,
        cpu_power_w=powers.get("cpu_power_w"),
        ram_power_w=powers.get("ram_power_w"),
        notices=tuple(notices),
        sources={k: sources[k] for k in merged},
        **metrics,
    )


def _basis_and_market(merged: Mapping[str, Any], zone: Any, location_g_per_kwh: float) -> dict[str, Any]:
    """The grid figure for ``basis`` and the market-based factor (``market_intensity`` or
    ``renewable_share``), as :func:`carbonllm.estimator.resolve.estimate` resolves them."""
    from carbonllm.estimator.market import market_intensity_g_per_kwh
    from carbonllm.estimator.resolve import intensity_basis_of_user_value

    basis = str(merged.get("basis") or "lifecycle")
    fields: dict[str, Any] = {}
    if zone is None:
        fields["intensity_basis"], fields["intensity_note"] = intensity_basis_of_user_value(basis)
    else:
        fields["intensity_g_per_kwh"], fields["intensity_basis"] = zone.intensity_for(basis)
        fields["intensity_note"] = zone.basis_note(basis)
    market = market_intensity_g_per_kwh(fields.get("intensity_g_per_kwh", location_g_per_kwh),
                                        merged.get("market_intensity"), merged.get("renewable_share"))
    if market is not None:
        fields["market_intensity_g_per_kwh"], fields["market_source"] = market
    return fields


def _metrics_fields(merged: Mapping[str, Any]) -> dict[str, Any]:
    """``metrics_port`` (1-65535), ``metrics_host`` and ``pushgateway_url`` (http/https), checked."""
    fields: dict[str, Any] = {}
    port = merged.get("metrics_port")
    if port is not None:
        text = str(port).strip()
        if not text.isdigit() or not 1 <= int(text) <= 65535:
            raise InputError(f"--metrics-port must be a TCP port from 1 to 65535, not {port!r}")
        fields["metrics_port"] = int(text)
    host = merged.get("metrics_host")
    if host is not None:
        if not str(host).strip():
            raise InputError("--metrics-host must be an address to bind, e.g. 127.0.0.1 or 0.0.0.0")
        fields["metrics_host"] = str(host).strip()
    url = merged.get("pushgateway_url")
    if url is not None:
        from urllib.parse import urlsplit

        parts = urlsplit(str(url).strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(f"--pushgateway must be an http:// or https:// URL, e.g. http://127.0.0.1:9091, "
                             f"not {url!r}")
        fields["pushgateway_url"] = str(url).strip().rstrip("/")
    return fields


def check_track_arguments(*, region: object, gpu: object, dtype: object, output_dir: object,
                           progress_file: object, gpu_ids: object, basis: object = None,
                           metrics_host: object = None, pushgateway: object = None) -> None:
    """The keywords of ``carbonllm.track()``: names must be non-empty text and paths paths, checked
    before any configuration is resolved so a wrong type is an ``InputError``, not an AttributeError."""
    for value, what, example in ((region, "region", "FR"), (gpu, "gpu", "A100"), (dtype, "dtype", "bf16"),
                                 (basis, "basis", "lifecycle"), (metrics_host, "metrics_host", "127.0.0.1"),
                                 (pushgateway, "pushgateway", "http://127.0.0.1:9091")):
        if value is not None:
            require_text(value, what, example)
    for path, what in ((output_dir, "output_dir"), (progress_file, "progress_file")):
        if path is not None:
            require_path(path, what)
    if gpu_ids is not None and (isinstance(gpu_ids, bool) or not isinstance(gpu_ids, (str, int, list, tuple))):
        raise InputError(f"gpu_ids must be a comma-separated string or a list of ids, not {type(gpu_ids).__name__}")
    if (isinstance(gpu_ids, (list, tuple)) and not gpu_ids) or (isinstance(gpu_ids, str) and not gpu_ids.strip()):
        raise InputError("gpu_ids is empty; give the ids to measure (e.g. [0, 1]) or leave it out for all")


__all__ = ["DEFAULT_INTERVAL_S", "MAX_INTERVAL_S", "MIN_INTERVAL_S", "TrackConfig", "check_track_arguments",
           "resolve_config"]
