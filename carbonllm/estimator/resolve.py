"""``carbonllm.estimate``: the Python face of ``carbonllm estimate``.

Resolves names (GPU, region) and defaults from the data tables, checks every input, and hands a
fully resolved :class:`~carbonllm.estimator.calculator.RunSpec` to the pure calculator. The keyword
arguments mirror the CLI flags; bad input raises an :class:`~carbonllm.errors.InputError`
subclass whose message is the one line the CLI prints.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

from carbonllm.errors import InputError
from carbonllm.estimator import defaults
from carbonllm.estimator.calculator import (
    Embodied,
    RunSpec,
    calculate,
    default_embodied_source,
    training_flops_6nd,
)
from carbonllm.estimator.results import Assumptions, Estimate
from carbonllm.names import require_path, require_text
from carbonllm.quantities import (
    MAX_DEVICE_HOURS,
    MAX_DEVICES,
    MAX_FLOPS,
    MAX_HOURS,
    MAX_INTENSITY_G_PER_KWH,
    MAX_PARAMS,
    MAX_POWER_W,
    MAX_PUE,
    MAX_SEQ_LEN,
    MAX_TOKENS,
    MIN_MFU,
    MIN_POWER_W,
    check_plausible,
    parse_quantity,
    require_positive,
)
from carbonllm.tables.loader import find_accelerator, find_zone
from carbonllm.tables.mfu import mfu_table

TYPE_CHECKING = False  # typing is for type checkers only (start-up; docs/benchmarks.md)

if TYPE_CHECKING:  # the FLOP model is imported only when --model/--config is used
    from carbonllm.flops.architecture import Architecture
    from carbonllm.flops.presets import Preset

DEFAULT_GPU = "A100"


def _limited(value: float | None, limit: float, flag: str, fix: str) -> float | None:
    return None if value is None else check_plausible(value, limit, flag, fix)


def check_power_w(value: Number) -> float:
    """A power per device in watts: at least :data:`MIN_POWER_W` and at most :data:`MAX_POWER_W`."""
    watts = check_plausible(positive(value, "--power-w"), MAX_POWER_W, "--power-w",
                            "give the average power per device in watts (not kW)")
    if watts < MIN_POWER_W:
        raise InputError(f"--power-w {watts:g} is below the plausible limit of {MIN_POWER_W:g} W; give the "
                         "average power per device in watts (an A100 draws about 400)")
    return watts

Number = float | int | str


def _positive(value: Number | None, what: str, hint: str = "") -> float | None:
    if value is None:
        return None
    return require_positive(parse_quantity(value, what), what, hint)


def _mfu(value: Number | None, what: str) -> float | None:
    return None if value is None else check_mfu(value, what)


def _devices(value: Number | None) -> int | None:
    if value is None:
        return None
    number = parse_quantity(value, "--devices")
    if number < 1 or not float(number).is_integer():
        raise InputError(f"--devices must be a whole number of devices >= 1, got {number:g}")
    check_plausible(number, MAX_DEVICES, "--devices", "give the number of devices the run uses")
    return int(number)


def positive(value: Number, what: str) -> float:
    """``value`` parsed and checked > 0 and finite (``InputError`` naming ``what`` otherwise)."""
    return require_positive(parse_quantity(value, what), what)


def check_mfu(value: Number, what: str = "--mfu") -> float:
    """An MFU parsed and checked in [:data:`MIN_MFU`, 1] (``InputError`` naming ``what`` otherwise)."""
    number = parse_quantity(value, what)
    if not 0 < number <= 1:
        raise InputError(f"{what} must be in (0, 1], e.g. 0.4 for 40% utilisation; got {number:g}")
    if number < MIN_MFU:
        raise InputError(f"{what} {number:g} is below the plausible limit of {MIN_MFU:g}; give the fraction of "
                         "peak the run reaches, e.g. 0.4 for 40% (published whole runs reach 0.14-0.51)")
    return number


def check_argument_types(*, gpu: object = None, region: object = None, dtype: object = None,
                         model: object = None, config: object = None, flop_method: object = None,
                         embodied: object = False) -> None:
    """Refuse names that are not non-empty text, a config path that is not a path, and an
    ``embodied`` that is not a bool, before anything is looked up (issue 9: ``gpu=["A100"]`` raised
    AttributeError and ``gpu=""`` silently meant the default)."""
    for value, what, example in ((gpu, "--gpu", "A100"), (region, "--region", "FR"), (dtype, "--dtype", "bf16"),
                                 (model, "--model", "llama2-7b"), (flop_method, "--flop-method", "detailed")):
        if value is not None:
            require_text(value, what, example)
    if config is not None:
        require_path(config, "--config")
    if not isinstance(embodied, bool):
        raise InputError(f"embodied must be True or False, not {embodied!r:.40}")


#: The one vocabulary of estimate, compare and plan (and their CLI flags): ``gpu`` (``gpus`` in
#: compare) names chips, ``region`` (``regions``) names grid zones, ``devices`` counts devices.
GPUS_AS_COUNT_DEPRECATED = (
    "gpus=N as a number of devices is deprecated and will be removed in carbonllm 0.3; use devices=N "
    "(gpu/gpus name the chips)"
)


def devices_from_deprecated_gpus(devices: Number | None, gpus: object) -> Number | None:
    """``devices``, or the count an old call gave as ``gpus=N`` (with a ``DeprecationWarning``)."""
    if gpus is None:
        return devices
    warnings.warn(GPUS_AS_COUNT_DEPRECATED, DeprecationWarning, stacklevel=3)
    if devices is not None:
        raise InputError("give the number of devices once, as devices=N (gpus=N is its old spelling)")
    if isinstance(gpus, bool) or not isinstance(gpus, (int, float, str)):
        raise InputError(f"devices must be a number, not {type(gpus).__name__}")
    return gpus


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
            "give --params and --tokens (or --flops), or --gpu-hours, or --hours with --devices"
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


#: The training sequence length assumed for ``--config`` when ``--seq-len`` is not given: 4,096,
#: capped at the config's ``max_position_embeddings``. A config.json records the longest context the
#: model supports (131,072 for Llama-3.1 and recent Mistral configs), not the length it was
#: pretrained at; 4,096 is the pretraining length of Llama 2 (Touvron et al. 2023, Table 1) and
#: DeepSeek-V3 (DeepSeek-AI 2024, §4.2), between LLaMA's 2,048 and Llama 3's 8,192.
CONFIG_DEFAULT_SEQ_LEN = 4096


def architecture_flops(
    arch: Architecture, tokens: float | None, seq_len: Number | None, flop_method: str | None,
    from_config: bool = False,
) -> tuple[float, str, float]:
    """Training FLOPs of ``tokens`` tokens through ``arch``, a label naming the method, and the
    ratio of that count to 6·N·D (1 for ``6nd``).

    ``detailed`` (the default) counts every matmul per token at ``seq_len`` (default: a preset's
    pretraining context, or :data:`CONFIG_DEFAULT_SEQ_LEN` for a config, never its
    ``max_position_embeddings`` unasked), without causal halving (PaLM App. B); ``6nd`` is 6·N·D
    with N the parameters active per token. See :mod:`carbonllm.flops.count`.
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
    note = ""
    if seq_len is not None:
        seq_value = require_positive(parse_quantity(seq_len, "--seq-len"), "--seq-len")
        if not seq_value.is_integer():
            raise InputError(f"--seq-len must be a whole number of tokens, got {seq_value:g}")
        if seq_value > MAX_SEQ_LEN:
            raise InputError(f"--seq-len {seq_value:g} is above the plausible limit of {MAX_SEQ_LEN:,} "
                             f"tokens; give the length the run trains at")
        seq = int(seq_value)
    elif from_config:
        seq, note = config_seq_len(arch)
    count = count_flops(arch, seq)
    return count.model_flops_per_token * tokens, count.method + note, count.ratio_to_6n


