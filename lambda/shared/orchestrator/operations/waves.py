"""advance, pause and start_wave: the wave boundary operations the state machine calls."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, cast

from execution_utils import (
    ACTIVE_STATUSES,
    ActionStage,
    ExecutionStatus,
    ExecutionType,
    LaunchStatus,
    OnWaveFailure,
    PauseReason,
    WavePhase,
    WaveStatus,
    format_limit,
    is_terminal,
    next_action,
    normalize_execution_status,
    server_label,
)
from orchestrator import timeutil
from orchestrator.aws.drs import chunks
from orchestrator.deps import Deps
from orchestrator.exceptions import (
    CapacityError,
    ConflictError,
    OrchestratorError,
    StaleWriteError,
    TransientError,
)
from orchestrator.model import (
    SERVER_POLL_FIELDS,
    ExecutionRecord,
    ServerRecord,
    WaveRecord,
    options_of,
    with_fields,
)
from orchestrator.operations import drill_network
from orchestrator.operations.create import busy_in_drs_jobs
from orchestrator.operations.state import MachineState, Next, machine_state
from orchestrator.operations.timeline import note, read_for_step, started_execution, started_wave
from orchestrator.store.ports import Pause

logger = logging.getLogger(__name__)

TAG_EXECUTION = "drs-orchestrator:execution-id"
TAG_WAVE = "drs-orchestrator:wave"
TAG_PLAN = "drs-orchestrator:plan-id"
TAG_ATTEMPT = "drs-orchestrator:attempt"


def _current_wave_index(waves: list[WaveRecord]) -> int | None:
    """The wave the execution is at: one IN_PROGRESS (its actions, or a retry), else the first
    NOT_STARTED; None when every wave ended."""
    for index, wave in enumerate(waves):
        if wave.get("status") == WaveStatus.IN_PROGRESS:
            return index
    for index, wave in enumerate(waves):
        if wave.get("status") == WaveStatus.NOT_STARTED:
            return index
    return None


def _failed_wave_index(waves: list[WaveRecord]) -> int | None:
    return next((i for i, w in enumerate(waves) if w.get("status") == WaveStatus.FAILED), None)


def advance(deps: Deps, state: dict[str, Any]) -> MachineState:
    """Decide the next step at a wave boundary: PAUSE (before a wave, or on a failed wave when the
    plan says onWaveFailure PAUSE), ACTIONS (a wave's pre- or post-actions), START_WAVE, or FINALIZE."""
    for _attempt in range(5):
        execution = read_for_step(deps, state["executionId"])
        total = int(execution["totalWaves"])
        status = normalize_execution_status(execution["status"])
        if not execution.get("sfnExecutionArn") and state.get("sfnExecutionArn"):
            execution = deps.stores.executions.set_state_machine(execution, str(state["sfnExecutionArn"]))
        waves = execution["waves"]
        if all(w.get("status") == WaveStatus.NOT_STARTED for w in waves):
            # The API wrote it when it started the execution; written again in case it could not.
            started_execution(deps, execution)
        options = options_of(execution)
        pause_seconds = options["pauseTimeoutMinutes"] * 60
        if is_terminal(status) or status is ExecutionStatus.CANCELLING or execution.get("cancelRequested"):
            return machine_state(state, total_waves=total, next_step="FINALIZE")
        failed = _failed_wave_index(waves)
        if failed is not None:
            if options["onWaveFailure"] == OnWaveFailure.PAUSE:
                return machine_state(
                    state,
                    wave_index=failed,
                    total_waves=total,
                    next_step="PAUSE",
                    pause_timeout_seconds=pause_seconds,
                )
            return machine_state(state, total_waves=total, next_step="FINALIZE")
        index = _current_wave_index(waves)
        if index is None:
            return machine_state(state, total_waves=total, next_step="FINALIZE")
        wave = waves[index]
        starting = wave.get("status") == WaveStatus.NOT_STARTED
        resumed = execution.get("resumedBeforeWave") == index + 1
        if starting and (wave.get("pauseBeforeWave") or execution.get("pauseRequested")) and not resumed:
            return machine_state(
                state,
                wave_index=index,
                total_waves=total,
                next_step="PAUSE",
                pause_timeout_seconds=pause_seconds,
            )
        if status is not ExecutionStatus.IN_PROGRESS:
            try:
                deps.stores.executions.record_running(execution)
            except StaleWriteError:
                continue
            continue
        step = _wave_step(wave)
        if starting and step == "ACTIONS":
            try:
                claimed = deps.stores.executions.claim_wave(
                    execution, index, now=deps.clock.iso(), phase=WavePhase.PRE_ACTIONS
                )
            except StaleWriteError:
                continue
            started_wave(deps, execution["executionId"], wave, index, claimed["waves"][index]["startTime"])
        elif step == "ACTIONS" and wave.get("startTime"):
            # A repeat of the advance that claimed the wave: its event may be missing.
            started_wave(deps, execution["executionId"], wave, index, wave["startTime"])
        stage = ActionStage.POST if wave.get("phase") == WavePhase.POST_ACTIONS else ActionStage.PRE
        return machine_state(
            state,
            wave_index=index,
            total_waves=total,
            next_step=step,
            stage=str(stage),
            pause_timeout_seconds=pause_seconds,
        )
    raise TransientError("the execution kept changing at a wave boundary")


def _wave_step(wave: WaveRecord) -> Next:
    """What a wave needs next: its actions (pre-actions not run yet, or post-actions after the
    launch), or START_WAVE (its launch, also the relaunch of a retried wave)."""
    phase = wave.get("phase")
    if wave.get("status") == WaveStatus.NOT_STARTED or phase == WavePhase.PRE_ACTIONS:
        return "ACTIONS" if next_action(wave, ActionStage.PRE) is not None else "START_WAVE"
    if phase == WavePhase.POST_ACTIONS:
        return "ACTIONS"
    return "START_WAVE"


def _pause_reason(execution: ExecutionRecord, index: int) -> tuple[PauseReason, str]:
    if execution["waves"][index].get("status") == WaveStatus.FAILED:
        error = execution["waves"][index].get("error") or "failed"
        return PauseReason.WAVE_FAILED, f"wave {index + 1} failed ({error}): retry, skip or cancel"
    if execution.get("pauseRequested"):
        return PauseReason.OPERATOR, f"paused before wave {index + 1} (an operator asked)"
    return PauseReason.BEFORE_WAVE, f"paused before wave {index + 1} (the plan pauses here)"


def pause(deps: Deps, state: dict[str, Any], task_token: str) -> dict[str, Any]:
    """Invoked with .waitForTaskToken: record PAUSED and the token, then the state machine waits.

    If a cancel got in first, complete the token at once so the state machine finalizes.
    """
    index = int(state["waveIndex"])
    for _attempt in range(5):
        execution = deps.stores.executions.get(state["executionId"])
        status = normalize_execution_status(execution["status"])
        if status is ExecutionStatus.CANCELLING or is_terminal(status):
            deps.sfn.send_action(task_token, "CANCEL")
            return {"paused": False}
        reason, message = _pause_reason(execution, index)
        now = deps.clock.iso()
        try:
            deps.stores.executions.record_paused(
                execution, Pause(token=task_token, reason=reason, wave=index + 1, now=now)
            )
        except StaleWriteError:
            continue
        logger.info(
            "execution paused",
            extra={"executionId": state["executionId"], "wave": index + 1, "reason": str(reason)},
        )
        retries = int(execution["waves"][index].get("retries") or 0)
        note(
            deps,
            state["executionId"],
            f"PAUSED#{index + 1}#{reason}#{retries}",
            "PAUSED",
            message,
            # the moment the record's pausedTime holds: the report's pause and the paused total
            # start at the same instant
            time=execution.get("pausedTime") if status is ExecutionStatus.PAUSED else now,
            wave=index + 1,
            details={"reason": str(reason)},
        )
        return {"paused": True}
    raise TransientError("the execution kept changing while pausing")


def expire_pause(deps: Deps, state: dict[str, Any]) -> MachineState:
    """The pause outlived the plan's pauseTimeoutMinutes (the task token timed out): cancel the
    execution with the reason recorded; the state machine finalizes next (CANCELLED or PARTIAL_SUCCESS)."""
    from orchestrator.operations.control import cancel

    execution = deps.stores.executions.get(state["executionId"])
    minutes = options_of(execution)["pauseTimeoutMinutes"]
    status = normalize_execution_status(execution["status"])
    if status in ACTIVE_STATUSES and status is not ExecutionStatus.CANCELLING:
        reason = f"the pause expired after {format_limit(minutes * 60)} without a resume"
        try:
            cancel(deps, state["executionId"], actor="pause timeout", reason=reason)
        except OrchestratorError as e:
            # A resume or cancel raced the timeout; the state machine finalizes whatever it recorded.
            logger.warning(
                "pause expiry raced", extra={"executionId": state["executionId"], "error": e.message}
            )
    logger.info("pause expired", extra={"executionId": state["executionId"], "minutes": minutes})
    return machine_state(state, next_step="FINALIZE")


def _claim_wave(deps: Deps, execution: ExecutionRecord, index: int) -> tuple[ExecutionRecord | None, bool]:
    """Mark the wave's launch as begun exactly once: (record, is_repeat); record None when the
    execution is no longer running. A wave is claimed NOT_STARTED -> IN_PROGRESS, or, after its
    pre-actions, PRE_ACTIONS -> SUBMITTED; anything else is a repeat of this operation (or the
    relaunch of a retried wave), which carries on idempotently."""
    wave = execution["waves"][index]
    try:
        if wave.get("status") == WaveStatus.IN_PROGRESS and wave.get("phase") == WavePhase.PRE_ACTIONS:
            return deps.stores.executions.begin_launch(execution, index), False
        record = deps.stores.executions.claim_wave(execution, index, now=deps.clock.iso())
    except StaleWriteError:
        fresh = deps.stores.executions.get(execution["executionId"])
        if fresh["waves"][index].get("status") == WaveStatus.IN_PROGRESS:
            return fresh, True
        return None, False
    return record, False


def _attempt(wave: WaveRecord) -> str:
    """Which launch of the wave this is: "0", then one more per retry (a tag on its DRS jobs)."""
    return str(int(wave.get("retries") or 0))


def _own_jobs(deps: Deps, execution: ExecutionRecord, index: int) -> list[dict[str, Any]]:
    """The DRS jobs of this launch of this execution's wave, recorded or not (found by their tags)."""
    wave = execution["waves"][index]
    return [
        job
        for job in deps.drs.jobs_since(wave["startTime"][:19] + "Z")
        if (job.get("tags") or {}).get(TAG_EXECUTION) == execution["executionId"]
        and (job.get("tags") or {}).get(TAG_WAVE) == str(index + 1)
        and (job.get("tags") or {}).get(TAG_ATTEMPT, "0") == _attempt(wave)
    ]


# What a relaunched server forgets of its failed launch: everything a poll learned but its job
# and status (set anew), and when its old job started.
_LAUNCH_FIELDS = (
    *(f for f in SERVER_POLL_FIELDS if f not in ("launchStatus", "jobId", "ready")),
    "jobStartTime",
)


def _relaunched(server: ServerRecord, job_id: str) -> ServerRecord:
    kept = {k: v for k, v in server.items() if k not in _LAUNCH_FIELDS}
    return with_fields(
        cast(ServerRecord, kept), jobId=job_id, launchStatus=str(LaunchStatus.PENDING), ready=False
    )


def capacity_shortfall(deps: Deps, servers: Sequence[Mapping[str, Any]]) -> str | None:
    """Why DRS cannot take these servers now (a server still in another active job, such as the
    termination of a previous drill's instances, or the account-wide limits), or None."""
    cfg = deps.config
    by_id = {str(s["sourceServerId"]): s for s in servers}
    server_count = len(by_id)
    active = deps.drs.active_jobs(deps.clock.now())
    busy_in = busy_in_drs_jobs(active, list(by_id))
    if busy_in:
        server_id, job = next(iter(sorted(busy_in.items())))
        server = server_label(by_id[server_id])
        return f"source server {server} is in active DRS job {job['jobID']} ({job.get('type', 'JOB')})" + (
            f" with {len(busy_in) - 1} more" if len(busy_in) > 1 else ""
        )
    busy = sum(len(j.get("participatingServers") or []) for j in active)
    needed_jobs = -(-server_count // cfg.drs_max_servers_per_job)
    if len(active) + needed_jobs > cfg.drs_max_concurrent_jobs:
        return f"{len(active)} DRS jobs are active (at most {cfg.drs_max_concurrent_jobs} at a time)"
    if busy + server_count > cfg.drs_max_servers_in_active_jobs:
        return (
            f"{busy} servers are in active DRS jobs (at most {cfg.drs_max_servers_in_active_jobs}); "
            f"this wave needs {server_count} more"
        )
    return None


def _queue_for_capacity(
    deps: Deps, state: dict[str, Any], execution: ExecutionRecord, index: int, why: str
) -> MachineState:
    """Wait for DRS capacity (bounded by the plan's capacityWaitMinutes), or fail the wave after it."""
    cfg = deps.config
    wave = execution["waves"][index]
    now = deps.clock.iso()
    queued_since = wave.get("queuedTime") or now
    minutes = options_of(execution)["capacityWaitMinutes"]
    if timeutil.seconds_between(queued_since, now) > minutes * 60:
        deps.stores.executions.fail_wave(
            execution,
            index,
            f"DRS capacity did not free up within {minutes} minutes: {why}",
            now=now,
            only_if_no_jobs=False,
        )
        logger.warning(
            "wave gave up waiting for DRS capacity", extra={"executionId": execution["executionId"]}
        )
        return machine_state(state, interval=0)
    deps.stores.executions.record_queued(execution, index, queued_since=queued_since, reason=why)
    note(
        deps,
        execution["executionId"],
        f"WAVE_QUEUED#{index + 1}",
        "WAVE_QUEUED",
        f"wave {index + 1} waits for DRS capacity: {why}",
        time=queued_since,
        wave=index + 1,
    )
    logger.info(
        "wave queued for DRS capacity", extra={"executionId": execution["executionId"], "wave": index + 1}
    )
    # At most ~200 turns of the queue loop over the whole wait (the history budget).
    interval = max(cfg.poll_max_seconds, -(-minutes * 60 // 200))
    return machine_state(state, interval=interval, capacity_queued=True)


def start_wave(deps: Deps, state: dict[str, Any]) -> MachineState:
    """DRS StartRecovery for every server of the wave, chunked to the per-job limit. Idempotent,
    also when Step Functions delivers it twice at once: a job our own other attempt started is
    adopted, never taken for a failure. Waits (capacityQueued) while DRS's account-wide limits
    leave no room for the wave."""
    index = int(state["waveIndex"])
    execution = read_for_step(deps, state["executionId"])
    claimed, is_retry = _claim_wave(deps, execution, index)
    if claimed is None:
        return machine_state(state, interval=0)
    number = index + 1
    execution_id = claimed["executionId"]
    wave = claimed["waves"][index]
    started_wave(deps, execution_id, wave, index, wave.get("startTime") or deps.clock.iso())
    servers = deps.stores.servers.wave(execution_id, number)
    retried = int(wave.get("retries") or 0) > 0
    if retried:
        # A retried wave launches again only the servers the retry named (its failed CRITICAL ones).
        again = set(wave.get("relaunchServerIds") or [])
        servers = [s for s in servers if s["sourceServerId"] in again]
    job_ids = list(wave.get("jobIds") or [])
    own: list[dict[str, Any]] = []
    if is_retry or retried:
        own = _own_jobs(deps, claimed, index)
        for job in own:
            if job["jobID"] not in job_ids:
                claimed = deps.stores.executions.add_wave_job(claimed, index, job["jobID"])
                job_ids.append(job["jobID"])
                logger.info("orphan job adopted", extra={"executionId": execution_id, "jobId": job["jobID"]})
    covered: dict[str, str] = {}
    for job in own if retried else (own or (deps.drs.jobs(job_ids) if job_ids else [])):
        covered.update({p["sourceServerID"]: job["jobID"] for p in job.get("participatingServers", [])})
    pending = [s for s in servers if s["sourceServerId"] not in covered]
    if claimed.get("cancelRequested"):
        # A cancel was accepted: the jobs already started are followed, nothing more is launched.
        pending = []
    if pending and (why := capacity_shortfall(deps, pending)):
        return _queue_for_capacity(deps, state, claimed, index, why)
    if pending:
        # A DRILL with a drill network: each server's override recorded, then made, before its launch.
        claimed, overridden = drill_network.override_servers(deps, claimed, number, pending)
        pending = overridden
    tags = {
        TAG_EXECUTION: execution_id,
        TAG_WAVE: str(number),
        TAG_PLAN: claimed["planId"],
        TAG_ATTEMPT: _attempt(wave),
    }
    is_drill = claimed["executionType"] == ExecutionType.DRILL
    failures: list[ServerRecord] = []
    updates: list[ServerRecord] = []
    for chunk in chunks(pending, deps.config.drs_max_servers_per_job):
        ids = [s["sourceServerId"] for s in chunk]
        try:
            job = deps.drs.start_recovery(ids, is_drill=is_drill, tags=tags)
        except TransientError:
            raise  # Step Functions retries start_wave; the jobs already started are adopted then
        except CapacityError as e:
            deps.stores.servers.put_many(updates)
            return _queue_for_capacity(deps, state, claimed, index, e.message)
        except ConflictError as e:
            # Another attempt of this very operation may have started the job a moment ago.
            adopted = {
                p["sourceServerID"]: j["jobID"]
                for j in _own_jobs(deps, claimed, index)
                for p in j.get("participatingServers", [])
                if p["sourceServerID"] in ids
            }
            if set(adopted) == set(ids):
                for job_id in sorted(set(adopted.values()) - set(job_ids)):
                    claimed = deps.stores.executions.add_wave_job(claimed, index, job_id)
                    job_ids.append(job_id)
                updates.extend(_relaunched(s, adopted[s["sourceServerId"]]) for s in chunk)
                logger.info("conflicting job is our own: adopted", extra={"executionId": execution_id})
                continue
            if why := capacity_shortfall(deps, chunk):
                # Another job holds the servers (a termination that started meanwhile): wait for it.
                deps.stores.servers.put_many(updates)
                return _queue_for_capacity(deps, state, claimed, index, why)
            failures.extend(
                with_fields(s, launchStatus=str(LaunchStatus.FAILED), error=e.message) for s in chunk
            )
            continue
        except OrchestratorError as e:
            failures.extend(
                with_fields(s, launchStatus=str(LaunchStatus.FAILED), error=e.message) for s in chunk
            )
            continue
        claimed = deps.stores.executions.add_wave_job(claimed, index, job["jobID"])
        job_ids.append(job["jobID"])
        updates.extend(_relaunched(s, job["jobID"]) for s in chunk)
    deps.stores.servers.put_many(updates + failures)
    if job_ids:
        deps.stores.executions.record_submitted(claimed, index, now=deps.clock.iso())
    if failures and not job_ids:
        deps.stores.executions.fail_wave(
            claimed, index, failures[0]["error"], now=deps.clock.iso(), only_if_no_jobs=True
        )
        logger.warning("wave could not start", extra={"executionId": execution_id, "wave": number})
        return machine_state(state, interval=0)
    for job_id in job_ids:
        note(
            deps,
            execution_id,
            f"JOB_SUBMITTED#{number}#{job_id}",
            "JOB_SUBMITTED",
            f"DRS job {job_id} submitted for wave {number}",
            wave=number,
            details={"jobId": job_id},
        )
    logger.info("wave started", extra={"executionId": execution_id, "wave": number, "jobIds": job_ids})
    return machine_state(
        state, interval=deps.config.poll_min_seconds, poll_count=int(state.get("pollCount", 0))
    )
