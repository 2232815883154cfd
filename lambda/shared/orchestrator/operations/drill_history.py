"""Evidence across drills: every drill of a plan with its outcome, recovery time, paused time and
RTO verdict (execution_utils.recovery_time, the execution view's own computation), the p50/p95 of
recovery time over the last N drills against the N before them, and, per source server of the plan,
the last drill that recovered it (recorded when each drill ends: record_drilled_servers)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from execution_utils import (
    TERMINAL_STATUSES,
    ExecutionType,
    normalize_execution_status,
    percentile,
    recovery_time,
    recovery_time_trend,
    status_label,
    verdict,
)
from orchestrator import timeutil
from orchestrator.deps import Deps
from orchestrator.operations.finalize import DRILL_FAILED, DRILL_RECOVERED
from orchestrator.operations.readiness import gather

logger = logging.getLogger(__name__)

# A server's last drill outcome (finalize.record_drilled_servers writes it).
OUTCOMES = (DRILL_RECOVERED, DRILL_FAILED)


def _stats(seconds: Sequence[int]) -> dict[str, Any]:
    return {
        "drills": len(seconds),
        "p50Seconds": percentile(seconds, 0.5),
        "p95Seconds": percentile(seconds, 0.95),
    }


def drill_history(deps: Deps, plan_id: str, *, last: int) -> dict[str, Any]:
    """GET /recovery-plans/{planId}/drill-history: see the module doc. ``last``: N."""
    facts = gather(deps, plan_id)
    now = deps.clock.iso()
    drills: list[dict[str, Any]] = []
    for execution in facts.executions:
        if execution.get("executionType") != ExecutionType.DRILL:
            continue
        record: Mapping[str, Any] = execution
        measured = recovery_time(record, now)
        drills.append(
            {
                "executionId": execution["executionId"],
                "status": str(normalize_execution_status(execution["status"])),
                "statusLabel": status_label(record),
                "startTime": execution["startTime"],
                "endTime": execution.get("endTime"),
                "recoveryTime": measured,
                "pausedSeconds": measured["pausedSeconds"],
                "verdict": verdict(measured),
            }
        )
    measured_drills = [
        int(d["recoveryTime"]["seconds"])
        for d in drills
        if d["status"] in TERMINAL_STATUSES and d["recoveryTime"]["seconds"] is not None
    ]
    recent, previous = measured_drills[:last], measured_drills[last : 2 * last]
    recent_stats, previous_stats = _stats(recent), _stats(previous)
    known = server_last_drills(deps, facts.server_ids)
    return {
        "planId": plan_id,
        "planName": str(facts.plan["name"]),
        "last": last,
        "drills": drills,
        "recoveryTime": recent_stats,
        "previousRecoveryTime": previous_stats,
        "trend": recovery_time_trend(recent_stats["p50Seconds"], previous_stats["p50Seconds"]),
        "servers": [
            {
                "sourceServerId": sid,
                "lastDrilledTime": known.get(sid, {}).get("lastDrilledTime"),
                "lastDrillOutcome": known.get(sid, {}).get("lastDrillOutcome"),
                "lastDrillExecutionId": known.get(sid, {}).get("lastDrillExecutionId"),
            }
            for sid in facts.server_ids
        ],
    }


def server_last_drills(deps: Deps, source_server_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    return deps.stores.readiness.server_drills(list(source_server_ids))


def not_drilled_since(record: Mapping[str, Any] | None, days: int, now: datetime) -> bool:
    """True for a server never drilled, or last drilled more than ``days`` days before ``now``."""
    when = (record or {}).get("lastDrilledTime")
    if not when:
        return True
    return timeutil.parse_iso(str(when)) < now - timedelta(days=days)
