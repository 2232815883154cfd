"""run_action and the approval steps: a wave's runbook, one action at a time, in order.

The state machine loops RunAction -> (Wait) -> RunAction while a stage (PRE or POST) has actions
left. Each call does one step of the stage's current action: start an attempt, check a running one,
or record its end. Every step is a conditional write on the action as read (status and attempts),
so a step Step Functions delivers twice is applied once. An attempt that fails is tried again after
a backoff while ``maxAttempts`` allows; a final failure with ``onFailure: FAIL`` fails the wave (the
actions after it are SKIPPED), with ``CONTINUE`` it becomes a warning and the stage goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, cast

from execution_utils import (
    ACTION_FAILED,
    ACTION_STARTABLE,
    ActionStage,
    ActionStatus,
    ExecutionStatus,
    PauseReason,
    WaveStatus,
    action_error,
    actions_at_wave_end,
    blocking_failure,
    completed_wave_count,
    next_action,
    normalize_execution_status,
    paused_seconds,
    server_failed,
    within_history_budget,
)
from orchestrator import timeutil
from orchestrator.actions import ActionContext, OperatorKind, Outcome, RunnerKind, kind_of
from orchestrator.deps import Deps
from orchestrator.exceptions import StaleWriteError, TransientError
from orchestrator.model import (
    ACTION_ERROR_LIMIT,
    ActionRecord,
    ExecutionRecord,
    action_output_limit,
    excerpt,
)
from orchestrator.operations.state import MachineState, machine_state
from orchestrator.operations.timeline import action_outcome, finished_wave, note, read_for_step
from orchestrator.store.ports import ActionWrite, Pause

logger = logging.getLogger(__name__)

# A RUNNING attempt whose start was recorded but whose result or handle never was (the handler
# stopped in between) counts as a failed attempt after this long.
LOST_AFTER_SECONDS = 60
RETRY_BACKOFF_SECONDS = (10, 30, 60, 120)
# An action's service throttled or failing (5xx) when an attempt starts: tried again after each of
# these (about 4 minutes in all) before the attempt counts as failed.
TRANSIENT_BACKOFF_SECONDS = (5, 10, 20, 40, 60, 60, 60)


@dataclass(frozen=True)
class _At:
    """Where a step of ``run_action`` works: the action at ``waves[index].actions[position]`` of the
    execution as read, with the step's dependencies and state."""

    deps: Deps
    state: dict[str, Any]
    execution: ExecutionRecord
    index: int
    position: int


def _stage(state: dict[str, Any]) -> ActionStage:
    return ActionStage(str(state.get("stage") or ActionStage.PRE))


def _stopped(execution: ExecutionRecord) -> bool:
    status = normalize_execution_status(execution["status"])
    return status not in (ExecutionStatus.IN_PROGRESS, ExecutionStatus.PAUSED) or bool(
        execution.get("cancelRequested")
    )


def _ran_to_its_end(wave: Mapping[str, Any], stage: ActionStage) -> bool:
    """Every post-action of the wave ended and none failed it: the wave has completed, and a cancel
    accepted since (it stops what is left, and nothing is) does not undo that; the wave's end is
    recorded as COMPLETED."""
    return (
        stage is ActionStage.POST and next_action(wave, stage) is None and not blocking_failure(wave, stage)
    )


def run_action(deps: Deps, state: dict[str, Any]) -> MachineState:
    """One step of the stage's current action. Every step is a turn of a state machine loop, so it
    counts in ``pollCount`` and shares the polls' history budget (README, "Staying under the Step
    Functions history limit")."""
    execution_start, result = _run_action(deps, state)
    steps = int(state.get("pollCount", 0)) + 1
    result["pollCount"] = steps
    if result["next"] == "ACTIONS":
        result["pollIntervalSeconds"] = within_history_budget(
            result["pollIntervalSeconds"], steps, deps.clock.seconds_since(execution_start)
        )
    return result


