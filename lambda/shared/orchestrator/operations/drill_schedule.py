"""Scheduled drills: a plan's ``drillSchedule`` kept as one EventBridge Scheduler schedule, its
firings (operation ``scheduled_drill``) and what the API shows of both.

- Saving a plan writes the plan, then creates, updates or deletes its schedule, then records what
  Scheduler holds (``applied``). A failure after the plan write is answered as an error that says the
  plan was saved and its schedule was not; the plan's schedule view says "not in place" until a save
  succeeds again (a retry of the save repairs it).
- A firing starts a DRILL through the API's start path (``initiatedBy: "schedule"``), or records a
  SKIPPED run with the reason (an active execution, a NOT_READY verdict, a refusal of the start) and
  notifies; each firing is recorded once, keyed by its scheduled time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from orchestrator.aws.schedule_expressions import ExpressionError, Rate, next_time, parse, zone
from orchestrator.deps import Deps
from orchestrator.exceptions import (
    DependencyError,
    NotFoundError,
    OrchestratorError,
    TransientError,
    ValidationFailedError,
)
from orchestrator.operations import create, readiness
from orchestrator.store.drill_schedules import item_for
from orchestrator.store.ports import plan_lock_id
from orchestrator.timeutil import iso, parse_iso

logger = logging.getLogger(__name__)

OPERATION = "scheduled_drill"
INITIATED_BY = "schedule"
STARTED, SKIPPED = "STARTED", "SKIPPED"
_WRITE_ATTEMPTS = 5


def schedule_name(plan_id: str) -> str:
    """The plan's one schedule in the stack's group (Scheduler names: at most 64 characters)."""
    return f"drill-{plan_id}"[:64]


def _invalid(field: str, message: str) -> ValidationFailedError:
    return ValidationFailedError(
        f"invalid {field}: {message}", code="VALIDATION_ERROR", details={"field": field}
    )


def check(deps: Deps, body: dict[str, Any]) -> None:
    """The rules of ``drillSchedule`` the JSON Schema cannot say (422 naming the field); fills in the
    defaults (timezone UTC, enabled)."""
    schedule = body.get("drillSchedule")
    if schedule is None:
        return
    try:
        parsed = parse(schedule["expression"])
    except ExpressionError as e:
        raise _invalid("drillSchedule.expression", str(e)) from e
    if not isinstance(parsed, Rate) and not schedule["expression"].startswith("cron("):
        raise _invalid("drillSchedule.expression", "a drill schedule repeats: use rate(...) or cron(...)")
    schedule.setdefault("timezone", "UTC")
    schedule.setdefault("enabled", True)
    try:
        zone(schedule["timezone"])
    except ExpressionError as e:
        raise _invalid("drillSchedule.timezone", str(e)) from e
    if deps.schedules is None:
        raise _invalid("drillSchedule", "this stack has no schedule group (SCHEDULE_GROUP_NAME)")


def _settings(schedule: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not schedule:
        return None
    return {
        "expression": schedule["expression"],
        "timezone": schedule.get("timezone") or "UTC",
        "enabled": bool(schedule.get("enabled", True)),
    }


def _update_item(deps: Deps, plan_id: str, change: Any) -> dict[str, Any] | None:
    """Apply ``change(current item) -> new item | None (nothing to write)`` conditionally, reading
    again when another writer won; the item as written (or as found when nothing was written)."""
    store = deps.stores.drill_schedules
    for _ in range(_WRITE_ATTEMPTS):
        current = store.get(plan_id)
        new = change(current)
        if new is None:
            return current
        if store.put(new, None if current is None else int(current["version"])):
            return dict(new)
    raise TransientError(f"the drill schedule record of plan {plan_id} kept changing; try again")


def apply(deps: Deps, plan: Mapping[str, Any]) -> None:
    """Make Scheduler hold what the saved plan says (create, update or delete its schedule), then
    record it. Raises (after the plan was saved) DRILL_SCHEDULE_NOT_SAVED when Scheduler failed."""
    plan_id = str(plan["planId"])
    wanted = _settings(plan.get("drillSchedule"))
    if wanted is None and not _applied(deps, plan_id):
        # Nothing to delete: a plan that never had a schedule costs no Scheduler call. (A schedule
        # put whose record was lost deletes itself at its first firing: see fire.)
        return
    try:
        if wanted is not None:
            if deps.schedules is None:
                raise DependencyError("this stack has no schedule group (SCHEDULE_GROUP_NAME)")
            deps.schedules.put(
                schedule_name(plan_id),
                expression=wanted["expression"],
                payload={"operation": OPERATION, "planId": plan_id},
                timezone=wanted["timezone"],
                enabled=wanted["enabled"],
                description=f"Scheduled drill of recovery plan {plan_id}",
            )
        elif deps.schedules is not None:
            deps.schedules.delete(schedule_name(plan_id))
    except OrchestratorError as e:
        error_class = TransientError if isinstance(e, TransientError) else DependencyError
        raise error_class(
            f"recovery plan {plan_id} was saved but its drill schedule was not "
            f"({e.message}); save the plan again to retry",
            code="DRILL_SCHEDULE_NOT_SAVED",
            details={"planId": plan_id},
        ) from e
    now = deps.clock.iso()
    _update_item(
        deps,
        plan_id,
        lambda current: item_for(plan_id, current, applied=wanted, appliedAt=now),
    )


def _applied(deps: Deps, plan_id: str) -> bool:
    return bool((deps.stores.drill_schedules.get(plan_id) or {}).get("applied"))


def remove(deps: Deps, plan_id: str) -> None:
    """Before a plan is deleted: its schedule, then its record (a failure leaves the plan in place)."""
    if deps.schedules is not None and _applied(deps, plan_id):
        deps.schedules.delete(schedule_name(plan_id))
    deps.stores.drill_schedules.delete(plan_id)


def view(deps: Deps, plan_id: str) -> dict[str, Any]:
    """GET /recovery-plans/{planId}/drill-schedule: the plan's schedule, whether Scheduler holds it,
    its next run time and its recent runs (newest first)."""
    plan = deps.stores.plans.get(plan_id)
    wanted = _settings(plan.get("drillSchedule"))
    item = deps.stores.drill_schedules.get(plan_id) or {}
    applied = item.get("applied")
    in_place = wanted == applied
    next_run = None
    if wanted is not None and wanted["enabled"] and in_place:
        anchor = parse_iso(str(item["appliedAt"])) if item.get("appliedAt") else None
        found = next_time(wanted["expression"], wanted["timezone"], deps.clock.now(), anchor=anchor)
        next_run = iso(found) if found else None
    problem = None
    if not in_place:
        problem = (
            "the plan's drill schedule is not in place in EventBridge Scheduler: save the plan again"
            if wanted is not None
            else "a schedule the plan no longer has may still be in place: save the plan again"
        )
    return {
        "planId": plan_id,
        "drillSchedule": wanted,
        "scheduleName": schedule_name(plan_id),
        "inPlace": in_place,
        "problem": problem,
        "nextRunTime": next_run,
        "runs": list(reversed(item.get("runs") or [])),
    }


def _skip_reason(deps: Deps, plan_id: str) -> tuple[str, str, str | None] | None:
    """(code, reason, executionId) when the drill must not start now, else None."""
    holder = deps.stores.locks.holder(plan_lock_id(plan_id))
    if holder:
        return "ACTIVE_EXECUTION", f"execution {holder} of the plan is still active", holder
    result = readiness.readiness(deps, plan_id)
    if result["verdict"] == "NOT_READY":
        failing = [c["message"] for c in result["checks"] if c.get("status") == "FAIL"]
        return (
            "NOT_READY",
            "the plan's readiness verdict is NOT_READY"
            + (
                f": {failing[0]}" + (f" (and {len(failing) - 1} more)" if len(failing) > 1 else "")
                if failing
                else ""
            ),
            None,
        )
    return None


def fire(deps: Deps, event: Mapping[str, Any]) -> dict[str, Any]:
    """A firing of a plan's schedule: its run (STARTED with the executionId, or SKIPPED with the
    reason), recorded once per ``scheduledTime``; {"outcome": "IGNORED"} for a plan deleted or no
    longer scheduled (its leftover schedule is deleted)."""
    plan_id = str(event.get("planId") or "")
    if not plan_id:
        raise ValidationFailedError("a scheduled drill needs planId", code="VALIDATION_ERROR")
    scheduled = str(event.get("scheduledTime") or deps.clock.iso())
    try:
        plan = deps.stores.plans.get(plan_id)
    except NotFoundError:
        if deps.schedules is not None:
            deps.schedules.delete(schedule_name(plan_id))
        logger.info("scheduled drill of a deleted plan", extra={"planId": plan_id})
        return {"planId": plan_id, "outcome": "IGNORED", "reason": "the plan was deleted"}
    wanted = _settings(plan.get("drillSchedule"))
    if wanted is None:
        if deps.schedules is not None:
            deps.schedules.delete(schedule_name(plan_id))
        return {"planId": plan_id, "outcome": "IGNORED", "reason": "the plan has no drill schedule"}
    if not wanted["enabled"]:
        return {"planId": plan_id, "outcome": "IGNORED", "reason": "the plan's drill schedule is disabled"}
    recorded = _run_of(deps, plan_id, scheduled)
    if recorded is None:
        run: dict[str, Any] = {"scheduledTime": scheduled, "firedAt": deps.clock.iso()}
        # A refusal (a conflict, a plan that fails its checks, a permission denied) is the run's
        # outcome, recorded and announced; a passing fault is raised for the redelivery.
        try:
            skip = _skip_reason(deps, plan_id)
            if skip is None:
                execution = create.start_drill(deps, plan_id, "DRILL", initiated_by=INITIATED_BY)
                run.update(outcome=STARTED, executionId=execution["executionId"])
        except TransientError:
            raise
        except OrchestratorError as e:
            skip = (e.code, e.message, e.details.get("executionId"))
        if skip is not None:
            code, reason, execution_id = skip
            run.update(outcome=SKIPPED, reasonCode=code, reason=reason, notified=False)
            if execution_id:
                run["executionId"] = execution_id
        recorded = _record_run(deps, plan_id, run)
        logger.info(
            "scheduled drill",
            extra={"planId": plan_id, "scheduledTime": scheduled, "outcome": recorded.get("outcome")},
        )
    if recorded.get("outcome") == SKIPPED and not recorded.get("notified"):
        _notify(deps, plan_id, str(plan["name"]), recorded)
    return {"planId": plan_id, **recorded}


def _run_of(deps: Deps, plan_id: str, scheduled: str) -> dict[str, Any] | None:
    item = deps.stores.drill_schedules.get(plan_id) or {}
    return next((dict(r) for r in item.get("runs") or [] if r.get("scheduledTime") == scheduled), None)


def _record_run(deps: Deps, plan_id: str, run: dict[str, Any]) -> dict[str, Any]:
    """Record the run unless its firing was recorded meanwhile (then that one is the run)."""

    def change(current: Mapping[str, Any] | None) -> dict[str, Any] | None:
        runs = list((current or {}).get("runs") or [])
        if any(r.get("scheduledTime") == run["scheduledTime"] for r in runs):
            return None
        return item_for(plan_id, current, runs=[*runs, run])

    _update_item(deps, plan_id, change)
    return _run_of(deps, plan_id, run["scheduledTime"]) or run


def _notify(deps: Deps, plan_id: str, plan_name: str, run: Mapping[str, Any]) -> None:
    if deps.drill_notifier is None:
        logger.warning("a skipped scheduled drill is not announced: no topic", extra={"planId": plan_id})
        return
    deps.drill_notifier.skipped(plan_id, plan_name, run)

    def change(current: Mapping[str, Any] | None) -> dict[str, Any] | None:
        runs = [dict(r) for r in (current or {}).get("runs") or []]
        mine = [r for r in runs if r.get("scheduledTime") == run["scheduledTime"]]
        if not mine or mine[0].get("notified"):
            return None
        mine[0]["notified"] = True
        return item_for(plan_id, current, runs=runs)

    _update_item(deps, plan_id, change)
