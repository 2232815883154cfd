"""What the console's protection group page shows: the group's servers as DRS sees them now
(replication state and lag), the plans that use it and its recent executions.

Access pattern of the recent executions: the plans are read whole (the catalog is small: one item
per plan), then, for each plan that names the group, the newest executions of that plan from the
executions table's PlanIndex (planId, startTime), at most ``limit`` each; those whose waves (the
plan as it was when they started) recover the group are merged newest first. No scan of the
executions table, and the cost grows with the plans using the group, not with the history.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator import timeutil
from orchestrator.deps import Deps
from orchestrator.model import ExecutionRecord
from orchestrator.operations.create import UNHEALTHY_REPLICATION, group_members, impact_of
from orchestrator.views import execution_summary


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds)


def _hints(server: Mapping[str, Any]) -> Mapping[str, Any]:
    return (server.get("sourceProperties") or {}).get("identificationHints") or {}


def group_servers(deps: Deps, group_id: str) -> dict[str, Any]:
    """The group's servers (its listed ids, or the DRS servers its tags select), each with its
    replication state and lag as DRS reports them now; a listed id DRS does not know is shown as
    ``found: false``."""
    group = deps.stores.groups.get(group_id)
    drs_servers = deps.drs.all_source_servers()
    by_id = {str(s["sourceServerID"]): s for s in drs_servers}
    members, missing = group_members(group, by_id, drs_servers)
    listed = [str(m["sourceServerID"]) for m in members] + missing
    items: list[dict[str, Any]] = []
    for sid in listed:
        server = by_id.get(sid)
        if server is None:
            items.append(
                {
                    "sourceServerId": sid,
                    "hostname": None,
                    "found": False,
                    "impactLevel": str((group.get("serverImpactLevels") or {}).get(sid) or "CRITICAL"),
                    "replicationState": None,
                    "replicationHealthy": False,
                    "lagDuration": None,
                    "lagSeconds": None,
                    "lastLaunchResult": None,
                    "tags": {},
                }
            )
            continue
        replication = server.get("dataReplicationInfo") or {}
        state = replication.get("dataReplicationState")
        lag = replication.get("lagDuration")
        items.append(
            {
                "sourceServerId": sid,
                "hostname": _hints(server).get("hostname") or _hints(server).get("fqdn"),
                "found": True,
                "impactLevel": impact_of(group, server),
                "replicationState": state,
                "replicationHealthy": bool(state) and state not in UNHEALTHY_REPLICATION,
                "lagDuration": lag,
                "lagSeconds": _whole(timeutil.duration_seconds(lag) if isinstance(lag, str) else None),
                "lastLaunchResult": server.get("lastLaunchResult"),
                "tags": server.get("tags") or {},
            }
        )
    return {"groupId": group_id, "items": items}


def _recovers(execution: ExecutionRecord, group_id: str) -> bool:
    return any(group_id in (w.get("protectionGroupIds") or []) for w in execution["waves"])


def group_usage(deps: Deps, group_id: str, *, limit: int) -> dict[str, Any]:
    """The plans that name the group (in any wave) and the group's ``limit`` newest executions
    (see the module's access pattern)."""
    deps.stores.groups.get(group_id)
    plans = [
        p
        for p in deps.stores.plans.all()
        if any(group_id in (w.get("protectionGroupIds") or []) for w in p.get("waves") or [])
    ]
    found: list[ExecutionRecord] = []
    for plan in plans:
        items, _ = deps.stores.executions.list_page(plan_id=str(plan["planId"]), limit=limit)
        found.extend(e for e in items if _recovers(e, group_id))
    found.sort(key=lambda e: str(e.get("startTime") or ""), reverse=True)
    return {
        "groupId": group_id,
        "plans": [
            {
                "planId": p["planId"],
                "name": p["name"],
                "waves": [
                    {"waveNumber": n, "waveName": w["waveName"]}
                    for n, w in enumerate(p.get("waves") or [], start=1)
                    if group_id in (w.get("protectionGroupIds") or [])
                ],
            }
            for p in sorted(plans, key=lambda p: str(p["name"]).lower())
        ],
        "executions": [execution_summary(e) for e in found[:limit]],
    }