def _run_action(deps: Deps, state: dict[str, Any]) -> tuple[str, MachineState]:
    """(the execution's start time, the next state)."""
    index = int(state["waveIndex"])
    stage = _stage(state)
    for _attempt in range(5):
        execution = read_for_step(deps, state["executionId"])
        start = execution["startTime"]
        wave = execution["waves"][index]
        if wave.get("status") != WaveStatus.IN_PROGRESS or (
            _stopped(execution) and not _ran_to_its_end(wave, stage)
        ):
            return start, machine_state(state, next_step="ADVANCE")
        for action in wave.get("actions") or []:
            # Outcomes recorded by an earlier step whose event could not be written then.
            action_outcome(deps, execution["executionId"], index, action)
        if failure := blocking_failure(wave, stage):
            return start, _fail_wave(deps, state, execution, index, cast(ActionRecord, failure))
        position = next_action(wave, stage)
        if position is None:
            return start, _stage_done(deps, state, execution, index, stage)
        try:
            return start, _step(deps, state, execution, index, position)
        except StaleWriteError:
            continue
    raise TransientError("the execution kept changing while running an action")


def _context(deps: Deps, execution: ExecutionRecord, index: int, action: ActionRecord) -> ActionContext:
    """The action's context (README, "The recovery runbook"), its servers read when first needed."""
    wave = execution["waves"][index]

    def load() -> tuple[dict[str, Any], dict[str, str]]:
        servers = deps.stores.servers.wave(execution["executionId"], index + 1)
        event = {
            "executionId": execution["executionId"],
            "planId": execution["planId"],
            "planName": execution["planName"],
            "executionType": execution["executionType"],
            "waveNumber": index + 1,
            "waveName": wave["waveName"],
            "stage": action["stage"],
            "actionName": action["name"],
            "attempt": int(action["attempts"]),
            "servers": [
                {
                    "sourceServerId": s["sourceServerId"],
                    "hostname": s.get("hostname"),
                    "recoveryInstanceId": s.get("recoveryInstanceId"),
                    "ec2InstanceId": s.get("ec2InstanceId"),
                    "privateIp": s.get("privateIp"),
                }
                for s in servers
            ],
        }
        instances = {
            str(s["ec2InstanceId"]): s.get("hostname") or s["sourceServerId"]
            for s in servers
            if s.get("ec2InstanceId") and not server_failed(s)
        }
        return event, instances

    return ActionContext(load, now=deps.clock.now())


def _step(
    deps: Deps, state: dict[str, Any], execution: ExecutionRecord, index: int, position: int
) -> MachineState:
    at = _At(deps, state, execution, index, position)
    action = execution["waves"][index]["actions"][position]
    now = deps.clock.now()
    status = ActionStatus(action["status"])
    if status in ACTION_STARTABLE:
        due = action.get("nextAttemptAt") or action.get("retryAt")
        if due and (left := timeutil.seconds_between(timeutil.iso(now), due)) > 0:
            return machine_state(state, next_step="ACTIONS", interval=int(left + 0.999))
        kind = kind_of(action)
        if isinstance(kind, OperatorKind):
            return machine_state(
                state, next_step="APPROVAL", pause_timeout_seconds=int(action["timeoutSeconds"])
            )
        return _start(at, action, kind)
    # RUNNING
    kind = kind_of(action)
    if isinstance(kind, OperatorKind):
        # Back from the wait without an operator's answer recorded (a resume raced): ask again.
        return machine_state(state, next_step="APPROVAL", pause_timeout_seconds=_left(action, now))
    elapsed = timeutil.seconds_between(action["attemptStartTime"], now)
    limit = kind.limit_seconds(action)
    if elapsed > limit:
        timed_out = Outcome(ActionStatus.TIMED_OUT, error=kind.timeout_error(action))
        return _record(at, action, timed_out)
    if not action.get("handle"):
        if elapsed > LOST_AFTER_SECONDS + (limit if kind.synchronous else 0):
            lost = Outcome(ActionStatus.FAILED, error="the attempt's result was lost (the handler stopped)")
            return _record(at, action, lost)
        return machine_state(state, next_step="ACTIONS", interval=deps.config.poll_min_seconds)
    outcome = kind.check(action, _context(deps, execution, index, action), deps)
    return _record(at, action, outcome)


