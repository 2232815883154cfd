"""Operator controls behind the API: pause, resume, cancel. Each is a conditional write on the
status (and version) it read, so a racing control gets a clear conflict instead of a lost update.

Resume and cancel of a PAUSED execution record the new status *and keep the task token* until the
state machine has been told: if SendTaskSuccess fails (throttled, network), the record still holds
the token, a retried request sends it again, and the scheduled ``find`` does so by itself
(``deliver_pending_action``). The token is removed only once it was delivered (or is known dead).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, cast

from execution_utils import (
    ActionStatus,
    ExecutionStatus,
    ExecutionType,
    PauseReason,
    WaveStatus,
    after_skip_text,
    normalize_execution_status,
    paused_seconds,
    transition,
    wave_for_retry,
)
from orchestrator.deps import Deps
from orchestrator.exceptions import ConflictError, StaleWriteError, ValidationFailedError
from orchestrator.model import ActionRecord, ExecutionRecord, WaveRecord
from orchestrator.operations.catalog import require_plan_name
from orchestrator.operations.timeline import note

logger = logging.getLogger(__name__)

# The action a held task token is waiting to receive, by the status recorded beside it.
_PENDING_ACTION = {ExecutionStatus.IN_PROGRESS: "RESUME", ExecutionStatus.CANCELLING: "CANCEL"}


def _conflict(execution: ExecutionRecord, action: str, why: str) -> ConflictError:
    return ConflictError(
        f"cannot {action} execution {execution['executionId']}: {why}",
        code="INVALID_STATE",
        details={"status": str(normalize_execution_status(execution["status"]))},
    )


def _raced(execution_id: str, action: str) -> ConflictError:
    return ConflictError(
        f"execution {execution_id} changed while the {action} was being applied; read it again",
        code="CONCURRENT_UPDATE",
    )


def pending_action(execution: ExecutionRecord) -> str | None:
    """RESUME or CANCEL when the record holds a task token the state machine has not received yet."""
    if not execution.get("taskToken"):
        return None
    return _PENDING_ACTION.get(normalize_execution_status(execution["status"]))


def deliver_pending_action(deps: Deps, execution: ExecutionRecord) -> ExecutionRecord:
    """Complete the held task token with the recorded action, then forget the token.

    Idempotent: a token already completed (or whose state machine is gone) answers NOT_WAITING,
    which also ends with the token forgotten. A transient failure leaves the token in place.
    """
    action = pending_action(execution)
    if action is None:
        return execution
    token = execution["taskToken"]
    try:
        deps.sfn.send_action(token, action)
    except ConflictError as e:
        if e.code != "NOT_WAITING":
            raise
        logger.warning(
            "task token no longer waiting", extra={"executionId": execution["executionId"], "action": action}
        )
    return deps.stores.executions.forget_task_token(execution, token)


def request_pause(deps: Deps, execution_id: str, *, actor: str = "unknown") -> ExecutionRecord:
    """Ask the execution to pause before its next wave (honoured at the next wave boundary)."""
    execution = deps.stores.executions.get(execution_id)
    status = normalize_execution_status(execution["status"])
    if status not in (ExecutionStatus.PENDING, ExecutionStatus.IN_PROGRESS):
        raise _conflict(execution, "pause", f"it is {status}")
    if execution.get("pauseRequested"):
        raise _conflict(execution, "pause", "a pause is already requested")
    if not any(w.get("status") == WaveStatus.NOT_STARTED for w in execution.get("waves", [])):
        raise _conflict(execution, "pause", "no wave is left to pause before")
    try:
        record = deps.stores.executions.request_pause(execution, actor=actor, now=deps.clock.iso())
    except StaleWriteError as e:
        raise _raced(execution_id, "pause") from e
    logger.info("pause requested", extra={"executionId": execution_id, "actor": actor})
    note(
        deps,
        execution_id,
        f"PAUSE_REQUESTED#{record['currentWave']}",
        "PAUSE_REQUESTED",
        "pause requested: the execution pauses before its next wave",
        actor=actor,
    )
    return record


def resume(
    deps: Deps, execution_id: str, *, actor: str = "unknown", comment: str | None = None
) -> ExecutionRecord:
    execution = deps.stores.executions.get(execution_id)
    status = normalize_execution_status(execution["status"])
    if pending_action(execution) == "RESUME":
        # A resume was recorded but the state machine may not have heard it: say it again.
        return deliver_pending_action(deps, execution)
    if status is not ExecutionStatus.PAUSED or not execution.get("taskToken"):
        raise _conflict(execution, "resume", f"it is {status}, not PAUSED")
    reason = execution.get("pauseReason")
    if reason == PauseReason.WAVE_FAILED:
        raise _conflict(
            execution,
            "resume",
            f"wave {execution.get('pausedWave')} failed; retry it, skip it or cancel the execution",
        )
    transition(status, ExecutionStatus.IN_PROGRESS)
    if reason == PauseReason.APPROVAL:
        return _approve(deps, execution, actor=actor, comment=comment)
    now = deps.clock.iso()
    try:
        record = deps.stores.executions.record_resume(
            execution, actor=actor, comment=comment, now=now, paused_seconds=paused_seconds(execution, now)
        )
    except StaleWriteError as e:
        raise _raced(execution_id, "resume") from e
    before = int(execution.get("pausedBeforeWave") or 0)
    note(
        deps,
        execution_id,
        f"RESUMED#{before}",
        "RESUMED",
        f"resumed before wave {before}" + (f": {comment}" if comment else ""),
        time=now,
        wave=before or None,
        actor=actor,
        details={"comment": comment} if comment else None,
    )
    logger.info(
        "execution resumed",
        extra={"executionId": execution_id, "wave": execution.get("pausedBeforeWave"), "actor": actor},
    )
    return deliver_pending_action(deps, record)


def _approve(deps: Deps, execution: ExecutionRecord, *, actor: str, comment: str | None) -> ExecutionRecord:
    """The resume of an APPROVAL pause: the action SUCCEEDED, approved by ``actor``."""
    execution_id = execution["executionId"]
    index = int(execution.get("pausedWave") or 0) - 1
    actions = execution["waves"][index].get("actions") or [] if 0 <= index < len(execution["waves"]) else []
    found = [
        (position, action)
        for position, action in enumerate(actions)
        if action["name"] == execution.get("pausedAction") and action["status"] == ActionStatus.RUNNING
    ]
    if not found:
        raise _conflict(execution, "approve", "no approval is waiting")
    position, action = found[0]
    now = deps.clock.iso()
    kept = {k: v for k, v in action.items() if k not in ("attemptStartTime", "handle", "error")}
    approved = cast(
        ActionRecord, {**kept, "status": str(ActionStatus.SUCCEEDED), "endTime": now, "approvedBy": actor}
    )
    if comment:
        approved["comment"] = comment
    try:
        record = deps.stores.executions.record_approval(
            execution,
            index,
            position,
            approved,
            actor=actor,
            comment=comment,
            now=now,
            paused_seconds=paused_seconds(execution, now),
        )
    except StaleWriteError as e:
        raise _raced(execution_id, "approval") from e
    note(
        deps,
        execution_id,
        f"APPROVED#{index + 1}#{action['name']}#{action['attempts']}",
        "APPROVED",
        f"{action['name']} approved by {actor}" + (f": {comment}" if comment else ""),
        time=now,
        wave=index + 1,
        actor=actor,
        details={"action": action["name"], **({"comment": comment} if comment else {})},
    )
    logger.info(
        "approval given", extra={"executionId": execution_id, "action": action["name"], "actor": actor}
    )
    return deliver_pending_action(deps, record)


def _failed_wave(execution: ExecutionRecord, action: str) -> int:
    """The index of the wave a WAVE_FAILED pause waits on; a conflict for any other state."""
    status = normalize_execution_status(execution["status"])
    if status is not ExecutionStatus.PAUSED or execution.get("pauseReason") != PauseReason.WAVE_FAILED:
        why = f"it is {status}" + (
            f" ({execution.get('pauseReason')})" if status is ExecutionStatus.PAUSED else ""
        )
        raise _conflict(execution, action, why + "; only a wave failed with onWaveFailure PAUSE can be")
    index = int(execution.get("pausedWave") or 0) - 1
    if not 0 <= index < len(execution["waves"]) or execution["waves"][index]["status"] != WaveStatus.FAILED:
        raise _conflict(execution, action, "the paused wave is not FAILED")
    return index


def retry_wave(
    deps: Deps,
    execution_id: str,
    *,
    actor: str = "unknown",
    comment: str | None = None,
    recovery_confirmed_plan_name: str | None = None,
) -> ExecutionRecord:
    """POST /executions/{id}/retry: the failed wave runs again: its failed CRITICAL servers are
    launched again (new DRS jobs, followed with the old ones) and its failed actions rerun. A
    RECOVERY's wave is retried only through POST /executions/{id}/retry-recovery, with the plan's
    name typed again (it launches production servers)."""

    def check(execution: ExecutionRecord) -> None:
        if execution["executionType"] != ExecutionType.RECOVERY:
            return
        if recovery_confirmed_plan_name is None:
            raise ValidationFailedError(
                "the wave of a RECOVERY is retried only with POST /executions/{executionId}/retry-recovery "
                'and {"confirmPlanName": <the plan\'s name>}',
                code="RECOVERY_ROUTE_REQUIRED",
            )
        require_plan_name(
            recovery_confirmed_plan_name, execution["planName"], "the execution's recovery plan"
        )

    def retried(execution: ExecutionRecord, index: int) -> tuple[WaveRecord, str, dict[str, Any]]:
        servers = deps.stores.servers.wave(execution_id, index + 1)
        wave = cast(WaveRecord, {**wave_for_retry(execution["waves"][index], servers), "retriedBy": actor})
        relaunch = wave.get("relaunchServerIds") or []
        what = f"{len(relaunch)} server(s) launched again" if relaunch else "its failed actions run again"
        return wave, what, {"retry": wave["retries"], "relaunchServerIds": relaunch[:50]}

    return _decide(deps, execution_id, "retry", actor=actor, comment=comment, check=check, decide=retried)


def skip_wave(
    deps: Deps, execution_id: str, *, actor: str = "unknown", comment: str | None = None
) -> ExecutionRecord:
    """POST /executions/{id}/skip: the failed wave becomes SKIPPED and the next wave starts (the
    execution finishes when it was the last); the execution can no longer be COMPLETED."""

    def skipped(execution: ExecutionRecord, index: int) -> tuple[WaveRecord, str, dict[str, Any]]:
        wave = cast(
            WaveRecord, {**execution["waves"][index], "status": str(WaveStatus.SKIPPED), "skippedBy": actor}
        )
        if comment:
            wave["skipComment"] = comment
        return wave, after_skip_text(execution["waves"], index), {}

    return _decide(deps, execution_id, "skip", actor=actor, comment=comment, check=None, decide=skipped)


# What the operator's decision makes of the failed wave: (the wave as it leaves it, what happens
# next in words, timeline details).
Decision = Callable[[ExecutionRecord, int], tuple[WaveRecord, str, dict[str, Any]]]


def _decide(
    deps: Deps,
    execution_id: str,
    verb: str,
    *,
    actor: str,
    comment: str | None,
    check: Callable[[ExecutionRecord], None] | None,
    decide: Decision,
) -> ExecutionRecord:
    """Retry or skip the wave a WAVE_FAILED pause waits on: one conditional write, the timeline
    event, then the held task token delivered (a repeated request delivers it again)."""
    execution = deps.stores.executions.get(execution_id)
    if check:
        check(execution)
    if pending_action(execution) == "RESUME" and execution.get("pauseReason") == PauseReason.WAVE_FAILED:
        return deliver_pending_action(deps, execution)
    index = _failed_wave(execution, verb)
    wave, what, details = decide(execution, index)
    now = deps.clock.iso()
    try:
        record = deps.stores.executions.record_wave_decision(
            execution,
            index,
            wave,
            actor=actor,
            comment=comment,
            now=now,
            paused_seconds=paused_seconds(execution, now),
        )
    except StaleWriteError as e:
        raise _raced(execution_id, verb) from e
    past = {"retry": "retried", "skip": "skipped"}[verb]
    kind = f"WAVE_{past.upper()}"
    number = index + 1
    note(
        deps,
        execution_id,
        f"{kind}#{number}#{wave.get('retries') or 0}",
        kind,
        f"wave {number} ({wave['waveName']}) {past} by {actor}: {what}" + (f": {comment}" if comment else ""),
        time=now,
        wave=number,
        actor=actor,
        details={**details, **({"comment": comment} if comment else {})} or None,
    )
    logger.info(f"wave {past}", extra={"executionId": execution_id, "wave": number, "actor": actor})
    return deliver_pending_action(deps, record)


def cancel(
    deps: Deps, execution_id: str, *, actor: str = "unknown", reason: str | None = None
) -> ExecutionRecord:
    """CANCELLING; a started wave is followed to the end of its DRS jobs, then the state machine
    finalizes. A paused execution's token is completed so it finalizes at once."""
    execution = deps.stores.executions.get(execution_id)
    status = normalize_execution_status(execution["status"])
    if pending_action(execution) == "CANCEL":
        return deliver_pending_action(deps, execution)
    if status not in (ExecutionStatus.PENDING, ExecutionStatus.IN_PROGRESS, ExecutionStatus.PAUSED):
        raise _conflict(execution, "cancel", f"it is {status}")
    transition(status, ExecutionStatus.CANCELLING)
    now = deps.clock.iso()
    paused = paused_seconds(execution, now) if status is ExecutionStatus.PAUSED else None
    try:
        record = deps.stores.executions.request_cancel(
            execution, actor=actor, reason=reason, now=now, paused_seconds=paused
        )
    except StaleWriteError as e:
        raise _raced(execution_id, "cancel") from e
    note(
        deps,
        execution_id,
        "CANCEL_REQUESTED",
        "CANCEL_REQUESTED",
        "cancel requested" + (f": {reason}" if reason else ""),
        time=now,
        actor=actor,
        details={"reason": reason} if reason else None,
    )
    logger.info(
        "execution cancelling", extra={"executionId": execution_id, "from": str(status), "actor": actor}
    )
    return deliver_pending_action(deps, record)
