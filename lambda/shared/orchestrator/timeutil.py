"""Time helpers and the clock the operations read (Deps.clock), which tests replace instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Clock:
    """What time it is for the operations: the system's, or a test's."""

    source: Callable[[], datetime] = field(default=system_clock)

    def now(self) -> datetime:
        return self.source()

    def iso(self) -> str:
        return iso(self.now())

    def seconds_since(self, start: str) -> float:
        return seconds_between(start, self.now())


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with a Z and millisecond precision, the format every stored time uses."""
    value = moment.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def seconds_between(start: str, end: str | datetime) -> float:
    stop = parse_iso(end) if isinstance(end, str) else end
    return (stop - parse_iso(start)).total_seconds()
