"""The automatic cleanup of a drill's recovery instances (options.drillCleanupAfterHours).

When a DRILL that launched instances ends, finalize records ``cleanupAt`` (its end plus the plan's
hours, in the same write as the end time) and ``arrange`` puts two one-time schedules named after
the execution: the warning an hour before (sent right away when that moment has passed) and the
cleanup. Each firing carries the ``cleanupAt`` it was made for: a firing whose value is no longer the
record's (a postpone moved it) does nothing, and neither does one after the instances were
terminated or are being terminated. The cleanup terminates through the same code path as a manual
terminate (terminate.start_termination: every instance the execution launched, nothing else), with
"automatic cleanup" as who asked, then announces it. A postpone moves ``cleanupAt`` with a write
conditional on the value read and puts both schedules again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from execution_utils import (
    AUTOMATIC_CLEANUP,
    CLEANUP_MAX_HOURS,
    CLEANUP_MIN_HOURS,
    ExecutionType,
    cleanup_pending,
    cleanup_time,
    cleanup_warning_time,
    postponed_cleanup_time,
)
from orchestrator import timeutil
from orchestrator.aws import scheduler
from orchestrator.aws.ports import Schedules
from orchestrator.deps import Deps
from orchestrator.exceptions import (
    ConflictError,
    OrchestratorError,
    StaleWriteError,
    ValidationFailedError,
)
from orchestrator.identity import ActorLike
from orchestrator.model import ExecutionRecord, options_of
from orchestrator.notify.cleanup import DONE, WARNING, CleanupNotice

logger = logging.getLogger(__name__)

CLEANUP_OPERATION = "cleanup"
WARNING_OPERATION = "cleanup_warning"
NOTICE_ATTEMPTS = 3
ARRANGE_ATTEMPTS = 3
# A cleanup that fired while the drill's DRS jobs still ran fires again this much later.
CLEANUP_RETRY_SECONDS = 600


def retry_schedule_name(execution_id: str) -> str:
    """The cleanup fired while the drill's DRS jobs still ran: it fires again under this name (not
    its own, which Scheduler deletes after that firing)."""
    return f"drill-cleanup-retry-{execution_id}"


def schedule_names(execution_id: str) -> tuple[str, str]:
    """(the warning's schedule, the cleanup's schedule), derived from the execution id (Scheduler
    names: 64 characters of ``[0-9a-zA-Z-_.]``; an execution id is a UUID)."""
    return f"drill-cleanup-warning-{execution_id}", f"drill-cleanup-{execution_id}"


def at_expression(moment: str) -> str:
    """A one-time schedule's ``at(yyyy-mm-ddThh:mm:ss)`` (UTC), rounded up to the whole second so
    that it never fires before ``moment``."""
    parsed = timeutil.parse_iso(moment)
    if parsed.microsecond:
        parsed = parsed.replace(microsecond=0) + timedelta(seconds=1)
    return scheduler.at_expression(parsed)


def due_at(execution: ExecutionRecord, end_time: str, *, instances_left: bool) -> str | None:
    """The ``cleanupAt`` finalize records: a DRILL that left recovery instances and whose plan sets
    drillCleanupAfterHours; never for a RECOVERY."""
    hours = options_of(execution).get("drillCleanupAfterHours")
    if execution.get("executionType") != ExecutionType.DRILL or not hours or not instances_left:
        return None
    return cleanup_time(end_time, int(hours))


def _payload(operation: str, execution: ExecutionRecord) -> dict[str, Any]:
    return {
        "operation": operation,
        "executionId": execution["executionId"],
        "cleanupAt": execution["cleanupAt"],
    }


def arrange(deps: Deps, execution: ExecutionRecord) -> None:
    """Put (create or update) the schedules of the execution's pending cleanup; send the warning now
    when its moment has passed. Idempotent. A schedule that cannot be put raises (a cleanup that
    never fires must not go unnoticed); a warning that cannot be sent is logged and owed to the
    next call (its channels already sent are not sent again).

    After its puts it reads the record again: when a postpone moved cleanupAt meanwhile (finalize
    and a postpone racing, each putting the value it read), it puts the schedules again for the value
    stored, so the schedules always end on the record's cleanupAt whoever puts last."""
    for _attempt in range(ARRANGE_ATTEMPTS):
        if not cleanup_pending(execution):
            return
        if deps.schedules is None:
            logger.error(
                "automatic cleanup not scheduled: the stack has no scheduler",
                extra={"executionId": execution["executionId"]},
            )
            return
        _put_schedules(deps, deps.schedules, execution)
        fresh = deps.stores.executions.get(execution["executionId"])
        if fresh.get("cleanupAt") == execution.get("cleanupAt"):
            return
        execution = fresh
    logger.error(
        "the schedules of an automatic cleanup may not hold its time: cleanupAt kept changing",
        extra={"executionId": execution["executionId"], "cleanupAt": execution.get("cleanupAt")},
    )


