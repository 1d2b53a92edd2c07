"""Times and durations as people read them, in the operator's time zone: one place for the console
and the Teams cards.

    local_time(incident.detected_at, ZoneInfo("Europe/London"))  # "Tue 1 Dec 2026, 09:19:05 GMT"
    duration(4_772_646_053)                                      # "55 days 5 hours"
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME_ZONE = "Europe/London"


def time_zone(name: str | None) -> ZoneInfo:
    """The IANA zone `name` (Europe/London when empty); an unknown name is a ValueError that says so."""
    try:
        return ZoneInfo((name or "").strip() or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/London)") from None


def local_time(moment: datetime, zone: tzinfo) -> str:
    """'Tue 1 Dec 2026, 09:19:05 GMT': the day, the date and the zone's own abbreviation."""
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M:%S} {local.tzname()}"


def duration(milliseconds: int | float) -> str:
    """'0.8 seconds', '12 seconds', '4 minutes 12 seconds', '3 hours 5 minutes', '55 days 5 hours':
    the two largest units, as a person would say it."""
    if milliseconds < 0:
        raise ValueError("a duration cannot be negative")
    seconds = milliseconds / 1000
    if seconds < 10:
        return f"{seconds:.1f} seconds"
    whole = round(seconds)
    units = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))
    parts: list[str] = []
    for name, size in units:
        count, whole = divmod(whole, size)
        if count or parts:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
        if len(parts) == 2:
            break
    return " ".join(part for part in parts if not part.startswith("0 "))


def ago(moment: datetime, now: datetime) -> str:
    """'just now', '5 minutes ago', '2 days ago'; a moment in the future reads 'in 3 minutes'."""
    delta_ms = (now - moment).total_seconds() * 1000
    if abs(delta_ms) < 60_000:
        return "just now"
    words = duration(abs(delta_ms)).split(" ")
    first = " ".join(words[:2])
    return f"{first} ago" if delta_ms > 0 else f"in {first}"
