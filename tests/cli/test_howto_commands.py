"""The commands in the cluster how-tos parse: every option they use exists and takes what they
give it (the same options run for real in tests/report/test_prometheus.py and test_slurm.py)."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import click
import pytest

from carbonllm.cli import COMMANDS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def commands(doc: str) -> list[list[str]]:
    text = (DOCS / doc).read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        match = re.match(r"^(?:\$ )?(?:srun )?carbonllm (\w+.*)$", line)
        if match and not line.startswith("carbonllm:"):
            found.append(shlex.split(match.group(1)))
    return found


@pytest.mark.parametrize("doc", ["howto-prometheus-dcgm.md", "howto-slurm.md"])
def test_every_command_in_the_howto_parses(doc: str) -> None:
    found = commands(doc)
    assert len(found) >= 3
    for argv in found:
        module, attribute, _ = COMMANDS[argv[0]]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        context = command.make_context(argv[0], argv[1:])  # raises click.UsageError on a bad option
        assert context.params is not None
