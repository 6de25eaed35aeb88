"""``carbonllm.compare``: one workload estimated across several accelerators and grid regions.

Each (accelerator, region) pair is one :func:`carbonllm.estimator.resolve.estimate` with the same workload and
the same shared assumptions, so the rows differ only by what the pair changes: peak rate and
default MFU and power (the accelerator), and grid intensity (the region). Rows are sorted by
operational CO2e, lowest first.

Names are checked first: an unknown accelerator or region fails the whole comparison. A pair
the estimator cannot price (a TPU with no published power and no ``power_w``, a dtype the chip
lacks) is kept in :attr:`Comparison.skipped` with the reason, and the other pairs go on.

The workload must be hardware-independent (parameters × tokens, FLOPs, or an architecture
preset): device-hours measured on one accelerator do not carry over to another.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from carbonllm.errors import InputError
from carbonllm.estimator.resolve import Number, check_mfu, check_power_w, devices_from_deprecated_gpus, estimate
from carbonllm.tables.hardware import Accelerator
from carbonllm.tables.loader import find_accelerator, find_zone

if TYPE_CHECKING:  # pragma: no cover
    import pandas


class ComparisonRow(BaseModel):
    """One accelerator in one region: the estimate's central values and range."""

    model_config = ConfigDict(frozen=True)

    gpu: str
    region: str
    region_name: str
    intensity_g_per_kwh: float
    dtype: str | None
    mfu: float | None
    power_w: float
    pue: float
    device_hours: float
    wall_clock_hours: float | None
    devices: int | None
    energy_kwh: float
    co2e_kg: float
    co2e_kg_low: float
    co2e_kg_high: float
    intensity_basis: str | None = None  # lifecycle, direct_combustion, co2_direct
    market_co2e_kg: float | None = None  # market-based (GHG Protocol Scope 2), when asked for
    mfu_given: bool = False  # the MFU was given by the user (--mfu), not the generation default
    power_given: bool = False  # the power was given by the user (--power-w), not the chip's TDP


class Skipped(BaseModel):
    """A pair that could not be estimated, and why."""

    model_config = ConfigDict(frozen=True)

    gpu: str
    region: str
    reason: str


class Comparison(BaseModel):
    """Rows sorted by CO2e (lowest first), the pairs skipped, and the workload compared."""

    model_config = ConfigDict(frozen=True)

    workload: str
    rows: tuple[ComparisonRow, ...]
    skipped: tuple[Skipped, ...] = ()
    #: Rows on different grid bases, and notes on flagged zones: said wherever the rows are shown.
    warnings: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return f"CO2e of {self.workload}"

    def to_dicts(self) -> list[dict[str, Any]]:
        """The rows as plain dicts (JSON/CSV)."""
        return [row.model_dump() for row in self.rows]

    def to_pandas(self) -> pandas.DataFrame:
        """The rows as a DataFrame (one row per pair, sorted by CO2e). Imports pandas."""
        import pandas as pd

        frame = pd.DataFrame(self.to_dicts(), columns=list(ComparisonRow.model_fields))
        frame.attrs["workload"] = self.workload
        frame.attrs["skipped"] = [s.model_dump() for s in self.skipped]
        return frame


def _one_of(value: Any, plural: Any, name: str, plural_name: str) -> Any:
    """The names given as ``name=`` or ``plural_name=`` (both spellings mean the same); not both."""
    if value is not None and plural is not None:
        raise InputError(f"give the names once, as {name}= (or {plural_name}=), not both")
    if value is None and plural is None:
        raise InputError(f"give at least one name as {name}=, e.g. {name}=\"A100,H100\"" if name == "gpu"
                         else f"give at least one name as {name}=, e.g. {name}=\"FR,US\"")
    return value if value is not None else plural


def _names(values: Sequence[str] | str, what: str) -> list[str]:
    """``["A100,H100", "TPUv5p"]`` → ``["A100", "H100", "TPUv5p"]``, in order, without repeats."""
    if isinstance(values, str):
        items = [values]
    elif isinstance(values, (list, tuple)):
        items = list(values)
    else:
        raise InputError(f"{what}: give a list of names or a comma-separated string, not "
                         f"{type(values).__name__}")
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InputError(f"{what}: every name must be text, not {type(item).__name__} {item!r:.40}")
        for name in item.split(","):
            if name.strip() and name.strip() not in names:
                names.append(name.strip())
    if not names:
        raise InputError(f"give at least one {what}")
    return names


#: A per-accelerator value: one number, ``{"TPUv5p": 300}``, or ``"TPUv5p=300,H100=650"`` (a bare
#: number among the pairs is the fallback for the accelerators not named).
PerChip = Number | Mapping[str, Number]


def _check(value: Number, flag: str) -> None:
    """Refuse a non-numeric, non-positive or (for ``--mfu``) above-1 value with the flag that carried it."""
    if flag == "--mfu":
        check_mfu(value, flag)
    else:
        check_power_w(value)


