"""Recovery plans: /recovery-plans, their history, and starting a drill or a recovery of one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator.api import http
from orchestrator.api.contract import Request, Route, declare, declare_reader, new_router
from orchestrator.api.http import QueryParam
from orchestrator.api.routes.catalog import Entity, declare_catalog
from orchestrator.operations import create, drill_history, drill_schedule, readiness, report

router = new_router()
TAGS = ("recovery plans",)

PLANS = Entity(
    "plan",
    "/recovery-plans",
    replace_note=" (running executions keep their copy)",
    delete_rule=" with no active execution",
)
declare_catalog(router, PLANS)


def _start(path: str, summary: str, body: str) -> Route:
    """A route that starts an execution of the plan: 202 with its id and first status."""
    return Route(
        "POST",
        f"/recovery-plans/{{planId}}/{path}",
        summary,
        202,
        "ExecutionStarted",
        body,
        (),
        (409,),
        tags=("executions",),
    )


START = _start(
    "executions",
    "Start a drill of the plan (a RECOVERY has its own route: POST /recovery-plans/{planId}/recovery)",
    "StartExecution",
)
START_RECOVERY = _start(
    "recovery", "Start a real recovery (failover) of the plan, confirmed by its name", "StartRecovery"
)
HISTORY = Route(
    "GET",
    "/recovery-plans/{planId}/history",
    "The plan's last executions: outcome, recovery time and verdict, success rate, trend",
    200,
    "PlanHistory",
    query=(http.limit_query(20, 100, "executions"),),
    tags=TAGS,
)
READINESS = Route(
    "GET",
    "/recovery-plans/{planId}/readiness",
    "Would a recovery of the plan work now: a verdict (READY, AT_RISK, NOT_READY) and every check",
    200,
    "PlanReadiness",
    tags=TAGS,
)
DRILL_HISTORY = Route(
    "GET",
    "/recovery-plans/{planId}/drill-history",
    "Every drill of the plan (outcome, recovery and paused time, RTO verdict), p50/p95 of recovery "
    "time over the last N drills against the N before, and each server's last drill",
    200,
    "DrillHistory",
    query=(
        QueryParam(
            "last",
            "N: how many of the latest measured drills the percentiles cover (1-50, default 10)",
            {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
            lambda value: http.int_param("last", value, 1, 50),
        ),
    ),
    tags=TAGS,
)

DRILL_SCHEDULE = Route(
    "GET",
    "/recovery-plans/{planId}/drill-schedule",
    "The plan's drill schedule: whether it is in place, its next run and its recent runs (started or skipped)",
    200,
    "PlanDrillSchedule",
    tags=TAGS,
)


@declare(router, START)
def start_execution(request: Request) -> dict[str, Any]:
    record = create.start_drill(
        request.deps,
        request.path["planId"],
        str(request.body.get("executionType", "DRILL")),
        initiated_by=request.actor(),
    )
    return _started(record)


# Its own route so that IAM can deny it (execute-api:Invoke on */POST/recovery-plans/*/recovery) to
# those who may run drills only: a real recovery is never reachable with a drill's permissions.
@declare(router, START_RECOVERY)
def start_recovery(request: Request) -> dict[str, Any]:
    record = create.start_recovery(
        request.deps,
        request.path["planId"],
        confirmed_plan_name=str(request.body["confirmPlanName"]),
        cancel_conflicting_drills=bool(request.body.get("cancelConflictingDrills", False)),
        initiated_by=request.actor(),
    )
    return _started(record)


def _started(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"executionId": record["executionId"], "status": record["status"]}


declare_reader(router, HISTORY, report.history)
declare_reader(router, READINESS, readiness.readiness)
declare_reader(router, DRILL_HISTORY, drill_history.drill_history)
declare_reader(router, DRILL_SCHEDULE, drill_schedule.view)
