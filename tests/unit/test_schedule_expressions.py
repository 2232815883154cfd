"""Scheduler's schedule expressions (orchestrator.aws.schedule_expressions): what is accepted as
Scheduler accepts it, and the next firing of each kind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchestrator.aws.schedule_expressions import ExpressionError, next_time, parse, zone

NOW = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(10 minutes)",
        "rate(7 days)",
        "rate(1 hour)",
        "cron(0 3 ? * SAT *)",
        "cron(0/15 * * * ? *)",
        "cron(0 12 ? JAN-MAR MON-FRI 2027)",
        "cron(0 8 L * ? *)",
        "cron(0 8 15W * ? *)",
        "cron(0 8 ? * 6L *)",
        "cron(0 8 ? * 3#2 *)",
        "at(2027-01-01T09:00:00)",
    ],
)
def test_expressions_scheduler_accepts_are_accepted(expression: str) -> None:
    parse(expression)


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("rate(0 minutes)", "positive"),
        ("rate(1 minutes)", "singular"),
        ("rate(5 minute)", "singular"),
        ("rate(7 weeks)", "expected rate"),
        ("cron(0 3 * * SAT *)", "exactly one"),
        ("cron(0 3 ? * ? *)", "exactly one"),
        ("cron(0 3 ? * SAT)", "six fields"),
        ("cron(61 3 ? * SAT *)", "outside 0-59"),
        ("cron(0 25 ? * SAT *)", "outside 0-23"),
        ("cron(0 3 ? FOO SAT *)", "month"),
        ("cron(0 3 ? * 3#9 *)", "day-of-week"),
        ("at(2027-02-30T09:00:00)", "not a date"),
        ("every saturday", "expected rate"),
        ("", "expected rate"),
    ],
)
def test_expressions_scheduler_refuses_are_refused_with_the_reason(expression: str, says: str) -> None:
    with pytest.raises(ExpressionError, match=says):
        parse(expression)


def test_a_timezone_must_be_an_iana_name() -> None:
    assert str(zone("Europe/Berlin")) == "Europe/Berlin"
    for bad in ("Mars/Olympus", "../etc/passwd", "Europe/"):
        with pytest.raises(ExpressionError, match="IANA"):
            zone(bad)


def test_the_next_saturday_three_oclock_in_berlin_is_two_oclock_utc_in_winter() -> None:
    assert next_time("cron(0 3 ? * SAT *)", "Europe/Berlin", NOW) == datetime(2026, 12, 12, 2, 0, tzinfo=UTC)


def test_the_next_firing_of_special_days() -> None:
    assert next_time("cron(0 8 L * ? *)", "UTC", NOW) == datetime(2026, 12, 31, 8, 0, tzinfo=UTC)
    # The second Tuesday of January 2027 (3#2), the last Friday of December 2026 (6L)
    assert next_time("cron(0 8 ? * 3#2 *)", "UTC", datetime(2026, 12, 31, tzinfo=UTC)) == datetime(
        2027, 1, 12, 8, 0, tzinfo=UTC
    )
    assert next_time("cron(0 8 ? * 6L *)", "UTC", NOW) == datetime(2026, 12, 25, 8, 0, tzinfo=UTC)
    # 2027-05-15 is a Saturday: 15W is Friday the 14th
    assert next_time("cron(0 8 15W * ? *)", "UTC", datetime(2027, 5, 1, tzinfo=UTC)) == datetime(
        2027, 5, 14, 8, 0, tzinfo=UTC
    )


def test_a_rate_fires_every_period_from_its_anchor_and_an_at_only_once() -> None:
    anchor = datetime(2026, 12, 7, 11, 55, tzinfo=UTC)
    assert next_time("rate(10 minutes)", None, NOW, anchor=anchor) == datetime(2026, 12, 7, 12, 5, tzinfo=UTC)
    # 13:00 in Berlin is 12:00 UTC, now: not strictly after, so no firing is left
    assert next_time("at(2026-12-07T13:00:00)", "Europe/Berlin", NOW) is None
    assert next_time("at(2026-12-07T14:00:00)", "Europe/Berlin", NOW) == datetime(
        2026, 12, 7, 13, 0, tzinfo=UTC
    )
    assert next_time("at(2026-12-07T11:00:00)", "UTC", NOW) is None
    assert next_time("cron(0 3 ? * SAT 2025)", "UTC", NOW) is None
