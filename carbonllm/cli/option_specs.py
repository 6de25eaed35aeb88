"""The options of ``estimate``, ``compare`` and ``plan``, declared once as plain data.

:mod:`carbonllm.cli.options` turns each :class:`Opt` into a ``click.option`` (the help, the
parsing and every error message), and :func:`parse_plain` reads a plain ``estimate`` command line
with the same specs without importing click, which is a third of the estimate's start-up
(docs/benchmarks.md). Anything :func:`parse_plain` is not sure of goes to click, so the two
cannot disagree on a command line that parses; ``tests/cli/test_option_specs.py`` checks that they
agree.
"""

from __future__ import annotations

from carbonllm.errors import InputError
from carbonllm.quantities import parse_quantity
from carbonllm.tables.hardware import DTYPES

TYPE_CHECKING = False  # typing is for type checkers only (start-up; docs/benchmarks.md)
if TYPE_CHECKING:
    from collections.abc import Sequence

#: What an option's value is: ``quantity`` (a number such as ``175e9``, ``7B``, ``1.5T``),
#: ``text``, ``path``, ``choice`` (one of ``choices``) or ``flag`` (no value; True when given).
KINDS = ("quantity", "text", "path", "choice", "flag")


class Opt:
    """One command-line option: its flag, the parameter it fills, what it takes, and its help."""

    __slots__ = ("flag", "dest", "kind", "help", "choices", "case_sensitive", "default", "show_default",
                 "hidden")

    def __init__(self, flag: str, kind: str, help: str, *, dest: str | None = None,
                 choices: Sequence[str] = (), case_sensitive: bool = True, default: object = None,
                 show_default: bool = False, hidden: bool = False) -> None:
        if kind not in KINDS:
            raise ValueError(f"option {flag}: kind {kind!r} is not one of {', '.join(KINDS)}")
        self.flag = flag
        self.dest = dest or flag.lstrip("-").replace("-", "_")
        self.kind = kind
        self.help = help
        self.choices = tuple(choices)
        self.case_sensitive = case_sensitive
        self.default = False if kind == "flag" else default
        self.show_default = show_default
        self.hidden = hidden

    def __repr__(self) -> str:
        return f"Opt({self.flag!r}, {self.kind!r})"


FORMATS = ("table", "json", "csv")

#: What is trained: ``--params/--active-params/--tokens``, ``--flops``, or ``--model/--config``.
WORKLOAD = (
    Opt("--params", "quantity", "Parameter count N, e.g. 175e9, 175B, 7b."),
    Opt("--active-params", "quantity", "Parameters active per token (mixture-of-experts)."),
    Opt("--tokens", "quantity", "Training tokens D, e.g. 300e9, 1.5T."),
    Opt("--flops", "quantity", "Training FLOPs, given directly (skips 6·N·D)."),
    Opt("--model", "text", "Architecture preset (see 'carbonllm flops --list'); FLOPs from its layers."),
    Opt("--config", "path", "Hugging Face config.json (file or directory)."),
    Opt("--seq-len", "quantity", "Training sequence length for --model/--config (default: its context)."),
    Opt("--flop-method", "choice", "FLOPs from --model/--config: detailed per-layer count (default) or 6·N·D.",
        choices=("6nd", "detailed"), case_sensitive=False),
)

_DTYPE = Opt("--dtype", "choice", "Precision of the peak rate (default bf16, fp16 where the chip has no bf16).",
             choices=DTYPES, case_sensitive=False)
_PUE = Opt("--pue", "quantity", "Power usage effectiveness >= 1 (default 1.2).")

#: How the hardware runs: ``--dtype``, ``--mfu``, ``--power-w``, ``--pue``.
EFFICIENCY = (
    _DTYPE,
    Opt("--mfu", "quantity", "Model FLOPs utilisation in (0, 1] (default by hardware generation)."),
    Opt("--power-w", "quantity", "Average power per device in W (default: TDP)."),
    _PUE,
)

