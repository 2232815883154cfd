"""Time helpers and the clock the operations read (Deps.clock), which tests replace instead of sleeping."""

from __future__ import annotations

import re
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


_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)


def duration_seconds(value: str) -> float | None:
    """An ISO-8601 duration as DRS writes ``lagDuration`` (``PT5M30S``, ``P1DT2H``) in seconds, or
    None when it is not one (years and months, which have no fixed length, are not accepted)."""
    match = _DURATION.fullmatch(value.strip().upper())
    if not match or value.strip().upper() in ("P", "PT") or value.strip().upper().endswith("T"):
        return None
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    return (
        parts.get("weeks", 0) * 604800
        + parts.get("days", 0) * 86400
        + parts.get("hours", 0) * 3600
        + parts.get("minutes", 0) * 60
        + parts.get("seconds", 0)
    )