def per_chip_values(value: PerChip | None, flag: str, accelerators: Sequence[Accelerator]) -> tuple[
        dict[str, float | str | int], float | str | int | None]:
    """Split ``value`` into {accelerator name: value} for the chips it names, and the bare value (or
    None). Names resolve like ``--gpu`` (aliases); a name not among ``accelerators`` is an error."""
    if value is None:
        return {}, None
    if isinstance(value, Mapping):
        if not value:
            raise InputError(f"{flag}: the mapping is empty; give {{accelerator: value}} pairs or leave it out")
        items: list[tuple[str | None, Number]] = list(value.items())
    elif isinstance(value, str) and "=" in value:
        items = []
        for part in (p.strip() for p in value.split(",")):
            chip, sep, text = part.rpartition("=")
            if not part or (sep and not chip.strip()):
                raise InputError(f"{flag} {value!r}: write NAME=VALUE pairs, e.g. {flag} TPUv5p=300,H100=650")
            items.append((chip.strip() or None, text.strip()))
    else:
        _check(value, flag)
        return {}, value
    named: dict[str, float | str | int] = {}
    bare: float | str | int | None = None
    in_comparison = {acc.name for acc in accelerators}
    for name, number in items:
        _check(number, flag)  # a bad number is said here, not turned into a skipped pair
        if name is None:
            bare = number
            continue
        if not isinstance(name, str):
            raise InputError(f"{flag}: accelerator names must be text, not {name!r}")
        acc = find_accelerator(name)
        if acc.name not in in_comparison:
            raise InputError(f"{flag} names {name} ({acc.name}), which is not among the accelerators compared "
                             f"({', '.join(sorted(in_comparison))}); add it to --gpu or drop it")
        named[acc.name] = number
    return named, bare


def estimate_accepts(name: str) -> bool:
    """Whether :func:`carbonllm.estimator.resolve.estimate` takes the keyword ``name`` (e.g. ``model``)."""
    return name in inspect.signature(estimate).parameters


def _count_text(value: Any) -> str:
    """7e9 → ``7B``, 2e12 → ``2T``; strings are shown as given."""
    if not isinstance(value, (int, float)):
        return str(value)
    for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{suffix}"
    return f"{value:.3g}"


def _workload_text(workload: dict[str, Any]) -> str:
    shown = {k: v for k, v in workload.items() if v is not None}
    if not shown:
        return "an unspecified workload"
    parts = []
    for key, value in shown.items():
        if key == "flops":
            parts.append(f"{value:.3g} FLOPs" if isinstance(value, float) else f"{value} FLOPs")
        elif key in ("params", "tokens", "active_params"):
            parts.append(f"{_count_text(value)} {key.replace('_', ' ')}")
        else:
            parts.append(f"{key} {value}")
    return ", ".join(parts)


