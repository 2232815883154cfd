"""Operator controls behind the API: pause, resume, cancel. Each is a conditional write on the
status (and version) it read, so a racing control gets a clear conflict instead of a lost update.

Resume and cancel of a PAUSED execution record the new status *and keep the task token* until the
state machine has been told: if SendTaskSuccess fails (throttled, network), the record still holds
the token, a retried request sends it again, and the scheduled ``find`` does so by itself
(``deliver_pending_action``). The token is removed only once it was delivered (or is known dead).

A pause is decided once. Of callers racing to decide it (approve, resume, retry, skip, cancel), exactly
one wins; every other gets 409 ``ALREADY_DECIDED`` naming the decision, who made it and when. Only
the same caller repeating the same decision (a retried request) gets 200 again, and that repeat
delivers a token still held. A conditional write that fails because the system wrote meanwhile (the
state machine moving PENDING to IN_PROGRESS, a poll) is read again and re-applied when the decision
still holds, a bounded number of times: the caller sees a conflict only when someone else decided.

The timeline event of each control (PAUSE_REQUESTED, RESUMED, APPROVED, WAVE_RETRIED, WAVE_SKIPPED,
CANCEL_REQUESTED: who decided what) is written in the same conditional write as the decision, to
the record's outbox (``pendingEvents``), then moved to the timeline. If the timeline cannot be
written, the decision still stands and is answered as usual: the event waits in the outbox, and
the next state machine step, the scheduled ``find`` or the report moves it (``flush_events``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Literal, cast

from execution_utils import (
    ActionStatus,
    ExecutionStatus,
    ExecutionType,
    PauseReason,
    WaveStatus,
    after_skip_text,
    is_terminal,
    normalize_execution_status,
    paused_seconds,
    wave_for_retry,
)
from orchestrator.deps import Deps
from orchestrator.exceptions import ConflictError, StaleWriteError, ValidationFailedError
from orchestrator.identity import ActorLike, label
from orchestrator.identity import fields as actor_fields
from orchestrator.model import ActionRecord, ExecutionRecord, WaveRecord
from orchestrator.operations.catalog import require_plan_name
from orchestrator.operations.timeline import flush_events_or_keep, pending_event
from orchestrator.store.ports import ActionWrite, PauseDecision

logger = logging.getLogger(__name__)

# How often a control re-reads and re-applies its write after a concurrent write it may outlast.
ATTEMPTS = 5
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


# A decision in words, by kind: "<what> <past tense> by <actor>".
_DECIDED = {
    "RESUME": "the execution was already resumed",
    "APPROVE": "the approval was already given",
    "RETRY": "the failed wave was already retried",
    "SKIP": "the failed wave was already skipped",
    "CANCEL": "a cancel was already requested",
}


def _prior_decision(execution: ExecutionRecord) -> dict[str, Any] | None:
    """What was decided about the execution's last pause (or its cancel), or None while a pause
    waits for its decision, when none was ever made, or once the execution ended (then its status
    is the answer: INVALID_STATE)."""
    if is_terminal(execution["status"]):
        return None
    if execution.get("cancelRequested"):
        return {
            "kind": "CANCEL",
            "actor": execution.get("cancelRequestedBy") or "unknown",
            "time": execution.get("cancelRequestedTime"),
        }
    if normalize_execution_status(execution["status"]) is ExecutionStatus.PAUSED:
        return None
    return execution.get("decision")


def _same(prior: dict[str, Any], kinds: tuple[str, ...], actor: ActorLike, comment: str | None) -> bool:
    """The prior decision is this very request again: same kind, same caller, same comment."""
    return (
        prior.get("kind") in kinds
        and prior.get("actor") == label(actor)
        and (prior.get("comment") or None) == (comment or None)
    )


def _already_decided(execution: ExecutionRecord, prior: dict[str, Any], verb: str) -> ConflictError:
    what = _DECIDED.get(str(prior.get("kind")), "the execution was already decided")
    if prior.get("kind") in ("RETRY", "SKIP") and prior.get("wave"):
        what = what.replace("the failed wave", f"wave {prior['wave']}")
    if prior.get("kind") == "APPROVE" and prior.get("action"):
        what = f"approval {prior['action']} was already given"
    when = f" at {prior['time']}" if prior.get("time") else ""
    status = normalize_execution_status(execution["status"])
    return ConflictError(
        f"cannot {verb} execution {execution['executionId']}: {what} by {prior.get('actor')}{when}; "
        f"it is {status} now",
        code="ALREADY_DECIDED",
        details={
            "decision": str(prior.get("kind")),
            "decidedBy": str(prior.get("actor")),
            **({"decidedTime": str(prior["time"])} if prior.get("time") else {}),
            "status": str(status),
        },
    )


# What delivering a decision changes of its record: the token handed over, the outbox emptied.
_DELIVERY_BOOKKEEPING = ("taskToken", "pendingEvents", "eventsPending")


def _settled(deps: Deps, record: ExecutionRecord) -> ExecutionRecord:
    """After a decision was recorded (or found recorded by a retried request): its events to the
    timeline (kept in the outbox when that fails), then its action to the waiting state machine.

    The answer is the record as the decision wrote it (task token and outbox are never shown): a
    write of the state machine's that lands meanwhile (a finalize woken by this very cancel) is its
    own news for the next read, so an accepted cancel always answers CANCELLING."""
    delivered: Mapping[str, Any] = deliver_pending_action(deps, flush_events_or_keep(deps, record))
    answer = {k: v for k, v in record.items() if k not in _DELIVERY_BOOKKEEPING}
    answer.update({k: delivered[k] for k in _DELIVERY_BOOKKEEPING if k in delivered})
    return cast(ExecutionRecord, answer)


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


def request_pause(deps: Deps, execution_id: str, *, actor: ActorLike = "unknown") -> ExecutionRecord:
    """Ask the execution to pause before its next wave (honoured at the next wave boundary)."""
    for _attempt in range(ATTEMPTS):
        execution = deps.stores.executions.get(execution_id)
        status = normalize_execution_status(execution["status"])
        if status not in (ExecutionStatus.PENDING, ExecutionStatus.IN_PROGRESS):
            raise _conflict(execution, "pause", f"it is {status}")
        if execution.get("pauseRequested"):
            raise _conflict(
                execution, "pause", f"a pause is already requested by {execution.get('pauseRequestedBy')}"
            )
        if not any(w.get("status") == WaveStatus.NOT_STARTED for w in execution.get("waves", [])):
            raise _conflict(execution, "pause", "no wave is left to pause before")
        now = deps.clock.iso()
        event = pending_event(
            deps,
            f"PAUSE_REQUESTED#{execution['currentWave']}",
            "PAUSE_REQUESTED",
            "pause requested: the execution pauses before its next wave",
            time=now,
            actor=actor,
        )
        try:
            record = deps.stores.executions.request_pause(execution, actor=actor, now=now, event=event)
        except StaleWriteError:
            continue  # read again: the checks above decide whether the pause still applies
        break
    else:
        raise _raced(execution_id, "pause")
    logger.info("pause requested", extra={"executionId": execution_id, "actor": label(actor)})
    return flush_events_or_keep(deps, record)


def resume(
    deps: Deps, execution_id: str, *, actor: ActorLike = "unknown", comment: str | None = None
) -> ExecutionRecord:
    """Resume a pause before a wave, or approve the APPROVAL action a pause waits on."""
    for _attempt in range(ATTEMPTS):
        execution = deps.stores.executions.get(execution_id)
        if prior := _prior_decision(execution):
            if _same(prior, ("RESUME", "APPROVE"), actor, comment):
                # This very request again (a retry): say it again to the state machine if needed.
                return _settled(deps, execution)
            raise _already_decided(execution, prior, "resume")
        status = normalize_execution_status(execution["status"])
        if status is not ExecutionStatus.PAUSED or not execution.get("taskToken"):
            raise _conflict(execution, "resume", f"it is {status}, not PAUSED")
        reason = execution.get("pauseReason")
        if reason == PauseReason.WAVE_FAILED:
            raise _conflict(
                execution,
                "resume",
                f"wave {execution.get('pausedWave')} failed; retry it, skip it or cancel the execution",
            )
        try:
            if reason == PauseReason.APPROVAL:
                return _approve(deps, execution, actor=actor, comment=comment)
            return _resume(deps, execution, actor=actor, comment=comment)
        except StaleWriteError:
            continue  # someone (or the system) wrote meanwhile: read again and decide again
    raise _raced(execution_id, "resume")


def _decision(
    deps: Deps,
    execution: ExecutionRecord,
    kind: str,
    *,
    actor: ActorLike,
    comment: str | None,
    event: tuple[str, str, str],
    wave: int | None,
    details: dict[str, Any] | None = None,
) -> PauseDecision:
    """An operator's word on the pause ``execution`` is in, now, with its timeline event (``event``:
    its id, type and message; the comment is appended to the message and kept in the details)."""
    now = deps.clock.iso()
    event_id, event_type, message = event
    pending = pending_event(
        deps,
        event_id,
        event_type,
        message + (f": {comment}" if comment else ""),
        time=now,
        wave=wave,
        actor=actor,
        details={**(details or {}), **({"comment": comment} if comment else {})} or None,
    )
    return PauseDecision(kind, actor, comment, now, paused_seconds(execution, now), pending)


def _resume(
    deps: Deps, execution: ExecutionRecord, *, actor: ActorLike, comment: str | None
) -> ExecutionRecord:
    """The resume of a pause before a wave (StaleWriteError when the record changed since read)."""
    execution_id = execution["executionId"]
    before = int(execution.get("pausedBeforeWave") or 0)
    decision = _decision(
        deps,
        execution,
        "RESUME",
        actor=actor,
        comment=comment,
        event=(f"RESUMED#{before}", "RESUMED", f"resumed before wave {before}"),
        wave=before or None,
    )
    record = deps.stores.executions.record_resume(execution, decision)
    logger.info(
        "execution resumed",
        extra={"executionId": execution_id, "wave": execution.get("pausedBeforeWave"), "actor": label(actor)},
    )
    return _settled(deps, record)


def _approve(
    deps: Deps, execution: ExecutionRecord, *, actor: ActorLike, comment: str | None
) -> ExecutionRecord:
    """The resume of an APPROVAL pause: the action SUCCEEDED, approved by ``actor`` (StaleWriteError
    when the record changed since read)."""
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
    decision = _decision(
        deps,
        execution,
        "APPROVE",
        actor=actor,
        comment=comment,
        event=(
            f"APPROVED#{index + 1}#{action['name']}#{action['attempts']}",
            "APPROVED",
            f"{action['name']} approved by {label(actor)}",
        ),
        wave=index + 1,
        details={"action": action["name"]},
    )
    kept = {k: v for k, v in action.items() if k not in ("attemptStartTime", "handle", "error")}
    approved = cast(
        ActionRecord,
        {
            **kept,
            "status": str(ActionStatus.SUCCEEDED),
            "endTime": decision.now,
            **actor_fields("approvedBy", actor),
        },
    )
    if comment:
        approved["comment"] = comment
    record = deps.stores.executions.record_resume(
        execution, decision, ActionWrite(index, position, approved, was=action)
    )
    logger.info(
        "approval given", extra={"executionId": execution_id, "action": action["name"], "actor": label(actor)}
    )
    return _settled(deps, record)


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


def _retried(
    deps: Deps, execution: ExecutionRecord, index: int, actor: ActorLike, _comment: str | None
) -> tuple[WaveRecord, str, dict[str, Any]]:
    """A retry: the failed wave runs again: its failed CRITICAL servers are launched again (new DRS
    jobs, followed with the old ones) and its failed actions rerun."""
    servers = deps.stores.servers.wave(execution["executionId"], index + 1)
    wave = cast(
        WaveRecord,
        {**wave_for_retry(execution["waves"][index], servers), **actor_fields("retriedBy", actor)},
    )
    relaunch = wave.get("relaunchServerIds") or []
    what = f"{len(relaunch)} server(s) launched again" if relaunch else "its failed actions run again"
    return wave, what, {"retry": wave["retries"], "relaunchServerIds": relaunch[:50]}


def _skipped(
    _deps: Deps, execution: ExecutionRecord, index: int, actor: ActorLike, comment: str | None
) -> tuple[WaveRecord, str, dict[str, Any]]:
    """A skip: the failed wave becomes SKIPPED and the next wave starts (the execution finishes when
    it was the last); the execution can no longer be COMPLETED."""
    wave = cast(
        WaveRecord,
        {
            **execution["waves"][index],
            "status": str(WaveStatus.SKIPPED),
            **actor_fields("skippedBy", actor),
        },
    )
    if comment:
        wave["skipComment"] = comment
    return wave, after_skip_text(execution["waves"], index), {}


# What each decision on a failed wave makes of it (the wave as it leaves it, what happens next in
# words, timeline details).
_WAVE_DECISIONS = {"retry": _retried, "skip": _skipped}
_PAST = {"retry": "retried", "skip": "skipped"}


def decide_wave(
    verb: Literal["retry", "skip"],
    deps: Deps,
    execution_id: str,
    *,
    actor: ActorLike = "unknown",
    comment: str | None = None,
    recovery_confirmed_plan_name: str | None = None,
) -> ExecutionRecord:
    """POST /executions/{id}/retry or /skip: the operator's decision on the wave a WAVE_FAILED pause
    waits on (``_retried``, ``_skipped``). A RECOVERY's wave is retried or skipped only through
    POST /executions/{id}/retry-recovery or /skip-recovery, with the plan's name typed again (a retry
    launches production servers, a skip leaves production without that wave's servers)."""
    past = _PAST[verb]
    check = _recovery_route(past, f"{verb}-recovery", recovery_confirmed_plan_name)

    def decided(execution: ExecutionRecord, index: int) -> tuple[WaveRecord, str, dict[str, Any]]:
        return _WAVE_DECISIONS[verb](deps, execution, index, actor, comment)

    return _decide(deps, execution_id, verb, actor=actor, comment=comment, check=check, decide=decided)


