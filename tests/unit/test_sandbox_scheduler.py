"""The sandbox's simulated EventBridge Scheduler (drs_sandbox.scheduler): when each stored schedule
fires on the sandbox's time scale, with injected real and wall clocks (no sleeping)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from drs_sandbox.scheduler import ScheduleView, SimulatedScheduler

START = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)
TARGET = "arn:aws:lambda:us-east-1:123456789012:function:drs-orchestrator-execution-handler"


def view(
    name: str, expression: str, *, timezone: str = "UTC", enabled: bool = True, version: float = 1.0
) -> ScheduleView:
    return ScheduleView(
        group="drs-orchestrator-ScheduleGroup",
        name=name,
        arn=f"arn:aws:scheduler:us-east-1:123456789012:schedule/g/{name}",
        expression=expression,
        timezone=timezone,
        enabled=enabled,
        target_arn=TARGET,
        input=json.dumps({"planId": name, "scheduledTime": "<aws.scheduler.scheduled-time>"}),
        delete_after_completion=expression.startswith("at("),
        version=version,
    )


@dataclass
class World:
    """Stored schedules, a real clock in seconds and the wall clock that moves with it."""

    stored: dict[str, ScheduleView] = field(default_factory=dict)
    real_seconds: float = 1000.0
    invoked: list[tuple[str, Any]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def wall(self) -> datetime:
        return START + timedelta(seconds=self.real_seconds - 1000.0)

    def scheduler(self, time_scale: float = 60.0) -> SimulatedScheduler:
        def invoke(schedule: ScheduleView, document: Any) -> bool:
            self.invoked.append((schedule.name, document))
            return False

        def delete(schedule: ScheduleView) -> None:
            self.deleted.append(schedule.name)
            self.stored.pop(schedule.name, None)

        return SimulatedScheduler(
            read=lambda: list(self.stored.values()),
            invoke=invoke,
            delete=delete,
            time_scale=time_scale,
            real=lambda: self.real_seconds,
            wall=self.wall,
        )

    def run_for(self, scheduler: SimulatedScheduler, seconds: float, step: float = 0.25) -> None:
        end = self.real_seconds + seconds
        while self.real_seconds < end:
            self.real_seconds = min(end, self.real_seconds + step)
            scheduler.tick()


def test_a_ten_minute_rate_fires_every_ten_real_seconds_at_time_scale_60() -> None:
    # Given a rate(10 minutes) schedule stored at 12:00 (wall clock), time scale 60
    world = World()
    world.stored["p1"] = view("p1", "rate(10 minutes)")
    scheduler = world.scheduler()
    scheduler.sync()
    # When 9.75 real seconds pass, Then nothing fired yet
    world.run_for(scheduler, 9.75)
    assert world.invoked == []
    # When 25 real seconds have passed, Then it fired twice, at scaled 12:10 and 12:20
    world.run_for(scheduler, 15.25)
    assert [doc["scheduledTime"] for _, doc in world.invoked] == [
        "2026-12-07T12:10:00Z",
        "2026-12-07T12:20:00Z",
    ]
    assert world.invoked[0][1]["planId"] == "p1"


def test_a_one_time_schedule_fires_once_relative_to_its_put_then_is_deleted() -> None:
    # Given at(12:30) put at 12:00: 30 scaled minutes, i.e. 30 real seconds at time scale 60
    world = World()
    world.stored["c1"] = view("c1", "at(2026-12-07T12:30:00)")
    scheduler = world.scheduler()
    scheduler.sync()
    world.run_for(scheduler, 29.75)
    assert world.invoked == []
    world.run_for(scheduler, 60)
    # Then it fired exactly once, with its own time, and was deleted after completion
    assert [doc["scheduledTime"] for _, doc in world.invoked] == ["2026-12-07T12:30:00Z"]
    assert world.deleted == ["c1"]


def test_a_cron_in_a_timezone_fires_at_its_next_local_occurrence_scaled() -> None:
    # Given a daily 14:00 Europe/Berlin cron (13:00 UTC in December) put at 12:00 UTC: 60 scaled
    # minutes away, so 6 real seconds at time scale 600
    world = World()
    world.stored["p2"] = view("p2", "cron(0 14 * * ? *)", timezone="Europe/Berlin")
    scheduler = world.scheduler(time_scale=600)
    scheduler.sync()
    listed = scheduler.listing()[0]
    assert listed["nextScheduledTime"] == "2026-12-07T13:00:00Z"
    assert listed["nextFiringTime"] == "2026-12-07T12:00:06Z"
    world.run_for(scheduler, 5.75)
    assert world.invoked == []
    world.run_for(scheduler, 0.5)
    assert [doc["scheduledTime"] for _, doc in world.invoked] == ["2026-12-07T13:00:00Z"]


def test_a_disabled_schedule_never_fires_and_an_update_reanchors_it() -> None:
    world = World()
    world.stored["p1"] = view("p1", "rate(10 minutes)", enabled=False)
    scheduler = world.scheduler()
    scheduler.sync()
    world.run_for(scheduler, 30)
    assert world.invoked == []
    assert scheduler.listing()[0]["nextFiringTime"] is None
    # When it is enabled (an update) at real +30 s, Then its first firing is 10 real seconds later
    world.stored["p1"] = replace(world.stored["p1"], enabled=True, version=2.0)
    world.run_for(scheduler, 9.75)
    assert world.invoked == []
    world.run_for(scheduler, 0.5)
    assert [doc["scheduledTime"] for _, doc in world.invoked] == ["2026-12-07T12:10:30Z"]


def test_a_deleted_schedule_stops_firing() -> None:
    world = World()
    world.stored["p1"] = view("p1", "rate(10 minutes)")
    scheduler = world.scheduler()
    world.run_for(scheduler, 10.25)
    assert len(world.invoked) == 1
    del world.stored["p1"]
    world.run_for(scheduler, 30)
    assert len(world.invoked) == 1
    assert scheduler.listing() == []


def test_firing_a_schedule_now_uses_its_simulated_time_and_keeps_its_sequence() -> None:
    world = World()
    world.stored["p1"] = view("p1", "rate(10 minutes)")
    scheduler = world.scheduler()
    scheduler.sync()
    world.run_for(scheduler, 3)
    firing = scheduler.fire_now("p1")
    assert firing.manual and firing.scheduled_time == "2026-12-07T12:03:00Z"
    world.run_for(scheduler, 7.25)
    assert [doc["scheduledTime"] for _, doc in world.invoked] == [
        "2026-12-07T12:03:00Z",
        "2026-12-07T12:10:00Z",
    ]
    assert [f["manual"] for f in scheduler.listing()[0]["firings"]] == [True, False]
