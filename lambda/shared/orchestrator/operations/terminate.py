"""terminate: end exactly the recovery instances this execution launched, in batches, and follow
the TERMINATE jobs until they finish (the scheduled `find` follows them)."""

from __future__ import annotations

import logging

from execution_utils import ExecutionType, can_terminate_execution, termination_outcome
from orchestrator.deps import Deps
from orchestrator.exceptions import ConflictError, OrchestratorError, StaleWriteError
from orchestrator.identity import ActorLike
from orchestrator.model import ExecutionRecord
from orchestrator.operations.catalog import require_plan_name
from orchestrator.operations.timeline import note

logger = logging.getLogger(__name__)
# A request that recorded no TERMINATE job (its Lambda died mid-way) is given up after this long,
# so the operator can ask again.
STALLED_REQUEST_SECONDS = 300


def own_recovery_instances(deps: Deps, execution: ExecutionRecord) -> list[str]:
    """Every live recovery instance launched by this execution's jobs, recorded or not (DRS is
    asked about the execution's source servers, so a late launch is covered), never another's."""
    job_ids = {j for w in execution.get("waves", []) for j in (w.get("jobIds") or [])}
    if not job_ids:
        return []
    servers = list(deps.stores.servers.all(execution["executionId"]))
    recorded = [
        s["recoveryInstanceId"] for s in servers if s.get("recoveryInstanceId") and s.get("jobId") in job_ids
    ]
    live = {r["recoveryInstanceID"]: r for r in deps.drs.recovery_instances(recorded)} if recorded else {}
    source_ids = [s["sourceServerId"] for s in servers]
    live.update({r["recoveryInstanceID"]: r for r in deps.drs.recovery_instances_of_servers(source_ids)})
    return sorted(rid for rid, r in live.items() if r.get("jobID") in job_ids)


def _check_confirmation(execution: ExecutionRecord, confirmed_plan_name: str | None) -> None:
    """A RECOVERY's instances are the recovered production: only through the guarded route, with
    the plan's name typed as confirmation. A drill needs neither."""
    if execution.get("executionType") != ExecutionType.RECOVERY:
        return
    if confirmed_plan_name is None:
        raise ConflictError(
            f"execution {execution['executionId']} is a RECOVERY: its instances are terminated only with "
            'POST /executions/{id}/terminate-recovery-instances and {"confirmPlanName": <the plan\'s name>}',
            code="CONFIRMATION_REQUIRED",
        )
    require_plan_name(confirmed_plan_name, execution.get("planName"), "the execution's plan")


def start_termination(
    deps: Deps,
    execution_id: str,
    *,
    actor: ActorLike = "unknown",
    recovery_confirmed_plan_name: str | None = None,
) -> ExecutionRecord:
    execution = deps.stores.executions.get(execution_id)
    verdict = can_terminate_execution(execution)
    if not verdict["canTerminate"]:
        raise ConflictError(
            f"cannot terminate the recovery instances of execution {execution_id}: {verdict['reason']}",
            code="CANNOT_TERMINATE",
            details=verdict,
        )
    _check_confirmation(execution, recovery_confirmed_plan_name)
    try:
        execution = deps.stores.executions.claim_termination(execution, actor=actor, now=deps.clock.iso())
    except StaleWriteError as e:
        # A failed termination may be asked again; one in progress or finished may not.
        raise ConflictError(
            f"termination of execution {execution_id} was already requested", code="CANNOT_TERMINATE"
        ) from e
    ids = own_recovery_instances(deps, execution)
    batch = deps.config.drs_max_servers_per_job
    try:
        jobs = deps.drs.terminate_recovery_instances(ids, batch_size=batch) if ids else []
    except OrchestratorError as e:
        deps.stores.executions.record_termination_failed(execution, e.message)
        raise
    logger.info("termination started", extra={"executionId": execution_id, "instances": len(ids)})
    requested = execution.get("terminationRequestedTime") or deps.clock.iso()
    note(
        deps,
        execution_id,
        f"TERMINATION_STARTED#{requested}",
        "TERMINATION_STARTED",
        f"termination of {len(ids)} recovery instances started",
        time=requested,
        actor=actor,
        details={"instances": len(ids), "jobIds": [j["jobID"] for j in jobs]},
    )
    return deps.stores.executions.record_termination_started(
        execution, job_ids=[j["jobID"] for j in jobs], instances=len(ids)
    )


def follow_termination(deps: Deps, execution: ExecutionRecord) -> bool:
    """Check the TERMINATE jobs; record the end when they all finished. True when finished."""
    job_ids = execution.get("terminationJobIds")
    if job_ids is None:
        # The request was claimed but never recorded its jobs: wait a little, then give up on it.
        requested = execution.get("terminationRequestedTime") or execution["startTime"]
        if deps.clock.seconds_since(requested) < STALLED_REQUEST_SECONDS:
            return False
        deps.stores.executions.record_termination_failed(
            execution, "the termination request did not start any DRS job; request it again"
        )
        return True
    finished, not_terminated = termination_outcome(deps.drs.jobs(job_ids) if job_ids else [])
    if not finished:
        return False
    requested = execution.get("terminationRequestedTime") or ""
    note(
        deps,
        execution["executionId"],
        f"TERMINATION_FINISHED#{requested}",
        "TERMINATION_FINISHED",
        "recovery instances terminated"
        if not not_terminated
        else f"termination ended; not terminated: {', '.join(not_terminated[:20])}",
        details={"notTerminated": not_terminated} if not_terminated else None,
    )
    deps.stores.executions.record_termination_end(
        execution, not_terminated=not_terminated, now=deps.clock.iso()
    )
    logger.info(
        "termination finished", extra={"executionId": execution["executionId"], "failed": len(not_terminated)}
    )
    return True
