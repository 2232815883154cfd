"""Executions: the list, one execution, its servers, timeline and report, and the operator's
control actions (pause, resume, retry, skip, cancel, terminate)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response

from execution_utils import ExecutionStatus, UnknownStatusError, normalize_execution_status
from orchestrator.api import http
from orchestrator.api.contract import Request, Route, declare, declare_reader, new_router
from orchestrator.api.http import NEXT_TOKEN, QueryParam
from orchestrator.deps import Deps
from orchestrator.exceptions import BadRequestError
from orchestrator.identity import Actor
from orchestrator.model import ExecutionRecord
from orchestrator.operations import cleanup, control, instances, report, terminate, timeline
from orchestrator.store import cursor
from orchestrator.store.executions import RECORD_TYPE
from orchestrator.views import execution_summary, execution_view, server_view

router = new_router()
TAGS = ("executions",)


def _status(value: str) -> str:
    try:
        return str(normalize_execution_status(value))
    except UnknownStatusError as e:
        raise BadRequestError(f"unknown status {value!r}", code="INVALID_QUERY") from e


def _format(value: str) -> str:
    if value not in ("json", "html"):
        raise BadRequestError("format must be json or html", code="INVALID_QUERY")
    return value


LIST_EXECUTIONS = Route(
    "GET",
    "/executions",
    "List executions, newest first",
    200,
    "ExecutionList",
    query=(
        QueryParam(
            "planId", "only this plan's executions", {"type": "string", "maxLength": http.MAX_ID_LENGTH}
        ),
        QueryParam(
            "status",
            "only executions in this status",
            {"enum": [str(s) for s in ExecutionStatus]},
            _status,
        ),
        http.limit_query(50, 100),
        NEXT_TOKEN,
    ),
    tags=TAGS,
)
# limit (1-500, default 100) and nextToken: the pages of an execution's servers and timeline;
# since: only what changed since the cursor a previous read answered (a watcher's refresh).
SINCE = QueryParam(
    "since",
    "the cursor a previous read answered: only the items written since",
    {"type": "string", "maxLength": 200},
    cursor.decode,
)
LONG_PAGE_QUERY = (http.limit_query(100, 500), NEXT_TOKEN, SINCE)
GET_EXECUTION = Route("GET", "/executions/{executionId}", "Get an execution", 200, "Execution", tags=TAGS)
LIST_SERVERS = Route(
    "GET",
    "/executions/{executionId}/servers",
    "The servers of an execution, wave by wave",
    200,
    "ServerPage",
    query=LONG_PAGE_QUERY,
    tags=TAGS,
)
TIMELINE = Route(
    "GET",
    "/executions/{executionId}/timeline",
    "What happened to an execution, oldest first: waves, DRS jobs, server phases, operator actions",
    200,
    "TimelinePage",
    query=LONG_PAGE_QUERY,
    tags=TAGS,
)
REPORT = Route(
    "GET",
    "/executions/{executionId}/report",
    "The drill report: outcome, recovery time against the target, timeline, waves and servers",
    200,
    "Report",
    query=(
        QueryParam(
            "format",
            "json (default) or html: one self-contained page",
            {"enum": ["json", "html"], "default": "json"},
            _format,
        ),
    ),
    tags=TAGS,
    alternatives=("text/html",),
)
REPORT_LINK = Route(
    "GET",
    "/executions/{executionId}/report-link",
    "A short-lived link (presigned, a few minutes) to the stored HTML report of an ended execution, "
    "to open or share with someone who has access",
    200,
    "ReportLink",
    errors=(409,),
    tags=TAGS,
)
RUNNING_INSTANCES = Route(
    "GET",
    "/running-instances",
    "Ended drills whose recovery instances still run, with how long they have run (the sparse "
    "InstancesIndex, no scan)",
    200,
    "RunningInstanceList",
    tags=TAGS,
)
# The report page is self-contained: no script, nothing loaded from elsewhere.
REPORT_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "X-Content-Type-Options": "nosniff",
}


@declare(router, LIST_EXECUTIONS)
def list_executions(request: Request) -> dict[str, Any]:
    status = request.query.get("status")
    plan_id = request.query.get("planId") or None
    # The key a page of the index list_page reads ends on: table key, index key (fixed by the query).
    if plan_id:
        index_key = {"planId": plan_id}
    elif status:
        index_key = {"status": status}
    else:
        index_key = {"recordType": RECORD_TYPE}
    items, last = request.deps.stores.executions.list_page(
        plan_id=plan_id,
        status=status,
        limit=request.query["limit"],
        start_key=http.decode_token(
            request.query.get("nextToken"), {"executionId": None, "startTime": None, **index_key}
        ),
    )
    return {"items": [execution_summary(i) for i in items], "nextToken": http.encode_token(last)}


@declare(router, GET_EXECUTION)
def get_execution(request: Request) -> dict[str, Any]:
    deps = request.deps
    execution = deps.stores.executions.get(request.path["executionId"])
    view = execution_view(execution, deps.clock.now())
    # What its recovery instances cost, as its last written report states it (None before the
    # first): the detail a console polls reads one item, never every server.
    view["cost"] = json.loads(execution["costJson"]) if execution.get("costJson") else None
    return view


@declare(router, LIST_SERVERS)
def list_servers(request: Request) -> dict[str, Any]:
    deps = request.deps
    execution_id = request.path["executionId"]
    # The cursor of this read: taken before reading, so a write during the read is seen next time.
    read_cursor = cursor.encode(deps.stores.change_clock())
    deps.stores.executions.get(execution_id)
    since = request.query.get("since")
    if since is None:
        items, last = deps.stores.servers.page(
            execution_id,
            limit=request.query["limit"],
            start_key=http.decode_token(
                request.query.get("nextToken"), {"executionId": execution_id, "serverKey": None}
            ),
        )
    else:
        items, last = deps.stores.servers.changed(
            execution_id,
            since,
            limit=request.query["limit"],
            start_key=http.decode_token(
                request.query.get("nextToken"),
                {"executionId": execution_id, "serverKey": None, "changedAt": None},
            ),
        )
    return {
        "items": [server_view(i) for i in items],
        "nextToken": http.encode_token(last),
        "cursor": read_cursor,
    }


@declare(router, TIMELINE)
def get_timeline(request: Request) -> dict[str, Any]:
    execution_id = request.path["executionId"]
    read_cursor = cursor.encode(request.deps.stores.change_clock())
    since = request.query.get("since")
    if since is not None:
        # What changed: pages of the servers' ChangeIndex (their moments), the events on the first.
        request.deps.stores.executions.get(execution_id)
        changed, last = timeline.changed_page(
            request.deps,
            execution_id,
            since,
            limit=request.query["limit"],
            start_key=http.decode_token(
                request.query.get("nextToken"),
                {"executionId": execution_id, "serverKey": None, "changedAt": None},
            ),
        )
        return {"items": changed, "nextToken": http.encode_token(last), "cursor": read_cursor}
    token = http.decode_token(request.query.get("nextToken"), {"executionId": execution_id, "offset": None})
    offset = int(token["offset"]) if token and str(token["offset"]).isdigit() else 0
    items, following = timeline.page(request.deps, execution_id, limit=request.query["limit"], offset=offset)
    next_key = None if following is None else {"executionId": execution_id, "offset": str(following)}
    return {"items": items, "nextToken": http.encode_token(next_key), "cursor": read_cursor}


@declare(router, REPORT)
def get_report(request: Request) -> Any:
    execution_id = request.path["executionId"]
    if request.query["format"] == "html":
        page = report.report_html(request.deps, execution_id)
        return Response(
            status_code=200, content_type="text/html; charset=utf-8", body=page, headers=REPORT_PAGE_HEADERS
        )
    return report.report(request.deps, execution_id)


declare_reader(router, REPORT_LINK, report.report_link)


@declare(router, RUNNING_INSTANCES)
def list_running_instances(request: Request) -> dict[str, Any]:
    return instances.still_running(request.deps, request.deps.clock.now())


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
    route = Route(
        "POST",
        f"/executions/{{executionId}}/{action}",
        summary,
        status,
        "Execution",
        schema,
        errors=errors,
        tags=TAGS,
    )

    def control_route(request: Request) -> dict[str, Any]:
        deps = request.deps
        record = operation(deps, request.path["executionId"], request.body, request.actor())
        return execution_view(record, deps.clock.now())

    control_route.__name__ = f"{action.replace('-', '_')}_execution"
    declare(router, route)(control_route)


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


def _wave_decision_routes(
    verb: str, decide: Callable[..., ExecutionRecord], summary: str, recovery_summary: str, schema: str
) -> None:
    """A decision on a failed wave: ``verb`` for a DRILL's, and ``verb-recovery`` for a RECOVERY's, a
    route of its own so that IAM can deny it to those who may run drills only (it launches production
    servers again, or leaves production without them), confirmed by the plan's name."""
    _control_route(
        verb,
        summary,
        200,
        "ResumeExecution",
        lambda deps, eid, body, actor: decide(deps, eid, actor=actor, comment=body.get("comment")),
        errors=(409, 422),
    )
    _control_route(
        f"{verb}-recovery",
        recovery_summary,
        200,
        schema,
        lambda deps, eid, body, actor: decide(
            deps,
            eid,
            actor=actor,
            comment=body.get("comment"),
            recovery_confirmed_plan_name=str(body["confirmPlanName"]),
        ),
        errors=(409, 422),
    )


_wave_decision_routes(
    "retry",
    control.retry_wave,
    "Retry the wave that failed (PAUSED, pauseReason WAVE_FAILED): its failed CRITICAL servers are "
    "launched again and its failed actions rerun",
    "Retry the failed wave of a RECOVERY execution, confirmed by its plan's name",
    "RetryRecoveryWave",
)
_wave_decision_routes(
    "skip",
    control.skip_wave,
    "Skip the wave that failed (PAUSED, pauseReason WAVE_FAILED) and go on with the next; the "
    "execution can then end PARTIAL_SUCCESS at best",
    "Skip the failed wave of a RECOVERY execution and go on with the next, confirmed by its plan's name",
    "SkipRecoveryWave",
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
_control_route(
    "cleanup",
    "Postpone the automatic cleanup of a drill's recovery instances (cleanupAt moves postponeHours "
    "later; 409 when there is none or its instances are terminated, 422 for a RECOVERY)",
    200,
    "PostponeCleanup",
    lambda deps, eid, body, actor: cleanup.postpone(deps, eid, hours=int(body["postponeHours"]), actor=actor),
    errors=(409, 422),
)
