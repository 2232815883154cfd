"""The execution status model: statuses, legal transitions, wave and final-status rules, display helpers.

Pure functions only (no boto3, no I/O). Every status rule of the product lives here and nowhere else.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

_E = TypeVar("_E", bound=StrEnum)


class ExecutionStatus(StrEnum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    PAUSED = "PAUSED"
    CANCELLING = "CANCELLING"
    COMPLETED = "COMPLETED"
    PARTIAL_SUCCESS = "PARTIAL_SUCCESS"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class WaveStatus(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    # A failed wave the operator chose to go past (POST /executions/{id}/skip): never COMPLETED.
    SKIPPED = "SKIPPED"


class WavePhase(StrEnum):
    """Phase of an IN_PROGRESS wave; declaration order is least to most advanced."""

    PRE_ACTIONS = "PRE_ACTIONS"
    QUEUED_FOR_CAPACITY = "QUEUED_FOR_CAPACITY"
    SUBMITTED = "SUBMITTED"
    SNAPSHOT = "SNAPSHOT"
    CONVERTING = "CONVERTING"
    LAUNCHING = "LAUNCHING"
    VERIFYING = "VERIFYING"
    POST_ACTIONS = "POST_ACTIONS"


class ServerPhase(StrEnum):
    """Where one server of an execution stands (its ``phase``). While DRS launches it: the phase
    DRS's job log gives (SNAPSHOT, CONVERTING, LAUNCHING). Once it settled, the outcome: READY,
    FAILED, or, when its wave ended without it, NOT_READY (launched, never ready) or NOT_LAUNCHED
    (never launched: its wave was cancelled, never started, or ended before its launch)."""

    SNAPSHOT = "SNAPSHOT"
    CONVERTING = "CONVERTING"
    LAUNCHING = "LAUNCHING"
    READY = "READY"
    FAILED = "FAILED"
    NOT_READY = "NOT_READY"
    NOT_LAUNCHED = "NOT_LAUNCHED"


class ActionType(StrEnum):
    """What a runbook action does (a wave's preActions and postActions)."""

    LAMBDA = "LAMBDA"
    SSM_COMMAND = "SSM_COMMAND"
    SSM_AUTOMATION = "SSM_AUTOMATION"
    WAIT = "WAIT"
    APPROVAL = "APPROVAL"


class ActionStage(StrEnum):
    PRE = "PRE"
    POST = "POST"


class ActionStatus(StrEnum):
    PENDING = "PENDING"  # not started yet
    RUNNING = "RUNNING"
    # An attempt failed and another one is due at ``nextAttemptAt`` (maxAttempts allows it).
    RETRY_SCHEDULED = "RETRY_SCHEDULED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    SKIPPED = "SKIPPED"  # never run: the wave failed first
    CANCELLED = "CANCELLED"  # stopped, or never run, because the execution was cancelled


class OnFailure(StrEnum):
    """What a failed action means: the wave fails (FAIL) or it becomes a warning (CONTINUE)."""

    FAIL = "FAIL"
    CONTINUE = "CONTINUE"


class OnWaveFailure(StrEnum):
    """A plan option: a failed wave ends the execution (STOP) or pauses it for retry or skip (PAUSE)."""

    STOP = "STOP"
    PAUSE = "PAUSE"


class PauseReason(StrEnum):
    BEFORE_WAVE = "BEFORE_WAVE"  # the plan's pauseBeforeWave
    OPERATOR = "OPERATOR"  # someone asked (POST /executions/{id}/pause)
    APPROVAL = "APPROVAL"  # an APPROVAL action waits for a resume
    WAVE_FAILED = "WAVE_FAILED"  # onWaveFailure PAUSE: retry, skip or cancel


class LaunchStatus(StrEnum):
    """DRS ``launchStatus`` of a source server's recovery instance."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    LAUNCHED = "LAUNCHED"
    FAILED = "FAILED"
    TERMINATED = "TERMINATED"


class ImpactLevel(StrEnum):
    CRITICAL = "CRITICAL"
    OPTIONAL = "OPTIONAL"


class ReadinessCheck(StrEnum):
    """When a launched server counts as ready (a plan option)."""

    LAUNCHED = "LAUNCHED"
    EC2_RUNNING = "EC2_RUNNING"
    EC2_STATUS_OK = "EC2_STATUS_OK"


class ExecutionType(StrEnum):
    DRILL = "DRILL"
    RECOVERY = "RECOVERY"


class CheckStatus(StrEnum):
    """The result of one readiness check of a plan (operations/readiness.py)."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"


class Verdict(StrEnum):
    """A plan's readiness, from its checks' results: any FAIL makes it NOT_READY, else any WARN
    AT_RISK, else it is READY (operations/readiness.verdict_of)."""

    READY = "READY"
    AT_RISK = "AT_RISK"
    NOT_READY = "NOT_READY"


_S = ExecutionStatus
TERMINAL_STATUSES: frozenset[ExecutionStatus] = frozenset(
    {_S.COMPLETED, _S.PARTIAL_SUCCESS, _S.FAILED, _S.CANCELLED}
)
ACTIVE_STATUSES: frozenset[ExecutionStatus] = frozenset(ExecutionStatus) - TERMINAL_STATUSES
TERMINAL_WAVE_STATUSES: frozenset[WaveStatus] = frozenset(
    {WaveStatus.COMPLETED, WaveStatus.FAILED, WaveStatus.CANCELLED, WaveStatus.SKIPPED}
)
LIVE_SERVER_PHASES: frozenset[ServerPhase] = frozenset(
    {ServerPhase.SNAPSHOT, ServerPhase.CONVERTING, ServerPhase.LAUNCHING}
)
SETTLED_SERVER_PHASES: frozenset[ServerPhase] = frozenset(ServerPhase) - LIVE_SERVER_PHASES
ACTION_ENDED: frozenset[ActionStatus] = frozenset(
    {
        ActionStatus.SUCCEEDED,
        ActionStatus.FAILED,
        ActionStatus.TIMED_OUT,
        ActionStatus.SKIPPED,
        ActionStatus.CANCELLED,
    }
)
# An action whose next attempt may start: never started, or waiting for its next attempt.
ACTION_STARTABLE: frozenset[ActionStatus] = frozenset({ActionStatus.PENDING, ActionStatus.RETRY_SCHEDULED})
ACTION_FAILED: frozenset[ActionStatus] = frozenset({ActionStatus.FAILED, ActionStatus.TIMED_OUT})

# Legal execution transitions. A status never "transitions" to itself: callers that want an idempotent
# write check ``current == target`` first. Terminal statuses have no way out.
_TRANSITIONS: dict[ExecutionStatus, frozenset[ExecutionStatus]] = {
    _S.PENDING: frozenset({_S.IN_PROGRESS, _S.PAUSED, _S.CANCELLING, _S.FAILED, _S.CANCELLED}),
    _S.IN_PROGRESS: frozenset({_S.PAUSED, _S.CANCELLING, _S.COMPLETED, _S.PARTIAL_SUCCESS, _S.FAILED}),
    _S.PAUSED: frozenset({_S.IN_PROGRESS, _S.CANCELLING, _S.PARTIAL_SUCCESS, _S.FAILED}),
    # An accepted cancel never ends COMPLETED (README, "Statuses").
    _S.CANCELLING: frozenset({_S.CANCELLED, _S.PARTIAL_SUCCESS, _S.FAILED}),
    **{status: frozenset() for status in TERMINAL_STATUSES},
}

_EXECUTION_ALIASES: dict[str, ExecutionStatus] = {
    **dict.fromkeys(("POLLING", "RUNNING", "STARTED", "LAUNCHING"), _S.IN_PROGRESS),
    **dict.fromkeys(("PARTIAL", "PARTIALLY_COMPLETED"), _S.PARTIAL_SUCCESS),
    "CANCELED": _S.CANCELLED,
    "CANCELING": _S.CANCELLING,
    "SUCCEEDED": _S.COMPLETED,
    "SUCCESS": _S.COMPLETED,
    "QUEUED": _S.PENDING,
}
_WAVE_ALIASES: dict[str, WaveStatus] = {
    "PENDING": WaveStatus.NOT_STARTED,
    "QUEUED": WaveStatus.NOT_STARTED,
    **dict.fromkeys(
        ("POLLING", "RUNNING", "STARTED", "LAUNCHING", "SUBMITTED", "CONVERTING"), WaveStatus.IN_PROGRESS
    ),
    "CANCELED": WaveStatus.CANCELLED,
    "SUCCEEDED": WaveStatus.COMPLETED,
    "SUCCESS": WaveStatus.COMPLETED,
}
# EC2 states in which a recovery instance can no longer become ready.
_EC2_FAILED_STATES = frozenset({"terminated", "stopped", "shutting-down", "stopping"})


class IllegalTransitionError(ValueError):
    """An execution status change that the model forbids."""

    def __init__(self, current: ExecutionStatus, target: ExecutionStatus) -> None:
        super().__init__(f"Illegal execution status transition {current} -> {target}")
        self.current = current
        self.target = target


class UnknownStatusError(ValueError):
    """A status string that is neither a known status nor a known legacy alias."""


def _normalize(
    value: str | None,
    members: type[_E],
    what: str,
    *,
    aliases: Mapping[str, _E] | None = None,
    missing: _E | None = None,
) -> _E:
    """The member of ``members`` for any spelling (case, spaces, hyphens) or legacy alias; ``missing``
    for an absent value where absence has a meaning; else UnknownStatusError naming ``what``."""
    if missing is not None and (value is None or value == ""):
        return missing
    if not isinstance(value, str) or not value.strip():
        raise UnknownStatusError(f"Unknown {what}: {value!r}")
    key = re.sub(r"[\s\-_]+", "_", value.strip().upper())
    if key in members.__members__:
        return members(key)
    if aliases and key in aliases:
        return aliases[key]
    raise UnknownStatusError(f"Unknown {what}: {value!r}")


def normalize_execution_status(value: str) -> ExecutionStatus:
    """Canonical status for any spelling (case, spaces, hyphens) or legacy alias; else UnknownStatusError."""
    return _normalize(value, ExecutionStatus, "execution status", aliases=_EXECUTION_ALIASES)


def normalize_wave_status(value: str) -> WaveStatus:
    """Canonical wave status for any spelling or legacy alias; else UnknownStatusError."""
    return _normalize(value, WaveStatus, "wave status", aliases=_WAVE_ALIASES)


def normalize_wave_phase(value: str | None) -> WavePhase:
    """Canonical wave phase; a missing phase means the server has not started (SUBMITTED)."""
    return _normalize(value, WavePhase, "wave phase", missing=WavePhase.SUBMITTED)


def normalize_launch_status(value: str | None) -> LaunchStatus:
    """Canonical DRS launchStatus; a missing one means the launch has not started (PENDING)."""
    return _normalize(value, LaunchStatus, "launch status", missing=LaunchStatus.PENDING)


def normalize_readiness(value: str | None) -> ReadinessCheck:
    """Plan readiness option; missing means the default, EC2_RUNNING."""
    return _normalize(value, ReadinessCheck, "readiness check", missing=ReadinessCheck.EC2_RUNNING)


def impact_level(server: Mapping[str, Any]) -> ImpactLevel:
    """OPTIONAL only when the server says so; anything else (missing, typo) is CRITICAL, the safe side."""
    value = server.get("impactLevel")
    if isinstance(value, str) and value.strip().upper() == ImpactLevel.OPTIONAL:
        return ImpactLevel.OPTIONAL
    return ImpactLevel.CRITICAL


def is_terminal(status: str) -> bool:
    return normalize_execution_status(status) in TERMINAL_STATUSES


def is_active(status: str) -> bool:
    return normalize_execution_status(status) in ACTIVE_STATUSES


def transition(current: str | ExecutionStatus, target: str | ExecutionStatus) -> ExecutionStatus:
    """The one gate for every execution status change; returns the new status.

    Raises IllegalTransitionError for a change the model forbids, including ``current == target``
    (a status does not transition to itself) and anything out of a terminal status.
    """
    cur, new = normalize_execution_status(current), normalize_execution_status(target)
    if new not in _TRANSITIONS[cur]:
        raise IllegalTransitionError(cur, new)
    return new


# --- servers and waves -------------------------------------------------------------------------------


def _ec2_state(server: Mapping[str, Any]) -> str:
    value = server.get("ec2State")
    return value.strip().lower() if isinstance(value, str) else ""


def server_failed(server: Mapping[str, Any]) -> bool:
    """The launch failed, or the recovery instance is gone or going (terminated, stopped, ...)."""
    launch = normalize_launch_status(server.get("launchStatus"))
    return (
        launch in (LaunchStatus.FAILED, LaunchStatus.TERMINATED) or _ec2_state(server) in _EC2_FAILED_STATES
    )


def server_is_ready(
    server: Mapping[str, Any], readiness: ReadinessCheck | str = ReadinessCheck.EC2_RUNNING
) -> bool:
    """DRS launched it and, per the readiness check, EC2 runs it (and its status checks pass)."""
    check = normalize_readiness(readiness)
    if server_failed(server) or normalize_launch_status(server.get("launchStatus")) != LaunchStatus.LAUNCHED:
        return False
    if check == ReadinessCheck.LAUNCHED:
        return True
    running = _ec2_state(server) == "running"
    if check == ReadinessCheck.EC2_RUNNING:
        return running
    return running and server.get("statusChecksOk") is True


def decide_wave_status(
    *,
    jobs_finished: bool,
    servers: Sequence[Mapping[str, Any]],
    readiness: ReadinessCheck | str = ReadinessCheck.EC2_RUNNING,
) -> WaveStatus:
    """Status of a started wave. COMPLETED only once its jobs finished and every CRITICAL server is ready.

    A failed CRITICAL server fails the wave (once its jobs finished); failed OPTIONAL servers only warn.
    A wave with no CRITICAL server completes when its jobs finish (see wave_warnings).
    """
    if not jobs_finished:
        return WaveStatus.IN_PROGRESS
    critical = [s for s in servers if impact_level(s) == ImpactLevel.CRITICAL]
    if any(server_failed(s) for s in critical):
        return WaveStatus.FAILED
    if all(server_is_ready(s, readiness) for s in critical):
        return WaveStatus.COMPLETED
    return WaveStatus.IN_PROGRESS


def decide_wave_outcome(
    *,
    jobs_finished: bool,
    servers: Sequence[Mapping[str, Any]],
    readiness: ReadinessCheck | str,
    elapsed_seconds: float,
    timeout_minutes: int,
) -> tuple[WaveStatus, str | None]:
    """The wave's status after a poll and, for a failure, the error that explains it: the servers
    decide (decide_wave_status) unless the wave has run longer than its timeout."""
    status = decide_wave_status(jobs_finished=jobs_finished, servers=servers, readiness=readiness)
    if status is WaveStatus.IN_PROGRESS and elapsed_seconds > timeout_minutes * 60:
        return WaveStatus.FAILED, f"wave timed out after {timeout_minutes} minutes"
    if status is WaveStatus.FAILED:
        failed = [
            server_label(s) for s in servers if server_failed(s) and impact_level(s) is ImpactLevel.CRITICAL
        ]
        return status, "critical servers failed: " + ", ".join(failed)
    return status, None


def _server_phase(server: Mapping[str, Any]) -> WavePhase:
    if normalize_launch_status(server.get("launchStatus")) == LaunchStatus.LAUNCHED:
        return WavePhase.VERIFYING
    phase = server.get("phase")
    # A settled server phase (NOT_LAUNCHED of a wave retried from scratch) is not a launch phase.
    return normalize_wave_phase(phase if phase in LIVE_SERVER_PHASES else None)


def wave_phase(
    servers: Sequence[Mapping[str, Any]],
    *,
    jobs_finished: bool,
    readiness: ReadinessCheck | str = ReadinessCheck.EC2_RUNNING,
) -> WavePhase | None:
    """Phase of an IN_PROGRESS wave, or None when decide_wave_status says the wave is finished.

    Before the jobs finish: the least-advanced phase among servers neither ready nor failed (a server
    without a phase is SUBMITTED; a LAUNCHED one is VERIFYING); SUBMITTED when there are no servers.
    After: VERIFYING while a CRITICAL server is launched but not ready.
    """
    if decide_wave_status(jobs_finished=jobs_finished, servers=servers, readiness=readiness) in (
        TERMINAL_WAVE_STATUSES
    ):
        return None
    if jobs_finished:
        return WavePhase.VERIFYING
    if not servers:
        return WavePhase.SUBMITTED
    order = list(WavePhase)
    unfinished = [
        _server_phase(s) for s in servers if not server_failed(s) and not server_is_ready(s, readiness)
    ]
    return min(unfinished, key=order.index) if unfinished else WavePhase.VERIFYING


def server_phase(
    server: Mapping[str, Any],
    readiness: ReadinessCheck | str = ReadinessCheck.EC2_RUNNING,
    *,
    wave_ended: bool = False,
) -> ServerPhase | None:
    """The phase a server is in, from what the poll learned of it: FAILED (its launch failed, or its
    instance went away before it was ready) and READY (per the readiness check) the moment they hold;
    otherwise, once its wave ended with no DRS job of it still running (``wave_ended``), NOT_READY
    when DRS launched it and NOT_LAUNCHED when it did not; before that, the DRS phase of its launch
    (LAUNCHING once DRS launched it), or None while DRS has not started it.

    Only the poll and finalize apply it, while the recovery instances live: a termination later
    changes a server's ``ec2State``, never its phase (READY stays the evidence that it recovered)."""
    if server_failed(server):
        return ServerPhase.FAILED
    if server_is_ready(server, readiness):
        return ServerPhase.READY
    launched = normalize_launch_status(server.get("launchStatus")) == LaunchStatus.LAUNCHED
    if wave_ended:
        return ServerPhase.NOT_READY if launched else ServerPhase.NOT_LAUNCHED
    current = str(server.get("phase") or "")
    if current in LIVE_SERVER_PHASES:
        return ServerPhase(current)
    return ServerPhase.LAUNCHING if launched else None


def server_phase_settled(server: Mapping[str, Any]) -> bool:
    return str(server.get("phase") or "") in SETTLED_SERVER_PHASES


def name_with_id(hostname: Any, source_server_id: Any) -> str:
    """How every message names a server: by the hostname people know, with its DRS id beside it
    (``db01 (s-5d3bf5b6e7dac85d1)``); the id alone when no hostname is known."""
    sid = str(source_server_id or "unknown server")
    name = str(hostname).strip() if hostname else ""
    return f"{name} ({sid})" if name and name != sid else sid


def server_label(server: Mapping[str, Any]) -> str:
    """``name_with_id`` of a server record (``hostname``, ``sourceServerId``)."""
    return name_with_id(server.get("hostname"), server.get("sourceServerId"))


def _failure_reason(server: Mapping[str, Any]) -> str:
    for key in ("error", "errorMessage", "failureReason"):
        if server.get(key):
            return str(server[key])
    state = _ec2_state(server)
    if state in _EC2_FAILED_STATES:
        return f"EC2 instance {state}"
    return f"launch status {normalize_launch_status(server.get('launchStatus'))}"


def wave_warnings(servers: Iterable[Mapping[str, Any]]) -> list[str]:
    """One line per failed OPTIONAL server, e.g. ``optional server web03 (s-1) failed: <error>``."""
    return [
        f"optional server {server_label(s)} failed: {_failure_reason(s)}"
        for s in servers
        if impact_level(s) == ImpactLevel.OPTIONAL and server_failed(s)
    ]


def wave_has_recovery_instances(wave: Mapping[str, Any]) -> bool:
    """``recoveryInstances > 0``; legacy records without that field: a jobId/jobIds is present."""
    count = wave.get("recoveryInstances")
    if count is not None:
        return isinstance(count, int | float) and count > 0
    return bool(wave.get("jobId") or wave.get("jobIds"))


def wave_jobs_pending(wave: Mapping[str, Any]) -> bool:
    """The wave submitted DRS jobs that have not been seen to end: they may still launch instances.

    A COMPLETED wave's jobs are finished by definition; any other wave with jobs is pending until a
    poll (or, after the execution ended, the scheduled follow-up) saw them end (``jobsFinished``).
    """
    if not wave.get("jobIds") or wave.get("jobsFinished"):
        return False
    return normalize_wave_status(wave.get("status") or WaveStatus.NOT_STARTED) != WaveStatus.COMPLETED


def _wave_statuses(waves: Iterable[Mapping[str, Any]]) -> list[WaveStatus]:
    return [normalize_wave_status(w.get("status") or WaveStatus.NOT_STARTED) for w in waves]


def completed_wave_count(waves: Iterable[Mapping[str, Any]]) -> int:
    return _wave_statuses(waves).count(WaveStatus.COMPLETED)


def decide_final_status(
    waves: Sequence[Mapping[str, Any]], *, cancel_requested: bool, error: str | None = None
) -> ExecutionStatus:
    """Terminal status of an execution from its waves (what finalize writes).

    COMPLETED: at least one wave, all COMPLETED, no error and no cancel accepted (a cancel accepted
    during the last wave, even one that let it complete, is never COMPLETED); a SKIPPED wave is never
    COMPLETED. PARTIAL_SUCCESS: otherwise, when a COMPLETED wave left recovery instances. CANCELLED:
    otherwise, when cancel was requested and nothing failed or was skipped. FAILED: everything else.
    """
    statuses = _wave_statuses(waves)
    if (
        statuses
        and error is None
        and not cancel_requested
        and all(s == WaveStatus.COMPLETED for s in statuses)
    ):
        return ExecutionStatus.COMPLETED
    if any(
        s == WaveStatus.COMPLETED and wave_has_recovery_instances(w)
        for s, w in zip(statuses, waves, strict=True)
    ):
        return ExecutionStatus.PARTIAL_SUCCESS
    if (
        cancel_requested
        and error is None
        and WaveStatus.FAILED not in statuses
        and WaveStatus.SKIPPED not in statuses
    ):
        return ExecutionStatus.CANCELLED
    return ExecutionStatus.FAILED


def waves_after_cancel(waves: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Copies of the waves with every NOT_STARTED wave CANCELLED; running waves are followed to the end."""
    result = []
    for wave in waves:
        copy = dict(wave)
        if normalize_wave_status(wave.get("status") or WaveStatus.NOT_STARTED) == WaveStatus.NOT_STARTED:
            copy["status"] = str(WaveStatus.CANCELLED)
        result.append(copy)
    return result


def waves_at_end(
    waves: Iterable[Mapping[str, Any]], *, cancelled: bool, error: str | None, now: str
) -> list[dict[str, Any]]:
    """The waves as finalize records them: after a cancel, NOT_STARTED waves are CANCELLED; after an
    error, a wave still IN_PROGRESS is FAILED with that error (its DRS jobs are followed on). The
    actions of a wave that ended: see actions_at_wave_end (CANCELLED when a cancel stopped them)."""
    result = waves_after_cancel(waves) if cancelled else [dict(w) for w in waves]
    for wave in result:
        running = (
            normalize_wave_status(wave.get("status") or WaveStatus.NOT_STARTED) == WaveStatus.IN_PROGRESS
        )
        stopped_by_cancel = False
        if running and error:
            wave.update(status=str(WaveStatus.FAILED), endTime=now, error=error)
            wave.pop("phase", None)
        elif running and cancelled and wave.get("phase") in (WavePhase.PRE_ACTIONS, WavePhase.POST_ACTIONS):
            # No DRS job of this wave is running (before the launch, or after its servers were
            # ready): nothing to follow, and the application was not recovered.
            wave.update(status=str(WaveStatus.CANCELLED), endTime=now)
            wave.pop("phase", None)
            stopped_by_cancel = True
        if wave.get("actions") and normalize_wave_status(wave["status"]) != WaveStatus.IN_PROGRESS:
            if stopped_by_cancel or normalize_wave_status(wave["status"]) == WaveStatus.CANCELLED:
                wave["actions"] = actions_at_wave_end(wave["actions"], "", now, cancelled=True)
            else:
                wave["actions"] = actions_at_wave_end(wave["actions"], error or "the wave ended", now)
    return result


def actions_at_wave_end(
    actions: Iterable[Mapping[str, Any]], why: str, now: str, *, cancelled: bool = False
) -> list[dict[str, Any]]:
    """The actions of a wave that ended. Stopped by a cancel (``cancelled``): every action that had
    not ended is CANCELLED (a running attempt, one waiting for its next attempt, one never started),
    never FAILED. Ended by a failure: those never started are SKIPPED, a running one FAILED with
    ``why``, one waiting for its next attempt FAILED with the error of its last attempt."""
    result = []
    for action in actions:
        copy = dict(action)
        status = ActionStatus(copy.get("status") or ActionStatus.PENDING)
        if status in ACTION_ENDED:
            result.append(copy)
            continue
        for key in ("nextAttemptAt", "retryAt", "attemptStartTime", "handle"):
            copy.pop(key, None)
        if cancelled:
            copy.update(status=str(ActionStatus.CANCELLED))
            if status is not ActionStatus.PENDING:
                copy.update(endTime=now)
        elif status is ActionStatus.PENDING:
            copy.update(status=str(ActionStatus.SKIPPED))
        elif status is ActionStatus.RETRY_SCHEDULED:
            copy.update(status=str(ActionStatus.FAILED), endTime=now)
        else:
            copy.update(status=str(ActionStatus.FAILED), endTime=now, error=f"stopped: {why}")
        result.append(copy)
    return result


# --- the runbook ---------------------------------------------------------------------------------------


def stage_of(action: Mapping[str, Any]) -> ActionStage:
    return ActionStage(action.get("stage") or ActionStage.POST)


def next_action(wave: Mapping[str, Any], stage: ActionStage | str) -> int | None:
    """Index (in the wave's ``actions``) of the stage's first action still to run or running; None
    when every action of the stage ended. Actions run strictly in order."""
    for index, action in enumerate(wave.get("actions") or []):
        if stage_of(action) == stage and ActionStatus(action["status"]) not in ACTION_ENDED:
            return index
    return None


def blocking_failure(wave: Mapping[str, Any], stage: ActionStage | str) -> Mapping[str, Any] | None:
    """The stage's first action that failed (or timed out) with ``onFailure: FAIL``: it fails the wave."""
    for action in wave.get("actions") or []:
        if (
            stage_of(action) == stage
            and ActionStatus(action["status"]) in ACTION_FAILED
            and (action.get("onFailure") or OnFailure.FAIL) == OnFailure.FAIL
        ):
            found: Mapping[str, Any] = action
            return found
    return None


def action_error(action: Mapping[str, Any]) -> str:
    """E.g. ``post-action db-accepts-connections failed: exit code 2 on i-0abc``."""
    status = ActionStatus(action["status"])
    what = "timed out" if status is ActionStatus.TIMED_OUT else "failed"
    detail = f": {action['error']}" if action.get("error") else ""
    return f"{stage_of(action).lower()}-action {action.get('name')} {what}{detail}"


def action_warnings(actions: Iterable[Mapping[str, Any]]) -> list[str]:
    """One line per action that failed with ``onFailure: CONTINUE``."""
    return [
        action_error(a) + " (continued)"
        for a in actions
        if ActionStatus(a["status"]) in ACTION_FAILED and a.get("onFailure") == OnFailure.CONTINUE
    ]


def wave_warning_lines(wave: Mapping[str, Any]) -> list[str]:
    """Every warning of a wave: failed OPTIONAL servers, then actions failed with CONTINUE."""
    return [*(wave.get("warnings") or []), *action_warnings(wave.get("actions") or [])]


def actions_for_retry(actions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A retried wave reruns its failed, timed-out and skipped actions (attempts start again);
    those that succeeded stay done."""
    result = []
    for action in actions:
        copy = dict(action)
        if ActionStatus(copy["status"]) in (*ACTION_FAILED, ActionStatus.SKIPPED, ActionStatus.CANCELLED):
            copy.update(status=str(ActionStatus.PENDING), attempts=0)
            for key in (
                "startTime",
                "endTime",
                "error",
                "retryAt",
                "nextAttemptAt",
                "handle",
                "attemptStartTime",
            ):
                copy.pop(key, None)
        result.append(copy)
    return result


def termination_outcome(jobs: Iterable[Mapping[str, Any]]) -> tuple[bool, list[str]]:
    """(finished, source servers whose instance was not terminated) of DRS TERMINATE jobs."""
    jobs = list(jobs)
    if jobs and not all(j.get("status") == "COMPLETED" for j in jobs):
        return False, []
    not_terminated = [
        str(p.get("sourceServerID"))
        for j in jobs
        for p in j.get("participatingServers", [])
        if p.get("launchStatus") not in (None, "TERMINATED")
    ]
    return True, not_terminated


def can_terminate_execution(execution: Mapping[str, Any]) -> dict[str, Any]:
    """Whether the recovery instances of an execution may be terminated now, and why not.

    Returns exactly ``{"canTerminate", "reason", "hasRecoveryInstances"}``; never raises on bad data
    (an unknown status is a reason to refuse). ``hasRecoveryInstances`` is always the truth.
    """
    waves: list[Mapping[str, Any]] = list(execution.get("waves") or [])
    # Set by finalize when DRS jobs outlived the execution, cleared when the follow-up saw them end.
    jobs_pending = bool(execution.get("jobsPending"))
    # A submitted job counts as recovery instances: it may launch them at any moment.
    has_instances = jobs_pending or any(wave_has_recovery_instances(w) for w in waves)

    def no(reason: str) -> dict[str, Any]:
        return {"canTerminate": False, "reason": reason, "hasRecoveryInstances": has_instances}

    try:
        status = normalize_execution_status(execution.get("status", ""))
    except UnknownStatusError:
        return no(f"Unknown execution status: {execution.get('status')!r}")
    if status in ACTIVE_STATUSES:
        return no("Execution is still active")
    if not has_instances:
        return no("No recovery instances found")
    if jobs_pending:
        return no("DRS jobs are still launching recovery instances; terminate them when the jobs end")
    if execution.get("instancesTerminated"):
        return no("Instances already terminated")
    if str(execution.get("terminationStatus") or "").strip().upper() == "IN_PROGRESS":
        return no("Termination already in progress")
    # CANCELLED / PARTIAL_SUCCESS: a wave still marked IN_PROGRESS is stale, its jobs were followed to the end.
    if status in (ExecutionStatus.COMPLETED, ExecutionStatus.FAILED):
        try:
            if WaveStatus.IN_PROGRESS in _wave_statuses(waves):
                return no("Waves still active")
        except UnknownStatusError as exc:
            return no(str(exc))
    return {"canTerminate": True, "reason": None, "hasRecoveryInstances": True}


def drill_left_instances(execution: Mapping[str, Any], waves: Iterable[Mapping[str, Any]]) -> bool:
    """A DRILL ending with recovery instances (or DRS jobs that may still launch some): the record
    is then listed among "instances still running" until they are terminated. A RECOVERY's
    instances are production: never listed."""
    if str(execution.get("executionType") or "").upper() != ExecutionType.DRILL:
        return False
    return any(wave_jobs_pending(w) or wave_has_recovery_instances(w) for w in waves)


def instances_still_running(execution: Mapping[str, Any]) -> bool:
    """An ended DRILL whose recovery instances still run and may be terminated now: final, not
    ``instancesTerminated``, and ``can_terminate_execution`` allows it."""
    if str(execution.get("executionType") or "").upper() != ExecutionType.DRILL:
        return False
    if not is_terminal(str(execution.get("status") or "")) or execution.get("instancesTerminated"):
        return False
    return bool(can_terminate_execution(execution)["canTerminate"])


def instance_standing(server: Mapping[str, Any]) -> bool:
    """The server has a recovery instance that is not terminated (nor being terminated)."""
    return bool(server.get("ec2InstanceId")) and _ec2_state(server) not in ("terminated", "shutting-down")


def running_since(servers: Iterable[Mapping[str, Any]]) -> str | None:
    """When the first recovery instance still standing was launched (the servers' ``launchTime``;
    those whose instance is terminated do not count): None when none is known."""
    times = [str(s["launchTime"]) for s in servers if s.get("launchTime") and instance_standing(s)]
    return min(times, key=whole_second) if times else None


def wave_for_retry(wave: Mapping[str, Any], servers: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A FAILED wave as a retry leaves it: IN_PROGRESS again, its failed and skipped actions PENDING,
    and the phase it resumes in. PRE_ACTIONS when a pre-action is to run again; else the launch
    (SUBMITTED) of ``relaunchServerIds``: every server when nothing was launched, otherwise the
    CRITICAL servers that failed or were never submitted (none: the wave is followed again with a
    fresh timeout); POST_ACTIONS when only post-actions failed."""
    servers = list(servers)
    retry = {**wave, "status": str(WaveStatus.IN_PROGRESS), "retries": int(wave.get("retries") or 0) + 1}
    for key in ("endTime", "error", "pollError", "pollErrors", "queuedTime", "queuedReason"):
        retry.pop(key, None)
    actions = actions_for_retry(wave.get("actions") or [])
    retry["actions"] = actions
    pre_left = any(stage_of(a) is ActionStage.PRE and a["status"] == ActionStatus.PENDING for a in actions)
    failed = [
        str(s["sourceServerId"])
        for s in servers
        if impact_level(s) is ImpactLevel.CRITICAL and (server_failed(s) or not s.get("jobId"))
    ]
    servers_ok = (
        not failed
        and wave.get("jobsFinished")
        and all(s.get("ready") for s in servers if impact_level(s) is ImpactLevel.CRITICAL)
    )
    if not wave.get("jobIds"):
        retry.update(phase=str(WavePhase.PRE_ACTIONS if pre_left else WavePhase.SUBMITTED))
        retry["relaunchServerIds"] = [str(s["sourceServerId"]) for s in servers]
    elif pre_left:
        retry.update(phase=str(WavePhase.PRE_ACTIONS), relaunchServerIds=failed)
    elif servers_ok:
        retry.update(phase=str(WavePhase.POST_ACTIONS), relaunchServerIds=[])
    else:
        retry.update(phase=str(WavePhase.SUBMITTED), relaunchServerIds=failed)
    if retry["phase"] != WavePhase.POST_ACTIONS:
        for key in ("submittedTime", "jobsFinished"):
            retry.pop(key, None)
    if not actions:
        retry.pop("actions")
    return retry


# --- progress ----------------------------------------------------------------------------------------

PROGRESS_KEYS: tuple[str, ...] = ("totalServers", "launched", "converting", "ready", "failed")


def progress_counts(
    servers: Iterable[Mapping[str, Any]], readiness: ReadinessCheck | str = ReadinessCheck.EC2_RUNNING
) -> dict[str, int]:
    """``{totalServers, launched, converting, ready, failed}``; launched includes ready servers."""
    counts = dict.fromkeys(PROGRESS_KEYS, 0)
    for server in servers:
        launch = normalize_launch_status(server.get("launchStatus"))
        counts["totalServers"] += 1
        counts["launched"] += launch == LaunchStatus.LAUNCHED
        counts["converting"] += launch == LaunchStatus.IN_PROGRESS
        counts["ready"] += server_is_ready(server, readiness)
        counts["failed"] += server_failed(server)
    return counts


def merge_progress(parts: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Sum of per-wave progress dicts (always has the five progress keys)."""
    total = dict.fromkeys(PROGRESS_KEYS, 0)
    for part in parts:
        for key, value in part.items():
            total[key] = total.get(key, 0) + int(value)
    return total


# --- display -----------------------------------------------------------------------------------------

_COLORS: dict[ExecutionStatus, str] = {
    _S.COMPLETED: "green",
    _S.PARTIAL_SUCCESS: "orange",
    _S.CANCELLED: "red",
    _S.FAILED: "red",
    _S.IN_PROGRESS: "blue",
    _S.PAUSED: "yellow",
    _S.PENDING: "grey",
    _S.CANCELLING: "grey",
}
_BADGES: dict[WaveStatus, dict[str, str]] = {
    WaveStatus.COMPLETED: {"icon": "✓", "color": "green", "label": "Completed"},
    WaveStatus.FAILED: {"icon": "✗", "color": "red", "label": "Failed"},
    WaveStatus.CANCELLED: {"icon": "⊘", "color": "grey", "label": "Cancelled"},
    WaveStatus.IN_PROGRESS: {"icon": "⟳", "color": "blue", "label": "In Progress"},
    WaveStatus.NOT_STARTED: {"icon": "○", "color": "grey", "label": "Not Started"},
    WaveStatus.SKIPPED: {"icon": "↷", "color": "orange", "label": "Skipped"},
}


_ACTION_BADGES: dict[ActionStatus, dict[str, str]] = {
    ActionStatus.PENDING: {"icon": "○", "color": "grey", "label": "Not started"},
    ActionStatus.RUNNING: {"icon": "⟳", "color": "blue", "label": "Running"},
    ActionStatus.RETRY_SCHEDULED: {"icon": "↻", "color": "yellow", "label": "Retry scheduled"},
    ActionStatus.SUCCEEDED: {"icon": "✓", "color": "green", "label": "Succeeded"},
    ActionStatus.FAILED: {"icon": "✗", "color": "red", "label": "Failed"},
    ActionStatus.TIMED_OUT: {"icon": "✗", "color": "red", "label": "Timed out"},
    ActionStatus.SKIPPED: {"icon": "↷", "color": "orange", "label": "Skipped"},
    ActionStatus.CANCELLED: {"icon": "⊘", "color": "grey", "label": "Cancelled"},
}


def action_badge(status: str) -> dict[str, str]:
    """``{"icon", "color", "label"}`` of a runbook action's status; an unknown one is shown as such."""
    try:
        return dict(_ACTION_BADGES[ActionStatus(status)])
    except ValueError:
        return {"icon": "?", "color": "grey", "label": str(status)}


def action_status_text(action: Mapping[str, Any]) -> str:
    """An action's status in words, with when it is tried again: ``Retry scheduled (attempt 2 of 3
    at 2025-01-01T10:00:30Z)``."""
    status = str(action.get("status") or ActionStatus.PENDING)
    label = action_badge(status)["label"]
    if status == ActionStatus.RETRY_SCHEDULED:
        attempt = int(action.get("attempts") or 0) + 1
        when = action.get("nextAttemptAt")
        return f"{label} (attempt {attempt} of {action.get('maxAttempts') or attempt}" + (
            f" at {when})" if when else ")"
        )
    return label


def _positive_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def status_label(execution: Mapping[str, Any]) -> str:
    """Human label, e.g. ``PARTIAL SUCCESS (1 of 3 waves completed)`` or ``IN PROGRESS (wave 2 of 3)``."""
    status = normalize_execution_status(execution.get("status", ""))
    waves: list[Mapping[str, Any]] = list(execution.get("waves") or [])
    total = _positive_int(execution.get("totalWaves")) or len(waves)
    done = completed_wave_count(waves)
    text = status.replace("_", " ")
    if status == ExecutionStatus.COMPLETED and (warnings := warning_count(waves)):
        return f"{text} WITH WARNINGS ({warnings} warning{'s' if warnings != 1 else ''})"
    skipped = _wave_statuses(waves).count(WaveStatus.SKIPPED)
    if status == ExecutionStatus.PARTIAL_SUCCESS or (
        status in (ExecutionStatus.CANCELLED, ExecutionStatus.FAILED) and done > 0
    ):
        return f"{text} ({done} of {total} waves completed" + (f", {skipped} skipped)" if skipped else ")")
    if status == ExecutionStatus.IN_PROGRESS and (wave := _positive_int(execution.get("currentWave"))):
        return f"{text} (wave {wave} of {total})"
    if status == ExecutionStatus.PAUSED:
        reason = execution.get("pauseReason")
        wave = _positive_int(execution.get("pausedWave")) or _positive_int(execution.get("pausedBeforeWave"))
        if reason == PauseReason.WAVE_FAILED and wave:
            return f"{text} (wave {wave} of {total} failed: retry, skip or cancel)"
        if reason == PauseReason.APPROVAL and wave:
            return f"{text} (approval in wave {wave} of {total})"
        if wave:
            return f"{text} (before wave {wave} of {total})"
    return text


def warning_count(waves: Iterable[Mapping[str, Any]]) -> int:
    """Warnings of the waves: one per failed OPTIONAL server and per action failed with CONTINUE."""
    return sum(len(wave_warning_lines(w)) for w in waves)


def status_color(status: str) -> str:
    """Badge colour of an execution status: green, orange, red, blue, yellow or grey."""
    return _COLORS[normalize_execution_status(status)]


def wave_status_color(status: str) -> str:
    """Badge colour of a wave status (a palette of its own: wave statuses are not execution statuses)."""
    return _BADGES[normalize_wave_status(status)]["color"]


def wave_badge(status: str) -> dict[str, str]:
    """``{"icon", "color", "label"}`` for a wave status (legacy spellings accepted)."""
    return dict(_BADGES[normalize_wave_status(status)])


def wave_summary(waves: Iterable[Mapping[str, Any]]) -> str:
    """E.g. ``✓ 1 wave(s) completed | ✗ 1 wave(s) failed | ⊘ 1 wave(s) cancelled``; only non-zero parts."""
    statuses = _wave_statuses(waves)
    parts = [
        f"{_BADGES[status]['icon']} {statuses.count(status)} wave(s) {status.lower()}"
        for status in (WaveStatus.COMPLETED, WaveStatus.FAILED, WaveStatus.SKIPPED, WaveStatus.CANCELLED)
        if status in statuses
    ]
    return " | ".join(parts)


def _parse_iso(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.strip())
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def whole_second(iso: str) -> int:
    """The whole second (Unix time, truncated) a timestamp falls in: the one rounding rule of every
    span of time the product shows. A span is ``whole_second(end) - whole_second(start)``, so spans
    laid end to end add up exactly (no span gains or loses a second to rounding on its own)."""
    return int(_parse_iso(iso).timestamp() // 1)


def duration_seconds(start_iso: str | None, end_iso: str | None) -> int | None:
    """Whole seconds between two ISO-8601 timestamps (``whole_second`` of each, subtracted); None if
    either is missing or the end precedes the start."""
    if not start_iso or not end_iso:
        return None
    seconds = whole_second(end_iso) - whole_second(start_iso)
    return seconds if seconds >= 0 else None


def pause_seconds(start_iso: str | None, end_iso: str | None) -> int:
    """The length of one pause, in whole seconds by the rule of ``duration_seconds`` (0 when unknown)."""
    return duration_seconds(start_iso, end_iso) or 0


def paused_seconds(execution: Mapping[str, Any], now_iso: str) -> int:
    """The time an execution spent PAUSED, as every surface shows it: the pauses that ended (each
    added to ``pausedSeconds`` by ``pause_seconds`` when it ended), plus the open pause up to
    ``now_iso`` while the execution is PAUSED. The report's per-pause ``seconds`` use the same
    boundaries and the same rule, so they add up to this total."""
    total = int(execution.get("pausedSeconds") or 0)
    status = str(execution.get("status") or "").upper()
    if status == ExecutionStatus.PAUSED and execution.get("pausedTime"):
        total += pause_seconds(execution["pausedTime"], now_iso)
    return total


# Step Functions history budget (25,000 events; a poll loop turn costs 9): up to BURST polls at any
# pace, then on average no more than one poll per BUDGET_SECONDS of execution time.
HISTORY_BURST_POLLS = 200
HISTORY_BUDGET_SECONDS = 40


def within_history_budget(interval: int, steps: int, execution_elapsed_seconds: float) -> int:
    """The interval before the next loop turn (a poll or a runbook action step), slowed to the
    budget's pace once the execution made more than its burst of turns for its age."""
    allowed = HISTORY_BURST_POLLS + execution_elapsed_seconds / HISTORY_BUDGET_SECONDS
    return max(interval, HISTORY_BUDGET_SECONDS) if steps >= allowed else interval


def execution_duration(execution: Mapping[str, Any]) -> int | None:
    """The recorded duration of an ended execution, else the seconds between its start and end."""
    stored = execution.get("durationSeconds")
    if isinstance(stored, int | float) and not isinstance(stored, bool):
        return int(stored)
    return duration_seconds(execution.get("startTime"), execution.get("endTime"))


def recovery_time(execution: Mapping[str, Any], now_iso: str) -> dict[str, Any]:
    """``{seconds, pausedSeconds, activeSeconds, targetSeconds, met}`` of an execution.

    ``seconds`` runs from the start to the moment the last wave COMPLETED, so it exists only for a
    COMPLETED execution; ``pausedSeconds`` is the time spent PAUSED (operator waits, approvals),
    reported apart (an open pause counts up to now, or to the end); ``activeSeconds`` is the rest.
    ``met`` compares ``seconds`` with the plan's ``rtoTargetMinutes``: None without a target or
    while the execution is active, False when it ended without recovering every wave.
    """
    status = normalize_execution_status(execution.get("status", ""))
    minutes = (execution.get("options") or {}).get("rtoTargetMinutes")
    target = int(minutes) * 60 if minutes else None
    paused = paused_seconds({**execution, "status": str(status)}, now_iso)
    seconds = None
    waves = list(execution.get("waves") or [])
    if status == ExecutionStatus.COMPLETED and waves:
        seconds = duration_seconds(
            execution.get("startTime"), max(str(w.get("endTime") or "") for w in waves) or None
        )
    met: bool | None = None
    if target is not None and status in TERMINAL_STATUSES:
        met = seconds is not None and seconds <= target
    return {
        "seconds": seconds,
        "pausedSeconds": paused,
        "activeSeconds": None if seconds is None else max(0, seconds - paused),
        "targetSeconds": target,
        "met": met,
    }


def verdict(recovery: Mapping[str, Any]) -> str:
    """MET, MISSED, or NO_TARGET / IN_PROGRESS when there is nothing to judge yet."""
    if recovery.get("targetSeconds") is None:
        return "NO_TARGET"
    if recovery.get("met") is None:
        return "IN_PROGRESS"
    return "MET" if recovery["met"] else "MISSED"


def format_duration(seconds: int | None) -> str:
    """``38s``, ``4m 05s``, ``1h 02m 03s``; ``-`` when unknown."""
    if seconds is None or seconds < 0:
        return "-"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def format_limit(seconds: int | None) -> str:
    """A configured limit (a timeout) in the largest unit that states it exactly: ``10 s``,
    ``90 s``, ``15 min``, ``24 h``; ``-`` when unknown."""
    if seconds is None or seconds < 0:
        return "-"
    whole = int(seconds)
    if whole and whole % 3600 == 0:
        return f"{whole // 3600} h"
    if whole and whole % 60 == 0:
        return f"{whole // 60} min"
    return f"{whole} s"


def recovery_time_text(recovery: Mapping[str, Any]) -> str:
    """``Recovery time 3m 10s (1m 00s paused) against a target of 15m 00s: MET``: the recovery time
    as drsctl, the Markdown report and the email say it (the report page lays out the same values)."""
    seconds = recovery.get("seconds")
    text = "Recovery time " + (
        format_duration(seconds) if seconds is not None else "- (not every wave recovered)"
    )
    if recovery.get("pausedSeconds"):
        text += f" ({format_duration(recovery['pausedSeconds'])} paused)"
    if recovery.get("targetSeconds") is None:
        return text + ": no recovery time objective set"
    outcome = {True: "MET", False: "MISSED", None: "not judged yet"}[recovery.get("met")]
    return text + f" against a target of {format_duration(recovery['targetSeconds'])}: {outcome}"


def next_wave_number(waves: Sequence[Mapping[str, Any]], index: int) -> int | None:
    """The number of the first wave after the one at ``index`` (0-based) that has not started: the
    wave that runs once that one is skipped, or after it once it is retried; None for the last wave."""
    for wave in waves[index + 1 :]:
        if normalize_wave_status(str(wave.get("status") or "NOT_STARTED")) is WaveStatus.NOT_STARTED:
            return int(wave["waveNumber"])
    return None


def after_skip_text(waves: Sequence[Mapping[str, Any]], index: int) -> str:
    """What happens once the failed wave at ``index`` is skipped, in words: the next wave starts, or,
    when no wave is left, the execution finishes (never COMPLETED)."""
    following = next_wave_number(waves, index)
    if following is not None:
        return f"wave {following} starts next; the execution can no longer end COMPLETED"
    return "no wave is left to run: the execution finishes now and cannot end COMPLETED"


def after_retry_text(waves: Sequence[Mapping[str, Any]], index: int) -> str:
    """What follows a retried wave at ``index`` once it completes: the next wave, or the end."""
    following = next_wave_number(waves, index)
    if following is not None:
        return f"once it completes, wave {following} starts"
    return "once it completes, the execution finishes (it is the last wave)"


def percentile(values: Sequence[int], fraction: float) -> int | None:
    """The nearest-rank percentile (``fraction`` 0.5 for p50, 0.95 for p95) of whole seconds: the
    smallest value with at least that share of the values at or below it; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


# A recovery time whose median moved by less than this share against the previous drills is steady.
TREND_TOLERANCE = 0.10


def recovery_time_trend(recent_p50: int | None, previous_p50: int | None) -> str:
    """FASTER, SLOWER or STEADY: the median recovery time of the recent drills against that of the
    drills before them (beyond TREND_TOLERANCE); UNKNOWN when either has no completed drill."""
    if recent_p50 is None or previous_p50 is None:
        return "UNKNOWN"
    if recent_p50 > previous_p50 * (1 + TREND_TOLERANCE):
        return "SLOWER"
    if recent_p50 < previous_p50 * (1 - TREND_TOLERANCE):
        return "FASTER"
    return "STEADY"


# --- automatic cleanup of a drill's recovery instances (options.drillCleanupAfterHours) -------------
# The warning goes out this long before the cleanup (right away when that moment has passed).
CLEANUP_WARNING_SECONDS = 3600
# Hours a plan may keep a drill's instances, and hours one postpone may add (both 1 to 168).
CLEANUP_MIN_HOURS = 1
CLEANUP_MAX_HOURS = 168
# Who the record and the timeline name as having terminated the instances of a cleanup.
AUTOMATIC_CLEANUP = "automatic cleanup"


def _iso_ms(moment: datetime) -> str:
    value = moment.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _plus_seconds(iso: str, seconds: float) -> str:
    return _iso_ms(_parse_iso(iso.replace("Z", "+00:00")) + timedelta(seconds=seconds))


def cleanup_time(end_iso: str, hours: int) -> str:
    """When the recovery instances of a drill that ended at ``end_iso`` are terminated: the one
    computation of ``cleanupAt`` (the execution's recorded end time plus the plan's hours)."""
    return _plus_seconds(end_iso, hours * 3600)


def postponed_cleanup_time(cleanup_at: str, now_iso: str, hours: int) -> str:
    """``cleanupAt`` after a postpone of ``hours``: that much later than it was, counted from now
    when the moment has already passed (a firing not yet arrived), so it always moves to the future."""
    base = max(cleanup_at, now_iso, key=lambda v: _parse_iso(v.replace("Z", "+00:00")))
    return _plus_seconds(base, hours * 3600)


def cleanup_warning_time(cleanup_at: str) -> str:
    """When the warning of a cleanup is due: an hour before it."""
    return _plus_seconds(cleanup_at, -CLEANUP_WARNING_SECONDS)


def cleanup_pending(execution: Mapping[str, Any]) -> bool:
    """The automatic cleanup of this execution is still to come: a DRILL with ``cleanupAt`` whose
    instances are neither terminated nor being terminated (a failed termination leaves them to it)."""
    if str(execution.get("executionType") or "").upper() != ExecutionType.DRILL:
        return False
    if not execution.get("cleanupAt") or execution.get("instancesTerminated"):
        return False
    return str(execution.get("terminationStatus") or "").strip().upper() not in ("IN_PROGRESS", "COMPLETED")


# ---------------------------------------------------------------- what a drill cost
# Operating systems as the AWS Price List names them (EC2's PlatformDetails, mapped by the EC2 adapter).
PRICED_OPERATING_SYSTEMS = ("Linux", "Windows", "RHEL", "SUSE")
COST_CURRENCY = "USD"


def price_key(instance_type: str, operating_system: str) -> str:
    """The key of one hourly on-demand price: ``<instanceType>/<operatingSystem>``."""
    return f"{instance_type}/{operating_system}"


def _instance_end(server: Mapping[str, Any], termination_end: str | None) -> str | None:
    """When a recovery instance stopped billing: the end its termination recorded (the DRS
    TERMINATE job's end), else for an instance EC2 shows terminated, the end of the execution's
    termination, else when the orchestrator saw it terminated. None: it still runs."""
    if server.get("terminatedTime"):
        return str(server["terminatedTime"])
    if instance_standing(server):
        return None
    return termination_end or (str(server["updatedAt"]) if server.get("updatedAt") else None)


def instance_usage(
    servers: Iterable[Mapping[str, Any]], now_iso: str, *, termination_end: str | None = None
) -> list[dict[str, Any]]:
    """Each recovery instance launched (an EC2 id and a launch time) from its launch to its end, or
    to ``now_iso`` while it runs (``running``): instance type, operating system, whole seconds."""
    usage = []
    for server in servers:
        if not server.get("ec2InstanceId") or not server.get("launchTime"):
            continue
        end = _instance_end(server, termination_end)
        seconds = duration_seconds(str(server["launchTime"]), end or now_iso) or 0
        usage.append(
            {
                "ec2InstanceId": str(server["ec2InstanceId"]),
                "instanceType": str(server.get("instanceType") or "unknown"),
                "operatingSystem": str(server.get("platform") or "Linux"),
                "seconds": seconds,
                "running": end is None,
            }
        )
    return usage


def price_keys(servers: Iterable[Mapping[str, Any]]) -> list[str]:
    """The hourly prices a cost of these servers needs (``price_key``), each once, sorted."""
    return sorted(
        {
            price_key(str(s.get("instanceType") or "unknown"), str(s.get("platform") or "Linux"))
            for s in servers
            if s.get("ec2InstanceId") and s.get("launchTime")
        }
    )


def drill_cost(
    servers: Iterable[Mapping[str, Any]],
    prices: Mapping[str, float | None],
    now_iso: str,
    *,
    termination_end: str | None = None,
) -> dict[str, Any]:
    """What an execution's recovery instances cost, as an estimate: instance-hours per instance type
    and operating system, each type's hourly on-demand price (``prices`` by ``price_key``; None or
    missing: unknown) and cost. A type whose price is unknown keeps its hours and is left out of the
    total (never guessed); instances still running are counted to ``now_iso`` and counted as such."""
    by_key: dict[str, dict[str, Any]] = {}
    for use in instance_usage(servers, now_iso, termination_end=termination_end):
        key = price_key(use["instanceType"], use["operatingSystem"])
        entry = by_key.setdefault(
            key,
            {
                "instanceType": use["instanceType"],
                "operatingSystem": use["operatingSystem"],
                "instances": 0,
                "runningInstances": 0,
                "seconds": 0,
            },
        )
        entry["instances"] += 1
        entry["runningInstances"] += int(use["running"])
        entry["seconds"] += use["seconds"]
    types = []
    total = 0.0
    unpriced: list[str] = []
    for key in sorted(by_key):
        entry = by_key.pop(key)
        seconds = entry.pop("seconds")
        price = prices.get(key)
        cost = round(seconds / 3600 * price, 4) if price is not None else None
        if cost is None:
            unpriced.append(entry["instanceType"])
        else:
            total += cost
        types.append(
            {**entry, "instanceHours": round(seconds / 3600, 3), "hourlyPrice": price, "estimatedCost": cost}
        )
    running = sum(t["runningInstances"] for t in types)
    return {
        "estimate": True,
        "currency": COST_CURRENCY,
        "asOf": now_iso,
        "instanceHours": round(sum(t["instanceHours"] for t in types), 3),
        "estimatedTotal": round(total, 4),
        "types": types,
        "unpricedTypes": sorted(set(unpriced)),
        "runningInstances": running,
        "complete": not unpriced,
    }


def format_usd(value: float | None) -> str:
    """A price or cost as every surface writes it: cents from $1 up, four decimals below (a short
    drill of small instances costs fractions of a cent); "unknown" for None."""
    if value is None:
        return "unknown"
    return f"${value:,.2f}" if value >= 1 else f"${value:.4f}"


def cost_type_text(entry: Mapping[str, Any]) -> str:
    """One instance type of a cost: ``t3.medium (Linux): 2 instances, 3 h x $0.0416/h = $0.1248``."""
    count = int(entry["instances"])
    text = (
        f"{entry['instanceType']} ({entry['operatingSystem']}): {count} instance{'s' if count != 1 else ''}, "
    )
    text += f"{entry['instanceHours']:g} h"
    if entry["hourlyPrice"] is None:
        text += ", price unknown (not in the total)"
    else:
        text += f" x {format_usd(entry['hourlyPrice'])}/h = {format_usd(entry['estimatedCost'])}"
    if entry["runningInstances"]:
        text += f"; {entry['runningInstances']} still running"
    return text


def cost_text(cost: Mapping[str, Any]) -> str:
    """The one-line summary every surface prints: ``Estimated cost: $0.1248 (3 instance-hours)``,
    with what it leaves out and what still runs."""
    text = f"Estimated cost: {format_usd(cost['estimatedTotal'])} ({cost['instanceHours']:g} instance-hours)"
    if cost["unpricedTypes"]:
        text += f"; price unknown for {', '.join(cost['unpricedTypes'])}, left out of the total"
    if cost["runningInstances"]:
        text += f"; {cost['runningInstances']} instance(s) still running, counted to {cost['asOf']}"
    return text
