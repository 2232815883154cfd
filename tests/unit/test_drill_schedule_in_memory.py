"""Scheduled drills on in-memory ports (operations.drill_schedule): saving a plan keeps its one
schedule, a firing starts a drill or records a skipped run (notified), each firing once, and a
Scheduler failure after the plan write is said, then repaired by saving again."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from in_memory import in_memory_orchestration
from memory_ports import InMemorySchedules, RecordingStepFunctions
from orchestration_driver import Orchestration

from orchestrator.exceptions import TransientError, ValidationFailedError
from orchestrator.operations import catalog, drill_schedule
from orchestrator.operations.dispatch import run_operation

QUICK = {"snapshot": 30, "conversion": 60, "launch": 30, "boot": 10}
WEEKLY = {"expression": "cron(0 3 ? * SAT *)", "timezone": "Europe/Berlin", "enabled": True}


@dataclasses.dataclass
class RecordingNotifier:
    sent: list[tuple[str, str, dict[str, Any]]] = dataclasses.field(default_factory=list)
    fail: bool = False

    def skipped(self, plan_id: str, plan_name: str, run: Any) -> None:
        if self.fail:
            raise TransientError("SNS Publish is throttled or unavailable (Throttling)")
        self.sent.append((plan_id, plan_name, dict(run)))


@dataclasses.dataclass
class World:
    orc: Orchestration
    schedules: InMemorySchedules
    notifier: RecordingNotifier

    def plan_body(self, **extra: Any) -> dict[str, Any]:
        servers = self.orc.servers(2, phaseDurations=QUICK)
        group = self.orc.add_group("db", servers)
        return {"name": "Shop", "waves": [{"waveName": "DB", "protectionGroupIds": [group]}], **extra}

    def fire(self, plan_id: str, scheduled: str) -> dict[str, Any]:
        event = {"operation": "scheduled_drill", "planId": plan_id, "scheduledTime": scheduled}
        result: dict[str, Any] = run_operation(self.orc.deps, event)
        return result


@pytest.fixture
def world() -> Iterator[World]:
    orc = in_memory_orchestration()
    schedules, notifier = InMemorySchedules(), RecordingNotifier()
    orc.deps = dataclasses.replace(orc.deps, schedules=schedules, drill_notifier=notifier)  # type: ignore[arg-type]
    yield World(orc, schedules, notifier)


def test_saving_a_plan_with_a_schedule_puts_one_schedule_that_starts_a_drill(world: World) -> None:
    # When a plan is created with a weekly drill schedule
    plan = catalog.save(world.orc.deps, "plan", world.plan_body(drillSchedule=dict(WEEKLY)))
    name = drill_schedule.schedule_name(plan["planId"])
    # Then Scheduler holds one schedule for it, whose firing runs scheduled_drill of the plan
    assert world.schedules.schedules == {
        name: {
            "expression": "cron(0 3 ? * SAT *)",
            "payload": {"operation": "scheduled_drill", "planId": plan["planId"]},
            "timezone": "Europe/Berlin",
            "enabled": True,
            "one_time": False,
            "description": f"Scheduled drill of recovery plan {plan['planId']}",
        }
    }
    view = drill_schedule.view(world.orc.deps, plan["planId"])
    assert view["inPlace"] and view["problem"] is None and view["runs"] == []
    assert view["nextRunTime"] is not None and view["nextRunTime"].endswith(":00:00.000Z")


def test_updating_disabling_and_removing_the_schedule_follow_the_plan(world: World) -> None:
    deps = world.orc.deps
    plan = catalog.save(deps, "plan", world.plan_body(drillSchedule=dict(WEEKLY)))
    plan_id, name = plan["planId"], drill_schedule.schedule_name(plan["planId"])
    body = {k: plan[k] for k in ("name", "waves")}
    catalog.save(
        deps, "plan", {**body, "drillSchedule": {"expression": "rate(7 days)", "enabled": False}}, plan_id
    )
    assert (world.schedules.schedules[name]["expression"], world.schedules.schedules[name]["enabled"]) == (
        "rate(7 days)",
        False,
    )
    assert drill_schedule.view(deps, plan_id)["nextRunTime"] is None
    catalog.save(deps, "plan", dict(body), plan_id)
    assert world.schedules.schedules == {}
    assert drill_schedule.view(deps, plan_id)["drillSchedule"] is None


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        ({"expression": "cron(0 3 * * SAT *)"}, "drillSchedule.expression"),
        ({"expression": "rate(1 days)"}, "drillSchedule.expression"),
        ({"expression": "at(2027-01-01T00:00:00)"}, "drillSchedule.expression"),
        ({"expression": "rate(7 days)", "timezone": "Mars/Olympus"}, "drillSchedule.timezone"),
    ],
)
def test_a_bad_expression_or_timezone_is_refused_naming_the_field_and_nothing_is_stored(
    world: World, schedule: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailedError) as refused:
        catalog.save(world.orc.deps, "plan", world.plan_body(drillSchedule=schedule))
    assert refused.value.details == {"field": field}
    assert world.orc.deps.stores.plans.all() == []
    assert world.schedules.calls == []


def test_a_scheduler_failure_after_the_plan_write_is_said_and_a_second_save_repairs_it(world: World) -> None:
    deps = world.orc.deps
    # Given Scheduler fails the next call
    world.schedules.fail_next = TransientError("Scheduler UpdateSchedule is throttled or unavailable")
    body = world.plan_body(drillSchedule=dict(WEEKLY))
    # When the plan is saved, Then the answer says the plan was saved and its schedule was not
    with pytest.raises(TransientError) as failed:
        catalog.save(deps, "plan", dict(body))
    assert failed.value.code == "DRILL_SCHEDULE_NOT_SAVED"
    plan_id = failed.value.details["planId"]
    # And the plan's schedule says it is not in place
    view = drill_schedule.view(deps, plan_id)
    assert (view["inPlace"], view["nextRunTime"]) == (False, None)
    assert "not in place" in view["problem"]
    # When the plan is saved again, Then the schedule is in place
    catalog.save(deps, "plan", dict(body), plan_id)
    assert drill_schedule.view(deps, plan_id)["inPlace"] is True
    assert drill_schedule.schedule_name(plan_id) in world.schedules.schedules


def test_a_firing_starts_a_drill_initiated_by_the_schedule_once_per_scheduled_time(world: World) -> None:
    plan = catalog.save(world.orc.deps, "plan", world.plan_body(drillSchedule=dict(WEEKLY)))
    run = world.fire(plan["planId"], "2026-12-12T02:00:00Z")
    assert run["outcome"] == "STARTED"
    execution = world.orc.get(run["executionId"])
    assert (execution["executionType"], execution["initiatedBy"]) == ("DRILL", "schedule")
    # A redelivery of the same firing finds its run and starts nothing
    again = world.fire(plan["planId"], "2026-12-12T02:00:00Z")
    assert again == run
    assert world.orc.sfn.started == [run["executionId"]]
    assert [r["outcome"] for r in drill_schedule.view(world.orc.deps, plan["planId"])["runs"]] == ["STARTED"]


def test_a_firing_while_the_plan_runs_is_skipped_and_notified_once(world: World) -> None:
    plan = catalog.save(world.orc.deps, "plan", world.plan_body(drillSchedule=dict(WEEKLY)))
    first = world.fire(plan["planId"], "2026-12-12T02:00:00Z")
    # When the next firing comes while that drill is still active
    skipped = world.fire(plan["planId"], "2026-12-19T02:00:00Z")
    assert skipped["outcome"] == "SKIPPED"
    assert skipped["reasonCode"] == "ACTIVE_EXECUTION"
    assert skipped["executionId"] == first["executionId"]
    assert first["executionId"] in skipped["reason"]
    # Then it was announced once, also when the firing is delivered again
    world.fire(plan["planId"], "2026-12-19T02:00:00Z")
    assert [(p, n, r["reasonCode"]) for p, n, r in world.notifier.sent] == [
        (plan["planId"], "Shop", "ACTIVE_EXECUTION")
    ]
    runs = drill_schedule.view(world.orc.deps, plan["planId"])["runs"]
    assert [(r["outcome"], r.get("notified")) for r in runs] == [("SKIPPED", True), ("STARTED", None)]


def test_a_firing_while_the_plan_is_not_ready_is_skipped_with_the_failing_check(world: World) -> None:
    body = world.plan_body(drillSchedule=dict(WEEKLY))
    plan = catalog.save(world.orc.deps, "plan", body)
    group = world.orc.deps.stores.groups.get(body["waves"][0]["protectionGroupIds"][0])
    world.orc.sim.stage_replication(group["sourceServerIds"][0], state="STOPPED")
    run = world.fire(plan["planId"], "2026-12-12T02:00:00Z")
    assert (run["outcome"], run["reasonCode"]) == ("SKIPPED", "NOT_READY")
    assert group["sourceServerIds"][0] in run["reason"]
    assert world.orc.sfn.started == []


def test_an_announcement_that_failed_is_sent_when_the_firing_is_delivered_again(world: World) -> None:
    plan = catalog.save(world.orc.deps, "plan", world.plan_body(drillSchedule=dict(WEEKLY)))
    world.fire(plan["planId"], "2026-12-12T02:00:00Z")
    world.notifier.fail = True
    with pytest.raises(TransientError):
        world.fire(plan["planId"], "2026-12-19T02:00:00Z")
    world.notifier.fail = False
    world.fire(plan["planId"], "2026-12-19T02:00:00Z")
    assert len(world.notifier.sent) == 1
    runs = drill_schedule.view(world.orc.deps, plan["planId"])["runs"]
    assert [r["outcome"] for r in runs] == ["SKIPPED", "STARTED"]


def test_deleting_the_plan_deletes_its_schedule_and_a_late_firing_is_ignored(world: World) -> None:
    deps = world.orc.deps
    plan = catalog.save(deps, "plan", world.plan_body(drillSchedule=dict(WEEKLY)))
    catalog.delete_plan(deps, plan["planId"])
    assert world.schedules.schedules == {}
    assert deps.stores.drill_schedules.get(plan["planId"]) is None
    assert world.fire(plan["planId"], "2026-12-12T02:00:00Z")["outcome"] == "IGNORED"
    assert world.orc.sfn.started == []


def test_a_plan_that_never_had_a_schedule_costs_no_scheduler_call(world: World) -> None:
    deps = world.orc.deps
    plan = catalog.save(deps, "plan", world.plan_body())
    catalog.save(deps, "plan", {k: plan[k] for k in ("name", "waves")}, plan["planId"])
    catalog.delete_plan(deps, plan["planId"])
    assert world.schedules.calls == []


def test_a_refused_start_is_a_skipped_run_with_the_refusals_code(world: World) -> None:
    """Given Step Functions denies the start (a missing permission), When the schedule fires, Then
    the run is SKIPPED with the refusal's code and message (not an error), and announced."""
    from orchestrator.exceptions import PermissionDeniedError

    class DeniedStepFunctions(RecordingStepFunctions):
        def start(self, execution_id: str) -> str:
            raise PermissionDeniedError(
                "permission denied: Step Functions StartExecution (AccessDeniedException)"
            )

    plan = catalog.save(world.orc.deps, "plan", world.plan_body(drillSchedule=dict(WEEKLY)))
    world.orc.deps = dataclasses.replace(world.orc.deps, sfn=DeniedStepFunctions())
    run = world.fire(plan["planId"], "2026-12-12T02:00:00Z")
    assert (run["outcome"], run["reasonCode"]) == ("SKIPPED", "PERMISSION_DENIED")
    assert "StartExecution" in run["reason"]
    assert [r["reasonCode"] for _, _, r in world.notifier.sent] == ["PERMISSION_DENIED"]
