"""create: validate a plan, resolve its servers, run the pre-flight checks, record the execution
and start the state machine. A drill and a real recovery are started through different routes (IAM
cannot read a body), so each has its own entry point: start_drill refuses a RECOVERY, start_recovery
wants the plan's name typed again."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from execution_utils import (
    ActionStage,
    ExecutionStatus,
    ExecutionType,
    ImpactLevel,
    LaunchStatus,
    WaveStatus,
    name_with_id,
    normalize_execution_status,
)
from orchestrator.actions import kind_of
from orchestrator.deps import Deps
from orchestrator.exceptions import ConflictError, NotFoundError, OrchestratorError, ValidationFailedError
from orchestrator.identity import ActorLike
from orchestrator.identity import fields as actor_fields
from orchestrator.model import (
    ActionRecord,
    ExecutionOptions,
    ExecutionRecord,
    ServerRecord,
    WaveRecord,
    execution_options,
    new_action,
    new_progress,
    server_key,
)
from orchestrator.operations import drill_network
from orchestrator.operations.catalog import require_plan_name
from orchestrator.operations.finalize import finalize_execution
from orchestrator.operations.timeline import note, started_execution
from orchestrator.store.ports import execution_lock_ids

logger = logging.getLogger(__name__)

# Replication states from which DRS cannot launch a recovery instance.
UNHEALTHY_REPLICATION = frozenset(
    {"STOPPED", "INITIATING", "INITIAL_SYNC", "PAUSED", "STALLED", "DISCONNECTED"}
)
IMPACT_TAG_KEYS = ("ImpactLevel", "impactLevel", "impact-level")


@dataclass
class ResolvedServer:
    source_server_id: str
    hostname: str
    impact_level: str
    group_id: str


@dataclass
class ResolvedWave:
    wave_name: str
    group_ids: list[str]
    pause_before_wave: bool
    servers: list[ResolvedServer] = field(default_factory=list)
    pre_actions: list[dict[str, Any]] = field(default_factory=list)
    post_actions: list[dict[str, Any]] = field(default_factory=list)


def drs_hostname(server: Mapping[str, Any]) -> str:
    hints = server.get("sourceProperties", {}).get("identificationHints", {})
    return str(hints.get("hostname") or hints.get("fqdn") or server.get("sourceServerID"))


def _label(server: Mapping[str, Any]) -> str:
    """A DRS source server as messages name it: ``db01 (s-...)``."""
    hints = server.get("sourceProperties", {}).get("identificationHints", {})
    return name_with_id(hints.get("hostname") or hints.get("fqdn"), server.get("sourceServerID"))


def impact_of(group: Mapping[str, Any], server: Mapping[str, Any]) -> str:
    explicit = (group.get("serverImpactLevels") or {}).get(server["sourceServerID"])
    if explicit:
        return str(ImpactLevel(str(explicit).upper()))
    tags = server.get("tags") or {}
    for key in IMPACT_TAG_KEYS:
        if str(tags.get(key, "")).upper() in {"CRITICAL", "OPTIONAL"}:
            return str(tags[key]).upper()
    return str(ImpactLevel.CRITICAL)


def _replication_state(server: Mapping[str, Any]) -> str | None:
    state = (server.get("dataReplicationInfo") or {}).get("dataReplicationState")
    return str(state) if state else None


def matches_tags(server: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    tags = server.get("tags") or {}
    return all(tags.get(k) == v for k, v in wanted.items())


def group_members(
    group: Mapping[str, Any],
    by_id: Mapping[str, Mapping[str, Any]],
    drs_servers: Sequence[Mapping[str, Any]],
) -> tuple[list[Mapping[str, Any]], list[str]]:
    """A protection group's DRS source servers (its listed ids, then those its tags select, not
    archived) and the listed ids DRS does not know."""
    listed = list(group.get("sourceServerIds") or [])
    members = [by_id[i] for i in listed if i in by_id]
    if group.get("serverSelectionTags"):
        members.extend(
            s
            for s in drs_servers
            if matches_tags(s, group["serverSelectionTags"]) and not s.get("isArchived", False)
        )
    return members, [i for i in listed if i not in by_id]


def resolve_waves(
    plan: Mapping[str, Any], groups: Mapping[str, Mapping[str, Any]], drs_servers: Sequence[Mapping[str, Any]]
) -> list[ResolvedWave]:
    """Turn the plan's waves into server lists; raise ValidationFailedError naming every problem."""
    by_id = {s["sourceServerID"]: s for s in drs_servers}
    problems: list[str] = []
    unknown: set[str] = set()
    seen: dict[str, str] = {}
    waves: list[ResolvedWave] = []
    for number, wave in enumerate(plan["waves"], start=1):
        resolved = ResolvedWave(
            wave_name=wave["waveName"],
            group_ids=list(wave["protectionGroupIds"]),
            pause_before_wave=bool(wave.get("pauseBeforeWave", False)),
            pre_actions=list(wave.get("preActions") or []),
            post_actions=list(wave.get("postActions") or []),
        )
        for group_id in resolved.group_ids:
            group = groups[group_id]
            members, missing = group_members(group, by_id, drs_servers)
            unknown.update(missing)
            for server in members:
                sid = server["sourceServerID"]
                if sid in seen:
                    if seen[sid] != f"wave {number}":
                        problems.append(
                            f"source server {_label(server)} is in both {seen[sid]} and wave {number}"
                        )
                    continue
                seen[sid] = f"wave {number}"
                resolved.servers.append(
                    ResolvedServer(sid, drs_hostname(server), impact_of(group, server), group_id)
                )
        if not resolved.servers:
            problems.append(f"wave {number} ({resolved.wave_name}) has no source servers")
        waves.append(resolved)
    if unknown:
        problems.insert(0, "unknown source servers: " + ", ".join(sorted(unknown)))
    unhealthy = sorted(
        f"{_label(by_id[s.source_server_id])}: {_replication_state(by_id[s.source_server_id])}"
        for w in waves
        for s in w.servers
        if _replication_state(by_id[s.source_server_id]) in UNHEALTHY_REPLICATION
    )
    if unhealthy:
        problems.append("replication is not healthy for: " + ", ".join(unhealthy))
    if problems:
        raise ValidationFailedError(
            "; ".join(problems), code="PREFLIGHT_FAILED", details={"problems": problems}
        )
    return waves


