"""The one duration parser: ``90s``, ``2m``, ``1h``, ``1h30m``, or a number of seconds.

Plans, command-line flags (``--older-than``) and defaults all go through here so that every
place accepts exactly the same spellings.
"""
from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


class DurationError(ValueError):
    """A value that is not a duration; the message says what is accepted."""


MAX_SECONDS = 366 * 86400.0   # a year: anything longer is a typo (or 10**400), not a wait


def parse_duration(value: object) -> float:
    """Seconds as a float; raises DurationError for anything else (negatives, bools, '5 min',
    more than a year)."""
    seconds = _seconds(value)
    if not seconds <= MAX_SECONDS:       # also NaN
        raise DurationError(f"duration too long: {str(value)[:40]!r} (at most 366d)")
    return seconds


def _seconds(value: object) -> float:
    if isinstance(value, bool) or value is None:
        raise DurationError(f"not a duration: {value!r} (use 90s, 2m, 1h or seconds)")
    if isinstance(value, (int, float)):
        if value < 0:
            raise DurationError(f"duration must not be negative: {str(value)[:40]!r}")
        return float(value) if value <= MAX_SECONDS else float("inf")
    if not isinstance(value, str):
        raise DurationError(f"not a duration: {value!r} (use 90s, 2m, 1h or seconds)")
    text = value.strip()
    if _NUMBER.fullmatch(text):
        return float(text)
    pos, total = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise DurationError(f"not a duration: {value!r} (use 90s, 2m, 1h or seconds)")
    return total


def format_duration(seconds: float) -> str:
    """Short human form for logs and reports: '850ms', '12.3s', '4m05s', '1h02m'."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
