"""Shared fixtures: run the CLI in-process exactly as the console script does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from carbonllm.cli import main
from carbonllm.tables import loader


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Call ``carbonllm.cli.main`` with argv and return its exit status and output."""

    def run(*argv: str) -> CliResult:
        capsys.readouterr()
        try:
            main(list(argv))
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        else:  # pragma: no cover - main always exits
            code = 0
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


@pytest.fixture
def fresh_tables(monkeypatch: pytest.MonkeyPatch):
    """Forget cached tables before and after a test that points CARBONLLM_DATA_DIR elsewhere."""
    loader.clear_caches()
    yield monkeypatch
    monkeypatch.delenv(loader.DATA_DIR_ENV, raising=False)
    loader.clear_caches()