retry_wave = partial(decide_wave, "retry")
skip_wave = partial(decide_wave, "skip")


def _recovery_route(
    past: str, route: str, confirmed_plan_name: str | None
) -> Callable[[ExecutionRecord], None]:
    """The check of a decision on a RECOVERY's failed wave: only on its own route (``route``, which
    IAM grants to Administrators only), confirmed by the plan's name; a DRILL's passes."""

    def check(execution: ExecutionRecord) -> None:
        if execution["executionType"] != ExecutionType.RECOVERY:
            return
        if confirmed_plan_name is None:
            raise ValidationFailedError(
                f"the wave of a RECOVERY is {past} only with POST /executions/{{executionId}}/{route} "
                'and {"confirmPlanName": <the plan\'s name>}',
                code="RECOVERY_ROUTE_REQUIRED",
            )
        require_plan_name(confirmed_plan_name, execution["planName"], "the execution's recovery plan")

    return check


# What the operator's decision makes of the failed wave: (the wave as it leaves it, what happens
# next in words, timeline details).
Decision = Callable[[ExecutionRecord, int], tuple[WaveRecord, str, dict[str, Any]]]


def _decide(
    deps: Deps,
    execution_id: str,
    verb: str,
    *,
    actor: ActorLike,
    comment: str | None,
    check: Callable[[ExecutionRecord], None] | None,
    decide: Decision,
) -> ExecutionRecord:
    """Retry or skip the wave a WAVE_FAILED pause waits on: one conditional write, the timeline
    event, then the held task token delivered (the same request repeated delivers it again; any
    other decision after the first is ALREADY_DECIDED)."""
    kind = verb.upper()
    past = _PAST[verb]
    for _attempt in range(ATTEMPTS):
        execution = deps.stores.executions.get(execution_id)
        if check:
            check(execution)
        if prior := _prior_decision(execution):
            if _same(prior, (kind,), actor, comment):
                return _settled(deps, execution)
            raise _already_decided(execution, prior, verb)
        index = _failed_wave(execution, verb)
        wave, what, details = decide(execution, index)
        number = index + 1
        decision = _decision(
            deps,
            execution,
            kind,
            actor=actor,
            comment=comment,
            event=(
                f"WAVE_{past.upper()}#{number}#{wave.get('retries') or 0}",
                f"WAVE_{past.upper()}",
                f"wave {number} ({wave['waveName']}) {past} by {label(actor)}: {what}",
            ),
            wave=number,
            details=details,
        )
        try:
            record = deps.stores.executions.record_wave_decision(execution, index, wave, decision)
        except StaleWriteError:
            continue  # read again: another decision (ALREADY_DECIDED) or a write of the system's
        break
    else:
        raise _raced(execution_id, verb)
    logger.info(f"wave {past}", extra={"executionId": execution_id, "wave": number, "actor": label(actor)})
    return _settled(deps, record)


