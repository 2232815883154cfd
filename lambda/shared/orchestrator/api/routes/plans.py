"""Recovery plans: /recovery-plans, their history, and starting a drill or a recovery of one."""

from __future__ import annotations

from typing import Any

from orchestrator.api import http
from orchestrator.api.contract import Request, Route, declare, new_router
from orchestrator.api.routes.catalog import Entity, declare_catalog
from orchestrator.operations import catalog, create, report

router = new_router()
TAGS = ("recovery plans",)

PLANS = Entity(
    name="plan",
    noun="recovery plan",
    path="/recovery-plans",
    id_param="planId",
    schema="RecoveryPlan",
    tags=TAGS,
    store=lambda deps: deps.stores.plans,
    delete=catalog.delete_plan,
    replace_note=" (running executions keep their copy)",
    delete_rule=" with no active execution",
)
declare_catalog(router, PLANS)
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