def _put_schedules(deps: Deps, schedules: Schedules, execution: ExecutionRecord) -> None:
    cleanup_at = str(execution["cleanupAt"])
    warning_name, cleanup_name = schedule_names(execution["executionId"])
    described = f"{execution.get('planName') or execution['planId']} drill {execution['executionId']}"[:500]

    def once(name: str, moment: str, operation: str, description: str) -> None:
        schedules.put(
            name,
            expression=at_expression(moment),
            payload=_payload(operation, execution),
            timezone="UTC",
            one_time=True,
            description=description[:512],
        )

    once(cleanup_name, cleanup_at, CLEANUP_OPERATION, f"Automatic cleanup of {described}")
    warn_at = cleanup_warning_time(cleanup_at)
    if timeutil.parse_iso(warn_at) > deps.clock.now():
        once(warning_name, warn_at, WARNING_OPERATION, f"Warning before the automatic cleanup of {described}")
        return
    # The warning's moment has passed: a schedule left from an earlier cleanupAt goes, and the
    # warning goes out now.
    schedules.delete(warning_name)
    try:
        announce(deps, execution, WARNING)
    except OrchestratorError as e:
        logger.error(
            "cleanup warning not sent",
            extra={"executionId": execution["executionId"], "error": e.message},
        )


def announce(deps: Deps, execution: ExecutionRecord, kind: str) -> ExecutionRecord:
    """Send the notice of ``kind`` for the record's cleanupAt on each channel not yet recorded as
    sent (``cleanupNotices``), recording each right after it went out. Raises a domain error when a
    channel fails (the channels sent before it stay recorded)."""
    announcer = deps.cleanup_announcer
    if announcer is None:
        return execution
    notice = CleanupNotice(
        kind=kind,
        execution_id=execution["executionId"],
        plan_id=execution["planId"],
        plan_name=str(execution.get("planName") or execution["planId"]),
        cleanup_at=str(execution["cleanupAt"]),
        instances=execution.get("terminatingInstances") if kind == DONE else None,
    )
    for channel in announcer.channels:
        key = f"{kind}#{notice.cleanup_at}#{channel}"
        if key in (execution.get("cleanupNotices") or []):
            continue
        announcer.send(channel, notice)
        execution = _record_notice(deps, execution, key)
    return execution


def _record_notice(deps: Deps, execution: ExecutionRecord, key: str) -> ExecutionRecord:
    for _attempt in range(NOTICE_ATTEMPTS):
        try:
            return deps.stores.executions.record_cleanup_notice(execution, key)
        except StaleWriteError:
            execution = deps.stores.executions.get(execution["executionId"])
            if key in (execution.get("cleanupNotices") or []):
                return execution
    logger.warning(
        "cleanup notice not recorded", extra={"executionId": execution["executionId"], "notice": key}
    )
    return execution


def _stale(deps: Deps, execution: ExecutionRecord, event: Mapping[str, Any]) -> bool:
    """The firing was made for another cleanupAt than the record's (a postpone moved it)."""
    if event.get("cleanupAt") == execution.get("cleanupAt"):
        return False
    logger.info(
        "stale cleanup firing ignored",
        extra={
            "executionId": execution["executionId"],
            "firedFor": event.get("cleanupAt"),
            "cleanupAt": execution.get("cleanupAt"),
        },
    )
    return True


def _fired(deps: Deps, event: Mapping[str, Any]) -> ExecutionRecord | None:
    execution_id = str(event.get("executionId") or "")
    if not execution_id:
        logger.error("cleanup firing without an execution id", extra={"event": dict(event)})
        return None
    execution = deps.stores.executions.get(execution_id)
    return None if _stale(deps, execution, event) else execution


def fire_warning(deps: Deps, event: Mapping[str, Any]) -> dict[str, Any]:
    """The warning's schedule fired: notify, unless the firing is stale or nothing is left to clean."""
    execution = _fired(deps, event)
    if execution is None:
        return {"outcome": "STALE"}
    if not cleanup_pending(execution):
        return {"outcome": "NOTHING_TO_DO"}
    announce(deps, execution, WARNING)
    return {"outcome": "WARNED", "cleanupAt": execution["cleanupAt"]}


