"""Indonesia's three time zones: every time a person reads is shown in the site's zone, labelled WIB/WITA/WIT."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

ZONES = {"WIB": 7, "WITA": 8, "WIT": 9}  # hours east of UTC; Indonesia keeps no daylight saving time
DEFAULT_ZONE = "WIB"


def tz(zone: str) -> timezone:
    """The fixed offset of a zone name (WIB when unknown)."""
    return timezone(timedelta(hours=ZONES.get(zone, ZONES[DEFAULT_ZONE])), zone)


def local(dt: datetime | None, zone: str = DEFAULT_ZONE, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``dt`` as a reader in ``zone`` sees it, with the zone's name: ``2026-12-01 08:00 WIB`` ('-' for none)."""
    if dt is None:
        return "-"
    aware = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt
    zone = zone if zone in ZONES else DEFAULT_ZONE
    return f"{aware.astimezone(tz(zone)).strftime(fmt)} {zone}"


def parse_local(text: str, zone: str) -> datetime:
    """A wall-clock time typed in ``zone`` (``2026-12-01T08:00``) as UTC; ValueError when it is not one."""
    naive = datetime.fromisoformat(text.strip())
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return naive.replace(tzinfo=tz(zone)).astimezone(UTC)