def config_seq_len(arch: Architecture) -> tuple[int, str]:
    """The training sequence length assumed for a config.json without ``--seq-len``, and a note
    saying where it comes from: the pretraining length of the preset whose shape the config
    matches, else :data:`CONFIG_DEFAULT_SEQ_LEN` capped at ``max_position_embeddings``."""
    preset = _matching_preset(arch)
    if preset is not None:  # the config of a known model: its pretraining length
        seq = preset.architecture.context_length
        return seq, (f"; seq {seq} is the pretraining length of the {preset.name} preset, whose "
                     f"architecture this config matches (--config default): set --seq-len to the length you train at")
    seq = min(CONFIG_DEFAULT_SEQ_LEN, arch.context_length)
    return seq, (f"; seq {seq} is the --config default (min of {CONFIG_DEFAULT_SEQ_LEN} and "
                 f"max_position_embeddings {arch.context_length}): set --seq-len to the length you train at")


def _matching_preset(arch: Architecture) -> Preset | None:
    """The preset with the same shape as ``arch`` (layers, widths, heads, vocabulary, experts), if any."""
    from carbonllm.flops.presets import preset_table

    def shape(a: Architecture) -> tuple[object, ...]:
        return (a.n_layers, a.d_model, a.n_heads, a.n_kv_heads or a.n_heads, a.d_ff, a.vocab_size,
                a.ffn_type, a.moe_experts, a.moe_top_k)

    wanted = shape(arch)
    return next((p for p in preset_table() if shape(p.architecture) == wanted), None)


