"""EventBridge Scheduler's schedule expressions: ``rate(value unit)``, ``cron(minutes hours
day-of-month month day-of-week year)`` and ``at(yyyy-mm-ddThh:mm:ss)``, checked as Scheduler accepts
them, and the next time each fires (pure: no AWS call).

The one computation of "when does this schedule fire next" (``next_time``): the API's next run
time, and anything else that needs to know when a schedule fires.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ExpressionError(ValueError):
    """An expression or a timezone Scheduler would refuse; the message says what is wrong."""


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
# Scheduler's day-of-week: 1 = SUN ... 7 = SAT.
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
# How far ahead a cron expression is searched for its next firing (its year field may end it).
_HORIZON_DAYS = 366 * 5


@dataclass(frozen=True)
class Rate:
    seconds: int


@dataclass(frozen=True)
class At:
    moment: datetime  # naive: read in the schedule's timezone


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: str
    months: frozenset[int]
    day_of_week: str
    years: frozenset[int]

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months or day.year not in self.years:
            return False
        if self.day_of_week == "?":
            return _day_of_month_matches(self.day_of_month, day)
        return _day_of_week_matches(self.day_of_week, day)


Expression = Rate | At | Cron


def _number(token: str, low: int, high: int, names: dict[str, int], field: str) -> int:
    value = names.get(token.upper()) if names else None
    if value is None:
        if not token.isdigit():
            raise ExpressionError(f"cron {field}: {token!r} is not a value from {low} to {high}")
        value = int(token)
    if not low <= value <= high:
        raise ExpressionError(f"cron {field}: {value} is outside {low}-{high}")
    return value


def _values(
    text: str, low: int, high: int, field: str, names: dict[str, int] | None = None
) -> frozenset[int]:
    """A field of ``*``, values, ranges, steps and lists of them."""
    found: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ExpressionError(f"cron {field}: step {step_text!r} must be a positive number")
            step = int(step_text)
        if base == "*":
            start, stop = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, stop = (
                _number(first, low, high, names or {}, field),
                _number(last, low, high, names or {}, field),
            )
            if start > stop:
                raise ExpressionError(f"cron {field}: range {base!r} runs backwards")
        else:
            start = _number(base, low, high, names or {}, field)
            stop = high if step_text else start
        found.update(range(start, stop + 1, step))
    return frozenset(found)


def _check_day_of_month(text: str) -> None:
    if text in ("?", "L", "LW"):
        return
    if re.fullmatch(r"\d{1,2}W", text):
        _number(text[:-1], 1, 31, {}, "day-of-month")
        return
    _values(text, 1, 31, "day-of-month")


def _check_day_of_week(text: str) -> None:
    if text in ("?", "L"):
        return
    if match := re.fullmatch(r"(\w+)L", text):
        _number(match.group(1), 1, 7, _DAYS, "day-of-week")
        return
    if match := re.fullmatch(r"(\w+)#([1-5])", text):
        _number(match.group(1), 1, 7, _DAYS, "day-of-week")
        return
    _values(text, 1, 7, "day-of-week", _DAYS)


def _weekday(day: date) -> int:
    """Scheduler's day-of-week number of ``day`` (1 = SUN)."""
    return (day.weekday() + 1) % 7 + 1


