"""Recovery plans: /recovery-plans, their history, and starting a drill or a recovery of one."""

from __future__ import annotations

from typing import Any

from orchestrator.api import http
from orchestrator.api.contract import Request, Route, declare, new_router
from orchestrator.api.http import QueryParam
from orchestrator.operations import catalog, create, drill_history, readiness, report

router = new_router()
TAGS = ("recovery plans",)

LIST_PLANS = Route("GET", "/recovery-plans", "List recovery plans", 200, "RecoveryPlanList", tags=TAGS)
CREATE_PLAN = Route(
    "POST",
    "/recovery-plans",
    "Create a recovery plan",
    201,
    "StoredRecoveryPlan",
    "RecoveryPlan",
    errors=(409,),
    tags=TAGS,
)
GET_PLAN = Route(
    "GET", "/recovery-plans/{planId}", "Get a recovery plan", 200, "StoredRecoveryPlan", tags=TAGS
)
PUT_PLAN = Route(
    "PUT",
    "/recovery-plans/{planId}",
    "Replace a recovery plan (running executions keep their copy)",
    200,
    "StoredRecoveryPlan",
    "RecoveryPlan",
    errors=(409,),
    tags=TAGS,
)
DELETE_PLAN = Route(
    "DELETE",
    "/recovery-plans/{planId}",
    "Delete a recovery plan with no active execution",
    204,
    None,
    errors=(409,),
    tags=TAGS,
)
START = Route(
    "POST",
    "/recovery-plans/{planId}/executions",
    "Start a drill of the plan (a RECOVERY has its own route: POST /recovery-plans/{planId}/recovery)",
    202,
    "ExecutionStarted",
    "StartExecution",
    errors=(409,),
    tags=("executions",),
)
START_RECOVERY = Route(
    "POST",
    "/recovery-plans/{planId}/recovery",
    "Start a real recovery (failover) of the plan, confirmed by its name",
    202,
    "ExecutionStarted",
    "StartRecovery",
    errors=(409,),
    tags=("executions",),
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


@declare(router, LIST_PLANS)
def list_plans(request: Request) -> dict[str, Any]:
    return {"items": request.deps.stores.plans.all()}


@declare(router, CREATE_PLAN)
def create_plan(request: Request) -> dict[str, Any]:
    return catalog.create_plan(request.deps, request.body)


@declare(router, GET_PLAN)
def get_plan(request: Request) -> dict[str, Any]:
    return request.deps.stores.plans.get(request.path["planId"])


@declare(router, PUT_PLAN)
def put_plan(request: Request) -> dict[str, Any]:
    return catalog.replace_plan(request.deps, request.path["planId"], request.body)


@declare(router, DELETE_PLAN)
def delete_plan(request: Request) -> None:
    catalog.delete_plan(request.deps, request.path["planId"])


@declare(router, START)
def start_execution(request: Request) -> dict[str, Any]:
    record = create.start_drill(
        request.deps,
        request.path["planId"],
        str(request.body.get("executionType", "DRILL")),
        initiated_by=request.actor(),
    )
    return {"executionId": record["executionId"], "status": record["status"]}


# Its own route so that IAM can deny it (execute-api:Invoke on */POST/recovery-plans/*/recovery) to
# those who may run drills only: a real recovery is never reachable with a drill's permissions.
@declare(router, START_RECOVERY)
def start_recovery(request: Request) -> dict[str, Any]:
    record = create.start_recovery(
        request.deps,
        request.path["planId"],
        confirmed_plan_name=str(request.body["confirmPlanName"]),
        initiated_by=request.actor(),
    )
    return {"executionId": record["executionId"], "status": record["status"]}


@declare(router, HISTORY)
def get_history(request: Request) -> dict[str, Any]:
    return report.history(request.deps, request.path["planId"], limit=request.query["limit"])


@declare(router, READINESS)
def get_readiness(request: Request) -> dict[str, Any]:
    return readiness.readiness(request.deps, request.path["planId"])


@declare(router, DRILL_HISTORY)
def get_drill_history(request: Request) -> dict[str, Any]:
    return drill_history.drill_history(request.deps, request.path["planId"], last=request.query["last"])