def cancel(
    deps: Deps, execution_id: str, *, actor: ActorLike = "unknown", reason: str | None = None
) -> ExecutionRecord:
    """CANCELLING; a started wave is followed to the end of its DRS jobs, then the state machine
    finalizes. A paused execution's token is completed so it finalizes at once. A write of the
    system's own that lands between the read and the write (the execution starting its first wave, a
    poll) does not refuse the cancel: it is read again and applied while a cancel still applies."""
    for _attempt in range(ATTEMPTS):
        execution = deps.stores.executions.get(execution_id)
        status = normalize_execution_status(execution["status"])
        if (prior := _prior_decision(execution)) and prior["kind"] == "CANCEL":
            if prior["actor"] == label(actor):
                return _settled(deps, execution)  # this cancel again (a retry)
            raise _already_decided(execution, prior, "cancel")
        if status not in (ExecutionStatus.PENDING, ExecutionStatus.IN_PROGRESS, ExecutionStatus.PAUSED):
            raise _conflict(execution, "cancel", f"it is {status}")
        now = deps.clock.iso()
        paused = paused_seconds(execution, now) if status is ExecutionStatus.PAUSED else None
        event = pending_event(
            deps,
            "CANCEL_REQUESTED",
            "CANCEL_REQUESTED",
            "cancel requested" + (f": {reason}" if reason else ""),
            time=now,
            actor=actor,
            details={"reason": reason} if reason else None,
        )
        try:
            record = deps.stores.executions.request_cancel(
                execution, actor=actor, reason=reason, now=now, paused_seconds=paused, event=event
            )
        except StaleWriteError:
            continue
        break
    else:
        raise _raced(execution_id, "cancel")
    logger.info(
        "execution cancelling",
        extra={"executionId": execution_id, "from": str(status), "actor": label(actor)},
    )
    return _settled(deps, record)
