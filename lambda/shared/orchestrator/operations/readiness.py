"""Readiness: would a recovery of the plan work now? One function per check, each giving PASS, WARN
or FAIL results; the verdict rule in one place (``verdict_of``: any FAIL -> NOT_READY, else any
WARN -> AT_RISK, else READY)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from execution_utils import (
    TERMINAL_STATUSES,
    CheckStatus,
    ExecutionType,
    Verdict,
    normalize_execution_status,
    recovery_time,
    verdict,
)
from orchestrator import timeutil
from orchestrator.deps import Deps
from orchestrator.exceptions import NotFoundError, OrchestratorError, TransientError, ValidationFailedError
from orchestrator.model import ExecutionRecord
from orchestrator.notify.readiness import ReadinessChange, problems_of
from orchestrator.operations.create import (
    ResolvedServer,
    ResolvedWave,
    check_limits,
    drs_hostname,
    group_members,
)
from orchestrator.operations.waves import capacity_shortfall
from orchestrator.store.readiness import verdict_record

logger = logging.getLogger(__name__)

DEFAULT_MAX_REPLICATION_LAG_MINUTES = 60
DEFAULT_MAX_DAYS_BETWEEN_DRILLS = 90
# DRS keeps point-in-time snapshots every 10 minutes for an hour, then hourly for a day: a newest
# recovery point older than a day means the server's snapshots stopped.
RECOVERY_POINT_MAX_AGE_HOURS = 24
# How many of the plan's last executions are read to find its last drills.
EXECUTIONS_READ = 200


@dataclass(frozen=True)
class CheckResult:
    check: str
    status: CheckStatus
    message: str
    source_server_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.check, "status": str(self.status), "message": self.message}
        if self.source_server_id:
            out["sourceServerId"] = self.source_server_id
        return out


class Lookups:
    """The DRS and EC2 reads of one check, each made once: the scheduled check shares them across
    plans, so a server in several plans (and a launch template shared by servers) is read once."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._servers: list[dict[str, Any]] | None = None
        self._templates: dict[str, str] = {}
        self._snapshots: dict[str, dict[str, Any] | None] = {}
        self._problems: dict[str, list[str]] = {}
        self._overrides: list[ExecutionRecord] | None = None

    def source_servers(self) -> list[dict[str, Any]]:
        if self._servers is None:
            self._servers = self.deps.drs.all_source_servers()
        return self._servers

    def launch_template(self, source_server_id: str) -> str:
        """The EC2 launch template of a server's DRS launch configuration ("" when it has none)."""
        if source_server_id not in self._templates:
            try:
                found = self.deps.drs.launch_configuration(source_server_id).get("ec2LaunchTemplateID")
            except NotFoundError:
                found = None
            self._templates[source_server_id] = str(found or "")
        return self._templates[source_server_id]

    def latest_snapshot(self, source_server_id: str) -> dict[str, Any] | None:
        if source_server_id not in self._snapshots:
            self._snapshots[source_server_id] = self.deps.drs.latest_recovery_snapshot(source_server_id)
        return self._snapshots[source_server_id]

    def overrides_pending(self) -> list[ExecutionRecord]:
        """The executions holding a drill network override not restored (read once per check)."""
        if self._overrides is None:
            self._overrides = list(self.deps.stores.executions.with_overrides_pending())
        return self._overrides

    def template_problems(self, template_id: str) -> list[str]:
        if template_id not in self._problems:
            self._problems[template_id] = self.deps.ec2.launch_template_problems(template_id)
        return self._problems[template_id]


@dataclass
class Facts:
    """What every check reads, gathered once: the plan, its waves' servers as DRS knows them, the
    plan's last executions (newest first) and the time of the check."""

    plan: Mapping[str, Any]
    waves: list[list[str]]  # source server ids per wave (unknown ids included)
    drs: Mapping[str, Mapping[str, Any]]  # DRS source servers by id
    executions: list[ExecutionRecord]
    now: datetime
    now_iso: str
    lookups: Lookups
    options: Mapping[str, Any] = field(default_factory=dict)
    missing_groups: list[str] = field(default_factory=list)  # protection groups deleted since

    @property
    def server_ids(self) -> list[str]:
        return list(dict.fromkeys(s for wave in self.waves for s in wave))

    def known(self) -> list[str]:
        return [s for s in self.server_ids if s in self.drs]


