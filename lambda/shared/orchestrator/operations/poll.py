"""poll: refresh one wave from DRS and EC2. Updates wave and server data and lastPolledTime; never
changes the execution's status and never finalizes (that is the state machine's job)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from execution_utils import (
    TERMINAL_WAVE_STATUSES,
    ActionStage,
    LaunchStatus,
    ReadinessCheck,
    ServerPhase,
    WavePhase,
    WaveStatus,
    actions_at_wave_end,
    completed_wave_count,
    decide_wave_outcome,
    is_terminal,
    next_action,
    progress_counts,
    server_failed,
    server_is_ready,
    server_phase,
    wave_jobs_pending,
    wave_phase,
    wave_warnings,
    within_history_budget,
)
from orchestrator import timeutil
from orchestrator.deps import Deps
from orchestrator.exceptions import OrchestratorError, PermissionDeniedError, TransientError
from orchestrator.model import (
    SERVER_POLL_FIELDS,
    ExecutionRecord,
    ServerRecord,
    WaveRecord,
    options_of,
    server_from_item,
)
from orchestrator.operations import drill_network
from orchestrator.operations.state import MachineState, machine_state
from orchestrator.operations.timeline import finished_wave, note, read_for_step

logger = logging.getLogger(__name__)

# Job log events -> the phase a server is in, or the failure it reports.
PHASE_EVENTS = {
    "SNAPSHOT_START": WavePhase.SNAPSHOT,
    "USING_PREVIOUS_SNAPSHOT": WavePhase.SNAPSHOT,
    "SNAPSHOT_END": WavePhase.SNAPSHOT,
    "CONVERSION_START": WavePhase.CONVERTING,
    "CONVERSION_END": WavePhase.CONVERTING,
    "LAUNCH_START": WavePhase.LAUNCHING,
}
FAILURE_EVENTS = frozenset(
    {
        "SNAPSHOT_FAIL",
        "USING_PREVIOUS_SNAPSHOT_FAILED",
        "CONVERSION_FAIL",
        "LAUNCH_FAILED",
        "NETWORK_RECOVERY_FAIL",
    }
)
PHASE_WEIGHT = {
    WavePhase.QUEUED_FOR_CAPACITY: 0.0,
    WavePhase.SUBMITTED: 0.0,
    WavePhase.SNAPSHOT: 0.25,
    WavePhase.CONVERTING: 0.5,
    WavePhase.LAUNCHING: 0.85,
    WavePhase.VERIFYING: 1.0,
}
MAX_FAILED_SERVERS_LISTED = 20
# Polls in a row that may fail with an error that is neither passing nor a denial before the wave fails.
MAX_CONSECUTIVE_POLL_ERRORS = 5
# EC2 instances described per poll (two DescribeInstances calls of 200 ids).
MAX_EC2_LOOKUPS_PER_POLL = 400


def next_poll_interval(
    *,
    min_seconds: int,
    max_seconds: int,
    phase: WavePhase | None,
    progress: Mapping[str, int],
    poll_count: int,
    execution_elapsed_seconds: float,
) -> int:
    """Adaptive: slow while snapshots are taken, fast near the end of the wave, and never faster
    than the Step Functions history budget allows over the execution's life."""
    total = max(1, progress.get("totalServers", 0))
    finished = (progress.get("launched", 0) + progress.get("failed", 0)) / total
    weight = max(PHASE_WEIGHT.get(phase, 0.0) if phase else 0.0, finished)
    interval = round(max_seconds - (max_seconds - min_seconds) * weight)
    return max(min_seconds, within_history_budget(interval, poll_count, execution_elapsed_seconds))


def _iso(value: Any) -> str | None:
    """A DRS time (a datetime from boto3, or an ISO string) in the stored format."""
    if isinstance(value, datetime):
        return timeutil.iso(value)
    return timeutil.iso(timeutil.parse_iso(value)) if isinstance(value, str) and value else None


def _record_moments(server: dict[str, Any], now: str) -> None:
    """The moment a server launched, became ready or failed (first seen), and its recovery time."""
    times = server["phaseTimes"] = dict(server.get("phaseTimes") or {})
    if server.get("launchStatus") == LaunchStatus.LAUNCHED:
        times.setdefault("LAUNCHED", now)
    if server.get("ready"):
        times.setdefault("READY", now)
        if server.get("jobStartTime") and "recoveryTimeSeconds" not in server:
            server["recoveryTimeSeconds"] = max(
                0, round(timeutil.seconds_between(server["jobStartTime"], times["READY"]))
            )
    if server_failed(server):
        times.setdefault("FAILED", now)