def _day_of_month_matches(text: str, day: date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    if text == "L":
        return day.day == last
    if text.endswith("W"):
        wanted = last if text == "LW" else min(int(text[:-1]), last)
        target = date(day.year, day.month, wanted)
        # The weekday nearest to that day, within the month.
        if target.weekday() == 5:
            target = target - timedelta(days=1) if target.day > 1 else target + timedelta(days=2)
        elif target.weekday() == 6:
            target = target + timedelta(days=1) if target.day < last else target - timedelta(days=2)
        return day == target
    return day.day in _values(text, 1, 31, "day-of-month")


def _day_of_week_matches(text: str, day: date) -> bool:
    weekday = _weekday(day)
    if text == "L":
        return weekday == 7
    if match := re.fullmatch(r"(\w+)L", text):
        wanted = _number(match.group(1), 1, 7, _DAYS, "day-of-week")
        return weekday == wanted and day.day + 7 > calendar.monthrange(day.year, day.month)[1]
    if match := re.fullmatch(r"(\w+)#([1-5])", text):
        wanted = _number(match.group(1), 1, 7, _DAYS, "day-of-week")
        return weekday == wanted and (day.day - 1) // 7 + 1 == int(match.group(2))
    return weekday in _values(text, 1, 7, "day-of-week", _DAYS)


def parse(expression: str) -> Expression:
    """The expression, or ExpressionError saying what Scheduler would refuse in it."""
    text = expression.strip() if isinstance(expression, str) else ""
    if match := _RATE.match(text):
        value, unit = int(match.group(1)), match.group(2)
        if value < 1:
            raise ExpressionError("rate: the value must be a positive whole number")
        if (value == 1) != (not unit.endswith("s")):
            raise ExpressionError(
                f"rate: use the singular unit for 1 and the plural otherwise ({value} {unit!r})"
            )
        return Rate(value * _UNIT_SECONDS[unit.rstrip("s")])
    if match := _AT.match(text):
        try:
            return At(datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S"))
        except ValueError as e:
            raise ExpressionError(f"at: {match.group(1)!r} is not a date and time") from e
    if match := _CRON.match(text):
        fields = match.group(1).split()
        if len(fields) != 6:
            raise ExpressionError(
                "cron: six fields are needed (minutes hours day-of-month month day-of-week year), "
                f"got {len(fields)}"
            )
        minutes, hours, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise ExpressionError("cron: exactly one of day-of-month and day-of-week must be '?'")
        _check_day_of_month(dom)
        _check_day_of_week(dow)
        return Cron(
            minutes=_values(minutes, 0, 59, "minutes"),
            hours=_values(hours, 0, 23, "hours"),
            day_of_month=dom.upper(),
            months=_values(month, 1, 12, "month", _MONTHS),
            day_of_week=dow.upper(),
            years=_values(year, 1970, 2199, "year"),
        )
    raise ExpressionError("expected rate(value unit), cron(six fields) or at(yyyy-mm-ddThh:mm:ss)")


def zone(name: str | None) -> ZoneInfo:
    """The IANA timezone ``name`` (UTC when none), or ExpressionError."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ExpressionError(f"{name!r} is not an IANA timezone (e.g. Europe/Berlin)") from e


def next_time(
    expression: str | Expression, timezone: str | None, after: datetime, *, anchor: datetime | None = None
) -> datetime | None:
    """The first firing strictly after ``after`` (UTC), or None when there is none (an at() in the
    past, a cron whose years ended). A rate fires every period from ``anchor`` (when the schedule was
    created or last updated; default ``after``)."""
    parsed = parse(expression) if isinstance(expression, str) else expression
    tz = zone(timezone)
    after = after.astimezone(UTC)
    if isinstance(parsed, Rate):
        start = (anchor or after).astimezone(UTC)
        periods = max(0, int((after - start).total_seconds() // parsed.seconds)) + 1
        candidate = start + timedelta(seconds=parsed.seconds * periods)
        while candidate <= after:
            candidate += timedelta(seconds=parsed.seconds)
        return candidate
    if isinstance(parsed, At):
        moment = parsed.moment.replace(tzinfo=tz).astimezone(UTC)
        return moment if moment > after else None
    local = after.astimezone(tz)
    for offset in range(_HORIZON_DAYS):
        day = local.date() + timedelta(days=offset)
        if day.year > max(parsed.years):
            return None
        if not parsed.matches_day(day):
            continue
        for hour in sorted(parsed.hours):
            for minute in sorted(parsed.minutes):
                candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)
                if candidate > after:
                    return candidate
    return None