def _left(action: ActionRecord, now: Any) -> int:
    start = action.get("attemptStartTime")
    used = timeutil.seconds_between(start, now) if start else 0
    return max(1, int(action["timeoutSeconds"] - used))


def _start(at: _At, action: ActionRecord, kind: RunnerKind) -> MachineState:
    """Claim the next attempt (so a twin call cannot start it too, and a cancel accepted since the
    record was read stops it: no attempt starts after a cancel), then start it."""
    deps, execution, index, position = at.deps, at.execution, at.index, at.position
    now = deps.clock.iso()
    running = cast(
        ActionRecord,
        {
            **{
                k: v
                for k, v in action.items()
                if k
                not in ("handle", "retryAt", "nextAttemptAt", "error", "output", "endTime", "lastOutcome")
            },
            "status": str(ActionStatus.RUNNING),
            "attempts": int(action["attempts"]) + 1,
            "attemptStartTime": now,
            "startTime": action.get("startTime") or now,
        },
    )
    execution = deps.stores.executions.record_action(
        execution, index, position, running, was=action, unless_cancelled=True
    )
    at = replace(at, execution=execution)  # the record as the claim left it
    number = index + 1
    try:
        # The attempt runs only once its start is on the timeline (else it is given back).
        note(
            deps,
            execution["executionId"],
            f"ACTION_STARTED#{number}#{action['stage']}#{action['name']}#{running['attempts']}",
            "ACTION_STARTED",
            f"{action['stage'].lower()}-action {action['name']} ({action['type']}) started"
            + (
                f", attempt {running['attempts']} of {running['maxAttempts']}"
                if running["maxAttempts"] > 1
                else ""
            ),
            time=now,
            wave=number,
            details={"action": action["name"], "stage": action["stage"], "attempt": running["attempts"]},
        )
        outcome = kind.start(running, _context(deps, execution, index, running), deps)
    except TransientError as e:
        return _not_started(at, running, e)
    return _record(at, running, outcome)


def _not_started(at: _At, action: ActionRecord, error: TransientError) -> MachineState:
    """The action's service was throttled or failing (after the client's own retries): the attempt
    did not start, so it is given back and tried again after a backoff, on a later turn of the
    loop. Only when the service stays unavailable through every backoff does the attempt count as
    failed (and ``maxAttempts`` decides what follows)."""
    deps, state, execution, index, position = at.deps, at.state, at.execution, at.index, at.position
    tries = int(action.get("transientRetries") or 0)
    if tries >= len(TRANSIENT_BACKOFF_SECONDS):
        failed = Outcome(
            ActionStatus.FAILED,
            error=f"{error.message}; still unavailable after {tries + 1} tries",
        )
        return _record(at, action, failed)
    backoff = TRANSIENT_BACKOFF_SECONDS[tries]
    now = deps.clock.now()
    given_back = cast(
        ActionRecord,
        {
            **{k: v for k, v in action.items() if k not in ("attemptStartTime", "handle", "retryAt")},
            # It will be tried again, and when: not PENDING, which reads "not started".
            "status": str(ActionStatus.RETRY_SCHEDULED),
            "attempts": int(action["attempts"]) - 1,
            "transientRetries": tries + 1,
            "nextAttemptAt": timeutil.iso(now + timedelta(seconds=backoff)),
            "error": excerpt(f"{error.message}; tried again in {backoff} s", ACTION_ERROR_LIMIT),
        },
    )
    if int(given_back["attempts"]) == 0:
        given_back.pop("startTime", None)
    deps.stores.executions.record_action(
        execution, index, position, given_back, was=action, unless_cancelled=True
    )
    logger.warning(
        "action not started: its service is unavailable",
        extra={
            "executionId": execution["executionId"],
            "wave": index + 1,
            "action": action["name"],
            "error": error.message,
            "retryInSeconds": backoff,
        },
    )
    return machine_state(state, next_step="ACTIONS", interval=backoff)