def compare(
    *,
    gpu: Sequence[str] | str | None = None,
    region: Sequence[str] | str | None = None,
    gpus: Sequence[str] | str | Number | None = None,
    regions: Sequence[str] | str | None = None,
    params: Number | None = None,
    tokens: Number | None = None,
    active_params: Number | None = None,
    flops: Number | None = None,
    devices: Number | None = None,
    dtype: str | None = None,
    mfu: PerChip | None = None,
    power_w: PerChip | None = None,
    pue: Number | None = None,
    basis: str = "lifecycle",
    market_intensity: Number | None = None,
    renewable_share: Number | None = None,
    **workload_extra: Any,
) -> Comparison:
    """Estimate one workload on each of ``gpus`` in each of ``regions``; rows sorted by CO2e.

    ``gpu`` (or ``gpus``) and ``region`` (or ``regions``) are lists of names, or comma-separated
    strings (``"A100,H100"``, ``"FR,US,aws:us-east-1"``): the same words as in
    :func:`~carbonllm.estimator.resolve.estimate`, where ``gpu`` names the chip. ``devices`` is
    the number of devices, for wall-clock hours (``gpus=N`` with a number is its deprecated
    spelling, as in ``estimate``). ``dtype`` and ``pue`` are shared assumptions (each replaces the default for
    every pair). ``mfu`` and ``power_w`` are per accelerator: ``{"TPUv5p": 300}`` or
    ``"TPUv5p=300,H100=650"`` set the chips they name; a bare number sets ``power_w`` only for the
    chips the hardware table has no power figure for (TDP defaults stay for the others; with a
    single accelerator it sets that one), and
    ``mfu`` for every chip (each has a default MFU, so a bare value can only mean "the same
    everywhere"). Each row says whether its MFU and power were given (``mfu_given``,
    ``power_given``). Other keywords (``model=...``) are
    passed to :func:`carbonllm.estimator.resolve.estimate` where it accepts them.
    ``basis``, ``market_intensity`` and ``renewable_share`` are as for
    :func:`~carbonllm.estimator.resolve.estimate`; rows on different grid bases produce a warning in
    :attr:`Comparison.warnings`.
    """
    from carbonllm.estimator.market import market_intensity_g_per_kwh
    from carbonllm.tables.grid import BASIS_CHOICES

    if basis not in BASIS_CHOICES:
        raise InputError(f"--basis must be one of {', '.join(BASIS_CHOICES)}, not {basis!r}")
    market_intensity_g_per_kwh(0.0, market_intensity, renewable_share)  # bad market input fails first
    if gpus is not None and not isinstance(gpus, (str, list, tuple)):  # an old count: compare(gpus=256)
        devices, gpus = devices_from_deprecated_gpus(devices, gpus), None
    gpu_names = _names(_one_of(gpu, gpus, "gpu", "gpus"), "accelerator (--gpu)")
    region_names = _names(_one_of(region, regions, "region", "regions"), "region (--region)")
    for key in workload_extra:
        if not estimate_accepts(key):
            raise InputError(f"this carbonllm's estimate does not take {key!r}")
    # unknown names fail here; aliases of one chip or zone (A100, "A100 SXM4 80GB"; FR, FRA) count once
    accelerators = {acc.name: acc for acc in (find_accelerator(name) for name in gpu_names)}
    zones = {zone.zone: zone for zone in (find_zone(name) for name in region_names)}
    workload = dict(params=params, tokens=tokens, active_params=active_params, flops=flops, **workload_extra)
    needs_tokens = any(workload.get(key) is not None for key in ("params", "active_params", "model", "config"))
    if (needs_tokens and tokens is None) or (not needs_tokens and flops is None):
        raise InputError("give the workload: --params and --tokens, --model (or --config) with --tokens, "
                         "or --flops")

    mfu_named, mfu_bare = per_chip_values(mfu, "--mfu", list(accelerators.values()))
    power_named, power_bare = per_chip_values(power_w, "--power-w", list(accelerators.values()))

    rows: list[ComparisonRow] = []
    skipped: list[Skipped] = []
    for acc in accelerators.values():
        chip_mfu = mfu_named.get(acc.name, mfu_bare)
        # a bare power fills the chips with no table figure; with one chip it can only mean that chip
        bare_applies = acc.tdp_w is None or len(accelerators) == 1
        chip_power = power_named.get(acc.name, power_bare if bare_applies else None)
        for zone in zones.values():
            try:
                result = estimate(gpu=acc.name, region=zone.zone, devices=devices, dtype=dtype, mfu=chip_mfu,
                                  power_w=chip_power, pue=pue, basis=basis, market_intensity=market_intensity,
                                  renewable_share=renewable_share, **workload)
            except InputError as e:
                reason = str(e).replace("give --power-w WATTS", f"give --power-w '{acc.name}=WATTS'")
                skipped.append(Skipped(gpu=acc.name, region=zone.zone, reason=reason))
                continue
            a = result.assumptions
            rows.append(ComparisonRow(
                gpu=acc.name, region=zone.zone, region_name=zone.name,
                intensity_g_per_kwh=result.intensity_g_per_kwh, dtype=a.dtype, mfu=a.mfu, power_w=a.power_w,
                pue=a.pue, device_hours=result.device_hours, wall_clock_hours=result.wall_clock_hours,
                devices=result.devices, energy_kwh=result.energy_kwh, co2e_kg=result.co2e_kg,
                co2e_kg_low=result.co2e_kg_low, co2e_kg_high=result.co2e_kg_high,
                intensity_basis=a.intensity_basis, market_co2e_kg=result.market_co2e_kg,
                mfu_given=chip_mfu is not None, power_given=chip_power is not None,
            ))
    if not rows:
        reasons = sorted({s.reason for s in skipped})
        raise InputError(f"no pair could be estimated: {reasons[0]}" if reasons else "nothing to compare")
    rows.sort(key=lambda r: (r.co2e_kg, r.gpu, r.region))
    return Comparison(workload=_workload_text(workload), rows=tuple(rows), skipped=tuple(skipped),
                      warnings=basis_warnings(rows, basis))


def basis_warnings(rows: Sequence[ComparisonRow], basis: str = "lifecycle") -> tuple[str, ...]:
    """A warning when the rows' grid figures are on different bases (not comparable as they
    stand), and each flagged zone's quality note."""
    warnings: list[str] = []
    by_basis: dict[str, list[str]] = {}
    for row in rows:
        regions = by_basis.setdefault(row.intensity_basis or "unknown", [])
        if row.region not in regions:
            regions.append(row.region)
    if len(by_basis) > 1:
        parts = "; ".join(f"{b}: {', '.join(r)}" for b, r in by_basis.items())
        warnings.append(f"the regions' grid figures are on different bases ({parts}), so their CO2e is "
                        f"not directly comparable; see 'carbonllm regions --basis'")
    for zone_code in dict.fromkeys(row.region for row in rows):
        note = find_zone(zone_code).quality
        if note:
            warnings.append(f"{zone_code}: {note}")
    return tuple(warnings)
