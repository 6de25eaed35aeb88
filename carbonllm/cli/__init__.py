"""The ``carbonllm`` command line.

Subcommands live in their own modules and are imported only when invoked, so ``carbonllm --help``
and ``carbonllm estimate`` never import pandas, codecarbon or pynvml. Every ``CarbonLLMError``
and every usage error becomes one line on stderr and exit status 2; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from carbonllm._version import __version__
from carbonllm.errors import CarbonLLMError

#: name → (module, attribute, one-line help shown by ``carbonllm --help``)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "estimate": ("carbonllm.cli.estimate_cmd", "estimate",
                 "Estimate FLOPs, device-hours, kWh and CO2e of a training run."),
    "hardware": ("carbonllm.cli.tables_cmd", "hardware", "List the accelerators in the hardware table."),
    "regions": ("carbonllm.cli.tables_cmd", "regions", "List the grid zones and their carbon intensity."),
    "flops": ("carbonllm.cli.flops_cmd", "flops", "Per-layer parameters and FLOPs per token of an architecture."),
    "plan": ("carbonllm.cli.plan_cmd", "plan", "Compute-optimal model size and tokens for a budget (Chinchilla)."),
    "track": ("carbonllm.cli.track_cmd", "track", "Measure the energy and CO2e of a command while it runs."),
    "doctor": ("carbonllm.cli.doctor_cmd", "doctor", "Show which sensors carbonllm can read here, and its fall-backs."),
    "report": ("carbonllm.cli.report_cmd", "report",
               "Write a model card, paper statement, JSON or CSV for an estimate or a tracked run."),
    "compare": ("carbonllm.cli.compare_cmd", "compare", "Compare a workload across GPUs and regions, sorted by CO2e."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """A mistyped command name is answered with the nearest ones (``estimat`` -> ``estimate``)."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            import difflib

            close = difflib.get_close_matches(name, sorted(COMMANDS), n=2, cutoff=0.5)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            raise click.UsageError(f"no such command {name!r}; {hint}run 'carbonllm --help' for the list")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="carbonllm")
def cli() -> None:
    """Estimate and measure the energy and CO2e of large-model training runs, offline."""


def fail(message: str, status: int = 2) -> None:
    """Print ``error: message`` as one line on stderr and exit with ``status``."""
    click.echo(f"carbonllm: error: {' '.join(message.split())}", err=True)
    sys.exit(status)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``carbonllm`` console script."""
    try:
        code = cli.main(args=argv, prog_name="carbonllm", standalone_mode=False)
    except CarbonLLMError as e:
        fail(str(e))
    except click.exceptions.Abort:
        click.echo("carbonllm: aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        fail(e.format_message(), e.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
