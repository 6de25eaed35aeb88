"""Progress of a run read from a file another process writes (``--progress-file``)."""

from __future__ import annotations

import math
import os
from pathlib import Path

from carbonllm.errors import InputError


def check_progress(value: float | None, what: str) -> None:
    """``InputError`` unless ``value`` (tokens or steps done) is None or a finite number >= 0."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise InputError(f"{what} must be a finite number >= 0, not {value!r}")


def read_progress_file(path: Path) -> dict[str, float] | None:
    """The progress in the last non-empty line of ``path``, or None if there is none yet.

    The line is a number (``1200000``, ``1.2e6``, ``1.2M``), counted in the unit of the planned
    total (tokens with ``--total-tokens``, steps with ``--total-steps``), returned under the key
    ``"value"``; or a JSON object such as ``{"tokens": 1200000, "steps": 300}``. Only the last
    4 KiB are read, so the file may grow without bound. ``InputError`` if the line is malformed.
    """
    import json

    from carbonllm.files import open_regular
    from carbonllm.quantities import parse_quantity

    if not os.path.lexists(path):
        return None
    try:
        with open_regular(path, "progress file") as (f, size):  # never blocks on a FIFO
            f.seek(max(0, size - 4096))
            tail = f.read(4096).decode("utf-8", errors="replace")
    except OSError as e:
        raise InputError(f"cannot read progress file {path}: {e.strerror or e}") from e
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    if not lines:
        return None
    last = lines[-1]
    if last.startswith("{"):
        try:
            data = json.loads(last)
        except (ValueError, RecursionError):  # being written (the next read sees it whole), or hostile
            return None
        if not isinstance(data, dict):
            raise InputError(f"progress file {path}: the last line is not a JSON object")
        values = {k: parse_quantity(data[k], f"progress file {k}") for k in ("tokens", "steps") if k in data}
        if not values:
            raise InputError(f"progress file {path}: a JSON line needs \"tokens\" or \"steps\"")
        return values
    return {"value": parse_quantity(last, f"progress file {path} last line")}


__all__ = ["read_progress_file"]
