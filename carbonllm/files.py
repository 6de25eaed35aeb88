"""Reading files a user hands us, safely: regular files only, bounded size, bounded JSON depth.

Every reader of an outside file (run summaries, samples, estimates, codecarbon CSVs, the config
file, a progress file) goes through here, so that a hostile or broken path gives one
:class:`~carbonllm.errors.InputError` line naming the file, never a hang or a traceback:

* a FIFO, a device (``/dev/zero``), a socket or a directory is refused before a byte is read
  (opened with ``O_NONBLOCK`` so opening a FIFO cannot block; a symlink is followed, but what it
  points at must be a regular file);
* at most ``max_bytes`` are read; a larger file is refused with its size;
* text must be UTF-8; JSON must parse, and nest at most :data:`MAX_JSON_DEPTH` levels.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager

from carbonllm.errors import InputError

TYPE_CHECKING = False  # typing is for type checkers only (start-up; docs/benchmarks.md)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import IO, Any

MIB = 1024 * 1024
#: JSON nesting deeper than this is refused (carbonllm's own files nest 5 levels).
MAX_JSON_DEPTH = 64


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


@contextmanager
def open_regular(path: str | Path, what: str = "file") -> Iterator[tuple[IO[bytes], int]]:
    """``(binary file, size)`` of ``path`` if it is a regular file; ``InputError`` otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as e:
        raise InputError(f"{what} {path} does not exist") from e
    except IsADirectoryError as e:
        raise InputError(f"{what} {path} is a directory, not a file") from e
    except OSError as e:
        raise InputError(f"cannot read {what} {path}: {e.strerror or e}") from e
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{what} {path} is {_kind(info.st_mode)}; give a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with f:
        yield f, info.st_size


def read_bytes(path: str | Path, what: str = "file", max_bytes: int = 64 * MIB) -> bytes:
    """The content of a regular file of at most ``max_bytes`` bytes (see the module docstring)."""
    with open_regular(path, what) as (f, size):
        if size > max_bytes:
            raise InputError(f"{what} {path} is {size:,} bytes, more than the {max_bytes:,} read; "
                             "is it the right file?")
        try:
            data = f.read(max_bytes + 1)
        except OSError as e:
            raise InputError(f"cannot read {what} {path}: {e.strerror or e}") from e
    if len(data) > max_bytes:  # it grew while being read
        raise InputError(f"{what} {path} is more than {max_bytes:,} bytes; is it the right file?")
    return data


def read_text(path: str | Path, what: str = "file", max_bytes: int = 64 * MIB) -> str:
    """UTF-8 text (a BOM is dropped) of a bounded regular file; ``InputError`` if it is not text."""
    data = read_bytes(path, what, max_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{what} {path} is not UTF-8 text (byte {e.start}); is it the right file?") from e


def json_depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (a scalar is 0); iterative, any depth."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
            deepest = max(deepest, depth + 1)
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
            deepest = max(deepest, depth + 1)
    return deepest


def parse_json(text: str, where: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses ``NaN``/``Infinity`` (also as ``1e999``), deep nesting and
    malformed text with one ``InputError`` line naming ``where`` (a file, or a file and line)."""

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number JSON allows")

    def finite(literal: str) -> float:
        number = float(literal)
        if not math.isfinite(number):
            raise ValueError(f"the number {literal[:40]} is out of range")
        return number

    try:
        value = json.loads(text, parse_constant=no_constant, parse_float=finite)
    except json.JSONDecodeError as e:
        raise InputError(f"{where} is not valid JSON (line {e.lineno}: {e.msg}); truncated or corrupt?") from e
    except RecursionError as e:
        raise InputError(f"{where} nests JSON more than {max_depth} levels deep; not a carbonllm file") from e
    except ValueError as e:
        raise InputError(f"{where}: {e}") from e
    if json_depth(value) > max_depth:
        raise InputError(f"{where} nests JSON more than {max_depth} levels deep; not a carbonllm file")
    return value


def read_json(path: str | Path, what: str = "file", max_bytes: int = 64 * MIB) -> Any:
    """A bounded regular JSON file, parsed (see :func:`parse_json`)."""
    return parse_json(read_text(path, what, max_bytes), f"{what} {path}")


__all__ = ["MAX_JSON_DEPTH", "MIB", "json_depth", "open_regular", "parse_json", "read_bytes", "read_json",
           "read_text"]