def check_limits(deps: Deps, waves: Sequence[ResolvedWave]) -> None:
    cfg = deps.config
    for number, wave in enumerate(waves, start=1):
        count = len(wave.servers)
        jobs = -(-count // cfg.drs_max_servers_per_job)
        if count > cfg.drs_max_servers_in_active_jobs or jobs > cfg.drs_max_concurrent_jobs:
            raise ValidationFailedError(
                f"wave {number} ({wave.wave_name}) has {count} servers: DRS allows at most "
                f"{cfg.drs_max_servers_in_active_jobs} servers in active jobs and "
                f"{cfg.drs_max_concurrent_jobs} concurrent jobs of {cfg.drs_max_servers_per_job} servers; "
                "split the wave",
                code="DRS_LIMIT_EXCEEDED",
            )


def _wave_record(number: int, wave: ResolvedWave, options: ExecutionOptions) -> WaveRecord:
    record: WaveRecord = {
        "waveNumber": number,
        "waveName": wave.wave_name,
        "protectionGroupIds": wave.group_ids,
        "pauseBeforeWave": wave.pause_before_wave,
        "status": str(WaveStatus.NOT_STARTED),
        "jobIds": [],
        "serverCount": len(wave.servers),
        "recoveryInstances": 0,
        "progress": new_progress(len(wave.servers)),
    }
    actions = [
        _action(a, stage, options)
        for stage, definitions in ((ActionStage.PRE, wave.pre_actions), (ActionStage.POST, wave.post_actions))
        for a in definitions
    ]
    if actions:
        record["actions"] = actions
    return record


def _action(definition: Mapping[str, Any], stage: ActionStage, options: ExecutionOptions) -> ActionRecord:
    """The execution's record of a plan's action: the type's own defaults (from the plan's options)
    for what the definition leaves out, then the defaults every action gets."""
    defaults = kind_of(definition).defaults(options)
    return new_action({**defaults, **definition}, str(stage))


def load_plan(deps: Deps, plan_id: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The plan and its protection groups, read once (PLAN_NOT_FOUND, UNKNOWN_PROTECTION_GROUP)."""
    plan = deps.stores.plans.get(plan_id)
    groups: dict[str, dict[str, Any]] = {}
    missing = []
    for wave in plan["waves"]:
        for group_id in wave["protectionGroupIds"]:
            if group_id not in groups:
                try:
                    groups[group_id] = deps.stores.groups.get(group_id)
                except NotFoundError:
                    missing.append(group_id)
    if missing:
        raise ValidationFailedError(
            "the plan references unknown protection groups: " + ", ".join(sorted(set(missing))),
            code="UNKNOWN_PROTECTION_GROUP",
        )
    return plan, groups


def busy_in_drs_jobs(
    jobs: Sequence[Mapping[str, Any]], server_ids: Sequence[str]
) -> dict[str, Mapping[str, Any]]:
    """Source server id -> the active DRS job it takes part in, for those of ``server_ids`` that do
    (a launch, or a termination of its recovery instance: DRS refuses a new job for either)."""
    wanted = set(server_ids)
    return {
        p["sourceServerID"]: job
        for job in jobs
        for p in job.get("participatingServers") or []
        if p.get("sourceServerID") in wanted
    }


def check_servers_free(deps: Deps, waves: Sequence[ResolvedWave], *, cancelled: Collection[str] = ()) -> None:
    """409 naming the DRS job when a server of the plan is still in an active DRS job (e.g. the
    termination of a previous drill's instances): StartRecovery would refuse it. The jobs of the
    ``cancelled`` executions (drills a RECOVERY cancelled) are waited for by the first wave instead."""
    from orchestrator.operations.waves import TAG_EXECUTION

    hostnames = {s.source_server_id: s.hostname for w in waves for s in w.servers}
    jobs = [
        j
        for j in deps.drs.active_jobs(deps.clock.now())
        if (j.get("tags") or {}).get(TAG_EXECUTION) not in set(cancelled)
    ]
    busy = busy_in_drs_jobs(jobs, list(hostnames))
    if busy:
        server, job = next(iter(sorted(busy.items())))
        raise ConflictError(
            f"source server {name_with_id(hostnames.get(server), server)} is in active DRS job {job['jobID']} ({job.get('type', 'JOB')}, "
            f"{job.get('status')})"
            + (f" and {len(busy) - 1} more server(s) are busy" if len(busy) > 1 else "")
            + ": start the execution once it ended",
            code="SERVER_IN_ACTIVE_DRS_JOB",
            details={"sourceServerId": server, "jobId": job["jobID"], "jobType": job.get("type")},
        )


def _recovery_preflight(
    deps: Deps,
    execution_id: str,
    plan: Mapping[str, Any],
    locks: Sequence[str],
    server_ids: Sequence[str],
    *,
    cancel_conflicting_drills: bool,
    initiated_by: ActorLike,
) -> tuple[list[str], list[dict[str, Any]]]:
    """A RECOVERY's pre-flight: a drill still running on its plan or servers is a 409 naming it,
    unless the recovery asked to cancel it (it is cancelled, its locks handed over); then every drill
    network override left on its servers is restored. Returns (the cancelled drills, the restored
    overrides)."""
    # Imported here: control imports this module's neighbours that import it.
    from orchestrator.operations.control import cancel

    drills = drill_network.conflicting_drills(deps, locks)
    if drills and not cancel_conflicting_drills:
        raise drill_network.drill_conflict(drills[0])
    cancelled: list[str] = []
    for drill in drills:
        drill_id = drill["executionId"]
        if normalize_execution_status(drill["status"]) is not ExecutionStatus.CANCELLING:
            cancel(
                deps,
                drill_id,
                actor=initiated_by,
                reason=f"RECOVERY {execution_id} of plan {plan['name']} cancelled the drill to start",
            )
        cancelled.append(drill_id)
    restored = drill_network.restore_for_recovery(deps, server_ids, execution_id)
    for drill_id in cancelled:
        # The cancelled drill finalizes on its own; the locks the recovery needs are its from now.
        deps.stores.locks.release_held(list(locks), drill_id)
    return cancelled, restored


def create_execution(
    deps: Deps,
    plan_id: str,
    execution_type: str,
    *,
    initiated_by: ActorLike = "unknown",
    cancel_conflicting_drills: bool = False,
) -> ExecutionRecord:
    """Validate, lock, record PENDING and start the state machine. Returns the stored record."""
    kind = ExecutionType(execution_type)
    plan, groups = load_plan(deps, plan_id)
    waves = resolve_waves(plan, groups, deps.drs.all_source_servers())
    check_limits(deps, waves)
    execution_id = str(uuid.uuid4())
    server_ids = [s.source_server_id for w in waves for s in w.servers]
    locks = execution_lock_ids(plan_id, server_ids)
    cancelled: list[str] = []
    restored: list[dict[str, Any]] = []
    if kind is ExecutionType.RECOVERY:
        cancelled, restored = _recovery_preflight(
            deps,
            execution_id,
            plan,
            locks,
            server_ids,
            cancel_conflicting_drills=cancel_conflicting_drills,
            initiated_by=initiated_by,
        )
    started = deps.clock.iso()
    options = execution_options(plan.get("options") or {}, deps.config.default_wave_timeout_minutes)
    # The locks first: of two starts of one plan, the one that loses them hears that the plan runs
    # (PLAN_ALREADY_RUNNING), not that the winner's DRS job now holds its servers.
    deps.stores.locks.acquire(locks, execution_id, started)
    try:
        check_servers_free(deps, waves, cancelled=cancelled)
        deps.stores.servers.put_many(
            [
                ServerRecord(
                    executionId=execution_id,
                    serverKey=server_key(number, s.source_server_id),
                    waveNumber=number,
                    sourceServerId=s.source_server_id,
                    hostname=s.hostname,
                    impactLevel=s.impact_level,
                    protectionGroupId=s.group_id,
                    launchStatus=str(LaunchStatus.PENDING),
                    ready=False,
                )
                for number, wave in enumerate(waves, start=1)
                for s in wave.servers
            ]
        )
        record: ExecutionRecord = {
            "executionId": execution_id,
            "planId": plan_id,
            "planName": plan["name"],
            "executionType": str(kind),
            "status": str(ExecutionStatus.PENDING),
            "startTime": started,
            **actor_fields("initiatedBy", initiated_by),  # type: ignore[typeddict-item]
            "totalWaves": len(waves),
            "completedWaves": 0,
            "currentWave": 0,
            "totalServers": len(server_ids),
            "options": options,
            "waves": [_wave_record(n, w, options) for n, w in enumerate(waves, start=1)],
        }
        record = deps.stores.executions.create(record)
    except Exception:
        deps.stores.locks.release_held(locks, execution_id)
        raise
    try:
        arn = deps.sfn.start(execution_id)
    except OrchestratorError as e:
        # Nothing ran: the record must not stay PENDING. finalize is the one place that ends it.
        finalize_execution(deps, execution_id, error=f"the state machine could not be started: {e.message}")
        raise
    try:
        started_execution(deps, record)
        _preflight_events(deps, execution_id, cancelled, restored)
    except OrchestratorError as e:
        # The execution runs: the first advance writes the event again.
        logger.warning("EXECUTION_STARTED left to the first advance", extra={"error": e.message})
    logger.info(
        "execution started",
        extra={"executionId": execution_id, "planId": plan_id, "servers": len(server_ids)},
    )
    record["sfnExecutionArn"] = arn
    return record


def _preflight_events(
    deps: Deps, execution_id: str, cancelled: Sequence[str], restored: Sequence[Mapping[str, Any]]
) -> None:
    """The recovery's timeline says which drills it cancelled and which overrides it restored."""
    for drill_id in cancelled:
        note(
            deps,
            execution_id,
            f"DRILL_CANCELLED#{drill_id}",
            "DRILL_CANCELLED",
            f"drill {drill_id} was still running on these servers: cancelled before the recovery started",
            details={"executionId": drill_id},
        )
    for item in restored:
        note(
            deps,
            execution_id,
            f"DRILL_NETWORK_RESTORED#{item['executionId']}#{item['sourceServerId']}",
            "DRILL_NETWORK_RESTORED",
            f"source server {item['sourceServerId']}: the drill network override of execution "
            f"{item['executionId']} was restored before the recovery started",
            details=dict(item),
        )


def start_drill(
    deps: Deps, plan_id: str, execution_type: str = "DRILL", *, initiated_by: ActorLike = "unknown"
) -> ExecutionRecord:
    """POST /recovery-plans/{planId}/executions: a DRILL only. A RECOVERY asked for here is refused
    before anything is read or stored: it has its own route, which IAM can deny to drill operators."""
    if ExecutionType(execution_type) == ExecutionType.RECOVERY:
        raise ValidationFailedError(
            "a RECOVERY is started only with POST /recovery-plans/{planId}/recovery and "
            '{"confirmPlanName": <the plan\'s name>}; this route starts drills',
            code="RECOVERY_ROUTE_REQUIRED",
            details={"field": "executionType"},
        )
    return create_execution(deps, plan_id, execution_type, initiated_by=initiated_by)


def check_recovery_confirmation(deps: Deps, plan_id: str, confirmed_plan_name: str) -> None:
    """A real recovery fails production over: the plan's name must be typed again, exactly
    (PLAN_NOT_FOUND for an unknown plan, 422 CONFIRMATION_MISMATCH for another name)."""
    plan = deps.stores.plans.get(plan_id)
    require_plan_name(confirmed_plan_name, plan.get("name"), "the recovery plan")


def start_recovery(
    deps: Deps,
    plan_id: str,
    *,
    confirmed_plan_name: str,
    initiated_by: ActorLike = "unknown",
    cancel_conflicting_drills: bool = False,
) -> ExecutionRecord:
    """POST /recovery-plans/{planId}/recovery: a RECOVERY, confirmed by the plan's name."""
    check_recovery_confirmation(deps, plan_id, confirmed_plan_name)
    return create_execution(
        deps,
        plan_id,
        str(ExecutionType.RECOVERY),
        initiated_by=initiated_by,
        cancel_conflicting_drills=cancel_conflicting_drills,
    )