def _record(at: _At, action: ActionRecord, outcome: Outcome) -> MachineState:
    deps, state, execution, index, position = at.deps, at.state, at.execution, at.index, at.position
    now = deps.clock.now()
    if not outcome.ended:
        if outcome.handle is not None and outcome.handle != action.get("handle"):
            updated = cast(ActionRecord, {**action, "handle": outcome.handle})
            deps.stores.executions.record_action(execution, index, position, updated, was=action)
        elapsed = timeutil.seconds_between(action["attemptStartTime"], now)
        interval = outcome.check_in_seconds or min(
            deps.config.poll_max_seconds, max(deps.config.poll_min_seconds, int(elapsed / 4))
        )
        left = kind_of(action).limit_seconds(action) - elapsed
        return machine_state(state, next_step="ACTIONS", interval=max(1, min(interval, int(left) + 1)))
    count = sum(len(w.get("actions") or []) for w in execution["waves"])
    ended = cast(
        ActionRecord,
        {
            k: v
            for k, v in action.items()
            if k not in ("handle", "attemptStartTime", "output", "error", "transientRetries")
        },
    )
    if outcome.output:
        ended["output"] = excerpt(outcome.output, action_output_limit(count))
    if outcome.error:
        ended["error"] = excerpt(outcome.error, ACTION_ERROR_LIMIT)
    again = outcome.status in ACTION_FAILED and int(action["attempts"]) < int(action["maxAttempts"])
    ended["lastOutcome"] = {"status": str(outcome.status), "time": timeutil.iso(now)}
    if again:
        backoff = RETRY_BACKOFF_SECONDS[min(int(action["attempts"]), len(RETRY_BACKOFF_SECONDS)) - 1]
        ended["status"] = str(ActionStatus.RETRY_SCHEDULED)
        ended["nextAttemptAt"] = timeutil.iso(now + timedelta(seconds=backoff))
        ended["lastOutcome"]["retryInSeconds"] = backoff
    else:
        ended["status"] = str(outcome.status)
        ended["endTime"] = timeutil.iso(now)
    # No next attempt is scheduled once a cancel was accepted: the action is then CANCELLED by
    # finalize (StaleWriteError here; the caller reads again and stops).
    deps.stores.executions.record_action(
        execution, index, position, ended, was=action, unless_cancelled=again
    )
    action_outcome(deps, execution["executionId"], index, ended)
    logger.info(
        "action step",
        extra={
            "executionId": execution["executionId"],
            "wave": index + 1,
            "action": action["name"],
            "status": str(outcome.status),
            "attempt": action["attempts"],
        },
    )
    interval = int(timeutil.seconds_between(timeutil.iso(now), ended["nextAttemptAt"])) if again else 0
    return machine_state(state, next_step="ACTIONS", interval=interval)


def _fail_wave(
    deps: Deps, state: dict[str, Any], execution: ExecutionRecord, index: int, failure: ActionRecord
) -> MachineState:
    now = deps.clock.iso()
    error = action_error(failure)
    wave = execution["waves"][index]
    actions = cast(list[ActionRecord], actions_at_wave_end(wave.get("actions") or [], error, now))
    try:
        deps.stores.executions.finish_wave(
            execution,
            index,
            status=WaveStatus.FAILED,
            actions=actions,
            error=error,
            completed_waves=completed_wave_count(execution["waves"]),
            now=now,
        )
    except StaleWriteError:
        return machine_state(state, next_step="ADVANCE")
    finished_wave(
        deps, execution["executionId"], {**wave, "status": "FAILED", "endTime": now, "error": error}
    )
    logger.warning(
        "wave failed by an action", extra={"executionId": execution["executionId"], "wave": index + 1}
    )
    return machine_state(state, next_step="ADVANCE")


def _stage_done(
    deps: Deps, state: dict[str, Any], execution: ExecutionRecord, index: int, stage: ActionStage
) -> MachineState:
    if stage is ActionStage.PRE:
        return machine_state(state, next_step="ADVANCE")
    now = deps.clock.iso()
    wave = execution["waves"][index]
    waves = [{**w, "status": "COMPLETED"} if n == index else w for n, w in enumerate(execution["waves"])]
    try:
        deps.stores.executions.finish_wave(
            execution,
            index,
            status=WaveStatus.COMPLETED,
            actions=wave.get("actions") or [],
            error=None,
            completed_waves=completed_wave_count(waves),
            now=now,
        )
    except StaleWriteError:
        return machine_state(state, next_step="ADVANCE")
    finished_wave(deps, execution["executionId"], {**wave, "status": "COMPLETED", "endTime": now})
    return machine_state(state, next_step="ADVANCE")


