"""finalize: the only place an execution gets a terminal status and an end time.

Idempotent: an execution that is already terminal is returned unchanged. The write is conditional on
the version read, so two finalizes (a retry, the reconciler) cannot both win.
"""

from __future__ import annotations

import json
import logging
from typing import Any, cast

from execution_utils import (
    TERMINAL_WAVE_STATUSES,
    ExecutionStatus,
    ExecutionType,
    WaveStatus,
    completed_wave_count,
    decide_final_status,
    drill_left_instances,
    duration_seconds,
    is_terminal,
    normalize_execution_status,
    normalize_wave_status,
    paused_seconds,
    recovery_time,
    server_phase,
    server_phase_settled,
    status_label,
    wave_jobs_pending,
    waves_at_end,
)
from orchestrator.deps import Deps
from orchestrator.exceptions import OrchestratorError, StaleWriteError, TransientError
from orchestrator.model import ExecutionRecord, ServerRecord, WaveRecord, options_of, with_fields
from orchestrator.operations import cleanup, drill_network
from orchestrator.operations.state import MachineState, machine_state
from orchestrator.operations.timeline import (
    action_outcome,
    finished_wave,
    flush_events,
    note,
    started_execution,
    started_wave,
)
from orchestrator.store.ports import execution_lock_ids
from orchestrator.store.readiness import server_drill_item

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
# A source server's last drill outcome (record_drilled_servers): recovered (launched and running) or not.
DRILL_RECOVERED = "RECOVERED"
DRILL_FAILED = "FAILED"


def error_message(error: Any) -> str | None:
    """A readable message from a Step Functions Catch result ({"Error", "Cause"}) or a string."""
    if not error:
        return None
    if isinstance(error, str):
        return error
    name = str(error.get("Error", "Error"))
    cause = error.get("Cause")
    try:
        parsed = json.loads(cause) if isinstance(cause, str) else cause
    except ValueError:
        parsed = cause
    if isinstance(parsed, dict):
        message = parsed.get("errorMessage") or parsed.get("message") or json.dumps(parsed)[:500]
        name = str(parsed.get("errorType") or name)
    else:
        message = str(parsed or "")
    return f"{name}: {message}" if message else name


def _after_the_end(deps: Deps, record: ExecutionRecord) -> None:
    """What follows the terminal write, each step idempotent (a retried finalize does them again):
    the drill network's overrides restored, the locks released, the servers settled and their last
    drill recorded, the end's events written, the automatic cleanup arranged."""
    drill_network.restore_safely(deps, record, every=True)
    release_locks(deps, record)
    settle_servers(deps, record)
    record_drilled_servers(deps, record)
    record_end(deps, record)
    cleanup.arrange(deps, record)


def finalize_execution(deps: Deps, execution_id: str, *, error: str | None = None) -> ExecutionRecord:
    """Decide and record the final status; release the execution's locks. Returns the record."""
    for _attempt in range(MAX_ATTEMPTS):
        execution = deps.stores.executions.get(execution_id)
        current = normalize_execution_status(execution["status"])
        if is_terminal(current):
            # A retry after the terminal write: the locks may still be held (their release failed),
            # the events may be missing (recording them failed).
            _after_the_end(deps, execution)
            return execution
        cancel = current is ExecutionStatus.CANCELLING or bool(execution.get("cancelRequested"))
        now = deps.clock.iso()
        waves = cast(
            list[WaveRecord], waves_at_end(execution["waves"], cancelled=cancel, error=error, now=now)
        )
        final = decide_final_status(waves, cancel_requested=cancel, error=error)
        instances_left = drill_left_instances(execution, waves)
        try:
            record = deps.stores.executions.record_final(
                execution,
                status=final,
                waves=waves,
                now=now,
                duration_seconds=duration_seconds(execution["startTime"], now) or 0,
                completed_waves=completed_wave_count(waves),
                error=error,
                paused_seconds=paused_seconds(execution, now) if current is ExecutionStatus.PAUSED else None,
                # DRS jobs that run on are followed by the scheduled find, which records their instances.
                jobs_pending=any(wave_jobs_pending(w) for w in waves),
                instances_left=instances_left,
                cleanup_at=cleanup.due_at(execution, now, instances_left=instances_left),
            )
        except StaleWriteError:
            continue
        _after_the_end(deps, record)
        logger.info(
            "execution finalized",
            extra={
                "executionId": execution_id,
                "status": str(final),
                "waves": [w.get("status") for w in waves],
            },
        )
        return record
    raise TransientError(f"execution {execution_id} kept changing while it was being finalized")


