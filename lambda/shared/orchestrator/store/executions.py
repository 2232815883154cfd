"""Execution records, written only through methods named by what they mean. Each builds one
conditional Change; the backend (DynamoDB or in memory) applies it. A status change is conditional
on the version read: two actors that read the same version cannot both win."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, Protocol

from execution_utils import (
    ACTIVE_STATUSES,
    TERMINAL_WAVE_STATUSES,
    ActionStatus,
    ExecutionStatus,
    PauseReason,
    WavePhase,
    WaveStatus,
    normalize_execution_status,
    transition,
)
from orchestrator.exceptions import NotFoundError, StaleWriteError
from orchestrator.identity import ActorLike
from orchestrator.identity import fields as actor_fields
from orchestrator.model import (
    ActionRecord,
    DrillOverride,
    ExecutionRecord,
    PendingEvent,
    WaveRecord,
    execution_from_item,
)
from orchestrator.store import outbox
from orchestrator.store.changes import (
    Change,
    Equals,
    Missing,
    MissingOrEmpty,
    MissingOrEquals,
    NotContains,
    OneOf,
)
from orchestrator.store.ports import ActionWrite, Pause, PauseDecision

RECORD_TYPE = "EXECUTION"


def _set_actor(change: Change, name: str, actor: ActorLike) -> Change:
    """Who acted: the words in ``name`` (as it always held), the structured value beside it."""
    for key, value in actor_fields(name, actor).items():
        change.set(key, value)
    return change


_ACTIVE = tuple(sorted(str(s) for s in ACTIVE_STATUSES))
Page = tuple[list[ExecutionRecord], dict[str, Any] | None]


class ExecutionBackend(Protocol):
    """Where execution items live: DynamoDB (store.dynamodb) or memory (store.memory)."""

    def put_new(self, item: Mapping[str, Any]) -> None:
        """Store a new item; StaleWriteError if one with its id exists."""

    def get(self, execution_id: str) -> dict[str, Any] | None: ...

    def apply(self, execution_id: str, change: Change) -> dict[str, Any] | None:
        """The item after the change, or None when it does not exist or a condition failed."""

    def page(
        self, *, plan_id: str | None, status: str | None, limit: int, start_key: Mapping[str, Any] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Newest first: by plan (and status), by status, or all; DynamoDB-shaped page keys."""

    def with_status(self, status: str) -> Iterator[dict[str, Any]]: ...

    def flagged(self, attribute: str) -> Iterator[dict[str, Any]]:
        """Items whose sparse-index attribute is "PENDING" (terminationPending, jobsPending,
        eventsPending, instancesPending)."""


def _wave(index: int, name: str) -> str:
    return f"waves[{index}].{name}"


def _action(index: int, position: int, name: str) -> str:
    return f"waves[{index}].actions[{position}].{name}"


def _as_read(index: int, position: int, was: ActionRecord) -> tuple[Equals, Equals]:
    """The action is still as read: the same status and attempt count."""
    return (
        Equals(_action(index, position, "status"), was["status"]),
        Equals(_action(index, position, "attempts"), was["attempts"]),
    )


