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
_PATTERN = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)([kmbgtp]?)$", re.ASCII)
#: A comma is read only as a thousands separator (``1,082,990``); ``1,5T`` is refused, not read as 15T.
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?![\d,])", re.ASCII)


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
        cleaned = text.strip().lower().replace("_", "")
        if "," in cleaned:
            grouped = _GROUPED.match(cleaned)
            if not grouped or "," in cleaned[grouped.end():]:
                raise InputError(f"{what}: the comma in {text!r} is not a thousands separator; write "
                                 f"decimals with a point (1.5T) and thousands as 1,082,990 or 1082990")
            cleaned = cleaned.replace(",", "")
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


# --- formatting: the one number formatter of every table and statement (issue 9) ------------------
#
# Rules: 3 significant figures in prose and tables; thousands separators, never exponent notation
# below 1e15; engineering prefixes only where the unit carries them (kWh -> MWh/GWh, kgCO2e ->
# tCO2e, gCO2e), never on device-hours or counts of devices; durations in s/min/h/days as fits.


def sig(value: float, digits: int = 3, trim: bool = False) -> str:
    """``value`` to ``digits`` significant figures with thousands separators: 94466.9 -> ``94,500``,
    0.398949 -> ``0.399``; ``trim`` drops trailing zeros after the point (0.380 -> ``0.38``).
    Exponent notation only beyond 1e15 or below 1e-4."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    magnitude = abs(value)
    if magnitude >= 1e15 or magnitude < 1e-4:
        return f"{value:.{digits}g}"
    exponent = math.floor(math.log10(magnitude))
    decimals = max(0, digits - 1 - exponent)
    text = f"{round(value, digits - 1 - exponent):,.{decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def span_text(value: float, low: float | None = None, high: float | None = None, unit: str = "") -> str:
    """``0.399 (0.285-0.49)``: a central value and its range, 3 significant figures, trailing zeros
    dropped; no range when there is none."""
    text = f"{sig(value, trim=True)}{unit}"
    if low is not None and high is not None and low != high:
        text += f" ({sig(low, trim=True)}-{sig(high, trim=True)}{unit})"
    return text


def duration_text(seconds: float) -> str:
    """A duration in the unit that fits: ``16.2 s``, ``2.70 min``, ``4.50 h``, ``3.20 days``."""
    magnitude = abs(seconds)
    if magnitude < 60:
        return f"{sig(seconds)} s"
    if magnitude < 3600:
        return f"{sig(seconds / 60)} min"
    if magnitude < 48 * 3600:
        return f"{sig(seconds / 3600)} h"
    return f"{sig(seconds / 86400)} days"


def energy_text(energy_kwh: float) -> str:
    """Energy with the prefix that fits: ``12.3 Wh``, ``456 kWh``, ``94.5 MWh``, ``1.29 GWh``."""
    magnitude = abs(energy_kwh)
    if magnitude >= 1e6:
        return f"{sig(energy_kwh / 1e6)} GWh"
    if magnitude >= 1e3:
        return f"{sig(energy_kwh / 1e3)} MWh"
    if magnitude >= 1 or energy_kwh == 0:
        return f"{sig(energy_kwh)} kWh"
    return f"{sig(energy_kwh * 1000)} Wh"


def mass_text(co2e_kg: float) -> str:
    """Emissions in a readable unit: ``12.3 tCO2e``, ``456 kgCO2e`` or ``7.89 gCO2e``."""
    if abs(co2e_kg) >= 1000:
        return f"{sig(co2e_kg / 1000)} tCO2e"
    if abs(co2e_kg) >= 1 or co2e_kg == 0:
        return f"{sig(co2e_kg)} kgCO2e"
    return f"{sig(co2e_kg * 1000)} gCO2e"


def count_text(value: float | None, digits: int = 3) -> str:
    """A count as people write model sizes and token counts: ``69.3B``, ``1.39T``, ``124M``."""
    if value is None:
        return "-"
    for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.{digits}g}{suffix}"
    return f"{value:.{digits}g}"


#: Plausibility limits (docs/methodology.md, "Plausibility limits"): a value beyond one is a typo or
#: a unit slip (kW for W), never a run, so it is refused rather than priced.
MAX_SEQ_LEN = 10_000_000  # tokens; the longest published training contexts are ~10^6
MAX_PUE = 3.0  # the Uptime Institute's 2007 survey average was ~2.5; 2023's is 1.58
MAX_POWER_W = 5000.0  # per device; the largest accelerator TDPs are ~1-2 kW (GB200 ~1.2 kW per GPU)
MIN_POWER_W = 1.0  # per device; the smallest accelerator in data/hardware.csv (T4) draws 70 W
MIN_MFU = 0.01  # the 15 published whole runs of data/mfu_runs.csv reach 0.14-0.51; below 1% is a slip
MAX_DEVICES = 1_000_000  # the largest reported training clusters are ~10^5 accelerators
MAX_PARAMS = 1e15  # parameters; the largest published models are ~2e12 (500x below)
MAX_TOKENS = 1e16  # training tokens; the largest published runs use ~4e13 (250x below)
MAX_FLOPS = 1e30  # training FLOPs; the largest published runs are ~5e25 (20,000x below)
MAX_DEVICE_HOURS = 1e10  # the largest published runs are ~3e7 device-hours (Llama 3.1 405B: 3.08e7)
MAX_HOURS = 1e6  # wall-clock hours: 114 years
#: gCO2e/kWh. IPCC AR5 WG3 Annex III (2014) Table A.III.2 puts coal's lifecycle intensity at 740-910
#: (median 820); no grid's average exceeds ~1,100 (Ember), so 2,000 catches kg/MWh slips of 1,000x.
MAX_INTENSITY_G_PER_KWH = 2000.0


def check_plausible(value: float, limit: float, flag: str, fix: str) -> float:
    """``value`` if it is at most ``limit``; else ``InputError`` naming the value, the limit and the fix."""
    if value > limit:
        raise InputError(f"{flag} {value:g} is above the plausible limit of {limit:,g}; {fix}")
    return value
