"""Forgiving name matching shared by the hardware, region and preset tables.

Names match case-insensitively ignoring spaces, ``-``, ``_``, ``.`` and ``/`` (``TPU v3`` =
``tpuv3`` = ``tpu-v3``). A miss is answered with the nearest names, found with difflib's ratio
over the normalised keys plus a substring match, so ``H10`` suggests ``H100 SXM``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from carbonllm.errors import InputError

TYPE_CHECKING = False  # typing is for type checkers only (start-up; docs/benchmarks.md)
if TYPE_CHECKING:
    from pathlib import Path

_IGNORED = re.compile(r"[\s\-_./()]+")


def require_text(value: object, what: str, example: str = "") -> str:
    """``value`` stripped, if it is a non-empty string; else ``InputError`` naming ``what``.

    An empty name is an error rather than "use the default": leave the argument out for that.
    """
    hint = f", e.g. {example}" if example else ""
    if not isinstance(value, str):
        raise InputError(f"{what} must be a name (text){hint}, not {type(value).__name__} {value!r:.60}")
    if not value.strip():
        raise InputError(f"{what} is empty; give a name{hint}, or leave it out for the default")
    return value.strip()


def require_path(value: object, what: str = "path") -> Path:
    """``value`` as a :class:`~pathlib.Path` if it is a non-empty ``str`` or path-like; else ``InputError``."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, bytes) or not isinstance(value, str):
        raise InputError(f"{what} must be a file or directory path (text), not {type(value).__name__}")
    if not value.strip() or "\0" in value:
        raise InputError(f"{what} {value!r} is not a usable path; give a file or directory")
    from pathlib import Path  # here: its import is a tenth of an estimate's start-up

    return Path(value)


#: Common names and codes of countries that are not their ISO 3166 code or short name, so that
#: ``--region UK`` means Great Britain (ISO code GB) rather than the nearest match, Ukraine (UKR).
#: Keys are normalised (see :func:`normalize`); values are ISO 3166-1 alpha-3 codes.
COMMON_COUNTRY_NAMES: dict[str, str] = {
    "uk": "GBR", "britain": "GBR", "greatbritain": "GBR", "england": "GBR", "scotland": "GBR", "wales": "GBR",
    "usa": "USA", "us": "USA", "america": "USA", "unitedstatesofamerica": "USA", "theus": "USA",
    "holland": "NLD", "thenetherlands": "NLD",
    "korea": "KOR", "southkorea": "KOR", "republicofkorea": "KOR", "northkorea": "PRK",
    "russia": "RUS", "czechia": "CZE", "czechrepublic": "CZE", "turkey": "TUR", "turkiye": "TUR",
    "uae": "ARE", "emirates": "ARE", "ivorycoast": "CIV", "burma": "MMR", "persia": "IRN",
    "vietnam": "VNM", "laos": "LAO", "syria": "SYR", "taiwan": "TWN", "macedonia": "MKD",
    "swaziland": "SWZ", "capeverde": "CPV", "easttimor": "TLS", "drc": "COD", "congokinshasa": "COD",
}


def common_country_code(name: str) -> str | None:
    """The ISO alpha-3 code a common name or code stands for (``UK`` -> ``GBR``), or None."""
    return COMMON_COUNTRY_NAMES.get(normalize(name))


def normalize(name: str) -> str:
    """The matching key of a name: lower case, without spaces, ``-``, ``_``, ``.``, ``/``, brackets.

    Raises ``InputError`` for a value that is not text (every table lookup goes through here, so
    ``find_accelerator(["A100"])`` is an input error, not an AttributeError)."""
    if not isinstance(name, str):
        raise InputError(f"a name must be text, not {type(name).__name__} {name!r:.60}")
    return _IGNORED.sub("", name.strip().lower())


def normalize_many(names: Iterable[str]) -> list[str]:
    """``[normalize(n) for n in names]`` in one regular-expression pass over the joined names (the
    grid index's ~1,600 names: a tenth of an estimate's run time one by one). NUL, which no table
    name holds and the ignored characters do not match, keeps them apart."""
    names = list(names)
    if any(not isinstance(n, str) or "\0" in n for n in names):
        return [normalize(n) for n in names]
    return _IGNORED.sub("", "\0".join(n.strip() for n in names).lower()).split("\0")


def nearest(name: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """Up to ``limit`` display names from ``candidates`` nearest to ``name`` (best first)."""
    import difflib  # only on a miss: not on every estimate's start-up

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