def verdict_of(results: Sequence[CheckResult]) -> Verdict:
    """The one verdict rule: any FAIL -> NOT_READY, else any WARN -> AT_RISK, else READY."""
    statuses = {r.status for r in results}
    if CheckStatus.FAIL in statuses:
        return Verdict.NOT_READY
    if CheckStatus.WARN in statuses:
        return Verdict.AT_RISK
    return Verdict.READY


def _replication(server: Mapping[str, Any]) -> Mapping[str, Any]:
    return server.get("dataReplicationInfo") or {}


def check_servers_replicate(deps: Deps, facts: Facts) -> list[CheckResult]:
    """Every server of the plan exists in DRS, is not archived and replicates (CONTINUOUS)."""
    name = "SERVERS_REPLICATE"
    out = [
        CheckResult(name, CheckStatus.FAIL, f"protection group {g} of the plan does not exist")
        for g in facts.missing_groups
    ]
    for sid in facts.server_ids:
        server = facts.drs.get(sid)
        if server is None:
            out.append(CheckResult(name, CheckStatus.FAIL, f"source server {sid} does not exist in DRS", sid))
        elif server.get("isArchived"):
            out.append(CheckResult(name, CheckStatus.FAIL, f"source server {sid} is archived", sid))
        elif (state := _replication(server).get("dataReplicationState")) != "CONTINUOUS":
            out.append(
                CheckResult(name, CheckStatus.FAIL, f"replication of {sid} is {state or 'UNKNOWN'}", sid)
            )
    return out or [
        CheckResult(name, CheckStatus.PASS, f"all {len(facts.server_ids)} servers replicate continuously")
    ]


def check_replication_lag(deps: Deps, facts: Facts) -> list[CheckResult]:
    """The replication lag of each replicating server is under options.maxReplicationLagMinutes."""
    name, out = "REPLICATION_LAG", []
    limit = int(facts.options.get("maxReplicationLagMinutes") or DEFAULT_MAX_REPLICATION_LAG_MINUTES)
    for sid in facts.known():
        replication = _replication(facts.drs[sid])
        if replication.get("dataReplicationState") != "CONTINUOUS":
            continue  # SERVERS_REPLICATE fails it already
        raw = str(replication.get("lagDuration") or "PT0S")
        seconds = timeutil.duration_seconds(raw)
        if seconds is None:
            out.append(
                CheckResult(name, CheckStatus.WARN, f"replication lag of {sid} is unreadable ({raw})", sid)
            )
        elif seconds > limit * 60:
            out.append(
                CheckResult(
                    name,
                    CheckStatus.WARN,
                    f"replication lag of {sid} is {int(seconds // 60)} minutes (at most {limit})",
                    sid,
                )
            )
    return out or [CheckResult(name, CheckStatus.PASS, f"replication lag under {limit} minutes")]


def check_recovery_point(deps: Deps, facts: Facts) -> list[CheckResult]:
    """Each server has a recovery snapshot taken within the last RECOVERY_POINT_MAX_AGE_HOURS."""
    name, out = "RECOVERY_POINT", []
    for sid in facts.known():
        snapshot = facts.lookups.latest_snapshot(sid)
        taken = (snapshot or {}).get("timestamp") or (snapshot or {}).get("expectedTimestamp")
        if not taken:
            out.append(CheckResult(name, CheckStatus.FAIL, f"{sid} has no recovery point", sid))
            continue
        hours = timeutil.seconds_between(str(taken), facts.now) / 3600
        if hours > RECOVERY_POINT_MAX_AGE_HOURS:
            out.append(
                CheckResult(
                    name,
                    CheckStatus.WARN,
                    f"the newest recovery point of {sid} is {int(hours)} hours old",
                    sid,
                )
            )
    return out or [CheckResult(name, CheckStatus.PASS, "every server has a recent recovery point")]


