"""Time as the service keeps it: UTC, aware, and one text form that sorts as time does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """UTC ISO 8601 with microseconds and 'Z': fixed width, so text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso_utc(text: str) -> datetime:
    """The moment `iso_utc` wrote."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


# Kazakhstan keeps one zone, UTC+5, since 1 March 2024: Astana time is that fixed offset, never a
# zone database's Asia/Almaty (older ones still say UTC+6).
ASTANA = timezone(timedelta(hours=5), "UTC+5")


def astana(moment: datetime) -> datetime:
    return moment.astimezone(ASTANA)


def astana_text(moment: datetime) -> str:
    """For people reading a terminal or a spreadsheet: `2026-12-06 00:00 (Astana, UTC+5)`."""
    return astana(moment).strftime("%Y-%m-%d %H:%M") + " (Astana, UTC+5)"