def fire_cleanup(deps: Deps, event: Mapping[str, Any]) -> dict[str, Any]:
    """The cleanup's schedule fired: terminate the execution's recovery instances as a manual
    terminate does, recording "automatic cleanup" as who asked, then notify. A repeated firing sends
    only the notice still owed; a firing after a manual terminate, or a stale one, does nothing."""
    execution = _fired(deps, event)
    if execution is None:
        return {"outcome": "STALE"}
    if not cleanup_pending(execution):
        if execution.get("terminationRequestedBy") == AUTOMATIC_CLEANUP:
            announce(deps, execution, DONE)  # a repeat of this firing: the notice may be owed
            return {"outcome": "TERMINATION_STARTED", "instances": execution.get("terminatingInstances", 0)}
        return {"outcome": "NOTHING_TO_DO"}
    # Imported here: terminate reaches finalize (through the report), which arranges cleanups.
    from orchestrator.operations import terminate

    try:
        record = terminate.start_termination(deps, execution["executionId"], actor=AUTOMATIC_CLEANUP)
    except ConflictError as e:
        if execution.get("jobsPending") and deps.schedules is not None:
            # DRS jobs of the drill may still launch instances: terminate once they ended (the
            # scheduled find follows them), so the cleanup fires again a little later.
            retry_at = timeutil.iso(deps.clock.now() + timedelta(seconds=CLEANUP_RETRY_SECONDS))
            deps.schedules.put(
                retry_schedule_name(execution["executionId"]),
                expression=at_expression(retry_at),
                payload=_payload(CLEANUP_OPERATION, execution),
                timezone="UTC",
                one_time=True,
                description=f"Automatic cleanup of drill {execution['executionId']}, again once its DRS jobs ended",
            )
            logger.info(
                "automatic cleanup waits for the drill's DRS jobs",
                extra={"executionId": execution["executionId"], "retryAt": retry_at},
            )
            return {"outcome": "RETRY_LATER", "retryAt": retry_at, "reason": e.message}
        logger.warning(
            "automatic cleanup did not terminate",
            extra={"executionId": execution["executionId"], "reason": e.message},
        )
        return {"outcome": "NOT_TERMINATED", "reason": e.message}
    logger.info(
        "automatic cleanup started the termination",
        extra={"executionId": record["executionId"], "instances": record.get("terminatingInstances", 0)},
    )
    announce(deps, record, DONE)
    return {"outcome": "TERMINATION_STARTED", "instances": record.get("terminatingInstances", 0)}


def postpone(deps: Deps, execution_id: str, *, hours: int, actor: ActorLike) -> ExecutionRecord:
    """POST /executions/{id}/cleanup: move cleanupAt ``hours`` later (from now when it has passed),
    once per value read (a concurrent postpone or terminate wins: 409), then put both schedules again."""
    execution = deps.stores.executions.get(execution_id)
    if execution.get("executionType") != ExecutionType.DRILL:
        raise ValidationFailedError(
            f"execution {execution_id} is a RECOVERY: its instances are never cleaned up automatically",
            code="RECOVERY_HAS_NO_CLEANUP",
        )
    if not CLEANUP_MIN_HOURS <= hours <= CLEANUP_MAX_HOURS:
        raise ValidationFailedError(
            f"postponeHours must be {CLEANUP_MIN_HOURS} to {CLEANUP_MAX_HOURS}", code="INVALID_POSTPONE"
        )
    if not execution.get("cleanupAt"):
        raise ConflictError(f"execution {execution_id} has no automatic cleanup", code="NO_CLEANUP")
    if not cleanup_pending(execution):
        raise ConflictError(
            f"the recovery instances of execution {execution_id} are already terminated or being terminated",
            code="CLEANUP_DONE",
        )
    now = deps.clock.iso()
    moved = postponed_cleanup_time(str(execution["cleanupAt"]), now, hours)
    try:
        record = deps.stores.executions.postpone_cleanup(execution, cleanup_at=moved, actor=actor, now=now)
    except StaleWriteError as e:
        fresh = deps.stores.executions.get(execution_id)
        what = (
            "its instances are being terminated"
            if not cleanup_pending(fresh)
            else f"its cleanup was moved to {fresh.get('cleanupAt')} meanwhile"
        )
        raise ConflictError(
            f"the cleanup of execution {execution_id} changed since it was read: {what}",
            code="CLEANUP_CHANGED",
        ) from e
    logger.info("cleanup postponed", extra={"executionId": execution_id, "cleanupAt": moved})
    arrange(deps, record)
    return record