def check_launch_settings(deps: Deps, facts: Facts) -> list[CheckResult]:
    """Each server's DRS launch configuration names an EC2 launch template that exists, with its
    subnet and security groups."""
    name, out = "LAUNCH_SETTINGS", []
    for sid in facts.known():
        template = facts.lookups.launch_template(sid)
        if not template:
            out.append(CheckResult(name, CheckStatus.FAIL, f"{sid} has no DRS launch template", sid))
            continue
        problems = facts.lookups.template_problems(template)
        out.extend(CheckResult(name, CheckStatus.FAIL, f"{sid}: {p}", sid) for p in problems)
    return out or [CheckResult(name, CheckStatus.PASS, "launch settings valid")]


def check_drill_network(deps: Deps, facts: Facts) -> list[CheckResult]:
    """No server is left with a drill's network settings (a drill network override not restored):
    an ended execution's is a FAIL (a recovery now would launch into the drill network unless its
    pre-flight restores it; the scheduled find repairs it), a running drill's a WARN."""
    name, out = "DRILL_NETWORK", []
    wanted = set(facts.server_ids)
    for execution in facts.lookups.overrides_pending():
        ended = normalize_execution_status(execution["status"]) in TERMINAL_STATUSES
        for entry in execution.get("drillOverrides") or []:
            sid = entry["sourceServerId"]
            if sid not in wanted or entry["status"] == "RESTORED":
                continue
            where = (
                f"{sid} still has the drill network settings of {'ended' if ended else 'running'} drill "
                f"{execution['executionId']} (launch template {entry['launchTemplateId']}: production "
                f"version {entry['productionVersion']} is not the default)"
            )
            out.append(CheckResult(name, CheckStatus.FAIL if ended else CheckStatus.WARN, where, sid))
    return out or [CheckResult(name, CheckStatus.PASS, "no server has drill network settings left")]


def check_quota_headroom(deps: Deps, facts: Facts) -> list[CheckResult]:
    """The largest wave fits DRS's limits (the pre-flight check), and fits now beside the DRS jobs
    that run (else its launch would wait for capacity)."""
    name = "QUOTA_HEADROOM"
    known = [[s for s in wave if s in facts.drs] for wave in facts.waves]
    if not any(known):
        return [CheckResult(name, CheckStatus.PASS, "no server to launch")]
    number, largest = max(enumerate(known, start=1), key=lambda pair: (len(pair[1]), -pair[0]))
    wave_name = str(facts.plan["waves"][number - 1]["waveName"])
    try:
        check_limits(
            deps,
            [
                ResolvedWave(
                    wave_name,
                    [],
                    False,
                    [ResolvedServer(s, drs_hostname(facts.drs[s]), "", "") for s in largest],
                )
            ],
        )
    except ValidationFailedError as e:
        return [CheckResult(name, CheckStatus.FAIL, e.message)]
    servers = [{"sourceServerId": s, "hostname": drs_hostname(facts.drs[s])} for s in largest]
    if why := capacity_shortfall(deps, servers):
        return [CheckResult(name, CheckStatus.WARN, f"wave {number} ({wave_name}) would wait: {why}")]
    return [
        CheckResult(name, CheckStatus.PASS, f"DRS has room for the largest wave ({len(largest)} servers)")
    ]


def check_locks(deps: Deps, facts: Facts) -> list[CheckResult]:
    """No server of the plan is held by a running execution (of this plan or another)."""
    name, out = "SERVER_LOCKS", []
    wanted = set(facts.server_ids)
    for execution_id, held in sorted(deps.stores.locks.holders().items()):
        for lock_id in held.lock_ids:
            sid = lock_id.removeprefix("SERVER#")
            if lock_id.startswith("SERVER#") and sid in wanted:
                out.append(
                    CheckResult(name, CheckStatus.WARN, f"{sid} is held by execution {execution_id}", sid)
                )
    return out or [CheckResult(name, CheckStatus.PASS, "no server is held by a running execution")]


