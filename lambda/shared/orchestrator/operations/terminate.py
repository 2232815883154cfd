"""terminate: end exactly the recovery instances this execution launched, in batches, and follow
the TERMINATE jobs until they finish (the scheduled `find` follows them)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from execution_utils import ExecutionType, can_terminate_execution, server_label, termination_outcome
from orchestrator.deps import Deps
from orchestrator.exceptions import ConflictError, OrchestratorError, StaleWriteError
from orchestrator.identity import ActorLike
from orchestrator.model import ExecutionRecord, ServerRecord, with_fields
from orchestrator.operations.catalog import require_plan_name
from orchestrator.operations.report import store_report
from orchestrator.operations.timeline import flush_events_or_keep, note, pending_event
from orchestrator.timeutil import iso, parse_iso

logger = logging.getLogger(__name__)
# A request that recorded no TERMINATE job (its Lambda died mid-way) is given up after this long,
# so the operator can ask again.
STALLED_REQUEST_SECONDS = 300
# What EC2 says of an instance it no longer lists (terminated instances stay visible for about an hour).
GONE = "terminated"


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
    job_ids = [j["jobID"] for j in jobs]
    # The jobs and their event in one write (the outbox), then the event to the timeline: a timeline
    # that cannot be written loses neither (find and the report write it later).
    event = pending_event(
        deps,
        f"TERMINATION_STARTED#{requested}",
        "TERMINATION_STARTED",
        f"termination of {len(ids)} recovery instances started",
        time=requested,
        actor=actor,
        details={"instances": len(ids), "jobIds": job_ids[:50]},
    )
    recorded = deps.stores.executions.record_termination_started(
        execution, job_ids=job_ids, instances=len(ids), event=event
    )
    recorded = flush_events_or_keep(deps, recorded)
    if not jobs:
        # Nothing was left to terminate: the termination ended here, so the evidence follows now.
        try:
            record_instance_states(deps, recorded)
        except OrchestratorError as e:
            logger.warning("EC2 states not recorded", extra={"executionId": execution_id, "error": e.message})
        _rewrite_report(deps, recorded)
    return recorded


def record_instance_states(
    deps: Deps, execution: ExecutionRecord, ended: Mapping[str, str] | None = None
) -> int:
    """After a termination: each launched server's EC2 state as EC2 reports it now, read by id lists
    (DescribeInstances, 200 ids a call, paginated; an instance EC2 no longer lists is terminated),
    and for a terminated instance when its termination ended (``terminatedTime``: ``ended``, the
    end of the TERMINATE job that listed its source server, else now: when it was seen terminated).
    Writes only the servers that changed, so a repeat writes nothing; the phase is kept (a READY
    server recovered, then its instance was terminated). Returns how many changed."""
    launched = [s for s in deps.stores.servers.all(execution["executionId"]) if s.get("ec2InstanceId")]
    if not launched:
        return 0
    details = deps.ec2.instances([s["ec2InstanceId"] for s in launched])
    now = deps.clock.iso()
    changed: list[ServerRecord] = []
    for server in launched:
        state = (details.get(server["ec2InstanceId"]) or {}).get("ec2State") or GONE
        fields: dict[str, str] = {}
        if state != server.get("ec2State"):
            fields["ec2State"] = state
        if state == GONE and not server.get("terminatedTime"):
            fields["terminatedTime"] = (ended or {}).get(server["sourceServerId"]) or now
        if fields:
            changed.append(with_fields(server, **fields, updatedAt=now))
    if changed:
        deps.stores.servers.put_many(changed)
    logger.info(
        "EC2 states recorded after termination",
        extra={"executionId": execution["executionId"], "servers": len(launched), "changed": len(changed)},
    )
    return len(changed)


def termination_ends(jobs: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Source server id -> when the TERMINATE job that ended its recovery instance ended (DRS's
    ``endDateTime``, as an ISO-8601 UTC time): where an instance's billing ends."""
    ends: dict[str, str] = {}
    for job in jobs:
        end = job.get("endDateTime")
        if not end:
            continue
        moment = iso(parse_iso(str(end)))
        for server in job.get("participatingServers") or []:
            if server.get("sourceServerID") and server.get("launchStatus") == "TERMINATED":
                ends[str(server["sourceServerID"])] = moment
    return ends


def _rewrite_report(deps: Deps, execution: ExecutionRecord) -> None:
    """The stored report, written when the execution ended, showed running instances: write it again
    now that they are terminated (GET /report builds it afresh anyway). Evidence, not control: a
    failure is logged, and the termination's outcome stands."""
    try:
        store_report(deps, execution, why=f"TERMINATION_{execution.get('terminationStatus') or 'ENDED'}")
    except OrchestratorError as e:
        logger.warning(
            "report not rewritten after termination",
            extra={"executionId": execution["executionId"], "error": e.message},
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
    jobs = deps.drs.jobs(job_ids) if job_ids else []
    finished, not_terminated = termination_outcome(jobs)
    if not finished:
        return False
    # The servers say what EC2 says before the termination is recorded as ended: if EC2 cannot be
    # read, the termination stays pending and the next find tries again.
    record_instance_states(deps, execution, termination_ends(jobs))
    requested = execution.get("terminationRequestedTime") or ""
    if not_terminated:
        # Named as people know them: hostname (id); the event's details keep the ids.
        known = {s["sourceServerId"]: s for s in deps.stores.servers.all(execution["executionId"])}
        names = [server_label(known[i]) if i in known else i for i in not_terminated]
    else:
        names = []
    note(
        deps,
        execution["executionId"],
        f"TERMINATION_FINISHED#{requested}",
        "TERMINATION_FINISHED",
        "recovery instances terminated"
        if not not_terminated
        else f"termination ended; not terminated: {', '.join(names[:20])}",
        details={"notTerminated": not_terminated} if not_terminated else None,
    )
    ended = deps.stores.executions.record_termination_end(
        execution, not_terminated=names, now=deps.clock.iso()
    )
    _rewrite_report(deps, ended)
    logger.info(
        "termination finished", extra={"executionId": execution["executionId"], "failed": len(not_terminated)}
    )
    return True
