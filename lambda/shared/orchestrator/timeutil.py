"""Time helpers with an injectable clock (tests scale or fake time instead of sleeping)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


_clock: Clock = system_clock


def now() -> datetime:
    return _clock()


def set_clock(clock: Clock | None) -> None:
    """Replace the clock (None restores the system clock)."""
    global _clock
    _clock = clock or system_clock


def iso(moment: datetime | None = None) -> str:
    """ISO-8601 UTC with a Z and millisecond precision, the format every stored time uses."""
    value = (moment or now()).astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def seconds_between(start: str, end: str | datetime | None = None) -> float:
    stop = parse_iso(end) if isinstance(end, str) else (end or now())
    return (stop - parse_iso(start)).total_seconds()
