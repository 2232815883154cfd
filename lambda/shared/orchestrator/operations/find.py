"""find (EventBridge schedule): reconcile active executions with Step Functions, refresh the server
data of executions nobody polls (a PAUSED one waits on its task token for hours), follow
termination jobs, and move to the timeline the events left in an execution's outbox (active or
ended: the EventsIndex). Never finalizes an execution whose state machine is still running."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from execution_utils import ServerPhase, is_active, is_terminal, server_is_ready, server_phase
from orchestrator.deps import Deps
from orchestrator.exceptions import NotFoundError, OrchestratorError
from orchestrator.model import ExecutionRecord, ServerRecord, options_of, with_fields
from orchestrator.operations import drill_network
from orchestrator.operations.control import deliver_pending_action, pending_action
from orchestrator.operations.finalize import finalize_execution
from orchestrator.operations.poll import follow_jobs
from orchestrator.operations.report import store_report
from orchestrator.operations.terminate import follow_termination
from orchestrator.operations.timeline import flush_events

logger = logging.getLogger(__name__)
# A PENDING record whose state machine never appeared is given this long before it is failed.
START_GRACE_SECONDS = 300
DEAD_STATES = {"FAILED", "TIMED_OUT", "ABORTED", "SUCCEEDED"}
# Server data older than this (no poll, no refresh) is refreshed from EC2 by find.
STALE_SERVER_SECONDS = 600
MAX_REFRESHED_PER_EXECUTION = 400
OUTCOMES = frozenset({ServerPhase.READY, ServerPhase.FAILED})
# A resume or cancel recorded this long ago whose task token is still held was not delivered.
UNDELIVERED_ACTION_SECONDS = 30


def refresh_stale_servers(deps: Deps, execution: ExecutionRecord) -> int:
    """EC2 state of the launched servers of an execution whose data went stale; returns how many
    server items changed. Statuses are left alone: only poll and finalize decide those."""
    marks = [t for t in (execution.get("lastPolledTime"), execution.get("serversRefreshedTime")) if t]
    if not marks or deps.clock.seconds_since(max(marks)) < STALE_SERVER_SECONDS:
        return 0
    readiness = options_of(execution)["readinessCheck"]
    launched = [s for s in deps.stores.servers.all(execution["executionId"]) if s.get("ec2InstanceId")]
    launched.sort(key=lambda s: str(s.get("updatedAt") or ""))
    launched = launched[:MAX_REFRESHED_PER_EXECUTION]
    details = deps.ec2.instances([s["ec2InstanceId"] for s in launched]) if launched else {}
    now = deps.clock.iso()
    changed: list[ServerRecord] = []
    for server in launched:
        state = (details.get(server["ec2InstanceId"]) or {}).get("ec2State", "terminated")
        fresh = with_fields(server, ec2State=state)
        fresh["ready"] = server_is_ready(fresh, readiness)
        # The phase follows the outcome it names: a READY server whose instance stopped is FAILED
        # now; a NOT_READY or launching one keeps its phase until the poll or finalize settles it.
        phase = server_phase(fresh, readiness)
        if phase is not None and (phase in OUTCOMES or server.get("phase") in OUTCOMES):
            fresh["phase"] = str(phase)
        if (fresh["ec2State"], fresh["ready"], fresh.get("phase")) != (
            server.get("ec2State"),
            server.get("ready"),
            server.get("phase"),
        ):
            changed.append(with_fields(fresh, updatedAt=now))
    if changed:
        deps.stores.servers.put_many(changed)
    deps.stores.executions.record_servers_refreshed(execution, now=now)
    return len(changed)


def execution_arn(deps: Deps, execution: ExecutionRecord) -> str:
    if execution.get("sfnExecutionArn"):
        return str(execution["sfnExecutionArn"])
    machine: str = deps.config.state_machine_arn
    return machine.replace(":stateMachine:", ":execution:") + ":" + str(execution["executionId"])


def _reconcile(deps: Deps, execution: ExecutionRecord) -> tuple[str, ExecutionRecord | None]:
    """One active execution against its state machine: (what was done, the reconciled record)."""
    described = deps.sfn.describe(execution_arn(deps, execution))
    state = described.get("status")
    if state == "RUNNING":
        action = pending_action(execution)
        since = str(execution.get("taskActionTime") or execution["startTime"])
        if action and deps.clock.seconds_since(since) >= UNDELIVERED_ACTION_SECONDS:
            # A resume or cancel was recorded but its SendTaskSuccess failed: deliver it now.
            deliver_pending_action(deps, execution)
            return "delivered", None
        return "refreshed" if refresh_stale_servers(deps, execution) else "running", None
    if state == "DOES_NOT_EXIST":
        if deps.clock.seconds_since(execution["startTime"]) < START_GRACE_SECONDS:
            return "starting", None
        reason = "the state machine execution never started"
    elif state in DEAD_STATES:
        detail = described.get("error") or described.get("cause") or ""
        reason = f"the state machine execution ended {state}" + (f" ({detail})" if detail else "")
    else:
        return "running", None
    record = finalize_execution(deps, execution["executionId"], error=reason)
    logger.warning("execution reconciled", extra={"executionId": execution["executionId"], "reason": reason})
    return "reconciled", record


def sweep_locks(deps: Deps) -> list[str]:
    """Release the locks of executions that ended (a finalize whose release failed) or never came
    to be (a start that died between taking its locks and recording the execution)."""
    swept = []
    for holder, held in deps.stores.locks.holders().items():
        try:
            if is_active(deps.stores.executions.get(holder)["status"]):
                continue
        except NotFoundError:
            if deps.clock.seconds_since(held.since) < START_GRACE_SECONDS:
                continue  # being created right now
        deps.stores.locks.release_held(held.lock_ids, holder)
        swept.append(holder)
        logger.warning(
            "locks of an ended execution released", extra={"executionId": holder, "locks": len(held.lock_ids)}
        )
    return swept


def _each(
    deps: Deps,
    executions: Iterable[ExecutionRecord],
    step: Callable[[Deps, ExecutionRecord], object],
    done: list[str],
    errors: list[dict[str, Any]],
) -> None:
    """``step`` on each execution: its id to ``done`` when the step says it is done (truthy), its
    error to ``errors`` when it fails (the next find tries again)."""
    for execution in executions:
        try:
            if step(deps, execution):
                done.append(execution["executionId"])
        except OrchestratorError as e:
            errors.append({"executionId": execution["executionId"], "error": e.message})


def _flushed(deps: Deps, execution: ExecutionRecord) -> bool:
    flush_outbox(deps, execution)
    return True


def flush_outbox(deps: Deps, execution: ExecutionRecord) -> None:
    """The events a control left in the execution's outbox, to its timeline; an ended execution's
    stored report is written again to hold them (one written later builds from the timeline)."""
    record = flush_events(deps, execution)
    if is_terminal(record["status"]) and record.get("reportLocation"):
        try:
            store_report(deps, record, why="LATE_EVENTS")
        except OrchestratorError as e:
            logger.warning(
                "report not rewritten after late events",
                extra={"executionId": record["executionId"], "error": e.message},
            )


def find(deps: Deps) -> dict[str, Any]:
    checked = 0
    flushed: list[str] = []
    reconciled: list[dict[str, Any]] = []
    delivered: list[str] = []
    finished: list[str] = []
    followed: list[str] = []
    refreshed = 0
    errors: list[dict[str, Any]] = []
    for execution in deps.stores.executions.active():
        checked += 1
        try:
            outcome, record = _reconcile(deps, execution)
        except OrchestratorError as e:
            errors.append({"executionId": execution["executionId"], "error": e.message})
            continue
        refreshed += outcome == "refreshed"
        if outcome == "delivered":
            delivered.append(execution["executionId"])
        if record is not None:
            reconciled.append({"executionId": execution["executionId"], "status": record["status"]})
    _each(deps, deps.stores.executions.with_pending_events(), _flushed, flushed, errors)
    _each(deps, deps.stores.executions.following_jobs(), follow_jobs, followed, errors)
    try:
        swept = sweep_locks(deps)
    except OrchestratorError as e:
        swept = []
        errors.append({"locks": True, "error": e.message})
    _each(deps, deps.stores.executions.terminating(), follow_termination, finished, errors)
    repaired: list[str] = []
    _each(deps, deps.stores.executions.with_overrides_pending(), drill_network.repair, repaired, errors)
    return {
        "checked": checked,
        "reconciled": reconciled,
        "actionsDelivered": delivered,
        "serversRefreshed": refreshed,
        "jobsFollowed": followed,
        "locksReleased": swept,
        "terminationsFinished": finished,
        "eventsWritten": flushed,
        "overridesRestored": repaired,
        "errors": errors,
    }
