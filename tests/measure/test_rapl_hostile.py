"""RAPL trees that are broken in ways a real machine can be: a ``name`` that cannot be read."""

from __future__ import annotations

from pathlib import Path

from fakes import make_rapl

from carbonllm.measure import rapl


def test_an_unreadable_name_file_is_no_traceback(tmp_path: Path) -> None:
    root = make_rapl(tmp_path)
    name = root / "intel-rapl:0" / "name"
    name.unlink()
    name.mkdir()  # reading it fails with IsADirectoryError, as an unreadable file fails with EACCES
    found = rapl.find_rapl(root)
    assert found.packages == []  # without a name it is not known to be a package domain
    assert found.problem is not None and "package" in found.problem


def test_a_huge_name_file_is_read_bounded(tmp_path: Path) -> None:
    root = make_rapl(tmp_path)
    (root / "intel-rapl:0" / "name").write_text("package-0" + " " * 10_000_000)
    found = rapl.find_rapl(root)
    assert [s.device for s in found.packages] == ["cpu:0"]