def _approval_at(execution: ExecutionRecord, index: int) -> tuple[int, ActionRecord, OperatorKind] | None:
    """The wave's next action when an operator completes it: its position, record and kind."""
    wave = execution["waves"][index]
    for stage in (ActionStage.PRE, ActionStage.POST):
        position = next_action(wave, stage)
        if position is not None:
            action = wave["actions"][position]
            kind = kind_of(action)
            return (position, action, kind) if isinstance(kind, OperatorKind) else None
    return None


def await_approval(deps: Deps, state: dict[str, Any], task_token: str) -> dict[str, Any]:
    """Invoked with .waitForTaskToken: PAUSED (APPROVAL) with the token, the action RUNNING.
    A cancel that got in first completes the token at once."""
    index = int(state["waveIndex"])
    for _attempt in range(5):
        execution = deps.stores.executions.get(state["executionId"])
        found = _approval_at(execution, index)
        if _stopped(execution) or found is None:
            deps.sfn.send_action(task_token, "CANCEL" if _stopped(execution) else "RESUME")
            return {"paused": False}
        position, action, kind = found
        now = deps.clock.iso()
        asked = action
        if action["status"] in ACTION_STARTABLE:
            asked = cast(
                ActionRecord,
                {
                    **{
                        k: v
                        for k, v in action.items()
                        if k not in ("lastOutcome", "nextAttemptAt", "retryAt")
                    },
                    "status": str(ActionStatus.RUNNING),
                    "attempts": int(action["attempts"]) + 1,
                    "attemptStartTime": now,
                    "startTime": action.get("startTime") or now,
                },
            )
        try:
            deps.stores.executions.record_paused(
                execution,
                Pause(task_token, PauseReason.APPROVAL, index + 1, now, action["name"]),
                ActionWrite(index, position, asked, was=action),
            )
        except StaleWriteError:
            continue
        note(
            deps,
            execution["executionId"],
            f"APPROVAL_REQUESTED#{index + 1}#{action['name']}#{asked['attempts']}",
            "APPROVAL_REQUESTED",
            kind.request_words(action, index + 1),
            time=now,
            wave=index + 1,
            details={"action": action["name"], "stage": action["stage"]},
        )
        return {"paused": True}
    raise TransientError("the execution kept changing while asking for approval")


def approval_expired(deps: Deps, state: dict[str, Any]) -> MachineState:
    """The approval's wait timed out: the action is TIMED_OUT (tried again if maxAttempts allows)."""

    index = int(state["waveIndex"])
    for _attempt in range(5):
        execution = deps.stores.executions.get(state["executionId"])
        found = _approval_at(execution, index)
        if found is None or execution["status"] != ExecutionStatus.PAUSED:
            return machine_state(state, next_step="ACTIONS")
        position, action, kind = found
        now = deps.clock.iso()
        kept = {k: v for k, v in action.items() if k != "attemptStartTime"}
        fields: dict[str, Any] = {"status": str(ActionStatus.TIMED_OUT), "endTime": now}
        if int(action["attempts"]) < int(action["maxAttempts"]):
            # Asked again at once: the next attempt is due now.
            fields = {"status": str(ActionStatus.RETRY_SCHEDULED), "nextAttemptAt": now}
        expired = cast(
            ActionRecord,
            {
                **kept,
                **fields,
                "error": kind.timeout_error(action),
                "lastOutcome": {"status": str(ActionStatus.TIMED_OUT), "time": now, "withAttempt": False},
            },
        )
        try:
            deps.stores.executions.record_approval_expired(
                execution, index, position, expired, paused_seconds=paused_seconds(execution, now)
            )
        except StaleWriteError:
            continue
        action_outcome(deps, execution["executionId"], index, expired)
        return machine_state(state, next_step="ACTIONS")
    raise TransientError("the execution kept changing while an approval expired")