def _server_updates_from_jobs(
    jobs: Sequence[Mapping[str, Any]],
    logs: Mapping[str, Sequence[Mapping[str, Any]]],
    current_jobs: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Per source server: launchStatus and recovery instance from the jobs, phase and errors from the logs.
    A server launched again (a retried wave) follows its current job only (``current_jobs``)."""
    found: dict[str, dict[str, Any]] = {}
    current = current_jobs or {}
    for job in jobs:
        for participant in job.get("participatingServers", []):
            if current.get(participant["sourceServerID"], job["jobID"]) != job["jobID"]:
                continue
            entry = found.setdefault(
                participant["sourceServerID"],
                {"jobId": job["jobID"], "jobStartTime": _iso(job.get("creationDateTime")), "phaseTimes": {}},
            )
            entry["launchStatus"] = participant.get("launchStatus", LaunchStatus.PENDING)
            if participant.get("recoveryInstanceID"):
                entry["recoveryInstanceId"] = participant["recoveryInstanceID"]
        for item in logs.get(job["jobID"], []):
            data = item.get("eventData") or {}
            sid = data.get("sourceServerID")
            if not sid or sid not in found:
                continue
            event = item.get("event", "")
            if event in PHASE_EVENTS:
                found[sid]["phase"] = str(PHASE_EVENTS[event])
                # The moment DRS logged the phase (first event of it), for the report's timeline.
                found[sid]["phaseTimes"].setdefault(str(PHASE_EVENTS[event]), _iso(item.get("logDateTime")))
            elif event in FAILURE_EVENTS:
                found[sid]["error"] = f"{event}: {data.get('rawError') or 'no detail from DRS'}"
    return found


def _needs_log(participant: Mapping[str, Any], stored: Mapping[str, Any] | None, settled: set[str]) -> bool:
    if participant["sourceServerID"] in settled or stored is None:
        return False
    launch = participant.get("launchStatus")
    if launch == LaunchStatus.LAUNCHED:
        return False
    return not (launch == LaunchStatus.FAILED and stored.get("error"))


def _ec2_lookups(unsettled: Sequence[Mapping[str, Any]]) -> list[str]:
    """The EC2 instances to describe in this poll: never-described ones first, then the least recently
    refreshed, at most MAX_EC2_LOOKUPS_PER_POLL (the rest wait for the next poll), so a poll's cost is
    bounded however many servers a wave launches at once."""
    candidates = [s for s in unsettled if s.get("ec2InstanceId")]
    candidates.sort(key=lambda s: (bool(s.get("ec2State")), str(s.get("updatedAt") or "")))
    return [str(s["ec2InstanceId"]) for s in candidates[:MAX_EC2_LOOKUPS_PER_POLL]]


def _read_servers(
    deps: Deps, execution: ExecutionRecord, wave: WaveRecord, readiness: ReadinessCheck
) -> tuple[list[dict[str, Any]], dict[str, Mapping[str, Any]], bool]:
    """Read DRS and EC2 for the servers still moving; return (servers as refreshed, the stored
    items by source server id, jobs_finished). Nothing is written: see _store_servers."""
    job_ids = list(wave.get("jobIds") or [])
    stored = deps.stores.servers.wave(execution["executionId"], int(wave["waveNumber"]))
    servers: dict[str, dict[str, Any]] = {s["sourceServerId"]: dict(s) for s in stored}
    settled = {
        sid for sid, s in servers.items() if server_failed(s) or (s.get("ready") and s.get("ec2InstanceId"))
    }
    jobs = deps.drs.jobs(job_ids) if job_ids else []
    jobs_finished = len(jobs) == len(job_ids) and all(j.get("status") == "COMPLETED" for j in jobs)
    # Job logs tell the phase of a server still launching and the error of a failed one: read them
    # only for jobs that still have such a server (a launched server's phase is VERIFYING anyway).
    moving_jobs = [
        j
        for j in jobs
        if any(
            _needs_log(p, servers.get(p["sourceServerID"]), settled)
            for p in j.get("participatingServers", [])
        )
    ]
    logs = {j["jobID"]: deps.drs.job_log_items(j["jobID"]) for j in moving_jobs}
    current_jobs = {sid: str(s["jobId"]) for sid, s in servers.items() if s.get("jobId")}
    for sid, update in _server_updates_from_jobs(jobs, logs, current_jobs).items():
        if sid in servers and sid not in settled:
            known = dict(servers[sid].get("phaseTimes") or {})
            servers[sid].update({k: v for k, v in update.items() if v is not None})
            servers[sid]["phaseTimes"] = {**update["phaseTimes"], **known}
    unsettled = [s for sid, s in servers.items() if sid not in settled]
    # A recovery instance's EC2 id never changes: DRS is asked once per server.
    recovery_ids = [
        s["recoveryInstanceId"]
        for s in unsettled
        if s.get("recoveryInstanceId") and not s.get("ec2InstanceId")
    ]
    if recovery_ids:
        instances = {r["recoveryInstanceID"]: r for r in deps.drs.recovery_instances(recovery_ids)}
        for server in unsettled:
            instance = instances.get(server.get("recoveryInstanceId", ""))
            if instance and instance.get("ec2InstanceID"):
                server["ec2InstanceId"] = instance["ec2InstanceID"]
    ec2_ids = _ec2_lookups(unsettled)
    if ec2_ids:
        details = deps.ec2.instances(ec2_ids)
        checks = deps.ec2.status_checks_ok(ec2_ids) if readiness is ReadinessCheck.EC2_STATUS_OK else {}
        for server in unsettled:
            iid = server.get("ec2InstanceId")
            if iid in details:
                server.update({k: v for k, v in details[iid].items() if v is not None})
            if iid in checks:
                server["statusChecksOk"] = checks[iid]
    now = deps.clock.iso()
    for server in unsettled:
        if server.get("launchStatus") == LaunchStatus.FAILED and not server.get("error"):
            server["error"] = "DRS reported the launch as FAILED"
        server["ready"] = server_is_ready(server, readiness)
        _set_phase(server, server_phase(server, readiness))
        _record_moments(server, now)
    originals: dict[str, Mapping[str, Any]] = {s["sourceServerId"]: s for s in stored}
    return list(servers.values()), originals, jobs_finished


def _set_phase(server: dict[str, Any], phase: ServerPhase | None) -> None:
    if phase is None:
        server.pop("phase", None)
    else:
        server["phase"] = str(phase)


def _store_servers(
    deps: Deps,
    servers: Sequence[dict[str, Any]],
    originals: Mapping[str, Mapping[str, Any]],
    readiness: ReadinessCheck,
    *,
    wave_ended: bool,
) -> list[ServerRecord]:
    """Write the servers a poll changed (only those). When the wave ended with its DRS jobs finished,
    every server's phase settles first (READY, FAILED, NOT_READY, NOT_LAUNCHED): the write that
    records the wave's last changes carries it, so a settled wave costs no extra poll."""
    if wave_ended:
        for server in servers:
            _set_phase(server, server_phase(server, readiness, wave_ended=True))
    changed = [
        s
        for s in servers
        if any(s.get(f) != originals[s["sourceServerId"]].get(f) for f in SERVER_POLL_FIELDS)
    ]
    if changed:
        now = deps.clock.iso()
        deps.stores.servers.put_many([server_from_item({**s, "updatedAt": now}) for s in changed])
    return [server_from_item(s) for s in servers]


def _readiness(execution: ExecutionRecord) -> ReadinessCheck:
    return ReadinessCheck(options_of(execution)["readinessCheck"])


def _poll_failed(
    deps: Deps, state: dict[str, Any], execution: ExecutionRecord, error: Exception
) -> MachineState:
    """A poll that could not read DRS or EC2. Passing faults (throttling, 5xx, timeouts) back off
    and try again; a denied call is fatal at once (it names the call); any other error is given
    MAX_CONSECUTIVE_POLL_ERRORS polls before it is."""
    cfg = deps.config
    poll_count = int(state.get("pollCount", 0)) + 1
    index = int(state["waveIndex"])
    if isinstance(error, PermissionDeniedError):
        raise error
    message = error.message if isinstance(error, OrchestratorError) else f"{type(error).__name__}: {error}"
    failures = int(execution["waves"][index].get("pollErrors", 0))
    if not isinstance(error, TransientError):
        failures += 1
        if failures >= MAX_CONSECUTIVE_POLL_ERRORS:
            raise error
    deps.stores.executions.record_poll_error(execution, index, message, failures or None)
    logger.warning(
        "poll deferred",
        extra={"executionId": execution["executionId"], "reason": message, "consecutiveErrors": failures},
    )
    return machine_state(state, poll_count=poll_count, interval=cfg.poll_max_seconds)


def wave_facts(servers: Sequence[Mapping[str, Any]], readiness: ReadinessCheck) -> dict[str, Any]:
    """What a wave record shows of its servers: progress, failed servers, warnings, instance count."""
    return {
        "progress": progress_counts(servers, readiness),
        "failedServers": [
            {
                "sourceServerId": s["sourceServerId"],
                "hostname": s.get("hostname"),
                "error": s.get("error"),
                "impactLevel": s.get("impactLevel"),
            }
            for s in servers
            if server_failed(s)
        ][:MAX_FAILED_SERVERS_LISTED],
        "warnings": wave_warnings(servers),
        "recoveryInstances": sum(1 for s in servers if s.get("recoveryInstanceId")),
    }


def poll(deps: Deps, state: dict[str, Any]) -> MachineState:
    index = int(state["waveIndex"])
    poll_count = int(state.get("pollCount", 0)) + 1
    cfg = deps.config
    execution = read_for_step(deps, state["executionId"])
    wave = execution["waves"][index]
    if (
        is_terminal(execution["status"])
        or wave.get("status") != WaveStatus.IN_PROGRESS
        or wave.get("phase") in (WavePhase.PRE_ACTIONS, WavePhase.POST_ACTIONS)
    ):
        return machine_state(state, poll_count=poll_count, wave_done=True)
    readiness = _readiness(execution)
    timeout_minutes = options_of(execution, cfg.default_wave_timeout_minutes)["waveTimeoutMinutes"]
    try:
        fresh, originals, jobs_finished = _read_servers(deps, execution, wave, readiness)
        now = deps.clock.iso()
        status, error = decide_wave_outcome(
            jobs_finished=jobs_finished,
            servers=fresh,
            readiness=readiness,
            elapsed_seconds=timeutil.seconds_between(wave.get("submittedTime") or wave["startTime"], now),
            timeout_minutes=timeout_minutes,
        )
        # The servers' part of the wave is over once its jobs finished and it has an outcome (a
        # COMPLETED wave with post-actions too): each server's phase settles.
        servers = _store_servers(
            deps,
            fresh,
            originals,
            readiness,
            wave_ended=jobs_finished and status in TERMINAL_WAVE_STATUSES,
        )
    except Exception as e:  # classified: passing, counted, or fatal
        return _poll_failed(deps, state, execution, e)
    phase = None if status in TERMINAL_WAVE_STATUSES else wave_phase(servers, jobs_finished=jobs_finished)
    # Ready servers are not yet a recovered application: the post-actions decide the wave's end.
    to_post_actions = status is WaveStatus.COMPLETED and next_action(wave, ActionStage.POST) is not None
    if to_post_actions:
        status, phase = WaveStatus.IN_PROGRESS, WavePhase.POST_ACTIONS
    facts = wave_facts(servers, readiness)
    if status is WaveStatus.FAILED and wave.get("actions"):
        facts["actions"] = actions_at_wave_end(wave["actions"], error or "the wave failed", now)
    waves = [{**w, "status": str(status)} if n == index else w for n, w in enumerate(execution["waves"])]
    recorded = deps.stores.executions.record_poll(
        execution,
        index,
        status=status,
        phase=phase,
        facts=facts,
        jobs_finished=jobs_finished,
        error=error,
        completed_waves=completed_wave_count(waves),
        now=now,
    )
    if not recorded:
        return machine_state(state, poll_count=poll_count, wave_done=True)
    # A drill network override ends as soon as its server's instance launched (or its launch ended).
    drill_network.restore_safely(deps, execution, every=False)
    done = status in TERMINAL_WAVE_STATUSES or to_post_actions
    if status in TERMINAL_WAVE_STATUSES:
        finished_wave(
            deps,
            execution["executionId"],
            {**wave, "status": str(status), "endTime": now, **({"error": error} if error else {})},
        )
        logger.info(
            "wave finished",
            extra={"executionId": execution["executionId"], "wave": index + 1, "status": str(status)},
        )
    interval = (
        0
        if done
        else next_poll_interval(
            min_seconds=cfg.poll_min_seconds,
            max_seconds=cfg.poll_max_seconds,
            phase=phase,
            progress=facts["progress"],
            poll_count=poll_count,
            execution_elapsed_seconds=timeutil.seconds_between(execution["startTime"], now),
        )
    )
    return machine_state(state, poll_count=poll_count, interval=interval, wave_done=done)


def follow_jobs(deps: Deps, execution: ExecutionRecord) -> bool:
    """After the execution ended: keep following the DRS jobs it submitted and record every
    recovery instance they launch (statuses untouched). True when no job is left to follow."""
    readiness = _readiness(execution)
    left = False
    for index, wave in enumerate(execution.get("waves", [])):
        if not wave_jobs_pending(wave):
            continue
        fresh, originals, finished = _read_servers(deps, execution, wave, readiness)
        # The execution ended, so did the wave: its servers settle when its jobs end.
        servers = _store_servers(deps, fresh, originals, readiness, wave_ended=finished)
        deps.stores.executions.record_followed(execution, index, wave_facts(servers, readiness), finished)
        left = left or not finished
    if not left:
        deps.stores.executions.record_jobs_followed(execution, now=deps.clock.iso())
        note(
            deps,
            execution["executionId"],
            "JOBS_ENDED",
            "JOBS_ENDED",
            "the DRS jobs that outlived the execution ended; their recovery instances are recorded",
        )
    return not left