def default_mfu(generation: str, basis: str) -> tuple[float, float, float, str]:
    """The default MFU span of a hardware generation on the FLOP ``basis`` of the estimate
    (``"6nd"`` or ``"detailed"``): dividing detailed FLOPs by a 6·N·D-calibrated MFU, or the
    reverse, would leak the basis difference into the device-hours (docs/methodology.md)."""
    row = mfu_table()[generation]
    value, low, high, source = row.span(basis)
    rests_on = (f"{row.runs} published whole run{'s' if row.runs != 1 else ''} in data/mfu_runs.csv"
                if row.runs else "no published whole run")
    if basis == "detailed":
        source = f"detailed-count basis: {source} (6·N·D basis: {row.mfu:g}, data/mfu_defaults.csv)"
    return value, low, high, f"{source} [{rests_on}]"


def estimate(
    *,
    params: Number | None = None,
    tokens: Number | None = None,
    active_params: Number | None = None,
    flops: Number | None = None,
    gpu: str | None = None,
    devices: Number | None = None,
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
    gpus: Number | None = None,
) -> Estimate:
    """Estimate FLOPs, device-hours, energy and CO2e of a training run.

    Compute mode: ``params`` (or ``active_params``) and ``tokens``, or ``flops``; time mode:
    ``gpu_hours``, or ``hours`` with ``devices``. ``gpu`` names the chip and ``devices`` counts
    them (``gpus=N`` is the deprecated spelling of ``devices=N``). Numbers may be strings such
    as ``"175B"``.
    With ``model`` (a preset name) or ``config`` (a Hugging Face config.json path) and ``tokens``,
    the FLOPs come from the architecture: ``flop_method`` ``"detailed"`` (default; per-layer count
    at ``seq_len``) or ``"6nd"`` (6 × its active parameters × tokens).
    ``basis`` picks the grid figure (``"lifecycle"``, the default, or ``"direct"``); with
    ``market_intensity`` (gCO2e/kWh) or ``renewable_share`` (0–1) the result also carries
    market-based CO2e beside the location-based headline (see :mod:`carbonllm.estimator.market`).
    Raises :class:`~carbonllm.errors.InputError` (or a subclass) on bad input.
    """
    devices = devices_from_deprecated_gpus(devices, gpus)
    check_argument_types(gpu=gpu, region=region, dtype=dtype, model=model, config=config,
                         flop_method=flop_method, embodied=embodied)

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
    params_n = _limited(_positive(params, "--params"), MAX_PARAMS, "--params",
                        "give the parameter count, e.g. 7e9 or 7B")
    active_n = _limited(_positive(active_params, "--active-params"), MAX_PARAMS, "--active-params",
                        "give the active parameters per token, e.g. 13B")
    tokens_n = _limited(_positive(tokens, "--tokens"), MAX_TOKENS, "--tokens", "give the training tokens, e.g. 2T")
    flops_n = _limited(_positive(flops, "--flops"), MAX_FLOPS, "--flops", "give the training FLOPs, e.g. 5.76e23")
    gpu_hours_n = _limited(_positive(gpu_hours, "--gpu-hours"), MAX_DEVICE_HOURS, "--gpu-hours",
                           "give the run's device-hours, e.g. 1082990")
    hours_n = _limited(_positive(hours, "--hours"), MAX_HOURS, "--hours", "give the wall-clock hours of the run")
    device_count = _devices(devices)
    mfu_n = _mfu(mfu, "--mfu")
    power_n = None if power_w is None else check_power_w(power_w)
    pue_n = None if pue is None else parse_quantity(pue, "--pue")
    if pue_n is not None and pue_n < 1:
        raise InputError(f"--pue must be >= 1 (facility energy / IT energy), got {pue_n:g}")
    if pue_n is not None:
        check_plausible(pue_n, MAX_PUE, "--pue", "give facility energy / IT energy, typically 1.1-1.6")
    intensity_n = None if intensity is None else parse_quantity(intensity, "--intensity")
    if intensity_n is not None and intensity_n < 0:
        raise InputError(f"--intensity must be >= 0 gCO2e/kWh, got {intensity_n:g}")
    if intensity_n is not None:
        check_plausible(intensity_n, MAX_INTENSITY_G_PER_KWH, "--intensity",
                        "give grams of CO2e per kWh (g/kWh), e.g. 56 for France or 400 for PJM")

    acc = find_accelerator(DEFAULT_GPU if gpu is None else gpu)

    time_mode = gpu_hours_n is not None or hours_n is not None
    if hours_n is not None and device_count is None:
        raise InputError("--hours needs --devices N (device-hours = hours x devices)")
    if hours_n is not None and device_count is not None:
        gpu_hours_n = check_plausible(hours_n * device_count, MAX_DEVICE_HOURS, "--hours x --devices",
                                      "give the wall-clock hours and the number of devices of the run")

    peak = mfu_span = chosen_dtype = method = None
    if not time_mode:
        arch = resolve_architecture(model, config)
        if arch is not None:
            flops_n, method, _ = architecture_flops(arch, tokens_n, seq_len, flop_method,
                                                     from_config=config is not None)
        else:
            flops_n, method = resolve_flops(params_n, active_n, tokens_n, flops_n)
        chosen_dtype = (dtype or acc.default_dtype()).lower()
        peak = acc.peak_tflops_for(chosen_dtype)
        if mfu_n is not None:
            mfu_span = defaults.Span.given(mfu_n)
        else:
            flop_basis = "detailed" if arch is not None and method and method.startswith("detailed") else "6nd"
            value, low, high, source = default_mfu(acc.generation, flop_basis)
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
        intensity_low = intensity_high = intensity_n
        spread_source = None
    else:
        zone = find_zone(defaults.DEFAULT_REGION if region is None else region)
        region_code, region_name, year = zone.zone, zone.name, zone.year
        intensity_value, intensity_basis = zone.intensity_for(basis)
        intensity_source, intensity_note = zone.source, zone.basis_note(basis)
        spread = defaults.GRID_INTENSITY_SPREAD
        intensity_low, intensity_high = intensity_value * spread.low, intensity_value * spread.high
        spread_source = spread.source

    embodied_spec = None
    if embodied:
        embodied_spec = Embodied(
            kg_per_device=defaults.EMBODIED_KG_PER_DEVICE,
            lifetime_years=defaults.EMBODIED_LIFETIME_YEARS,
            utilisation=defaults.EMBODIED_UTILISATION,
            source=default_embodied_source(acc.name),
        )

    spec = RunSpec(
        flops=None if time_mode else flops_n,
        device_hours=gpu_hours_n if time_mode else None,
        devices=device_count,
        peak_tflops=peak,
        mfu=mfu_span,
        power_w=power,
        pue=pue_span,
        intensity_g_per_kwh=intensity_value,
        intensity_low_g_per_kwh=intensity_low,
        intensity_high_g_per_kwh=intensity_high,
        embodied=embodied_spec,
    )
    calc = calculate(spec)
    if not math.isfinite(calc.co2e_kg):
        raise InputError("the inputs overflow a floating-point number; check their magnitudes")
    result = Estimate(
        **calc.model_dump(exclude={"wall_clock_hours"}),
        devices=device_count,
        wall_clock_hours=hours_n if hours_n is not None else calc.wall_clock_hours,
        intensity_g_per_kwh=intensity_value,
        intensity_g_per_kwh_low=intensity_low,
        intensity_g_per_kwh_high=intensity_high,
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
            intensity_spread_source=spread_source,
            defaults=tuple(name for name, was_given in (
                ("gpu", gpu is not None), ("mfu", mfu_span is None or mfu_n is not None),
                ("power_w", power_n is not None), ("pue", pue_n is not None),
                ("region", region is not None or intensity_n is not None)) if not was_given),
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
