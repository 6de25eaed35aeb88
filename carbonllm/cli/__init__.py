"""The ``carbonllm`` command line.

Subcommands live in their own modules and are imported only when invoked, so ``carbonllm --help``
and ``carbonllm estimate`` never import pandas, codecarbon or pynvml. A plain estimate command line
(:func:`carbonllm.cli.option_specs.parse_plain`) runs without importing click either; everything
else, and anything that parser is unsure of, goes through the click group (:mod:`.group`).
Every ``CarbonLLMError`` and every usage error becomes one line on stderr and exit status 2; a
closed pipe (``| head``) ends quietly with status 1; anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import sys

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


def fail(message: str, status: int = 2) -> None:
    """Print ``error: message`` as one line on stderr and exit with ``status``."""
    print(f"carbonllm: error: {' '.join(message.split())}", file=sys.stderr, flush=True)
    sys.exit(status)


def _plain_estimate(args: list[str]) -> bool:
    """Run ``carbonllm estimate`` without click when ``args`` is a plain command line; False if not."""
    if args[:1] != ["estimate"]:
        return False
    from carbonllm.cli.option_specs import ESTIMATE, parse_plain

    options = parse_plain(args[1:], ESTIMATE)
    if options is None:
        return False
    from carbonllm.cli.estimate_output import run

    run(options)
    return True


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush of what is left in its
    buffer does not fail on the closed pipe again (and print "Exception ignored")."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real stdout (a test's capture): nothing will be flushed
        pass


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``carbonllm`` console script."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        if _plain_estimate(args):
            sys.stdout.flush()  # here, so that a closed pipe is met inside this try
            sys.exit(0)
        import click

        from carbonllm.cli.group import cli

        try:
            code = cli.main(args=args, prog_name="carbonllm", standalone_mode=False)
        except click.exceptions.Abort:
            print("carbonllm: aborted", file=sys.stderr)
            sys.exit(130)
        except click.ClickException as e:
            fail(e.format_message(), e.exit_code)
    except CarbonLLMError as e:
        fail(str(e))
    except KeyboardInterrupt:  # as click's Abort: a newline, then the one line
        print("\ncarbonllm: aborted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:  # the reader went away (| head): no traceback, status 1 as click gives
        _discard_stdout()
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
