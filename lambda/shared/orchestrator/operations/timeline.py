"""The timeline: what happened to an execution, oldest first.

Execution and wave events are recorded by the operation that makes them happen, each under a
deterministic id, so a task Step Functions repeats records it once. Server events (each phase,
launched, ready, failed) come from the moments the poll keeps on each server item, which it writes
anyway: following a thousand servers costs no extra write."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict, Unpack

from execution_utils import duration_seconds, server_label
from orchestrator.deps import Deps
from orchestrator.exceptions import OrchestratorError, TransientError
from orchestrator.identity import ActorLike
from orchestrator.identity import fields as actor_fields
from orchestrator.model import ExecutionRecord, PendingEvent, ServerRecord, TimelineEvent

logger = logging.getLogger(__name__)

_SERVER_MOMENTS = {
    "SNAPSHOT": ("SERVER_PHASE", "taking the snapshot"),
    "CONVERTING": ("SERVER_PHASE", "converting"),
    "LAUNCHING": ("SERVER_PHASE", "launching"),
    "LAUNCHED": ("SERVER_LAUNCHED", "recovery instance launched"),
    "READY": ("SERVER_READY", "ready"),
    "FAILED": ("SERVER_FAILED", "failed"),
}


class EventFields(TypedDict, total=False):
    """What an event may say besides its kind and message (``time`` defaults to now)."""

    time: str | None
    wave: int | None
    actor: ActorLike | None
    details: dict[str, Any] | None


def timeline_event(deps: Deps, kind: str, message: str, **fields: Unpack[EventFields]) -> TimelineEvent:
    """One event as the timeline keeps it."""
    event: TimelineEvent = {"time": fields.get("time") or deps.clock.iso(), "type": kind, "message": message}
    if (wave := fields.get("wave")) is not None:
        event["waveNumber"] = wave
    if actor := fields.get("actor"):
        event.update(actor_fields("actor", actor))  # type: ignore[typeddict-item]
    if details := fields.get("details"):
        event["details"] = details
    return event


def pending_event(
    deps: Deps, event_id: str, kind: str, message: str, **fields: Unpack[EventFields]
) -> PendingEvent:
    """An event for the outbox: written with the state change that makes it happen."""
    return {"eventId": event_id, "event": timeline_event(deps, kind, message, **fields)}


def note(
    deps: Deps, execution_id: str, event_id: str, kind: str, message: str, **fields: Unpack[EventFields]
) -> None:
    """Record an event once (its id is deterministic, so recording it again changes nothing).

    A failure to record raises: the step that made the event happen fails, and Step Functions'
    Retry runs it again. Every step is safe to repeat and writes its events again when it finds its
    state change already made (``action_outcome``, ``started_execution``, ``record_end``), so no
    event is lost to a passing DynamoDB fault."""
    _record(deps, execution_id, event_id, timeline_event(deps, kind, message, **fields))


def _record(deps: Deps, execution_id: str, event_id: str, event: TimelineEvent) -> None:
    """Write one event; TransientError when it could not be written."""
    try:
        deps.stores.timeline.record(execution_id, event_id, event)
    except OrchestratorError as e:
        logger.warning(
            "timeline event not recorded: the step fails and is tried again",
            extra={"executionId": execution_id, "event": event_id, "error": e.message},
        )
        if isinstance(e, TransientError):
            raise
        raise TransientError(f"the timeline event {event_id} could not be recorded: {e.message}") from e


def flush_events(deps: Deps, execution: ExecutionRecord) -> ExecutionRecord:
    """Move the events of the execution's outbox (written by a control in the same write as its
    state change) to the timeline, then out of the outbox. Idempotent: an event already in the
    timeline is not written again, one already taken out is done. TransientError when an event
    could not be written (it stays in the outbox); returns the record as it is after."""
    pending = execution.get("pendingEvents") or []
    if not pending:
        return execution
    for item in pending:
        _record(deps, execution["executionId"], item["eventId"], item["event"])
    try:
        return deps.stores.executions.forget_events(execution, {p["eventId"] for p in pending})
    except OrchestratorError as e:
        # Written to the timeline, still in the outbox: the next flush writes nothing and forgets them.
        raise TransientError(
            f"the outbox of execution {execution['executionId']} was not emptied: {e.message}"
        ) from e


def read_for_step(deps: Deps, execution_id: str) -> ExecutionRecord:
    """The record as a state machine step reads it: its outbox moved to the timeline first (kept
    when that fails: the step goes on, the next one or ``find`` tries again)."""
    return flush_events_or_keep(deps, deps.stores.executions.get(execution_id))


def flush_events_or_keep(deps: Deps, execution: ExecutionRecord) -> ExecutionRecord:
    """``flush_events`` where a failure must not undo what was decided (a control's answer, a step
    that only passes by): the events stay in the outbox for the next step, ``find`` or the report."""
    try:
        return flush_events(deps, execution)
    except OrchestratorError as e:
        logger.warning(
            "timeline events kept in the outbox: written later",
            extra={"executionId": execution["executionId"], "error": e.message},
        )
        return execution


def started_execution(deps: Deps, execution: Mapping[str, Any]) -> None:
    """EXECUTION_STARTED, from the record (by create, and again by every advance and finalize)."""
    note(
        deps,
        execution["executionId"],
        "EXECUTION_STARTED",
        "EXECUTION_STARTED",
        f"{execution['executionType']} of recovery plan {execution['planName']} started: "
        f"{execution['totalWaves']} waves, {execution['totalServers']} servers",
        time=execution["startTime"],
        actor=execution.get("initiatedByIdentity") or execution.get("initiatedBy"),
        details={"executionType": str(execution["executionType"])},
    )


def started_wave(deps: Deps, execution_id: str, wave: Mapping[str, Any], index: int, time: str) -> None:
    note(
        deps,
        execution_id,
        f"WAVE_STARTED#{index + 1}",
        "WAVE_STARTED",
        f"wave {index + 1} ({wave['waveName']}) started",
        time=time,
        wave=index + 1,
    )


def action_outcome(deps: Deps, execution_id: str, index: int, action: Mapping[str, Any]) -> None:
    """The end of an action's last attempt (ACTION_SUCCEEDED, ACTION_FAILED, ACTION_TIMED_OUT), from
    the ``lastOutcome`` its record keeps until the next attempt starts: written right after the
    record, and again by each later step of the wave and by finalize."""
    outcome = action.get("lastOutcome")
    if not outcome:
        return
    status = str(outcome["status"])
    kind = f"ACTION_{status}"
    message = f"{str(action['stage']).lower()}-action {action['name']} {status.lower().replace('_', ' ')}"
    if action.get("error"):
        message += f": {action['error']}"
    if outcome.get("retryInSeconds") is not None:
        message += (
            f" (attempt {action['attempts']} of {action['maxAttempts']};"
            f" tried again in {outcome['retryInSeconds']} s)"
        )
    details: dict[str, Any] = {"action": action["name"], "stage": action["stage"]}
    if outcome.get("withAttempt", True):
        details["attempt"] = action["attempts"]
    if action.get("output"):
        details["output"] = action["output"]
    note(
        deps,
        execution_id,
        f"{kind}#{index + 1}#{action['stage']}#{action['name']}#{action['attempts']}",
        kind,
        message,
        time=str(outcome["time"]),
        wave=index + 1,
        details=details,
    )


def finished_wave(deps: Deps, execution_id: str, wave: Mapping[str, Any]) -> None:
    """WAVE_FINISHED of a wave in a terminal status, at its end time."""
    number = int(wave["waveNumber"])
    status = str(wave["status"])
    message = f"wave {number} ({wave.get('waveName')}) {status.lower().replace('_', ' ')}"
    if wave.get("error"):
        message += f": {wave['error']}"
    duration = duration_seconds(wave.get("startTime"), wave.get("endTime"))
    note(
        deps,
        execution_id,
        f"WAVE_FINISHED#{number}",
        "WAVE_FINISHED",
        message,
        time=wave.get("endTime"),
        wave=number,
        details={"status": status, **({"durationSeconds": duration} if duration is not None else {})},
    )


# (sortKey, eventId, event). sortKey orders the timeline: time first, then a recorded event before
# a server's moment of the same time, then by id. eventId names an event for a reader merging what
# changed into what it has: a recorded event's own id, SERVER#<wave>#<sourceServerId>#<phase> for a
# server's moment (each phase is recorded once on the server item, never removed).
TimelineEntry = tuple[str, str, TimelineEvent]


def recorded_entry(event_id: str, event: TimelineEvent) -> TimelineEntry:
    return f"{event['time']}#0#{event_id}", event_id, event


def server_events(server: ServerRecord) -> list[TimelineEntry]:
    """Every moment recorded on a server item, as timeline entries."""
    name = server_label(server)
    found: list[TimelineEntry] = []
    for phase, time in (server.get("phaseTimes") or {}).items():
        kind, what = _SERVER_MOMENTS.get(phase, ("SERVER_PHASE", phase.lower()))
        event: TimelineEvent = {
            "time": time,
            "type": kind,
            "message": f"server {name}: {what}",
            "waveNumber": server["waveNumber"],
            "sourceServerId": server["sourceServerId"],
        }
        if phase == "FAILED" and server.get("error"):
            event["details"] = {"error": server["error"]}
        if phase == "READY" and server.get("recoveryTimeSeconds") is not None:
            event["details"] = {"recoveryTimeSeconds": server["recoveryTimeSeconds"]}
        sid = server["sourceServerId"]
        found.append((f"{time}#1#{sid}#{phase}", f"SERVER#{server['waveNumber']}#{sid}#{phase}", event))
    return found


def changed_servers(deps: Deps, execution_id: str, since: str) -> list[ServerRecord]:
    """Every server written at ``since`` (a changedAt stamp) or later."""
    found: list[ServerRecord] = []
    start: dict[str, Any] | None = None
    while True:
        items, start = deps.stores.servers.changed(execution_id, since, limit=500, start_key=start)
        found += items
        if not start:
            return found


def entries(
    deps: Deps, execution_id: str, servers: Iterable[ServerRecord] | None = None, since: str | None = None
) -> list[TimelineEntry]:
    """The timeline's entries in order: every one, or (``since``, a changedAt stamp) those of the
    events recorded and the servers written since. ``servers`` when the caller has read them."""
    found = [recorded_entry(i, e) for i, e in deps.stores.timeline.recorded(execution_id, since)]
    if servers is None:
        servers = (
            deps.stores.servers.all(execution_id)
            if since is None
            else changed_servers(deps, execution_id, since)
        )
    for server in servers:
        found += server_events(server)
    return sorted(found, key=lambda entry: entry[0])


def all_events(
    deps: Deps, execution_id: str, servers: Iterable[ServerRecord] | None = None
) -> list[TimelineEvent]:
    """Every event of an execution, oldest first (recorded events and server moments; ``servers``
    when the caller has read them already)."""
    return [event for _key, _id, event in entries(deps, execution_id, servers)]


def entry_view(entry: TimelineEntry) -> dict[str, Any]:
    """An entry as the timeline route answers it: the event, its id and its sort key."""
    key, event_id, event = entry
    return {**event, "eventId": event_id, "sortKey": key}


def page(
    deps: Deps, execution_id: str, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of the whole timeline and the offset of the next one (None at the end)."""
    deps.stores.executions.get(execution_id)
    found = entries(deps, execution_id)
    chunk = found[offset : offset + limit]
    return [entry_view(e) for e in chunk], (offset + limit if offset + limit < len(found) else None)


def changed_page(
    deps: Deps, execution_id: str, since: str, *, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """A page of what was written since ``since`` (a changedAt stamp): the moments of up to
    ``limit`` servers written since (a page of the servers' ChangeIndex), and on the first page every
    event recorded since (an execution records few). Each page in the timeline's order; the key of
    the next page (the servers' ChangeIndex key) or None. Every item is read once per listing."""
    servers, last = deps.stores.servers.changed(execution_id, since, limit=limit, start_key=start_key)
    found = [entry for server in servers for entry in server_events(server)]
    if start_key is None:
        found += [recorded_entry(i, e) for i, e in deps.stores.timeline.recorded(execution_id, since)]
    return [entry_view(e) for e in sorted(found, key=lambda entry: entry[0])], last