class ExecutionStore:
    def __init__(self, backend: ExecutionBackend) -> None:
        self.backend = backend

    # --- reads -------------------------------------------------------------------------------------
    def get(self, execution_id: str) -> ExecutionRecord:
        found = self.backend.get(execution_id)
        if not found:
            raise NotFoundError(f"execution {execution_id} not found", code="EXECUTION_NOT_FOUND")
        return execution_from_item(found)

    def list_page(
        self,
        *,
        plan_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
        start_key: Mapping[str, Any] | None = None,
    ) -> Page:
        items, last = self.backend.page(plan_id=plan_id, status=status, limit=limit, start_key=start_key)
        return [execution_from_item(i) for i in items], last

    def active(self) -> Iterator[ExecutionRecord]:
        """Every execution whose status is active."""
        for status in _ACTIVE:
            yield from (execution_from_item(i) for i in self.backend.with_status(status))

    def terminating(self) -> Iterator[ExecutionRecord]:
        """Executions whose recovery instances are being terminated."""
        yield from (execution_from_item(i) for i in self.backend.flagged("terminationPending"))

    def following_jobs(self) -> Iterator[ExecutionRecord]:
        """Ended executions whose DRS jobs are still followed."""
        yield from (execution_from_item(i) for i in self.backend.flagged("jobsPending"))

    def with_instances_left(self) -> Iterator[ExecutionRecord]:
        """Ended DRILLs that left recovery instances not yet terminated (the sparse InstancesIndex:
        only those records carry instancesPending; it is removed when the instances are terminated)."""
        yield from (execution_from_item(i) for i in self.backend.flagged("instancesPending"))

    def with_pending_events(self) -> Iterator[ExecutionRecord]:
        """Executions (active or ended) whose outbox holds events the timeline has not received."""
        yield from (execution_from_item(i) for i in self.backend.flagged("eventsPending"))

    # --- the one way each change is written -------------------------------------------------------
    def _apply(self, execution: ExecutionRecord, change: Change) -> ExecutionRecord:
        """Apply or raise StaleWriteError (a condition failed: the record changed since it was read)."""
        found = self.backend.apply(execution["executionId"], change)
        if found is None:
            raise StaleWriteError("the item changed since it was read")
        return execution_from_item(found)

    def _apply_or_fresh(self, execution: ExecutionRecord, change: Change) -> ExecutionRecord:
        """Apply, or return the record as it is now when the change no longer applies."""
        try:
            return self._apply(execution, change)
        except StaleWriteError:
            return self.get(execution["executionId"])

    def _versioned(self, execution: ExecutionRecord) -> Change:
        return Change().versioned(int(execution.get("version", 0)))

    def _set_status(self, change: Change, execution: ExecutionRecord, new_status: ExecutionStatus) -> Change:
        """The one write of an execution's status, by the model's rule (``transition``) from the
        status read: IllegalTransitionError for a change it forbids, a status "changing" to itself
        included (a write that keeps the status says so before it gets here). Every change that
        calls it is versioned, so it applies only to the record whose status was checked.

        A change already conditioned on a status the record read does not have could never apply:
        StaleWriteError, as the backend would answer it (the caller reads again)."""
        required = [c.value for c in change.conditions if isinstance(c, Equals) and c.path == "status"]
        if any(value != execution["status"] for value in required):
            raise StaleWriteError("the item changed since it was read")
        new = transition(normalize_execution_status(execution["status"]), new_status)
        return change.set("status", str(new))

    def create(self, record: ExecutionRecord) -> ExecutionRecord:
        item: ExecutionRecord = {**record, "recordType": RECORD_TYPE, "version": 1}
        self.backend.put_new(item)
        return item

    def set_state_machine(self, execution: ExecutionRecord, arn: str) -> ExecutionRecord:
        change = Change(if_missing={"sfnExecutionArn": arn})
        return self._apply_or_fresh(execution, change)

    def record_running(self, execution: ExecutionRecord) -> ExecutionRecord:
        """PENDING or PAUSED -> IN_PROGRESS at a wave boundary."""
        return self._apply(
            execution, self._set_status(self._versioned(execution), execution, ExecutionStatus.IN_PROGRESS)
        )

    def request_pause(
        self, execution: ExecutionRecord, *, actor: ActorLike, now: str, event: PendingEvent | None = None
    ) -> ExecutionRecord:
        change = self._versioned(execution).when(Equals("status", execution["status"]))
        change.set("pauseRequested", True).set("pauseRequestedTime", now)
        _set_actor(change, "pauseRequestedBy", actor)
        return self._apply(execution, outbox.with_event(change, event))

    def record_paused(
        self, execution: ExecutionRecord, pause: Pause, asked: ActionWrite | None = None
    ) -> ExecutionRecord:
        """The state machine waits on the pause's token (PAUSED, unless it already was). An
        approval's pause (APPROVAL) also writes its action, RUNNING now (``asked``), while the wave
        is IN_PROGRESS and the action still as read."""
        change = self._paused(execution, pause)
        if asked is not None:
            index, position = asked.index, asked.position
            change.when(
                Equals(_wave(index, "status"), str(WaveStatus.IN_PROGRESS)),
                *_as_read(index, position, asked.was),
            )
            change.set(_wave(index, f"actions[{position}]"), asked.action)
        return self._apply(execution, change)

    def record_approval_expired(
        self,
        execution: ExecutionRecord,
        index: int,
        position: int,
        action: ActionRecord,
        *,
        paused_seconds: int,
    ) -> ExecutionRecord:
        """Nobody approved in time: IN_PROGRESS again with the action's outcome (TIMED_OUT)."""
        change = self._versioned(execution).when(
            Equals("status", str(ExecutionStatus.PAUSED)),
            Equals(_action(index, position, "status"), str(ActionStatus.RUNNING)),
        )
        self._set_status(change, execution, ExecutionStatus.IN_PROGRESS).set("pausedSeconds", paused_seconds)
        change.remove("taskToken", "taskActionTime")
        return self._apply(execution, change.set(_wave(index, f"actions[{position}]"), action))

    def _paused(self, execution: ExecutionRecord, pause: Pause) -> Change:
        token, reason, wave, now, action = pause.token, pause.reason, pause.wave, pause.now, pause.action
        change = self._versioned(execution).set("taskToken", token).set("pausedWave", wave)
        change.set("pauseReason", str(reason)).set("pausedAction", action)
        before = reason in (PauseReason.BEFORE_WAVE, PauseReason.OPERATOR)
        change.set("pausedBeforeWave", wave if before else None)
        # A new pause: whatever was decided about an earlier one no longer answers this one.
        change.remove("taskActionTime", "decision")
        if before:
            change.remove("pauseRequested")
        if execution["status"] != ExecutionStatus.PAUSED:  # a pause while PAUSED keeps its pausedTime
            self._set_status(change, execution, ExecutionStatus.PAUSED).set("pausedTime", now)
        return change

    def _resumed(self, execution: ExecutionRecord, decision: PauseDecision) -> Change:
        """IN_PROGRESS, keeping the task token until the state machine has received it. The decision
        (who, with what comment, when) is kept with the record until the next pause, so that a later
        caller learns who decided this pause."""
        change = self._versioned(execution).when(Equals("status", str(ExecutionStatus.PAUSED)))
        self._set_status(change, execution, ExecutionStatus.IN_PROGRESS)
        now, actor, comment = decision.now, decision.actor, decision.comment
        kept: dict[str, Any] = {"kind": decision.kind, **actor_fields("actor", actor), "time": now}
        if comment:
            kept["comment"] = comment
        if execution.get("pausedWave"):
            kept["wave"] = execution["pausedWave"]
        if execution.get("pausedAction"):
            kept["action"] = execution["pausedAction"]
        change.set("decision", kept)
        if execution.get("pausedBeforeWave"):
            change.set("resumedBeforeWave", execution["pausedBeforeWave"])
            change.set("currentWave", execution["pausedBeforeWave"])
        _set_actor(change, "resumedBy", actor).set("resumedTime", now).set("resumeComment", comment)
        change.set("taskActionTime", now).set("pausedSeconds", decision.paused_seconds)
        return outbox.with_event(change, decision.event)

    def record_resume(
        self, execution: ExecutionRecord, decision: PauseDecision, approved: ActionWrite | None = None
    ) -> ExecutionRecord:
        """IN_PROGRESS again by an operator's word. A resume that approves the APPROVAL action waiting
        (``approved``) also writes its end, while it is still RUNNING."""
        change = self._resumed(execution, decision)
        if approved is not None:
            index, position = approved.index, approved.position
            change.when(Equals(_action(index, position, "status"), str(ActionStatus.RUNNING)))
            change.set(_wave(index, f"actions[{position}]"), approved.action)
        return self._apply(execution, change)

    def record_wave_decision(
        self, execution: ExecutionRecord, index: int, wave: WaveRecord, decision: PauseDecision
    ) -> ExecutionRecord:
        """The operator's word (RETRY or SKIP) on a FAILED wave (``wave`` as it leaves it:
        IN_PROGRESS again for a retry, SKIPPED for a skip); the execution goes on, IN_PROGRESS."""
        change = self._resumed(execution, decision)
        change.when(Equals(_wave(index, "status"), str(WaveStatus.FAILED)))
        change.set(f"waves[{index}]", wave).set("currentWave", index + 1)
        return self._apply(execution, change)

    def request_cancel(
        self,
        execution: ExecutionRecord,
        *,
        actor: ActorLike,
        reason: str | None,
        now: str,
        paused_seconds: int | None,
        event: PendingEvent | None = None,
    ) -> ExecutionRecord:
        """CANCELLING; a held task token stays until the state machine has received CANCEL."""
        change = self._set_status(self._versioned(execution), execution, ExecutionStatus.CANCELLING)
        change.set("cancelRequested", True).set("cancelRequestedTime", now)
        _set_actor(change, "cancelRequestedBy", actor)
        change.set("cancelReason", reason)
        if paused_seconds is not None:
            change.set("pausedSeconds", paused_seconds)
        if execution.get("taskToken"):
            change.set("taskActionTime", now)
        return self._apply(execution, outbox.with_event(change, event))

    def forget_events(self, execution: ExecutionRecord, event_ids: Collection[str]) -> ExecutionRecord:
        """Take ``event_ids`` (now in the timeline) out of the outbox (see outbox.take_out)."""
        return execution_from_item(outbox.take_out(self.backend.apply, self.get, execution, event_ids))

    def forget_task_token(self, execution: ExecutionRecord, token: str) -> ExecutionRecord:
        """Remove the task token once delivered, unless a newer pause already replaced it."""
        change = Change().remove("taskToken", "taskActionTime").when(Equals("taskToken", token))
        return self._apply_or_fresh(execution, change)

    # --- waves ------------------------------------------------------------------------------------
    def claim_wave(
        self, execution: ExecutionRecord, index: int, *, now: str, phase: WavePhase = WavePhase.SUBMITTED
    ) -> ExecutionRecord:
        """NOT_STARTED -> IN_PROGRESS, exactly once (StaleWriteError for the second claimant): to
        launch (SUBMITTED) or to run its pre-actions first (PRE_ACTIONS)."""
        change = Change().when(
            Equals("status", str(ExecutionStatus.IN_PROGRESS)),
            Equals(_wave(index, "status"), str(WaveStatus.NOT_STARTED)),
        )
        change.set(_wave(index, "status"), str(WaveStatus.IN_PROGRESS))
        change.set(_wave(index, "phase"), str(phase))
        change.set(_wave(index, "startTime"), now).set("currentWave", index + 1)
        return self._apply(execution, change)

    def begin_launch(self, execution: ExecutionRecord, index: int) -> ExecutionRecord:
        """PRE_ACTIONS -> SUBMITTED, exactly once (StaleWriteError for the second caller), and never
        after a cancel was accepted (nothing is launched then)."""
        change = self._running_wave(index).when(
            Equals(_wave(index, "phase"), str(WavePhase.PRE_ACTIONS)), Missing("cancelRequested")
        )
        return self._apply(execution, change.set(_wave(index, "phase"), str(WavePhase.SUBMITTED)))

    def record_action(
        self,
        execution: ExecutionRecord,
        index: int,
        position: int,
        action: ActionRecord,
        *,
        was: ActionRecord,
        unless_cancelled: bool = False,
    ) -> ExecutionRecord:
        """One action's new state, if it is still as read (``was``): two attempts of the same step
        cannot both start or end it. With ``unless_cancelled`` (an attempt starts, or the next one is
        scheduled), also only while no cancel was accepted. StaleWriteError otherwise."""
        change = self._running_wave(index).when(*_as_read(index, position, was))
        if unless_cancelled:
            change.when(Missing("cancelRequested"))
        return self._apply(execution, change.set(_wave(index, f"actions[{position}]"), action))

    def finish_wave(
        self,
        execution: ExecutionRecord,
        index: int,
        *,
        status: WaveStatus,
        actions: Sequence[ActionRecord],
        error: str | None,
        completed_waves: int,
        now: str,
    ) -> ExecutionRecord:
        """The end of a wave decided by its actions: COMPLETED after its post-actions, or FAILED by
        one of them. StaleWriteError when the wave was no longer IN_PROGRESS."""
        change = self._running_wave(index).set(_wave(index, "status"), str(status))
        change.set(_wave(index, "actions"), list(actions)).set(_wave(index, "endTime"), now)
        change.set(_wave(index, "error"), error).remove(_wave(index, "phase"))
        change.set("completedWaves", completed_waves)
        return self._apply(execution, change)

    def add_wave_job(self, execution: ExecutionRecord, index: int, job_id: str) -> ExecutionRecord:
        """Record a DRS job of a wave exactly once, whatever the execution's status (a job once
        submitted is followed to its end, so it must never be lost)."""
        change = Change(appends={_wave(index, "jobIds"): [job_id]}).when(
            NotContains(_wave(index, "jobIds"), job_id)
        )
        return self._apply_or_fresh(execution, change)

    def _running_wave(self, index: int) -> Change:
        """A change that applies only while the wave is IN_PROGRESS in an active execution."""
        return Change().when(
            OneOf("status", _ACTIVE), Equals(_wave(index, "status"), str(WaveStatus.IN_PROGRESS))
        )

    def _wave_update(self, execution: ExecutionRecord, change: Change) -> ExecutionRecord | None:
        try:
            return self._apply(execution, change)
        except StaleWriteError:
            return None

    def record_queued(
        self, execution: ExecutionRecord, index: int, *, queued_since: str, reason: str
    ) -> None:
        change = self._running_wave(index).set(_wave(index, "phase"), str(WavePhase.QUEUED_FOR_CAPACITY))
        change.set(_wave(index, "queuedTime"), queued_since).set(_wave(index, "queuedReason"), reason)
        self._wave_update(execution, change)

    def record_submitted(self, execution: ExecutionRecord, index: int, *, now: str) -> None:
        """Every server of the wave is in a DRS job: the wave's own clock (its timeout) starts now."""
        change = self._running_wave(index).remove(_wave(index, "queuedReason"))
        change.if_missing[_wave(index, "submittedTime")] = now
        if execution["waves"][index].get("phase") == WavePhase.QUEUED_FOR_CAPACITY:
            change.set(_wave(index, "phase"), str(WavePhase.SUBMITTED))
        self._wave_update(execution, change)

    def fail_wave(
        self, execution: ExecutionRecord, index: int, error: str, *, now: str, only_if_no_jobs: bool
    ) -> None:
        """The wave could not start. With ``only_if_no_jobs``, a job recorded meanwhile (by a
        concurrent attempt) wins and the wave goes on."""
        change = self._running_wave(index).set(_wave(index, "status"), str(WaveStatus.FAILED))
        change.set(_wave(index, "endTime"), now).set(_wave(index, "error"), error).remove(
            _wave(index, "phase")
        )
        if only_if_no_jobs:
            change.when(MissingOrEmpty(_wave(index, "jobIds")))
        self._wave_update(execution, change)

    def record_poll(
        self,
        execution: ExecutionRecord,
        index: int,
        *,
        status: WaveStatus,
        phase: WavePhase | None,
        facts: Mapping[str, Any],
        jobs_finished: bool,
        error: str | None,
        completed_waves: int,
        now: str,
    ) -> bool:
        """What a poll learned of a wave still IN_PROGRESS; False when the wave no longer was."""
        change = self._running_wave(index).set(_wave(index, "status"), str(status))
        change.set(_wave(index, "phase"), str(phase) if phase else None)
        for key, value in facts.items():
            change.set(_wave(index, key), value)
        if jobs_finished:
            change.set(_wave(index, "jobsFinished"), True)
        if status in TERMINAL_WAVE_STATUSES:
            change.set(_wave(index, "endTime"), now)
        change.set(_wave(index, "error"), error)
        change.remove(_wave(index, "pollErrors"), _wave(index, "pollError"))
        change.set("lastPolledTime", now).set("completedWaves", completed_waves)
        return self._wave_update(execution, change) is not None

    def record_poll_error(
        self, execution: ExecutionRecord, index: int, message: str, failures: int | None
    ) -> None:
        """The last poll could not read DRS or EC2; ``failures`` counts errors that are not passing."""
        change = self._running_wave(index).set(_wave(index, "pollError"), message)
        change.set(_wave(index, "pollErrors"), failures)
        self._wave_update(execution, change)

    def record_followed(
        self, execution: ExecutionRecord, index: int, facts: Mapping[str, Any], jobs_finished: bool
    ) -> None:
        """After the end: what the DRS jobs of a wave launched since (statuses untouched)."""
        change = Change()
        for key in ("progress", "recoveryInstances", "failedServers", "warnings"):
            change.set(_wave(index, key), facts[key])
        if jobs_finished:
            change.set(_wave(index, "jobsFinished"), True)
        self._apply_or_fresh(execution, change)

    def record_jobs_followed(self, execution: ExecutionRecord, *, now: str) -> None:
        self._apply_or_fresh(execution, Change().remove("jobsPending").set("jobsFollowedTime", now))

    def record_servers_refreshed(self, execution: ExecutionRecord, *, now: str) -> None:
        self._apply_or_fresh(
            execution, Change().when(OneOf("status", _ACTIVE)).set("serversRefreshedTime", now)
        )

    # --- drill network overrides (operations/drill_network.py) -----------------------------------
    def with_overrides_pending(self) -> Iterator[ExecutionRecord]:
        """Executions (active or ended) holding a drill network override not yet restored."""
        yield from (execution_from_item(i) for i in self.backend.flagged("overridesPending"))

    def record_drill_override(self, execution: ExecutionRecord, entry: DrillOverride) -> ExecutionRecord:
        """Append a server's override before it is made (and flag the record); StaleWriteError when
        another write appended first (the caller reads again and finds it)."""
        count = len(execution.get("drillOverrides") or [])
        change = (
            Change(appends={"drillOverrides": [entry]})
            .when(Missing(f"drillOverrides[{count}]"))
            .set("overridesPending", "PENDING")
        )
        return self._apply(execution, change)

    def update_drill_override(
        self, execution: ExecutionRecord, position: int, entry: DrillOverride
    ) -> ExecutionRecord:
        """Rewrite one override (MADE, RESTORED), conditional on it being the same server's still; the
        flag is removed with the last restore (conditional on every other one being restored and no
        new one appended). StaleWriteError when the record moved (the caller reads again)."""
        overrides = list(execution.get("drillOverrides") or [])
        change = Change().when(
            Equals(f"drillOverrides[{position}].sourceServerId", entry["sourceServerId"]),
            Equals(f"drillOverrides[{position}].status", overrides[position]["status"]),
        )
        change.set(f"drillOverrides[{position}]", entry)
        if entry["status"] != "RESTORED":
            change.set("overridesPending", "PENDING")
        others = [o for n, o in enumerate(overrides) if n != position]
        if entry["status"] == "RESTORED" and all(o["status"] == "RESTORED" for o in others):
            change.when(
                Missing(f"drillOverrides[{len(overrides)}]"),
                *(
                    Equals(f"drillOverrides[{n}].status", "RESTORED")
                    for n in range(len(overrides))
                    if n != position
                ),
            ).remove("overridesPending")
        return self._apply(execution, change)

    # --- the end --------------------------------------------------------------------------------
    def record_final(
        self,
        execution: ExecutionRecord,
        *,
        status: ExecutionStatus,
        waves: Sequence[WaveRecord],
        now: str,
        duration_seconds: int,
        completed_waves: int,
        error: str | None,
        jobs_pending: bool,
        paused_seconds: int | None = None,
        instances_left: bool = False,
        cleanup_at: str | None = None,
    ) -> ExecutionRecord:
        """The terminal status and end time, once (StaleWriteError when the record changed).
        ``instances_left``: a DRILL left recovery instances (instancesPending puts the record in
        the sparse InstancesIndex until they are terminated). ``cleanup_at``: when the automatic
        cleanup terminates them (in the same write as the end time it is computed from)."""
        change = self._set_status(self._versioned(execution), execution, status).set("waves", list(waves))
        change.set("endTime", now).set("durationSeconds", duration_seconds)
        change.set("completedWaves", completed_waves).remove("taskToken", "taskActionTime")
        if jobs_pending:
            change.set("jobsPending", "PENDING")
        if instances_left:
            change.set("instancesPending", "PENDING")
        if cleanup_at:
            change.set("cleanupAt", cleanup_at)
        if paused_seconds is not None:  # it ended while PAUSED: the open pause counts to the end
            change.set("pausedSeconds", paused_seconds)
        change.set("error", error)
        return self._apply(execution, change)

    def postpone_cleanup(
        self, execution: ExecutionRecord, *, cleanup_at: str, actor: ActorLike, now: str
    ) -> ExecutionRecord:
        """Move ``cleanupAt`` to ``cleanup_at``, conditional on the value read and on no termination
        having been asked since (StaleWriteError otherwise: another postpone or a terminate won)."""
        change = Change().when(
            Equals("cleanupAt", execution.get("cleanupAt")),
            MissingOrEquals("terminationStatus", "FAILED"),
        )
        change.set("cleanupAt", cleanup_at).set("cleanupPostponedTime", now)
        _set_actor(change, "cleanupPostponedBy", actor)
        return self._apply(execution, change)

    def record_cleanup_notice(self, execution: ExecutionRecord, notice: str) -> ExecutionRecord:
        """A cleanup notice went out on one channel (``<KIND>#<cleanupAt>#<channel>``): appended to
        the notices as read (StaleWriteError when they changed since: read again and retry)."""
        read = execution.get("cleanupNotices")
        change = Change().when(MissingOrEquals("cleanupNotices", read), NotContains("cleanupNotices", notice))
        return self._apply(execution, change.set("cleanupNotices", [*(read or []), notice][-20:]))

    def record_report(
        self, execution: ExecutionRecord, *, location: str, now: str, cost: Mapping[str, Any] | None = None
    ) -> ExecutionRecord:
        """Where the report was written, and the cost it states (what the execution detail shows,
        so that a read of the detail never reads every server)."""
        change = Change().set("reportLocation", location).set("reportTime", now)
        if cost is not None:
            # As JSON: its nulls (an unknown price) and fractions come back exactly as written.
            change.set("costJson", json.dumps(cost, separators=(",", ":")))
        return self._apply_or_fresh(execution, change)

    def claim_termination(self, execution: ExecutionRecord, *, actor: ActorLike, now: str) -> ExecutionRecord:
        """Termination requested once (a FAILED one may be asked again): StaleWriteError otherwise."""
        change = self._versioned(execution).when(MissingOrEquals("terminationStatus", "FAILED"))
        change.set("terminationStatus", "IN_PROGRESS").set("terminationPending", "PENDING")
        change.set("terminationRequestedTime", now)
        _set_actor(change, "terminationRequestedBy", actor)
        change.remove("terminationError", "terminationJobIds")
        return self._apply(execution, change)

    def record_termination_started(
        self,
        execution: ExecutionRecord,
        *,
        job_ids: list[str],
        instances: int,
        event: PendingEvent | None = None,
    ) -> ExecutionRecord:
        """The TERMINATE jobs of a claim, with their TERMINATION_STARTED event in the outbox."""
        change = outbox.with_event(Change(), event)
        change.set("terminationJobIds", job_ids).set("terminatingInstances", instances)
        if not job_ids:
            change.set("terminationStatus", "COMPLETED").set("instancesTerminated", True).remove(
                "terminationPending", "instancesPending"
            )
        return self._apply_or_fresh(execution, change)

    def record_termination_failed(self, execution: ExecutionRecord, error: str) -> ExecutionRecord:
        change = Change().set("terminationStatus", "FAILED").set("terminationError", error)
        return self._apply_or_fresh(execution, change.remove("terminationPending"))

    def record_termination_end(
        self, execution: ExecutionRecord, *, not_terminated: Sequence[str], now: str
    ) -> ExecutionRecord:
        change = Change().remove("terminationPending").set("terminationEndTime", now)
        if not_terminated:
            change.set("terminationStatus", "FAILED")
            change.set("terminationError", "not terminated: " + ", ".join(not_terminated[:20]))
        else:
            change.set("terminationStatus", "COMPLETED").set("instancesTerminated", True)
            change.remove("instancesPending")
        return self._apply_or_fresh(execution, change)
