"""EventBridge Scheduler, simulated: moto stores the stack group's schedules and never fires them;
this timer does, invoking the in-process target function with each schedule's Input when it is due.

Time is scaled like the rest of the sandbox: a schedule lives on its own simulated clock that starts
at the wall-clock time it was created or last updated (its anchor) and runs ``time_scale`` times
faster than real time. So ``rate(10 minutes)`` at time scale 60 fires every 10 real seconds, an
``at(...)`` fires after (at - time of the put) / scale real seconds, and a ``cron(...)`` (in its
timezone) after (next occurrence - time of the put) / scale. Disabled schedules never fire; an
update re-anchors the schedule; a one-time schedule with ActionAfterCompletion DELETE is deleted
after it fired. Context attributes (``<aws.scheduler.scheduled-time>`` ...) are filled in as
Scheduler does, the scheduled time being the occurrence on the schedule's simulated clock.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.aws.schedule_expressions import ExpressionError, next_time

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduleView:
    """What the timer needs of a stored schedule (moto's model, read as is)."""

    group: str
    name: str
    arn: str
    expression: str
    timezone: str
    enabled: bool
    target_arn: str
    input: str
    delete_after_completion: bool
    version: float  # the last modification time: a change re-anchors the schedule


@dataclass
class Tracked:
    view: ScheduleView
    anchor_real: float  # real (monotonic) seconds when the schedule was seen created or updated
    anchor_wall: datetime  # the wall-clock time then: the start of its simulated clock
    last_sim: datetime  # the last occurrence fired (or the anchor)
    next_sim: datetime | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Firing:
    name: str
    scheduled_time: str
    fired_at: str
    errored: bool
    manual: bool


def _format(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fill_context(view: ScheduleView, scheduled: datetime, execution_id: str, attempt: int = 1) -> Any:
    """The target's input with Scheduler's context attributes replaced, as JSON (or the text)."""
    text = (
        view.input.replace("<aws.scheduler.scheduled-time>", _format(scheduled))
        .replace("<aws.scheduler.schedule-arn>", view.arn)
        .replace("<aws.scheduler.execution-id>", execution_id)
        .replace("<aws.scheduler.attempt-number>", str(attempt))
    )
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass
class SimulatedScheduler:
    """The due-time arithmetic and the firing, with injected clocks (``real``: monotonic seconds,
    ``wall``: the current UTC time) so that it is tested without sleeping."""

    read: Callable[[], Iterable[ScheduleView]]
    invoke: Callable[[ScheduleView, Any], bool]  # (schedule, input) -> errored
    delete: Callable[[ScheduleView], None]
    time_scale: float = 60.0
    real: Callable[[], float] = time.monotonic
    wall: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    tracked: dict[tuple[str, str], Tracked] = field(default_factory=dict)
    firings: list[Firing] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: int = 0

    def sim_now(self, entry: Tracked, real_now: float) -> datetime:
        return entry.anchor_wall + timedelta(seconds=(real_now - entry.anchor_real) * self.time_scale)

    def due_real(self, entry: Tracked) -> float | None:
        """Real (monotonic) seconds at which the next occurrence is due, None when there is none."""
        if entry.next_sim is None or not entry.view.enabled:
            return None
        return entry.anchor_real + (entry.next_sim - entry.anchor_wall).total_seconds() / self.time_scale

    def _advance(self, entry: Tracked) -> None:
        try:
            entry.next_sim = next_time(
                entry.view.expression, entry.view.timezone, entry.last_sim, anchor=entry.anchor_wall
            )
            entry.problem = None
        except ExpressionError as e:
            entry.next_sim, entry.problem = None, str(e)

    def sync(self) -> None:
        """Track the stored schedules: new or updated ones are (re-)anchored now, deleted ones dropped."""
        real_now, wall_now = self.real(), self.wall()
        seen = {}
        for view in self.read():
            seen[(view.group, view.name)] = view
        with self._lock:
            for key in [k for k in self.tracked if k not in seen]:
                del self.tracked[key]
            for key, view in seen.items():
                entry = self.tracked.get(key)
                if entry is not None and entry.view.version == view.version:
                    entry.view = view
                    continue
                entry = Tracked(view=view, anchor_real=real_now, anchor_wall=wall_now, last_sim=wall_now)
                self._advance(entry)
                self.tracked[key] = entry

    def tick(self) -> list[Firing]:
        """Fire every schedule that is due now (one occurrence each per tick)."""
        self.sync()
        real_now = self.real()
        due = []
        with self._lock:
            for entry in self.tracked.values():
                when = self.due_real(entry)
                if when is not None and when <= real_now and entry.next_sim is not None:
                    occurrence = entry.next_sim
                    entry.last_sim = occurrence
                    self._advance(entry)
                    due.append((entry.view, occurrence))
        return [self._fire(view, occurrence, manual=False) for view, occurrence in due]

    def fire_now(self, name: str) -> Firing:
        """Fire the schedule ``name`` now (its scheduled time: now on its simulated clock); KeyError
        when there is no such schedule."""
        self.sync()
        with self._lock:
            matches = [e for (_, n), e in self.tracked.items() if n == name]
            if not matches:
                raise KeyError(name)
            entry = matches[0]
            occurrence = self.sim_now(entry, self.real()).replace(microsecond=0)
        return self._fire(entry.view, occurrence, manual=True)

    def _fire(self, view: ScheduleView, occurrence: datetime, *, manual: bool) -> Firing:
        with self._lock:
            self._ids += 1
            execution_id = f"sandbox-{self._ids:06d}"
        errored = True
        try:
            errored = self.invoke(view, fill_context(view, occurrence, execution_id))
        except Exception:
            logger.exception("scheduled invocation failed", extra={"schedule": view.name})
        firing = Firing(view.name, _format(occurrence), _format(self.wall()), errored, manual)
        with self._lock:
            self.firings = [*self.firings[-99:], firing]
        if view.delete_after_completion and not manual:
            # One-time schedules are deleted by Scheduler after their only firing.
            try:
                self.delete(view)
            except Exception:
                logger.exception("could not delete a completed one-time schedule")
        return firing

    def listing(self) -> list[dict[str, Any]]:
        """Each schedule with its next firing in real (wall-clock) time, for GET /_sandbox/schedules."""
        self.sync()
        real_now, wall_now = self.real(), self.wall()
        out = []
        with self._lock:
            for entry in sorted(self.tracked.values(), key=lambda e: (e.view.group, e.view.name)):
                due = self.due_real(entry)
                out.append(
                    {
                        "group": entry.view.group,
                        "name": entry.view.name,
                        "expression": entry.view.expression,
                        "timezone": entry.view.timezone,
                        "enabled": entry.view.enabled,
                        "target": entry.view.target_arn,
                        "input": entry.view.input,
                        "nextScheduledTime": _format(entry.next_sim) if entry.next_sim else None,
                        "nextFiringTime": _format(wall_now + timedelta(seconds=max(0.0, due - real_now)))
                        if due is not None
                        else None,
                        "problem": entry.problem,
                        "firings": [
                            {
                                "scheduledTime": f.scheduled_time,
                                "firedAt": f.fired_at,
                                "errored": f.errored,
                                "manual": f.manual,
                            }
                            for f in self.firings
                            if f.name == entry.view.name
                        ][-10:],
                    }
                )
        return out


class SchedulerThread(threading.Thread):
    """Ticks the simulated scheduler until stopped (``stop_event``, like the stack's other threads)."""

    def __init__(self, scheduler: SimulatedScheduler, interval: float = 0.25) -> None:
        super().__init__(name="scheduler", daemon=True)
        self.scheduler = scheduler
        self.interval = interval
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            try:
                self.scheduler.tick()
            except Exception:
                logger.exception("the simulated scheduler's tick failed")


def moto_schedules(backend: Any, groups: Iterable[str]) -> list[ScheduleView]:
    """The schedules of ``groups`` as moto's scheduler backend stores them."""
    out = []
    for group_name in groups:
        group = backend.schedule_groups.get(group_name)
        for schedule in list(group.schedules.values()) if group else []:
            target = schedule.target or {}
            out.append(
                ScheduleView(
                    group=group_name,
                    name=schedule.name,
                    arn=schedule.arn,
                    expression=schedule.schedule_expression,
                    timezone=schedule.schedule_expression_timezone or "UTC",
                    enabled=(schedule.state or "ENABLED") == "ENABLED",
                    target_arn=str(target.get("Arn", "")),
                    input=str(target.get("Input", "")),
                    delete_after_completion=schedule.action_after_completion == "DELETE",
                    version=float(schedule.last_modified_date),
                )
            )
    return out