def expected_events(execution: ExecutionRecord) -> list[str]:
    """The ids of the events an ended execution's timeline must hold, read from its record: its
    start and end, each started wave's start, each ended wave's end, the last outcome of each
    action, and every event waiting in its outbox (the report is written only once they are all
    there)."""
    ids = ["EXECUTION_STARTED", *(p["eventId"] for p in execution.get("pendingEvents") or [])]
    for index, wave in enumerate(execution["waves"]):
        if wave.get("startTime"):
            ids.append(f"WAVE_STARTED#{index + 1}")
        for action in wave.get("actions") or []:
            if outcome := action.get("lastOutcome"):
                ids.append(
                    f"ACTION_{outcome['status']}#{index + 1}#{action['stage']}#{action['name']}"
                    f"#{action['attempts']}"
                )
        if wave["status"] in TERMINAL_WAVE_STATUSES:
            ids.append(f"WAVE_FINISHED#{index + 1}")
    ids.append("EXECUTION_FINISHED")
    return ids


def record_end(deps: Deps, execution: ExecutionRecord) -> None:
    """The timeline's account of the end: each wave's outcome, then the execution's; with the events
    the record implies that an earlier step could not write, and the events of its outbox (the
    controls' decisions; idempotent: ids are deterministic). TransientError when one is not written."""
    flush_events(deps, execution)
    started_execution(deps, execution)
    for index, wave in enumerate(execution["waves"]):
        if wave.get("startTime"):
            started_wave(deps, execution["executionId"], wave, index, wave["startTime"])
        for action in wave.get("actions") or []:
            action_outcome(deps, execution["executionId"], index, action)
    for wave in execution["waves"]:
        if wave["status"] in TERMINAL_WAVE_STATUSES:
            # A wave cancelled before it started ends with the execution.
            finished_wave(
                deps,
                execution["executionId"],
                {**wave, "endTime": wave.get("endTime") or execution.get("endTime")},
            )
    status = str(execution["status"])
    note(
        deps,
        execution["executionId"],
        "EXECUTION_FINISHED",
        "EXECUTION_FINISHED",
        f"execution finished: {status_label(execution)}"
        + (f" ({execution['error']})" if execution.get("error") else ""),
        time=execution.get("endTime"),
        details={
            "status": status,
            "recoveryTime": recovery_time(execution, execution.get("endTime") or deps.clock.iso()),
        },
    )


def settle_servers(deps: Deps, execution: ExecutionRecord) -> int:
    """Settle the phase of every server of an ended execution whose wave did not settle it: a wave
    cancelled, never started or failed before its launch leaves its servers NOT_LAUNCHED (never
    "pending"); a wave failed while its servers were still becoming ready leaves them READY, FAILED or
    NOT_READY. Servers of DRS jobs still running are left to the scheduled find, which settles them
    when the jobs end. COMPLETED waves were settled by their last poll. Writes only the servers that
    changed, so a repeated finalize writes nothing; returns how many changed. Evidence, not control:
    a failure is logged and never fails the finalize."""
    readiness = options_of(execution)["readinessCheck"]
    changed: list[ServerRecord] = []
    try:
        for wave in execution["waves"]:
            if normalize_wave_status(str(wave.get("status") or "NOT_STARTED")) is WaveStatus.COMPLETED:
                continue
            jobs_running = wave_jobs_pending(wave)
            for server in deps.stores.servers.wave(execution["executionId"], int(wave["waveNumber"])):
                # A settled phase is final (a later termination changes the EC2 state, not the phase).
                if server_phase_settled(server) or (jobs_running and server.get("jobId")):
                    continue
                phase = server_phase(server, readiness, wave_ended=True)
                if phase is not None:
                    changed.append(with_fields(server, phase=str(phase), updatedAt=deps.clock.iso()))
        if changed:
            deps.stores.servers.put_many(changed)
    except OrchestratorError as e:
        logger.warning(
            "server phases not settled",
            extra={"executionId": execution["executionId"], "error": e.message},
        )
        return 0
    return len(changed)


def record_drilled_servers(deps: Deps, execution: ExecutionRecord) -> int:
    """When a DRILL ended: for each server it launched (a DRS job took it), the drill's time and
    whether the server recovered (ready: launched and running) or not. Conditional on a later drill
    not being recorded already, so a repeat (finalize retried, WriteReport) writes nothing new.
    Returns how many servers were recorded now."""
    if execution.get("executionType") != ExecutionType.DRILL or not execution.get("endTime"):
        return 0
    drilled = [
        server_drill_item(
            server["sourceServerId"],
            execution["executionId"],
            str(execution["endTime"]),
            DRILL_RECOVERED if server.get("ready") else DRILL_FAILED,
        )
        for server in deps.stores.servers.all(execution["executionId"])
        if server.get("jobId")
    ]
    return deps.stores.readiness.record_server_drills(drilled) if drilled else 0


def release_locks(deps: Deps, execution: ExecutionRecord) -> None:
    """Release the plan and server locks this (ended) execution still holds; never another's."""
    server_ids = deps.stores.servers.source_server_ids(execution["executionId"])
    deps.stores.locks.release_held(
        execution_lock_ids(execution["planId"], server_ids), execution["executionId"]
    )


def finalize(deps: Deps, state: dict[str, Any]) -> MachineState:
    """Step Functions operation: finalize with the error a Catch recorded, if any."""
    finalize_execution(deps, state["executionId"], error=error_message(state.get("error")))
    return machine_state(state, next_step="FINALIZE", wave_done=True)