def _drills(facts: Facts) -> Iterator[ExecutionRecord]:
    """The plan's ended drills, newest first."""
    for execution in facts.executions:
        if execution.get("executionType") == ExecutionType.DRILL and (
            normalize_execution_status(execution["status"]) in TERMINAL_STATUSES
        ):
            yield execution


def check_last_drill_rto(deps: Deps, facts: Facts) -> list[CheckResult]:
    """The last ended drill recovered every wave, within the plan's recovery time objective."""
    name = "LAST_DRILL_RTO"
    last = next(_drills(facts), None)
    if last is None:
        return [CheckResult(name, CheckStatus.WARN, "no drill of this plan has ended yet")]
    status = str(normalize_execution_status(last["status"]))
    judged = verdict(recovery_time(last, facts.now_iso))
    where = f"the last drill ({last['executionId']}, {last['startTime']})"
    if status != "COMPLETED":
        return [CheckResult(name, CheckStatus.WARN, f"{where} ended {status}")]
    if judged == "MISSED":
        return [CheckResult(name, CheckStatus.WARN, f"{where} missed the recovery time objective")]
    text = "met the recovery time objective" if judged == "MET" else "completed (no recovery time objective)"
    return [CheckResult(name, CheckStatus.PASS, f"{where} {text}")]


