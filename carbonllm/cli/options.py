"""click options from the specs of :mod:`carbonllm.cli.option_specs`, so that ``estimate``,
``compare`` and ``plan`` share their names, types, help and error messages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from carbonllm.cli.option_specs import (
    BASIS_MARKET,
    DEVICES,
    EFFICIENCY,
    GRID,
    PER_CHIP_EFFICIENCY,
    WORKLOAD,
    Opt,
)
from carbonllm.errors import InputError
from carbonllm.quantities import parse_quantity

F = TypeVar("F", bound=Callable[..., Any])


class QuantityType(click.ParamType):
    """A number written as ``175e9``, ``175B``, ``7b``, ``1.5T`` or ``300_000_000``."""

    name = "NUMBER"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        try:
            return parse_quantity(value, "value")
        except InputError as e:  # click prefixes "Invalid value for '--flag':"
            if "comma" in str(e):  # 1,5T: say that a decimal needs a point
                self.fail(str(e).split(": ", 1)[1], param, ctx)
            if "finite" in str(e):  # 1e400 parses, but beyond the float range
                self.fail(f"{value!r} is not a finite number (beyond about 1.8e308); check its magnitude", param, ctx)
            self.fail(f"{value!r} is not a number; write e.g. 0.4, 300, 175e9, 7B, 1.5T or 300_000_000", param, ctx)


QUANTITY = QuantityType()


def click_option(opt: Opt) -> Callable[[F], F]:
    """The ``click.option`` of ``opt``."""
    kwargs: dict[str, Any] = {"help": opt.help or None, "hidden": opt.hidden}
    if opt.kind == "flag":
        kwargs["is_flag"] = True
    else:
        kwargs["type"] = {"quantity": QUANTITY, "text": None, "path": click.Path(dir_okay=True),
                          "choice": click.Choice(list(opt.choices), case_sensitive=opt.case_sensitive)
                          }[opt.kind]
        if opt.default is not None:
            kwargs["default"] = opt.default
            kwargs["show_default"] = opt.show_default
    return click.option(opt.flag, opt.dest, **kwargs)


def click_options(specs: Sequence[Opt]) -> Callable[[F], F]:
    """A decorator adding every option of ``specs``, listed in ``--help`` in their order."""
    def decorate(function: F) -> F:
        for opt in reversed(specs):  # the first listed shows first in --help
            function = click_option(opt)(function)
        return function
    return decorate


workload_options = click_options(WORKLOAD)
efficiency_options = click_options(EFFICIENCY)
per_chip_efficiency_options = click_options(PER_CHIP_EFFICIENCY)
grid_options = click_options(GRID)
basis_market_options = click_options(BASIS_MARKET)
devices_options = click_options(DEVICES)
