"""Option groups shared by ``estimate``, ``compare`` and ``plan``, declared once so that their
names, types and help stay the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from carbonllm.cli.output import QUANTITY
from carbonllm.tables.hardware import DTYPES

F = TypeVar("F", bound=Callable[..., Any])


def _apply(function: F, decorators: list[Callable[[F], F]]) -> F:
    for decorator in reversed(decorators):  # the first listed shows first in --help
        function = decorator(function)
    return function


def workload_options(function: F) -> F:
    """What is trained: ``--params/--active-params/--tokens``, ``--flops``, or ``--model/--config``."""
    return _apply(function, [
        click.option("--params", type=QUANTITY, help="Parameter count N, e.g. 175e9, 175B, 7b."),
        click.option("--active-params", type=QUANTITY, help="Parameters active per token (mixture-of-experts)."),
        click.option("--tokens", type=QUANTITY, help="Training tokens D, e.g. 300e9, 1.5T."),
        click.option("--flops", type=QUANTITY, help="Training FLOPs, given directly (skips 6·N·D)."),
        click.option("--model", help="Architecture preset (see 'carbonllm flops --list'); FLOPs from its layers."),
        click.option("--config", type=click.Path(dir_okay=True), help="Hugging Face config.json (file or directory)."),
        click.option("--seq-len", type=QUANTITY,
                     help="Training sequence length for --model/--config (default: its context)."),
        click.option("--flop-method", type=click.Choice(["6nd", "detailed"], case_sensitive=False),
                     help="FLOPs from --model/--config: detailed per-layer count (default) or 6·N·D."),
    ])


def efficiency_options(function: F) -> F:
    """How the hardware runs: ``--dtype``, ``--mfu``, ``--power-w``, ``--pue``."""
    return _apply(function, [
        click.option("--dtype", type=click.Choice(list(DTYPES), case_sensitive=False),
                     help="Precision of the peak rate (default bf16, fp16 where the chip has no bf16)."),
        click.option("--mfu", type=QUANTITY,
                     help="Model FLOPs utilisation in (0, 1] (default by hardware generation)."),
        click.option("--power-w", type=QUANTITY, help="Average power per device in W (default: TDP)."),
        click.option("--pue", type=QUANTITY, help="Power usage effectiveness >= 1 (default 1.2)."),
    ])


def grid_options(function: F) -> F:
    """Where the electricity comes from: ``--region`` or ``--intensity``."""
    return _apply(function, [
        click.option("--region",
                     help="Grid zone: country code or name, US-CA, aws:us-east-1 … (default world)."),
        click.option("--intensity", type=QUANTITY,
                     help="Grid carbon intensity in gCO2e/kWh (instead of --region)."),
    ])


def basis_market_options(function: F) -> F:
    """Which grid figure and the market-based side: ``--basis``, ``--market-intensity``,
    ``--renewable-share`` (GHG Protocol Scope 2 dual reporting; docs/grid-intensity.md)."""
    return _apply(function, [
        click.option("--basis", type=click.Choice(["lifecycle", "direct"]), default="lifecycle",
                     show_default=True,
                     help="Grid figure: lifecycle gCO2e/kWh, or direct (combustion-only) emissions."),
        click.option("--market-intensity", type=QUANTITY,
                     help="Contractual gCO2e/kWh for market-based CO2e (0 = 100% matched renewables)."),
        click.option("--renewable-share", type=QUANTITY,
                     help="Fraction in [0, 1] matched by renewables, for market-based CO2e."),
    ])


def per_chip_efficiency_options(function: F) -> F:
    """``compare``'s ``--dtype/--mfu/--power-w/--pue``: ``--mfu`` and ``--power-w`` take a value per
    accelerator (``TPUv5p=300,H100=650``) as well as a bare number."""
    return _apply(function, [
        click.option("--dtype", type=click.Choice(list(DTYPES), case_sensitive=False),
                     help="Precision of the peak rate (default bf16, fp16 where the chip has no bf16)."),
        click.option("--mfu", help="MFU in (0, 1] per accelerator, e.g. H100=0.4,A100=0.45; a bare number "
                                   "applies to every accelerator (default by hardware generation)."),
        click.option("--power-w", help="Average power per device in W, per accelerator, e.g. TPUv5p=300; a "
                                       "bare number applies only to accelerators with no table power "
                                       "(or to the only one)."),
        click.option("--pue", type=QUANTITY, help="Power usage effectiveness >= 1 (default 1.2)."),
    ])


def devices_options(function: F) -> F:
    """``--devices N`` (the count of devices, as in the Python API) and its deprecated spelling
    ``--gpus N`` (hidden; ``--gpu`` names the chips). The command reads ``devices``."""
    return _apply(function, [
        click.option("--devices", type=QUANTITY, help="Number of devices: gives wall-clock hours."),
        click.option("--gpus", "gpus_deprecated", type=QUANTITY, hidden=True,
                     help="Deprecated spelling of --devices."),
    ])


def take_deprecated_gpus(options: dict[str, Any]) -> None:
    """Move a deprecated ``--gpus N`` into ``options["devices"]``, saying so on stderr."""
    old = options.pop("gpus_deprecated", None)
    if old is None:
        return
    from carbonllm.errors import InputError

    if options.get("devices") is not None:
        raise InputError("give --devices N once (--gpus N is its deprecated spelling)")
    click.echo("carbonllm: note: --gpus N is deprecated (it will be removed in 0.3); use --devices N "
               "(--gpu names the chips)", err=True)
    options["devices"] = old
