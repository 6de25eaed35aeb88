"""``carbonllm.estimate``: the Python face of ``carbonllm estimate``.

Resolves names (GPU, region) and defaults from the data tables, checks every input, and hands a
fully resolved :class:`~carbonllm.estimator.calculator.RunSpec` to the pure calculator. The keyword
arguments mirror the CLI flags; bad input raises an :class:`~carbonllm.errors.InputError`
subclass whose message is the one line the CLI prints.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from carbonllm.errors import InputError
from carbonllm.estimator import defaults
from carbonllm.estimator.calculator import Embodied, RunSpec, calculate, training_flops_6nd
from carbonllm.estimator.results import Assumptions, Estimate
from carbonllm.names import require_text
from carbonllm.quantities import parse_quantity, require_positive
from carbonllm.tables.loader import find_accelerator, find_zone, mfu_defaults

if TYPE_CHECKING:  # the FLOP model is imported only when --model/--config is used
    from carbonllm.flops.architecture import Architecture

DEFAULT_GPU = "A100"

Number = float | int | str


def _positive(value: Number | None, what: str, hint: str = "") -> float | None:
    if value is None:
        return None
    return require_positive(parse_quantity(value, what), what, hint)


def _fraction(value: Number | None, what: str) -> float | None:
    if value is None:
        return None
    number = parse_quantity(value, what)
    if not 0 < number <= 1:
        raise InputError(f"{what} must be in (0, 1], e.g. 0.4 for 40% utilisation; got {number:g}")
    return number


def _devices(value: Number | None) -> int | None:
    if value is None:
        return None
    number = parse_quantity(value, "--gpus")
    if number < 1 or not float(number).is_integer():
        raise InputError(f"--gpus must be a whole number of devices >= 1, got {number:g}")
    return int(number)


def _check_conflicts(given: Mapping[str, object], *pairs: tuple[str, str]) -> None:
    for a, b in pairs:
        if given.get(a) is not None and given.get(b) is not None:
            raise InputError(f"--{a.replace('_', '-')} and --{b.replace('_', '-')} cannot be "
                             f"used together; give one of them")


def resolve_flops(
    params: float | None, active_params: float | None, tokens: float | None, flops: float | None
) -> tuple[float, str]:
    """Training FLOPs and a label for how they were obtained (compute mode)."""
    if flops is not None:
        return flops, "given"
    n = active_params if active_params is not None else params
    if tokens is None or n is None:
        raise InputError(
            "give --params and --tokens (or --flops), or --gpu-hours, or --hours with --gpus"
        )
    if params is not None and active_params is not None and active_params > params:
        raise InputError(
            f"--active-params ({active_params:g}) cannot exceed --params ({params:g})"
        )
    label = "6ND (active params)" if active_params is not None else "6ND"
    return training_flops_6nd(n, tokens), label


FLOP_METHODS = ("6nd", "detailed")


def resolve_architecture(model: str | None, config: str | None) -> Architecture | None:
    """The :class:`~carbonllm.flops.architecture.Architecture` of a preset name or a config.json path."""
    if model is not None:
        from carbonllm.flops.presets import find_architecture

        return find_architecture(model)
    if config is not None:
        from carbonllm.flops.hf_config import load_config

        return load_config(config)
    return None


def architecture_flops(
    arch: Architecture, tokens: float | None, seq_len: Number | None, flop_method: str | None
) -> tuple[float, str, float]:
    """Training FLOPs of ``tokens`` tokens through ``arch``, a label naming the method, and the
    ratio of that count to 6·N·D (1 for ``6nd``).

    ``detailed`` (the default) counts every matmul per token at ``seq_len`` (default: the
    architecture's training context), without causal halving (PaLM App. B); ``6nd`` is 6·N·D with
    N the parameters active per token. See :mod:`carbonllm.flops.count`.
    """
    from carbonllm.flops.count import count_flops

    if tokens is None:
        raise InputError("--model and --config need --tokens (training tokens D)")
    method = (flop_method or "detailed").lower()
    if method == "6nd":
        if seq_len is not None:
            raise InputError("--seq-len only applies to --flop-method detailed")
        label = f"6ND ({arch.name}, active params)" if arch.is_moe else f"6ND ({arch.name})"
        return training_flops_6nd(arch.active_params(), tokens), label, 1.0
    seq = None
    if seq_len is not None:
        seq_value = require_positive(parse_quantity(seq_len, "--seq-len"), "--seq-len")
        if not seq_value.is_integer():
            raise InputError(f"--seq-len must be a whole number of tokens, got {seq_value:g}")
        seq = int(seq_value)
    count = count_flops(arch, seq)
    return count.training_flops(tokens), count.method, count.ratio_to_6n


def estimate(
    *,
    params: Number | None = None,
    tokens: Number | None = None,
    active_params: Number | None = None,
    flops: Number | None = None,
    gpu: str | None = None,
    gpus: Number | None = None,
    dtype: str | None = None,
    mfu: Number | None = None,
    power_w: Number | None = None,
    pue: Number | None = None,
    region: str | None = None,
    intensity: Number | None = None,
    gpu_hours: Number | None = None,
    hours: Number | None = None,
    embodied: bool = False,
    model: str | None = None,
    config: str | None = None,
    seq_len: Number | None = None,
    flop_method: str | None = None,
    basis: str = "lifecycle",
    market_intensity: Number | None = None,
    renewable_share: Number | None = None,
) -> Estimate:
    """Estimate FLOPs, device-hours, energy and CO2e of a training run.

    Compute mode: ``params`` (or ``active_params``) and ``tokens``, or ``flops``; time mode:
    ``gpu_hours``, or ``hours`` with ``gpus``. Numbers may be strings such as ``"175B"``.
    With ``model`` (a preset name) or ``config`` (a Hugging Face config.json path) and ``tokens``,
    the FLOPs come from the architecture: ``flop_method`` ``"detailed"`` (default; per-layer count
    at ``seq_len``) or ``"6nd"`` (6 × its active parameters × tokens).
    ``basis`` picks the grid figure (``"lifecycle"``, the default, or ``"direct"``); with
    ``market_intensity`` (gCO2e/kWh) or ``renewable_share`` (0–1) the result also carries
    market-based CO2e beside the location-based headline (see :mod:`carbonllm.estimator.market`).
    Raises :class:`~carbonllm.errors.InputError` (or a subclass) on bad input.
    """
    for what, text in (("--gpu", gpu), ("--dtype", dtype), ("--region", region), ("--model", model),
                       ("--flop-method", flop_method)):
        require_text(text, what)
    if config is not None and not isinstance(config, (str, os.PathLike)):
        raise InputError(f"--config must be a path, not {type(config).__name__} {config!r}")

    from carbonllm.estimator.market import market_intensity_g_per_kwh, with_market_based

    market_intensity_g_per_kwh(0.0, market_intensity, renewable_share)  # bad input fails first
    given = dict(params=params, tokens=tokens, active_params=active_params, flops=flops,
                 gpu_hours=gpu_hours, hours=hours, region=region, intensity=intensity,
                 model=model, config=config)
    _check_conflicts(
        given,
        ("gpu_hours", "tokens"), ("gpu_hours", "params"), ("gpu_hours", "active_params"),
        ("gpu_hours", "flops"), ("hours", "tokens"), ("hours", "params"), ("hours", "flops"),
        ("hours", "active_params"), ("hours", "gpu_hours"), ("flops", "tokens"),
        ("flops", "params"), ("flops", "active_params"), ("region", "intensity"),
        ("model", "config"), ("model", "params"), ("model", "active_params"), ("model", "flops"),
        ("config", "params"), ("config", "active_params"), ("config", "flops"),
        ("model", "gpu_hours"), ("model", "hours"), ("config", "gpu_hours"), ("config", "hours"),
    )
    if flop_method is not None and flop_method.lower() not in FLOP_METHODS:
        raise InputError(f"--flop-method must be one of {', '.join(FLOP_METHODS)}, not {flop_method!r}")
    if model is None and config is None and (seq_len is not None or flop_method is not None):
        raise InputError("--seq-len and --flop-method need --model NAME or --config PATH")
    params_n = _positive(params, "--params")
    active_n = _positive(active_params, "--active-params")
    tokens_n = _positive(tokens, "--tokens")
    flops_n = _positive(flops, "--flops")
    gpu_hours_n = _positive(gpu_hours, "--gpu-hours")
    hours_n = _positive(hours, "--hours")
    devices = _devices(gpus)
    mfu_n = _fraction(mfu, "--mfu")
    power_n = _positive(power_w, "--power-w", "give the average power per device in watts")
    pue_n = None if pue is None else parse_quantity(pue, "--pue")
    if pue_n is not None and pue_n < 1:
        raise InputError(f"--pue must be >= 1 (facility energy / IT energy), got {pue_n:g}")
    intensity_n = None if intensity is None else parse_quantity(intensity, "--intensity")
    if intensity_n is not None and intensity_n < 0:
        raise InputError(f"--intensity must be >= 0 gCO2e/kWh, got {intensity_n:g}")

    acc = find_accelerator(gpu or DEFAULT_GPU)

    time_mode = gpu_hours_n is not None or hours_n is not None
    if hours_n is not None and devices is None:
        raise InputError("--hours needs --gpus N (device-hours = hours x devices)")
    if hours_n is not None and devices is not None:
        gpu_hours_n = hours_n * devices

    peak = mfu_span = chosen_dtype = method = None
    if not time_mode:
        arch = resolve_architecture(model, config)
        ratio_to_6nd = 1.0
        if arch is not None:
            flops_n, method, ratio_to_6nd = architecture_flops(arch, tokens_n, seq_len, flop_method)
        else:
            flops_n, method = resolve_flops(params_n, active_n, tokens_n, flops_n)
        chosen_dtype = (dtype or acc.default_dtype()).lower()
        peak = acc.peak_tflops_for(chosen_dtype)
        if mfu_n is not None:
            mfu_span = defaults.Span.given(mfu_n)
        else:
            value, low, high, source = mfu_defaults()[acc.generation]
            if ratio_to_6nd != 1.0:
                # The defaults are whole-run 6·N·D utilisations (6·N·D ÷ published device-hours × peak).
                # On a FLOP count r × 6·N·D the same run needs MFU × r to take the same device-hours.
                value, low, high = (min(1.0, m * ratio_to_6nd) for m in (value, low, high))
                source += (f"; x{ratio_to_6nd:.3f} because these are 6·N·D-based and the detailed count is "
                           f"{ratio_to_6nd:.3f} x 6·N·D, so the predicted device-hours stay calibrated")
            if chosen_dtype != acc.default_dtype():
                base = acc.default_dtype()
                source += (f"; these MFUs were measured against {base} peaks: applied to the {chosen_dtype} peak "
                           f"({peak:g} vs {acc.peak_tflops[base]:g} TFLOP/s) they assume the same fraction of it")
            mfu_span = defaults.Span(value=value, low=low, high=high, source=source)
    elif dtype is not None or mfu_n is not None:
        raise InputError("--dtype and --mfu only apply to compute mode (--params/--tokens or "
                         "--flops); drop them with --gpu-hours or --hours")

    if power_n is not None:
        power = defaults.Span.given(power_n)
    elif acc.tdp_w is None:
        raise InputError(
            f"{acc.name} has no published power figure in the hardware table; "
            f"give --power-w WATTS (average power per device)"
        )
    else:
        f = defaults.POWER_FRACTION
        power = defaults.Span(value=acc.tdp_w * f.value, low=acc.tdp_w * f.low,
                              high=acc.tdp_w * f.high, source=f"{acc.name} TDP; {f.source}")
    pue_span = defaults.Span.given(pue_n) if pue_n is not None else defaults.DEFAULT_PUE

    if intensity_n is not None:
        region_code, region_name, year, intensity_source = "custom", "given intensity", None, (
            "given by the user")
        intensity_value = intensity_n
        intensity_note: str | None
        intensity_basis, intensity_note = intensity_basis_of_user_value(basis)
    else:
        zone = find_zone(region or defaults.DEFAULT_REGION)
        region_code, region_name, year = zone.zone, zone.name, zone.year
        intensity_value, intensity_basis = zone.intensity_for(basis)
        intensity_source, intensity_note = zone.source, zone.basis_note(basis)

    embodied_spec = None
    if embodied:
        embodied_spec = Embodied(
            kg_per_device=defaults.EMBODIED_KG_PER_DEVICE,
            lifetime_years=defaults.EMBODIED_LIFETIME_YEARS,
            utilisation=defaults.EMBODIED_UTILISATION,
            source=defaults.EMBODIED_SOURCE + ("" if acc.name.startswith("A100") else
                                               f"; A100-server figures applied to the {acc.name}"),
        )

    spec = RunSpec(
        flops=None if time_mode else flops_n,
        device_hours=gpu_hours_n if time_mode else None,
        devices=devices,
        peak_tflops=peak,
        mfu=mfu_span,
        power_w=power,
        pue=pue_span,
        intensity_g_per_kwh=intensity_value,
        embodied=embodied_spec,
    )
    calc = calculate(spec)
    if not math.isfinite(calc.co2e_kg):
        raise InputError("the inputs overflow a floating-point number; check their magnitudes")
    result = Estimate(
        **calc.model_dump(exclude={"wall_clock_hours"}),
        devices=devices,
        wall_clock_hours=hours_n if hours_n is not None else calc.wall_clock_hours,
        intensity_g_per_kwh=intensity_value,
        assumptions=Assumptions(
            gpu=acc.name,
            dtype=chosen_dtype,
            peak_tflops=peak,
            mfu=mfu_span.value if mfu_span else None,
            mfu_low=mfu_span.low if mfu_span else None,
            mfu_high=mfu_span.high if mfu_span else None,
            mfu_source=mfu_span.source if mfu_span else None,
            power_w=power.value,
            power_w_low=power.low,
            power_w_high=power.high,
            power_source=power.source,
            pue=pue_span.value,
            pue_low=pue_span.low,
            pue_high=pue_span.high,
            pue_source=pue_span.source,
            region=region_code,
            region_name=region_name,
            intensity_year=year,
            intensity_source=intensity_source,
            flop_method=method,
            embodied_source=embodied_spec.source if embodied_spec else None,
            intensity_basis=intensity_basis,
            intensity_note=intensity_note,
        ),
    )
    return with_market_based(result, market_intensity, renewable_share)


def intensity_basis_of_user_value(basis: str) -> tuple[str, str]:
    """(basis, note) for a user-given ``--intensity``: its own basis, whatever ``--basis`` says."""
    from carbonllm.tables.grid import BASIS_CHOICES

    if basis not in BASIS_CHOICES:
        raise InputError(f"--basis must be one of {', '.join(BASIS_CHOICES)}, not {basis!r}")
    return "user_given", ("--intensity is the user's own figure on its own basis: --basis does not "
                          "apply to it, and it may not match the lifecycle basis of the grid table")