def check_drill_age(deps: Deps, facts: Facts) -> list[CheckResult]:
    """Days since the last successful drill stay within options.maxDaysBetweenDrills."""
    name = "DRILL_AGE"
    limit = int(facts.options.get("maxDaysBetweenDrills") or DEFAULT_MAX_DAYS_BETWEEN_DRILLS)
    succeeded = [d for d in _drills(facts) if normalize_execution_status(d["status"]) == "COMPLETED"]
    if not succeeded:
        return [CheckResult(name, CheckStatus.WARN, "the plan was never drilled successfully")]
    last = succeeded[0]
    days = int(timeutil.seconds_between(str(last.get("endTime") or last["startTime"]), facts.now) // 86400)
    if days > limit:
        return [
            CheckResult(
                name, CheckStatus.WARN, f"the last successful drill was {days} days ago (at most {limit})"
            )
        ]
    return [
        CheckResult(
            name, CheckStatus.PASS, f"the last successful drill was {days} days ago (at most {limit})"
        )
    ]


Check = Callable[[Deps, Facts], list[CheckResult]]
CHECKS: tuple[Check, ...] = (
    check_servers_replicate,
    check_replication_lag,
    check_recovery_point,
    check_launch_settings,
    check_drill_network,
    check_quota_headroom,
    check_locks,
    check_last_drill_rto,
    check_drill_age,
)


def gather(deps: Deps, plan_id: str, lookups: Lookups | None = None) -> Facts:
    """Everything the checks read, in one pass (PLAN_NOT_FOUND; a protection group deleted since
    the plan was saved is a FAIL of SERVERS_REPLICATE, not an error)."""
    lookups = lookups or Lookups(deps)
    plan = deps.stores.plans.get(plan_id)
    groups: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for group_id in dict.fromkeys(g for wave in plan["waves"] for g in wave["protectionGroupIds"]):
        try:
            groups[group_id] = deps.stores.groups.get(group_id)
        except NotFoundError:
            missing.append(group_id)
    drs_servers = lookups.source_servers()
    by_id = {str(s["sourceServerID"]): s for s in drs_servers}
    waves: list[list[str]] = []
    for wave in plan["waves"]:
        ids: list[str] = []
        for group_id in (g for g in wave["protectionGroupIds"] if g in groups):
            members, unknown = group_members(groups[group_id], by_id, drs_servers)
            ids.extend(str(m["sourceServerID"]) for m in members)
            ids.extend(unknown)
        waves.append(list(dict.fromkeys(ids)))
    executions, _ = deps.stores.executions.list_page(plan_id=plan_id, limit=EXECUTIONS_READ)
    now = deps.clock.now()
    return Facts(
        plan=plan,
        waves=waves,
        drs=by_id,
        executions=executions,
        now=now,
        now_iso=timeutil.iso(now),
        lookups=lookups,
        options=plan.get("options") or {},
        missing_groups=missing,
    )


def readiness(deps: Deps, plan_id: str, lookups: Lookups | None = None) -> dict[str, Any]:
    """``{planId, planName, verdict, checkedAt, checks}`` of a plan, checked now."""
    facts = gather(deps, plan_id, lookups)
    results = [result for check in CHECKS for result in check(deps, facts)]
    return {
        "planId": plan_id,
        "planName": str(facts.plan["name"]),
        "verdict": str(verdict_of(results)),
        "checkedAt": facts.now_iso,
        "checks": [r.to_json() for r in results],
    }


def _summary(result: Mapping[str, Any]) -> str:
    counts = {s: sum(1 for c in result["checks"] if c["status"] == s) for s in ("FAIL", "WARN", "PASS")}
    return ", ".join(f"{n} {s}" for s, n in counts.items() if n)


def check_and_record(deps: Deps, plan_id: str, lookups: Lookups | None = None) -> dict[str, Any]:
    """Check one plan, record its verdict (conditionally on the one read) and announce a change once:
    a change is stored ``notifyPending`` with the verdict, sent on each channel of the announcer
    (each recorded in ``announced`` once sent), then cleared for that change only. A repeat
    (EventBridge redelivers) finds the same verdict and nothing pending; a channel that failed stays
    pending and is sent by the next check, without sending again those that went out."""
    result = readiness(deps, plan_id, lookups)
    store = deps.stores.readiness
    previous = store.plan_verdict(plan_id)
    record = verdict_record(plan_id, result["verdict"], result["checkedAt"], previous, _summary(result))
    changed = previous is not None and previous.get("verdict") != result["verdict"]
    if not store.record_verdict(record, previous):
        # Another check recorded first: it announces; this one changes and sends nothing.
        logger.info("readiness recorded by another check", extra={"planId": plan_id})
        return {"planId": plan_id, "verdict": result["verdict"], "changed": False, "notified": False}
    current = store.plan_verdict(plan_id) or record
    notified = False
    if current.get("notifyPending") and deps.announcer is not None:
        change = ReadinessChange(
            plan_id=plan_id,
            plan_name=result["planName"],
            previous=str(current["previousVerdict"]),
            verdict=str(current["verdict"]),
            changed_at=str(current["changedAt"]),
            problems=problems_of(result["checks"]) if current["verdict"] == result["verdict"] else (),
        )
        for channel in deps.announcer.channels:
            if channel not in (current.get("announced") or []):
                deps.announcer.send(channel, change)
                store.mark_announced(plan_id, change.changed_at, channel)
        notified = store.clear_pending(plan_id, change.changed_at)
        logger.info(
            "readiness change announced",
            extra={"planId": plan_id, "verdict": change.verdict, "previous": change.previous},
        )
    return {"planId": plan_id, "verdict": result["verdict"], "changed": changed, "notified": notified}


def check_all(deps: Deps) -> dict[str, Any]:
    """The scheduled check: every plan, one after another; a plan that cannot be checked does not
    stop the others. Transient failures raise at the end (EventBridge retries; a repeat is
    harmless), after every other plan was recorded."""
    plans: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    transient = False
    lookups = Lookups(deps)
    for plan in deps.stores.plans.all():
        try:
            plans.append(check_and_record(deps, str(plan["planId"]), lookups))
        except OrchestratorError as e:
            transient = transient or isinstance(e, TransientError)
            logger.warning("readiness check failed", extra={"planId": plan["planId"], "code": e.code})
            failed.append({"planId": plan["planId"], "error": {"code": e.code, "message": e.message}})
    if transient:
        raise TransientError(f"the readiness of {len(failed)} plan(s) could not be checked; retried")
    return {"plans": plans, "failed": failed}
