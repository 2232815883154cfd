"""advance, pause and start_wave: the wave boundary operations the state machine calls."""

from __future__ import annotations

import logging
from typing import Any

from execution_utils import (
    ACTIVE_STATUSES,
    ExecutionStatus,
    ExecutionType,
    LaunchStatus,
    WavePhase,
    WaveStatus,
    is_terminal,
    normalize_execution_status,
    transition,
)
from orchestrator import timeutil
from orchestrator.deps import Deps
from orchestrator.drs import chunks
from orchestrator.dynamo import Expression
from orchestrator.exceptions import OrchestratorError, StaleWriteError, TransientError
from orchestrator.operations.state import MachineState, machine_state

logger = logging.getLogger(__name__)

TAG_EXECUTION = "drs-orchestrator:execution-id"
TAG_WAVE = "drs-orchestrator:wave"
TAG_PLAN = "drs-orchestrator:plan-id"


def _next_wave_index(waves: list[dict[str, Any]]) -> int | None:
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
            execution = deps.stores.executions.update(
                execution, Expression().set("sfnExecutionArn", state["sfnExecutionArn"])
            )
        waves = execution.get("waves", [])
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
            return machine_state(state, wave_index=index, total_waves=total, next_step="PAUSE")
        if status is not ExecutionStatus.IN_PROGRESS:
            expr = Expression().set("status", str(transition(status, ExecutionStatus.IN_PROGRESS)))
            try:
                deps.stores.executions.update(execution, expr, expect_version=True)
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
        expr = Expression().set("taskToken", task_token).set("pausedBeforeWave", index + 1)
        expr.remove("pauseRequested")
        if status is not ExecutionStatus.PAUSED:
            expr.set("status", str(transition(status, ExecutionStatus.PAUSED)))
        try:
            deps.stores.executions.update(execution, expr, expect_version=True)
        except StaleWriteError:
            continue
        logger.info("execution paused", extra={"executionId": state["executionId"], "beforeWave": index + 1})
        return {"paused": True}
    raise TransientError("the execution kept changing while pausing")


def _claim_wave(deps: Deps, execution: dict[str, Any], index: int) -> tuple[dict[str, Any] | None, bool]:
    """Mark the wave IN_PROGRESS exactly once: (record, is_retry); record None when the execution
    is no longer running."""
    now = timeutil.iso()
    expr = Expression()
    expr.set(f"waves[{index}].status", str(WaveStatus.IN_PROGRESS))
    expr.set(f"waves[{index}].phase", str(WavePhase.SUBMITTED))
    expr.set(f"waves[{index}].startTime", now)
    expr.set("currentWave", index + 1)
    condition = f"{expr.name(f'waves[{index}].status')} = {expr.value(str(WaveStatus.NOT_STARTED))}"
    try:
        record = deps.stores.executions.update(
            execution, expr, expect_statuses=[ExecutionStatus.IN_PROGRESS], extra_condition=condition
        )
    except StaleWriteError:
        fresh = deps.stores.executions.get(execution["executionId"])
        if fresh["waves"][index].get("status") == WaveStatus.IN_PROGRESS:
            return fresh, True  # a retry of this operation: carry on idempotently
        return None, False
    return record, False


def _adopt_orphan_jobs(deps: Deps, execution: dict[str, Any], index: int) -> list[str]:
    """Jobs a previous attempt started but did not record (found by their tags)."""
    wave = execution["waves"][index]
    known = set(wave.get("jobIds") or [])
    return [
        job["jobID"]
        for job in deps.drs.jobs_since(wave["startTime"][:19] + "Z")
        if (job.get("tags") or {}).get(TAG_EXECUTION) == execution["executionId"]
        and (job.get("tags") or {}).get(TAG_WAVE) == str(index + 1)
        and job["jobID"] not in known
    ]


def start_wave(deps: Deps, state: dict[str, Any]) -> MachineState:
    """DRS StartRecovery for every server of the wave, chunked to the per-job limit. Idempotent."""
    index = int(state["waveIndex"])
    execution = deps.stores.executions.get(state["executionId"])
    claimed, is_retry = _claim_wave(deps, execution, index)
    first_poll = deps.config.poll_min_seconds
    if claimed is None:
        return machine_state(state, interval=0)
    wave = claimed["waves"][index]
    number = index + 1
    servers = deps.stores.servers.wave(claimed["executionId"], number)
    job_ids = list(wave.get("jobIds") or [])
    if is_retry:
        adopted = _adopt_orphan_jobs(deps, claimed, index)
        if adopted:
            job_ids += adopted
            deps.stores.executions.update(
                claimed, Expression().set(f"waves[{index}].jobIds", job_ids), expect_statuses=ACTIVE_STATUSES
            )
            logger.info(
                "orphan jobs adopted", extra={"executionId": claimed["executionId"], "jobIds": adopted}
            )
    covered: set[str] = set()
    if job_ids:
        for job in deps.drs.jobs(job_ids):
            covered.update(p["sourceServerID"] for p in job.get("participatingServers", []))
    pending = [s for s in servers if s["sourceServerId"] not in covered]
    tags = {TAG_EXECUTION: claimed["executionId"], TAG_WAVE: str(number), TAG_PLAN: claimed["planId"]}
    is_drill = claimed["executionType"] == ExecutionType.DRILL
    failures: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for chunk in chunks(pending, deps.config.drs_max_servers_per_job):
        try:
            job = deps.drs.start_recovery([s["sourceServerId"] for s in chunk], is_drill=is_drill, tags=tags)
        except TransientError:
            raise  # Step Functions retries start_wave; the jobs already started are adopted then
        except OrchestratorError as e:
            for server in chunk:
                failures.append({**server, "launchStatus": str(LaunchStatus.FAILED), "error": e.message})
            continue
        job_ids.append(job["jobID"])
        deps.stores.executions.update(
            claimed, Expression().set(f"waves[{index}].jobIds", job_ids), expect_statuses=ACTIVE_STATUSES
        )
        updates.extend({**s, "jobId": job["jobID"]} for s in chunk)
    deps.stores.servers.put_many(updates + failures)
    if failures and not job_ids:
        expr = Expression()
        expr.set(f"waves[{index}].status", str(WaveStatus.FAILED))
        expr.set(f"waves[{index}].endTime", timeutil.iso())
        expr.set(f"waves[{index}].error", failures[0]["error"])
        deps.stores.executions.update(claimed, expr, expect_statuses=ACTIVE_STATUSES)
        logger.warning("wave could not start", extra={"executionId": claimed["executionId"], "wave": number})
        return machine_state(state, interval=0)
    logger.info(
        "wave started", extra={"executionId": claimed["executionId"], "wave": number, "jobIds": job_ids}
    )
    return machine_state(state, interval=first_poll, poll_count=int(state.get("pollCount", 0)))