#: ``compare``'s: ``--mfu`` and ``--power-w`` take a value per accelerator (``TPUv5p=300,H100=650``)
#: as well as a bare number.
PER_CHIP_EFFICIENCY = (
    _DTYPE,
    Opt("--mfu", "text", "MFU in (0, 1] per accelerator, e.g. H100=0.4,A100=0.45; a bare number "
                         "applies to every accelerator (default by hardware generation)."),
    Opt("--power-w", "text", "Average power per device in W, per accelerator, e.g. TPUv5p=300; a "
                             "bare number applies only to accelerators with no table power "
                             "(or to the only one)."),
    _PUE,
)

#: Where the electricity comes from: ``--region`` or ``--intensity``.
GRID = (
    Opt("--region", "text", "Grid zone: country code or name, US-CA, aws:us-east-1 … (default world)."),
    Opt("--intensity", "quantity", "Grid carbon intensity in gCO2e/kWh (instead of --region)."),
)

#: Which grid figure, and the market-based side (GHG Protocol Scope 2 dual reporting;
#: docs/grid-intensity.md).
BASIS_MARKET = (
    Opt("--basis", "choice", "Grid figure: lifecycle gCO2e/kWh, or direct (combustion-only) emissions.",
        choices=("lifecycle", "direct"), default="lifecycle", show_default=True),
    Opt("--market-intensity", "quantity",
        "Contractual gCO2e/kWh for market-based CO2e (0 = 100% matched renewables)."),
    Opt("--renewable-share", "quantity", "Fraction in [0, 1] matched by renewables, for market-based CO2e."),
)

#: ``--devices N`` (the count, as in the Python API) and its deprecated, hidden spelling ``--gpus N``
#: (``--gpu`` names the chips); the command reads ``devices``.
DEVICES = (
    Opt("--devices", "quantity", "Number of devices: gives wall-clock hours."),
    Opt("--gpus", "quantity", "Deprecated spelling of --devices.", dest="gpus_deprecated", hidden=True),
)

#: Every option of ``carbonllm estimate``, in the order ``--help`` lists them.
ESTIMATE = (
    *WORKLOAD,
    Opt("--gpu", "text", "Accelerator name (default A100); see 'carbonllm hardware'."),
    *DEVICES,
    *EFFICIENCY,
    *GRID,
    *BASIS_MARKET,
    Opt("--gpu-hours", "quantity", "Device-hours of the run (time mode, skips the FLOP model)."),
    Opt("--hours", "quantity", "Wall-clock hours; needs --devices (time mode)."),
    Opt("--embodied", "flag", "Add manufacturing emissions amortised over device life."),
    Opt("--format", "choice", "", dest="fmt", choices=FORMATS, default="table", show_default=True),
    Opt("--sources", "flag", "Print every assumption's full source under the table."),
)


def _value(opt: Opt, text: str) -> object:
    """``text`` converted as click converts it for ``opt``; ``None`` where click would refuse it."""
    if opt.kind == "quantity":
        try:
            return parse_quantity(text, opt.dest)
        except InputError:
            return None
    if opt.kind == "choice":
        if opt.case_sensitive:
            return text if text in opt.choices else None
        return next((c for c in opt.choices if c.casefold() == text.casefold()), None)
    return text


def parse_plain(args: Sequence[str], specs: Sequence[Opt]) -> dict[str, object] | None:
    """The parameters of a plain command line (``--flag value``, ``--flag=value`` and ``--switch``,
    each option at most once, every value valid), as click would pass them to the command; ``None``
    for anything else (help, a repeat, an unknown option, an extra argument, a bad value), which
    click then parses and, where it is wrong, explains."""
    by_flag = {opt.flag: opt for opt in specs}
    values: dict[str, object] = {opt.dest: opt.default for opt in specs}
    seen: set[str] = set()
    i = 0
    while i < len(args):
        flag, eq, text = args[i].partition("=")
        opt = by_flag.get(flag)
        if opt is None or flag in seen:
            return None
        seen.add(flag)
        if opt.kind == "flag":
            if eq:
                return None
            values[opt.dest] = True
            i += 1
            continue
        if not eq:
            if i + 1 >= len(args):
                return None
            text = args[i + 1]
            i += 1
        i += 1
        value = _value(opt, text)
        if value is None:
            return None
        values[opt.dest] = value
    return values
