"""Parsing of the human-friendly numbers the CLI accepts: ``175e9``, ``175B``, ``7b``, ``1.5T``,
``300_000_000``, ``1,082,990``.

Suffixes are decimal SI-style counts as used for model sizes and token counts:
K = 1e3, M = 1e6, B (or G) = 1e9, T = 1e12, P = 1e15. (No E: ``1e`` would be ambiguous.)
"""

from __future__ import annotations

import math
import re

from carbonllm.errors import InputError

_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}
_PATTERN = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)([kmbgtp]?)$")


def parse_quantity(text: str | float | int, what: str = "value") -> float:
    """Parse ``text`` into a finite float; raise ``InputError`` naming ``what`` if it is not one."""
    if isinstance(text, bool):
        raise InputError(f"{what} must be a number, not {text!r}")
    if isinstance(text, (int, float)):
        try:
            value = float(text)
        except OverflowError:  # an int beyond the float range, e.g. 10**400
            raise InputError(f"{what} is beyond the range of a number (about 1.8e308); check its "
                             f"magnitude") from None
    elif not isinstance(text, str):
        raise InputError(f"{what} must be a number or a string such as '7B', not {type(text).__name__}")
    else:
        cleaned = text.strip().lower().replace("_", "").replace(",", "")
        match = _PATTERN.match(cleaned)
        if not match:
            raise InputError(
                f"{what} must be a number (e.g. 0.4, 300, 175e9, 7B, 1.5T or 300_000_000), "
                f"not {text!r}"
            )
        value = float(match.group(1)) * _SUFFIX.get(match.group(2), 1.0)
    if not math.isfinite(value):
        raise InputError(f"{what} must be a finite number, not {text!r}")
    return value


def require_positive(value: float, what: str, hint: str = "") -> float:
    """Return ``value`` if it is finite and > 0, else raise ``InputError``."""
    if not math.isfinite(value) or value <= 0:
        message = f"{what} must be greater than 0, got {value:g}"
        raise InputError(message + (f"; {hint}" if hint else ""))
    return value
