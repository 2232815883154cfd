"""advance, pause and start_wave: the wave boundary operations the state machine calls."""

from __future__ import annotations

import logging
from typing import Any

from execution_utils import (
    ACTIVE_STATUSES,
    ExecutionStatus,
    ExecutionType,
    LaunchStatus,
    WaveStatus,
    is_terminal,
    normalize_execution_status,
    transition,
)
from orchestrator import timeutil
from orchestrator.deps import Deps
from orchestrator.drs import chunks
from orchestrator.exceptions import (
    CapacityError,
    ConflictError,
    OrchestratorError,
    StaleWriteError,
    TransientError,
)
from orchestrator.model import ExecutionRecord, ServerRecord, WaveRecord, options_of, with_fields
from orchestrator.operations.state import MachineState, machine_state
from orchestrator.operations.timeline import note

logger = logging.getLogger(__name__)

TAG_EXECUTION = "drs-orchestrator:execution-id"
TAG_WAVE = "drs-orchestrator:wave"
TAG_PLAN = "drs-orchestrator:plan-id"


def _next_wave_index(waves: list[WaveRecord]) -> int | None:
    for index, wave in enumerate(waves):
        if wave.get("status") == WaveStatus.NOT_STARTED:
            return index
    return None


def advance(deps: Deps, state: dict[str, Any]) -> MachineState:
    """Decide the next step at a wave boundary: PAUSE before the next wave, START_WAVE, or FINALIZE."""
    for _attempt in range(5):
        execution = deps.stores.executions.get(state["executionId"])
        total = int(execution["totalWaves"])
        status = normalize_execution_status(execution["status"])
        if not execution.get("sfnExecutionArn") and state.get("sfnExecutionArn"):
            execution = deps.stores.executions.set_state_machine(execution, str(state["sfnExecutionArn"]))
        waves = execution["waves"]
        index = _next_wave_index(waves)
        stop = (
            is_terminal(status)
            or status is ExecutionStatus.CANCELLING
            or execution.get("cancelRequested")
            or any(w.get("status") == WaveStatus.FAILED for w in waves)
            or index is None
        )
        if stop or index is None:
            return machine_state(state, total_waves=total, next_step="FINALIZE")
        wave = waves[index]
        resumed = execution.get("resumedBeforeWave") == index + 1
        if (wave.get("pauseBeforeWave") or execution.get("pauseRequested")) and not resumed:
            return machine_state(
                state,
                wave_index=index,
                total_waves=total,
                next_step="PAUSE",
                pause_timeout_seconds=options_of(execution)["pauseTimeoutMinutes"] * 60,
            )
        if status is not ExecutionStatus.IN_PROGRESS:
            transition(status, ExecutionStatus.IN_PROGRESS)
            try:
                deps.stores.executions.record_running(execution)
            except StaleWriteError:
                continue
        return machine_state(state, wave_index=index, total_waves=total, next_step="START_WAVE")
    raise TransientError("the execution kept changing at a wave boundary")


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
        if status is not ExecutionStatus.PAUSED:
            transition(status, ExecutionStatus.PAUSED)
        try:
            deps.stores.executions.record_paused(
                execution, token=task_token, before_wave=index + 1, now=deps.clock.iso()
            )
        except StaleWriteError:
            continue
        logger.info("execution paused", extra={"executionId": state["executionId"], "beforeWave": index + 1})
        why = "an operator asked" if execution.get("pauseRequested") else "the plan pauses here"
        note(
            deps,
            state["executionId"],
            f"PAUSED#{index + 1}",
            "PAUSED",
            f"paused before wave {index + 1} ({why})",
            wave=index + 1,
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
        reason = f"the pause expired after {minutes} minutes without a resume"
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
    """Mark the wave IN_PROGRESS exactly once: (record, is_retry); record None when the execution
    is no longer running."""
    try:
        record = deps.stores.executions.claim_wave(execution, index, now=deps.clock.iso())
    except StaleWriteError:
        fresh = deps.stores.executions.get(execution["executionId"])
        if fresh["waves"][index].get("status") == WaveStatus.IN_PROGRESS:
            return fresh, True  # a retry of this operation: carry on idempotently
        return None, False
    return record, False


def _own_jobs(deps: Deps, execution: ExecutionRecord, index: int) -> list[dict[str, Any]]:
    """The DRS jobs of this execution's wave, recorded or not (found by their tags)."""
    wave = execution["waves"][index]
    return [
        job
        for job in deps.drs.jobs_since(wave["startTime"][:19] + "Z")
        if (job.get("tags") or {}).get(TAG_EXECUTION) == execution["executionId"]
        and (job.get("tags") or {}).get(TAG_WAVE) == str(index + 1)
    ]


def _capacity_shortfall(deps: Deps, server_count: int) -> str | None:
    """Why DRS cannot take ``server_count`` more servers now (account-wide limits), or None."""
    cfg = deps.config
    active = deps.drs.active_jobs(deps.clock.now())
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
    execution = deps.stores.executions.get(state["executionId"])
    claimed, is_retry = _claim_wave(deps, execution, index)
    if claimed is None:
        return machine_state(state, interval=0)
    number = index + 1
    execution_id = claimed["executionId"]
    wave_name = claimed["waves"][index]["waveName"]
    note(
        deps,
        execution_id,
        f"WAVE_STARTED#{number}",
        "WAVE_STARTED",
        f"wave {number} ({wave_name}) started",
        time=claimed["waves"][index].get("startTime"),
        wave=number,
    )
    servers = deps.stores.servers.wave(execution_id, number)
    job_ids = list(claimed["waves"][index].get("jobIds") or [])
    own: list[dict[str, Any]] = []
    if is_retry:
        own = _own_jobs(deps, claimed, index)
        for job in own:
            if job["jobID"] not in job_ids:
                claimed = deps.stores.executions.add_wave_job(claimed, index, job["jobID"])
                job_ids.append(job["jobID"])
                logger.info("orphan job adopted", extra={"executionId": execution_id, "jobId": job["jobID"]})
    covered: dict[str, str] = {}
    for job in own or (deps.drs.jobs(job_ids) if job_ids else []):
        covered.update({p["sourceServerID"]: job["jobID"] for p in job.get("participatingServers", [])})
    pending = [s for s in servers if s["sourceServerId"] not in covered]
    if pending and (why := _capacity_shortfall(deps, len(pending))):
        return _queue_for_capacity(deps, state, claimed, index, why)
    tags = {TAG_EXECUTION: execution_id, TAG_WAVE: str(number), TAG_PLAN: claimed["planId"]}
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
                updates.extend(with_fields(s, jobId=adopted[s["sourceServerId"]]) for s in chunk)
                logger.info("conflicting job is our own: adopted", extra={"executionId": execution_id})
                continue
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
        updates.extend(with_fields(s, jobId=job["jobID"]) for s in chunk)
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
