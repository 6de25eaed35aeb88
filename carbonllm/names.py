"""Forgiving name matching shared by the hardware, region and preset tables.

Names match case-insensitively ignoring spaces, ``-``, ``_``, ``.`` and ``/`` (``TPU v3`` =
``tpuv3`` = ``tpu-v3``). A miss is answered with the nearest names, found with difflib's ratio
over the normalised keys plus a substring match, so ``H10`` suggests ``H100 SXM``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from carbonllm.errors import InputError

_IGNORED = re.compile(r"[\s\-_./()]+")


def require_text(value: Any, what: str) -> None:
    """``InputError`` unless ``value`` is None or a string (an API caller passing ``gpu=5``)."""
    if value is not None and not isinstance(value, str):
        raise InputError(f"{what} must be a name (text), not {type(value).__name__} {value!r}")


def normalize(name: str) -> str:
    """The matching key of a name: lower case, without spaces, ``-``, ``_``, ``.``, ``/``, brackets."""
    require_text(name, "a name")
    return _IGNORED.sub("", name.strip().lower())


def nearest(name: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """Up to ``limit`` display names from ``candidates`` nearest to ``name`` (best first)."""
    key = normalize(name)
    by_key: dict[str, str] = {}
    for candidate in candidates:
        by_key.setdefault(normalize(candidate), candidate)
    scored: list[tuple[float, str]] = []
    for candidate_key, display in by_key.items():
        score = difflib.SequenceMatcher(None, key, candidate_key).ratio()
        if key and (key in candidate_key or candidate_key in key):
            score += 0.5
        scored.append((score, display))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [display for score, display in scored[:limit] if score >= 0.4]


def lookup(name: str, index: Mapping[str, str]) -> str | None:
    """The canonical name that ``name`` matches in ``index`` (normalised key → canonical), or None."""
    return index.get(normalize(name))
