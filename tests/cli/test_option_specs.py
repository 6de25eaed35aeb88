"""A plain ``estimate`` command line is parsed without click (start-up, issue 9): the plain parser
and click must agree on every command line the plain parser accepts, and hand the rest to click."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

import carbonllm.cli
from carbonllm.cli.estimate_cmd import estimate as estimate_command
from carbonllm.cli.option_specs import ESTIMATE, Opt, parse_plain

PLAIN = [
    [],
    ["--params", "175e9", "--tokens", "300e9", "--gpu", "A100", "--format", "json"],
    ["--params=7B", "--tokens=2T", "--gpu=H100", "--region=aws:us-east-1", "--format=csv"],
    ["--gpu-hours", "1082990", "--gpu", "A100", "--power-w", "400", "--pue", "1", "--intensity", "57"],
    ["--model", "llama-2-7b", "--tokens", "1T", "--seq-len", "32k", "--flop-method", "DETAILED"],
    ["--params", "7b", "--tokens", "2T", "--dtype", "FP8", "--mfu", "0.4", "--embodied", "--sources"],
    ["--params", "7b", "--tokens", "2T", "--basis", "direct", "--market-intensity", "0", "--devices", "64"],
    ["--params", "7b", "--tokens", "2T", "--gpus", "64", "--renewable-share", "0.5", "--hours", "10"],
    ["--params", "7b", "--tokens", "2T", "--region", "", "--config", "some/dir", "--active-params", "1e9"],
    ["--mfu", "-0.1", "--params", "1e9", "--tokens", "1e9"],  # a value may start with '-', as in click
    ["--params", "1e9", "--tokens", "1e9", "--region", "--format"],  # '--format' is --region's value
    ["--flops", "3.14e23", "--format", "table", "--power-w=1_000"],
]

TO_CLICK = [
    ["--help"],
    ["-h"],
    ["--params", "7b", "--params", "8b"],  # a repeat: click decides
    ["--params"],  # no value
    ["--params", "lots"],  # not a number: click says so
    ["--params", "1e400"],  # beyond the float range
    ["--format", "JSON"],  # --format is case-sensitive in click
    ["--basis", "marginal"],
    ["--dtype", "fp7"],
    ["--embodied=yes"],
    ["--unknown", "1"],
    ["extra"],
    ["--params", "7b", "--", "--tokens", "2T"],
]


def _click_params(args: list[str]) -> dict[str, object] | None:
    try:
        with estimate_command.make_context("estimate", list(args)) as ctx:
            return dict(ctx.params)
    except click.exceptions.Exit:  # --help
        return None
    except click.ClickException:
        return None


@pytest.mark.parametrize("args", PLAIN, ids=" ".join)
def test_a_plain_command_line_parses_as_click_parses_it(args):
    plain = parse_plain(args, ESTIMATE)
    assert plain is not None
    assert plain == _click_params(args)


@pytest.mark.parametrize("args", TO_CLICK, ids=" ".join)
def test_anything_else_goes_to_click(args):
    assert parse_plain(args, ESTIMATE) is None


def test_every_estimate_option_has_one_spec():
    flags = {p.opts[0] for p in estimate_command.params}
    assert flags == {opt.flag for opt in ESTIMATE}
    assert len({opt.dest for opt in ESTIMATE}) == len(ESTIMATE)
    with pytest.raises(ValueError, match="kind 'number'"):
        Opt("--x", "number", "help")


@pytest.mark.parametrize("args", [
    ["estimate", "--params", "175e9", "--tokens", "300e9", "--gpu", "A100", "--format", "json"],
    ["estimate", "--params", "7b", "--tokens", "2T", "--gpus", "64", "--region", "UK", "--format", "csv"],
    ["estimate", "--params", "7b", "--tokens", "2T", "--region", "FR", "--sources"],
    ["estimate", "--params", "7b", "--tokens", "2T", "--mfu", "1.5"],  # an error, one line
    ["estimate", "--params", "7b", "--tokens", "2T", "--region", "Atlantis"],
], ids=" ".join)
def test_both_paths_print_the_same(run_cli, monkeypatch, args):
    plain = run_cli(*args)
    monkeypatch.setattr(carbonllm.cli, "_plain_estimate", lambda args: False)
    through_click = run_cli(*args)
    assert plain == through_click


def test_a_plain_estimate_does_not_import_click():
    code = ("import sys\nfrom carbonllm.cli import main\n"
            "try:\n    main(['estimate', '--params', '7b', '--tokens', '2T', '--format', 'json'])\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print(sorted(m for m in ('click', 'rich', 'pandas', 'pydantic') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("args", [
    ["estimate", "--params", "7b", "--tokens", "2T", "--format", "json", "--sources"],  # without click
    ["estimate", "--params", "7b", "--tokens", "2T", "--format", "csv"],
    ["estimate", "--params", "7b", "--tokens", "2T"],  # the rich table
    ["estimate", "--params", "7b", "--params", "7b", "--tokens", "2T", "--format", "json"],  # click's path
    ["regions", "--format", "csv"],
], ids=" ".join)
def test_a_reader_that_goes_away_gets_no_traceback(args):
    # | head -1: the pipe is closed before carbonllm writes, so every write meets EPIPE
    code = "import sys\nfrom carbonllm.cli import main\nmain(sys.argv[1:])"
    with subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as child:
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()
        stderr = child.stderr.read().decode()
        assert child.wait(timeout=60) == 1, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr


def test_a_decimal_comma_is_refused_in_one_line(run_cli):
    result = run_cli("estimate", "--params", "7b", "--tokens", "1,5T")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "carbonllm: error: Invalid value for '--tokens': the comma in '1,5T' is not a thousands separator; "
        "write decimals with a point (1.5T) and thousands as 1,082,990 or 1082990"]
