"""The REST API of ARCHITECTURE.md section 4 on Powertools' REST resolver.

Each route parses and validates its input, calls one operation of the shared library and shapes
the answer. Every error is `{"error": {"code", "message"}}` with 400, 404, 409 or 422.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from execution_utils import ExecutionStatus, UnknownStatusError, normalize_execution_status
from orchestrator import identity
from orchestrator.api import http
from orchestrator.api.http import QueryParam, RouteDoc, document
from orchestrator.deps import Deps, default_deps
from orchestrator.exceptions import BadRequestError, OrchestratorError
from orchestrator.identity import Actor
from orchestrator.model import ExecutionRecord
from orchestrator.operations import catalog, control, create, report, terminate, timeline
from orchestrator.store.executions import RECORD_TYPE
from orchestrator.views import execution_summary, execution_view, server_view

logger = logging.getLogger(__name__)
JSON = "application/json"

app = APIGatewayRestResolver()


def _deps() -> Deps:
    return default_deps()


def _json(status: int, body: Any) -> Response[str]:
    return Response(status_code=status, content_type=JSON, body=json.dumps(body, default=str))


def _error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> Response[str]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return _json(status, {"error": error})


def _body(schema: str) -> dict[str, Any]:
    event = app.current_event
    return http.parse_body(event.body, bool(event.is_base64_encoded), schema)


def _query(doc: RouteDoc) -> dict[str, str]:
    event = app.current_event
    return http.query_params(
        event.query_string_parameters, doc.query, event.multi_value_query_string_parameters
    )


def _actor() -> Actor:
    """Who makes the request: a console user (the stack's user pool user, with the role beside it)
    or an IAM caller by ARN (API Gateway's IAM authorization sets requestContext.identity)."""
    context = app.current_event.raw_event.get("requestContext") or {}
    deps = _deps()
    return identity.from_request(context.get("identity") or {}, deps.users, deps.config.user_pool_id)


def _execution_id(execution_id: str) -> str:
    return http.path_id(execution_id, "execution", "EXECUTION_NOT_FOUND")


def _group_id(group_id: str) -> str:
    return http.path_id(group_id, "protection group", "GROUP_NOT_FOUND")


def _plan_id(plan_id: str) -> str:
    return http.path_id(plan_id, "recovery plan", "PLAN_NOT_FOUND")


@app.exception_handler(OrchestratorError)  # type: ignore[untyped-decorator]
def _domain_error(error: OrchestratorError) -> Response[str]:
    if error.http_status >= 500:
        logger.warning("dependency failure", extra={"code": error.code, "error": error.message})
    return _json(error.http_status, error.to_body())


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def _unexpected(error: Exception) -> Response[str]:
    logger.exception("unexpected error")
    return _error(500, "INTERNAL_ERROR", "the request could not be completed; see the function's logs")


@app.not_found
def _not_found(_exc: Exception) -> Response[str]:
    event = app.current_event
    return _error(404, "ROUTE_NOT_FOUND", f"no route {event.http_method} {event.path}")


# ---------------------------------------------------------------------- service
HEALTH = RouteDoc("GET", "/health", "Liveness check (no authorization)", 200, auth=False, tags=("service",))


@app.get("/health")
@document(HEALTH)
def health() -> Response[str]:
    _query(HEALTH)
    return _json(200, {"status": "ok"})


OPENAPI = RouteDoc("GET", "/openapi.json", "This API's OpenAPI document", 200, tags=("service",))


@app.get("/openapi.json")
@document(OPENAPI)
def openapi_document() -> Response[str]:
    from orchestrator.api.openapi import build_document

    _query(OPENAPI)
    return _json(200, build_document())


SOURCE_SERVERS = RouteDoc(
    "GET", "/drs/source-servers", "DRS source servers of this Region", 200, tags=("drs",)
)


@app.get("/drs/source-servers")
@document(SOURCE_SERVERS)
def source_servers() -> Response[str]:
    _query(SOURCE_SERVERS)
    items = []
    for server in _deps().drs.all_source_servers():
        hints = (server.get("sourceProperties") or {}).get("identificationHints") or {}
        replication = server.get("dataReplicationInfo") or {}
        items.append(
            {
                "sourceServerId": server["sourceServerID"],
                "hostname": hints.get("hostname"),
                "fqdn": hints.get("fqdn"),
                "tags": server.get("tags") or {},
                "replicationState": replication.get("dataReplicationState"),
                "lastLaunchResult": server.get("lastLaunchResult"),
                "isArchived": bool(server.get("isArchived", False)),
            }
        )
    return _json(200, {"items": items})


# ---------------------------------------------------------------------- protection groups
LIST_GROUPS = RouteDoc(
    "GET", "/protection-groups", "List protection groups", 200, tags=("protection groups",)
)
CREATE_GROUP = RouteDoc(
    "POST",
    "/protection-groups",
    "Create a protection group",
    201,
    "ProtectionGroup",
    errors=(409,),
    tags=("protection groups",),
)
GET_GROUP = RouteDoc(
    "GET", "/protection-groups/{groupId}", "Get a protection group", 200, tags=("protection groups",)
)
PUT_GROUP = RouteDoc(
    "PUT",
    "/protection-groups/{groupId}",
    "Replace a protection group",
    200,
    "ProtectionGroup",
    errors=(409,),
    tags=("protection groups",),
)
DELETE_GROUP = RouteDoc(
    "DELETE",
    "/protection-groups/{groupId}",
    "Delete a protection group not used by any plan",
    204,
    errors=(409,),
    tags=("protection groups",),
)


@app.get("/protection-groups")
@document(LIST_GROUPS)
def list_groups() -> Response[str]:
    _query(LIST_GROUPS)
    return _json(200, {"items": _deps().stores.groups.all()})


@app.post("/protection-groups")
@document(CREATE_GROUP)
def create_group() -> Response[str]:
    _query(CREATE_GROUP)
    return _json(201, catalog.create_group(_deps(), _body("ProtectionGroup")))


@app.get("/protection-groups/<groupId>")
@document(GET_GROUP)
def get_group(groupId: str) -> Response[str]:
    _query(GET_GROUP)
    return _json(200, _deps().stores.groups.get(_group_id(groupId)))


@app.put("/protection-groups/<groupId>")
@document(PUT_GROUP)
def put_group(groupId: str) -> Response[str]:
    _query(PUT_GROUP)
    return _json(200, catalog.replace_group(_deps(), _group_id(groupId), _body("ProtectionGroup")))


@app.delete("/protection-groups/<groupId>")
@document(DELETE_GROUP)
def delete_group(groupId: str) -> Response[str]:
    _query(DELETE_GROUP)
    catalog.delete_group(_deps(), _group_id(groupId))
    return Response(status_code=204, content_type=JSON, body="")


# ---------------------------------------------------------------------- recovery plans
LIST_PLANS = RouteDoc("GET", "/recovery-plans", "List recovery plans", 200, tags=("recovery plans",))
CREATE_PLAN = RouteDoc(
    "POST",
    "/recovery-plans",
    "Create a recovery plan",
    201,
    "RecoveryPlan",
    errors=(409,),
    tags=("recovery plans",),
)
GET_PLAN = RouteDoc("GET", "/recovery-plans/{planId}", "Get a recovery plan", 200, tags=("recovery plans",))
PUT_PLAN = RouteDoc(
    "PUT",
    "/recovery-plans/{planId}",
    "Replace a recovery plan (running executions keep their copy)",
    200,
    "RecoveryPlan",
    errors=(409,),
    tags=("recovery plans",),
)
DELETE_PLAN = RouteDoc(
    "DELETE",
    "/recovery-plans/{planId}",
    "Delete a recovery plan with no active execution",
    204,
    errors=(409,),
    tags=("recovery plans",),
)
START = RouteDoc(
    "POST",
    "/recovery-plans/{planId}/executions",
    "Start a drill of the plan (a RECOVERY has its own route: POST /recovery-plans/{planId}/recovery)",
    202,
    "StartExecution",
    errors=(409,),
    tags=("executions",),
)
START_RECOVERY = RouteDoc(
    "POST",
    "/recovery-plans/{planId}/recovery",
    "Start a real recovery (failover) of the plan, confirmed by its name",
    202,
    "StartRecovery",
    errors=(409,),
    tags=("executions",),
)


@app.get("/recovery-plans")
@document(LIST_PLANS)
def list_plans() -> Response[str]:
    _query(LIST_PLANS)
    return _json(200, {"items": _deps().stores.plans.all()})


@app.post("/recovery-plans")
@document(CREATE_PLAN)
def create_plan() -> Response[str]:
    _query(CREATE_PLAN)
    return _json(201, catalog.create_plan(_deps(), _body("RecoveryPlan")))


@app.get("/recovery-plans/<planId>")
@document(GET_PLAN)
def get_plan(planId: str) -> Response[str]:
    _query(GET_PLAN)
    return _json(200, _deps().stores.plans.get(_plan_id(planId)))


@app.put("/recovery-plans/<planId>")
@document(PUT_PLAN)
def put_plan(planId: str) -> Response[str]:
    _query(PUT_PLAN)
    return _json(200, catalog.replace_plan(_deps(), _plan_id(planId), _body("RecoveryPlan")))


@app.delete("/recovery-plans/<planId>")
@document(DELETE_PLAN)
def delete_plan(planId: str) -> Response[str]:
    _query(DELETE_PLAN)
    catalog.delete_plan(_deps(), _plan_id(planId))
    return Response(status_code=204, content_type=JSON, body="")


@app.post("/recovery-plans/<planId>/executions")
@document(START)
def start_execution(planId: str) -> Response[str]:
    _query(START)
    body = _body("StartExecution")
    record = create.start_drill(
        _deps(), _plan_id(planId), str(body.get("executionType", "DRILL")), initiated_by=_actor()
    )
    return _json(202, {"executionId": record["executionId"], "status": record["status"]})


# Its own route so that IAM can deny it (execute-api:Invoke on */POST/recovery-plans/*/recovery) to
# those who may run drills only: a real recovery is never reachable with a drill's permissions.
@app.post("/recovery-plans/<planId>/recovery")
@document(START_RECOVERY)
def start_recovery(planId: str) -> Response[str]:
    _query(START_RECOVERY)
    body = _body("StartRecovery")
    record = create.start_recovery(
        _deps(), _plan_id(planId), confirmed_plan_name=str(body["confirmPlanName"]), initiated_by=_actor()
    )
    return _json(202, {"executionId": record["executionId"], "status": record["status"]})


HISTORY = RouteDoc(
    "GET",
    "/recovery-plans/{planId}/history",
    "The plan's last executions: outcome, recovery time and verdict, success rate, trend",
    200,
    query=(
        QueryParam(
            "limit", "executions (1-100, default 20)", {"type": "integer", "minimum": 1, "maximum": 100}
        ),
    ),
    tags=("recovery plans",),
)


@app.get("/recovery-plans/<planId>/history")
@document(HISTORY)
def get_history(planId: str) -> Response[str]:
    query = _query(HISTORY)
    limit = http.limit_param(query.get("limit"), default=20, maximum=100)
    return _json(200, report.history(_deps(), _plan_id(planId), limit=limit))


# ---------------------------------------------------------------------- executions
LIST_EXECUTIONS = RouteDoc(
    "GET",
    "/executions",
    "List executions, newest first",
    200,
    query=(
        QueryParam(
            "planId", "only this plan's executions", {"type": "string", "maxLength": http.MAX_ID_LENGTH}
        ),
        QueryParam("status", "only executions in this status", {"enum": [str(s) for s in ExecutionStatus]}),
        QueryParam(
            "limit", "page size (1-100, default 50)", {"type": "integer", "minimum": 1, "maximum": 100}
        ),
        QueryParam("nextToken", "the nextToken of the previous page", {"type": "string", "maxLength": 4096}),
    ),
    tags=("executions",),
)
# limit (1-500, default 100) and nextToken: the pages of an execution's servers and timeline.
LONG_PAGE_QUERY = (
    QueryParam("limit", "page size (1-500, default 100)", {"type": "integer", "minimum": 1, "maximum": 500}),
    QueryParam("nextToken", "the nextToken of the previous page", {"type": "string", "maxLength": 4096}),
)
GET_EXECUTION = RouteDoc("GET", "/executions/{executionId}", "Get an execution", 200, tags=("executions",))
LIST_SERVERS = RouteDoc(
    "GET",
    "/executions/{executionId}/servers",
    "The servers of an execution, wave by wave",
    200,
    query=LONG_PAGE_QUERY,
    tags=("executions",),
)


@app.get("/executions")
@document(LIST_EXECUTIONS)
def list_executions() -> Response[str]:
    query = _query(LIST_EXECUTIONS)
    status = query.get("status")
    if status is not None:
        try:
            status = str(normalize_execution_status(status))
        except UnknownStatusError as e:
            raise BadRequestError(f"unknown status {status!r}", code="INVALID_QUERY") from e
    plan_id = query.get("planId") or None
    # The key a page of the index list_page reads ends on: table key, index key (fixed by the query).
    if plan_id:
        index_key = {"planId": plan_id}
    elif status:
        index_key = {"status": status}
    else:
        index_key = {"recordType": RECORD_TYPE}
    items, last = _deps().stores.executions.list_page(
        plan_id=plan_id,
        status=status,
        limit=http.limit_param(query.get("limit")),
        start_key=http.decode_token(
            query.get("nextToken"), {"executionId": None, "startTime": None, **index_key}
        ),
    )
    return _json(200, {"items": [execution_summary(i) for i in items], "nextToken": http.encode_token(last)})


@app.get("/executions/<executionId>")
@document(GET_EXECUTION)
def get_execution(executionId: str) -> Response[str]:
    _query(GET_EXECUTION)
    deps = _deps()
    return _json(
        200, execution_view(deps.stores.executions.get(_execution_id(executionId)), deps.clock.now())
    )


@app.get("/executions/<executionId>/servers")
@document(LIST_SERVERS)
def list_servers(executionId: str) -> Response[str]:
    query = _query(LIST_SERVERS)
    deps = _deps()
    deps.stores.executions.get(_execution_id(executionId))
    items, last = deps.stores.servers.page(
        executionId,
        limit=http.limit_param(query.get("limit"), default=100, maximum=500),
        start_key=http.decode_token(query.get("nextToken"), {"executionId": executionId, "serverKey": None}),
    )
    return _json(200, {"items": [server_view(i) for i in items], "nextToken": http.encode_token(last)})


TIMELINE = RouteDoc(
    "GET",
    "/executions/{executionId}/timeline",
    "What happened to an execution, oldest first: waves, DRS jobs, server phases, operator actions",
    200,
    query=LONG_PAGE_QUERY,
    tags=("executions",),
)


@app.get("/executions/<executionId>/timeline")
@document(TIMELINE)
def get_timeline(executionId: str) -> Response[str]:
    query = _query(TIMELINE)
    token = http.decode_token(query.get("nextToken"), {"executionId": executionId, "offset": None})
    offset = int(token["offset"]) if token and str(token["offset"]).isdigit() else 0
    items, following = timeline.page(
        _deps(),
        _execution_id(executionId),
        limit=http.limit_param(query.get("limit"), default=100, maximum=500),
        offset=offset,
    )
    next_key = None if following is None else {"executionId": executionId, "offset": str(following)}
    return _json(200, {"items": items, "nextToken": http.encode_token(next_key)})


REPORT = RouteDoc(
    "GET",
    "/executions/{executionId}/report",
    "The drill report: outcome, recovery time against the target, timeline, waves and servers",
    200,
    query=(
        QueryParam("format", "json (default) or html: one self-contained page", {"enum": ["json", "html"]}),
    ),
    tags=("executions",),
)
# The report page is self-contained: no script, nothing loaded from elsewhere.
REPORT_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "X-Content-Type-Options": "nosniff",
}


@app.get("/executions/<executionId>/report")
@document(REPORT)
def get_report(executionId: str) -> Response[str]:
    query = _query(REPORT)
    if query.get("format", "json") not in ("json", "html"):
        raise BadRequestError("format must be json or html", code="INVALID_QUERY")
    if query.get("format") == "html":
        page = report.report_html(_deps(), _execution_id(executionId))
        return Response(
            status_code=200, content_type="text/html; charset=utf-8", body=page, headers=REPORT_PAGE_HEADERS
        )
    return _json(200, report.report(_deps(), _execution_id(executionId)))


# Each control action records who asked (the operations keep the actor in the execution's history).
# Operation = (deps, executionId, body, actor) -> the execution.
ControlOperation = Callable[[Deps, str, dict[str, Any], Actor], ExecutionRecord]


def _control_route(  # noqa: PLR0917
    action: str,
    summary: str,
    status: int,
    schema: str,
    operation: ControlOperation,
    errors: tuple[int, ...] = (409,),
) -> None:
    doc = RouteDoc(
        "POST",
        f"/executions/{{executionId}}/{action}",
        summary,
        status,
        schema,
        errors=errors,
        tags=("executions",),
    )

    @app.post(f"/executions/<executionId>/{action}")
    @document(doc)
    def control_route(executionId: str) -> Response[str]:
        _query(doc)
        body = _body(schema)
        deps = _deps()
        record = operation(deps, _execution_id(executionId), body, _actor())
        return _json(status, execution_view(record, deps.clock.now()))

    control_route.__name__ = f"{action.replace('-', '_')}_execution"


_control_route(
    "pause",
    "Pause before the next wave",
    200,
    "Empty",
    lambda deps, eid, _body, actor: control.request_pause(deps, eid, actor=actor),
)
_control_route(
    "resume",
    "Resume a PAUSED execution, with an optional comment",
    200,
    "ResumeExecution",
    lambda deps, eid, body, actor: control.resume(deps, eid, actor=actor, comment=body.get("comment")),
)
_control_route(
    "retry",
    "Retry the wave that failed (PAUSED, pauseReason WAVE_FAILED): its failed CRITICAL servers are "
    "launched again and its failed actions rerun",
    200,
    "ResumeExecution",
    lambda deps, eid, body, actor: control.retry_wave(deps, eid, actor=actor, comment=body.get("comment")),
    errors=(409, 422),
)
# Its own route so that IAM can deny it to those who may run drills only: it launches production
# servers again (a RECOVERY's wave), confirmed by the plan's name.
_control_route(
    "retry-recovery",
    "Retry the failed wave of a RECOVERY execution, confirmed by its plan's name",
    200,
    "RetryRecoveryWave",
    lambda deps, eid, body, actor: control.retry_wave(
        deps,
        eid,
        actor=actor,
        comment=body.get("comment"),
        recovery_confirmed_plan_name=str(body["confirmPlanName"]),
    ),
    errors=(409, 422),
)
_control_route(
    "skip",
    "Skip the wave that failed (PAUSED, pauseReason WAVE_FAILED) and go on with the next; the "
    "execution can then end PARTIAL_SUCCESS at best",
    200,
    "ResumeExecution",
    lambda deps, eid, body, actor: control.skip_wave(deps, eid, actor=actor, comment=body.get("comment")),
    errors=(409, 422),
)
# Its own route so that IAM can deny it to those who may run drills only: it leaves production
# without the failed wave's servers (a RECOVERY's wave), confirmed by the plan's name.
_control_route(
    "skip-recovery",
    "Skip the failed wave of a RECOVERY execution and go on with the next, confirmed by its plan's name",
    200,
    "SkipRecoveryWave",
    lambda deps, eid, body, actor: control.skip_wave(
        deps,
        eid,
        actor=actor,
        comment=body.get("comment"),
        recovery_confirmed_plan_name=str(body["confirmPlanName"]),
    ),
    errors=(409, 422),
)
_control_route(
    "cancel",
    "Cancel: started waves finish, the rest are CANCELLED",
    200,
    "Empty",
    lambda deps, eid, _body, actor: control.cancel(deps, eid, actor=actor),
)
_control_route(
    "terminate-instances",
    "Terminate the recovery instances this execution launched (a DRILL's; a RECOVERY's need "
    "terminate-recovery-instances)",
    202,
    "Empty",
    lambda deps, eid, _body, actor: terminate.start_termination(deps, eid, actor=actor),
)
# Its own route so that IAM can deny it (execute-api:Invoke on
# */POST/executions/*/terminate-recovery-instances) to those who may end drills only.
_control_route(
    "terminate-recovery-instances",
    "Terminate the recovery instances of a RECOVERY execution, confirmed by its plan's name",
    202,
    "TerminateRecoveryInstances",
    lambda deps, eid, body, actor: terminate.start_termination(
        deps, eid, actor=actor, recovery_confirmed_plan_name=str(body["confirmPlanName"])
    ),
    errors=(409, 422),
)


def resolve_api_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Entry point of execution-handler for API Gateway proxy events."""
    return app.resolve(event, context)
